from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registries are filled explicitly here, without touching the database.
        from graphql_jwt.refresh_token.signals import refresh_token_rotated

        from core import calculation, frontend, permissions, pickers, xmlschema
        from core.auth import revoke_rotated_refresh_token

        # Infrastructure hook (not business flow): rotation must revoke the old refresh token.
        refresh_token_rotated.connect(revoke_rotated_refresh_token, dispatch_uid="molink-revoke-rotated")

        xmlschema.warm_up()  # libxml2's schema types, set up once before any thread parses an XSD
        calculation.register_builtin_rules()
        permissions.register_core_roles()
        pickers.register_core_pickers()
        # Wrong front-end settings stop the start-up here, naming the variable.
        frontend.default_language()
        frontend.module_configurations()
