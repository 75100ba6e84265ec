from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registries are filled explicitly here, without touching the database.
        from core import calculation, permissions, pickers

        calculation.register_builtin_rules()
        permissions.register_core_roles()
        pickers.register_core_pickers()
