from django.apps import AppConfig


class PaymentModuleConfig(AppConfig):
    name = "payment_module"
    verbose_name = "Payment module (operators, orders, tariffs, bank statements)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import pickers
        from core.permissions import Role, grant

        pickers.register(pickers.PickerType(
            code="operator", model_label="payment_module.Operator",
            roles=frozenset({pickers.SUBJECT, pickers.THIRDPARTY}),
            code_of=lambda o: o.code, label_of=lambda o: o.name, search_fields=("code", "name", "siren", "email"),
            summary_of=lambda o: {"siren": o.siren, "vatNumber": o.vat_number, "email": o.email}, order_by=("name",),
        ))
        pickers.register(pickers.PickerType(
            code="order", model_label="payment_module.Order", roles=frozenset({pickers.LINE, pickers.SUBJECT}),
            code_of=lambda o: o.reference, label_of=lambda o: o.description or o.get_kind_display(),
            search_fields=("reference", "description"), summary_of=lambda o: {"kind": o.kind},
            order_by=("-ordered_at",),
        ))
        from invoice import hooks
        from payment_module.services.billing import release_orders_of_cancelled

        hooks.on_invoice_status_changed(release_orders_of_cancelled)
        from core.tenancy import register_customer_source
        from payment_module.selectors import operator_user_parties

        register_customer_source(operator_user_parties)  # operator users are customer principals
        everyone = (Role.ADMIN, Role.ACCOUNTANT, Role.VIEWER)
        grant(everyone, {"payment_module.view_operator", "payment_module.view_order", "payment_module.view_tariff",
                         "payment_module.view_bankstatement"})
        grant((Role.ADMIN, Role.ACCOUNTANT), {"payment_module.generate_invoice", "payment_module.add_order"})
        grant((Role.ADMIN,), {"payment_module.add_operator", "payment_module.change_operator",
                              "payment_module.add_tariff", "payment_module.change_tariff"})
