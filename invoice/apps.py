from django.apps import AppConfig


class InvoiceConfig(AppConfig):
    name = "invoice"
    verbose_name = "Invoices"
    default_auto_field = "django.db.models.BigAutoField"
