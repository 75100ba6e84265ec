from django.apps import AppConfig


class PaymentModuleConfig(AppConfig):
    name = "payment_module"
    verbose_name = "Payment module (operators, orders, tariffs)"
    default_auto_field = "django.db.models.BigAutoField"
