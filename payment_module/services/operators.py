"""Writes on the billing source: operators (déclarants), tariffs and orders.

Every service validates its whole input first and reports every bad field at once
(`DomainErrors`, fields named by their camelCase input path), then writes with history
(`core.history.save_with_history`: actor, reason, version). Nothing is written on error.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from core import calculation, validation
from core.error_codes import CoreErrorCode
from core.errors import DomainError, ErrorCollector
from core.history import ensure_version, save_with_history
from core.models import Organization
from core.tenancy import get_scoped
from payment_module.constants import OrderKind
from payment_module.error_codes import BillingErrorCode
from payment_module.models import Operator, Order, Tariff


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _required(check: ErrorCollector, value, field: str) -> bool:
    """Record REQUIRED when `value` is missing or blank; True when it is there."""
    if value is None or (isinstance(value, str) and not value.strip()):
        check.errors.append(DomainError(CoreErrorCode.REQUIRED, f"{field} is required", field))
        return False
    return True


def _decimal_places(number: Decimal) -> int:
    exponent = number.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _check_decimal(check: ErrorCollector, value, field: str, *, places: int, digits: int,
                   minimum: Decimal | None = None, strictly_positive: bool = False) -> Decimal | None:
    """A decimal that fits its column (`digits` in all, `places` after the point)."""
    number = check.check(validation.ensure_decimal, value, field, minimum=minimum)
    if number is None:
        return None
    if strictly_positive and number <= 0:
        check.errors.append(DomainError(CoreErrorCode.OUT_OF_RANGE, f"{field} must be > 0, got {number}", field))
        return None
    if _decimal_places(number) > places:
        check.errors.append(DomainError(CoreErrorCode.INVALID, f"{field} has at most {places} decimals, got {number}", field))
        return None
    if abs(number) >= Decimal(10) ** (digits - places):
        check.errors.append(DomainError(CoreErrorCode.OUT_OF_RANGE, f"{field} is too large: {number}", field))
        return None
    return number


# ------------------------------------------------------------------------------------ operators

# Free-text fields of an operator → max length.
OPERATOR_TEXT_FIELDS = {
    "code": 50, "name": 255, "legal_name": 255, "address_line1": 255, "address_line2": 255, "postal_code": 20,
    "city": 100, "email": 254,
}
OPERATOR_FIELDS = set(OPERATOR_TEXT_FIELDS) | {
    "siren", "siret", "vat_number", "country_code", "currency_code", "payment_days", "is_active",
}
SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def _normalize_operator(changes: dict) -> dict:
    result = {}
    for name, value in changes.items():
        if isinstance(value, str):
            value = value.strip()
            if name in {"siren", "siret"}:
                value = value.replace(" ", "")
            if name in {"vat_number", "currency_code", "country_code"}:
                value = value.replace(" ", "").upper()
        result[name] = value
    return result


def _validate_operator(changes: dict, merged: dict) -> None:
    """`changes`: what the client sends (normalised); `merged`: the operator's values after them."""
    check = ErrorCollector()
    unknown = set(changes) - OPERATOR_FIELDS
    if unknown:
        raise DomainError(CoreErrorCode.INVALID, f"fields not accepted on an operator: {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        if value is None and not Operator._meta.get_field(name).null:
            check.errors.append(DomainError(CoreErrorCode.REQUIRED, f"{validation.camel(name)} cannot be null", validation.camel(name)))
    present = {name: value for name, value in changes.items() if value is not None}
    for name, limit in OPERATOR_TEXT_FIELDS.items():
        if name in present:
            if not isinstance(present[name], str):
                check.errors.append(DomainError(CoreErrorCode.INVALID, f"{validation.camel(name)} must be text", validation.camel(name)))
                continue
            if name in ("code", "name") and not _required(check, present[name], name):
                continue
            check.check(validation.ensure_max_length, present[name], limit, validation.camel(name))
    if isinstance(present.get("code"), str) and present["code"] and len(present["code"]) <= 50 and not SLUG.fullmatch(present["code"]):
        check.errors.append(DomainError(
            CoreErrorCode.INVALID, f"code may hold letters, digits, '-' and '_' only, got {present['code']!r}", "code"))
    validators = {"siren": validation.ensure_siren, "siret": validation.ensure_siret,
                  "vat_number": validation.ensure_vat_number, "email": validation.ensure_email,
                  "currency_code": validation.ensure_currency, "payment_days": validation.ensure_payment_days,
                  "country_code": validation.ensure_country_code}
    for name, validator in validators.items():
        if name in present:
            check.check(validator, present[name])
    if "is_active" in present and not isinstance(present["is_active"], bool):
        check.errors.append(DomainError(CoreErrorCode.INVALID, "isActive must be true or false", "isActive"))
    if not check.errors:
        # The legal ids of one company agree: SIRET = SIREN + NIC, FR VAT number = FR + key + SIREN.
        siren, siret, vat = merged.get("siren") or "", merged.get("siret") or "", merged.get("vat_number") or ""
        if siren and siret and not siret.startswith(siren) and {"siren", "siret"} & set(present):
            check.errors.append(DomainError(
                CoreErrorCode.INVALID, f"SIRET {siret} does not belong to SIREN {siren}", "siret"))
        if siren and vat.startswith("FR") and not vat.endswith(siren) and {"siren", "vat_number"} & set(present):
            check.errors.append(DomainError(
                CoreErrorCode.INVALID, f"VAT number {vat} does not belong to SIREN {siren}", "vatNumber"))
    check.raise_if_any()


def _duplicate_code(organization, code: str, exclude_pk=None) -> DomainError | None:
    others = Operator.objects.filter(organization=organization, code=code)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        return DomainError(CoreErrorCode.DUPLICATE, f"an operator with code {code!r} already exists", "code")
    return None


def _save_operator(operator: Operator, *, actor, reason: str) -> None:
    try:
        with transaction.atomic():
            save_with_history(operator, actor=actor, reason=reason)
    except IntegrityError:
        duplicate = _duplicate_code(operator.organization, operator.code, operator.pk)
        if duplicate is not None:
            raise duplicate from None
        raise


@transaction.atomic
def operator_create(*, actor, organization: Organization, data: dict) -> Operator:
    # On creation a null is an absent field: it takes the model's default.
    changes = _normalize_operator({name: value for name, value in data.items() if value is not None})
    for name in ("code", "name"):
        changes.setdefault(name, "")
    # Absent optional fields take the model's defaults.
    defaults = {name: Operator._meta.get_field(name).get_default() for name in OPERATOR_FIELDS}
    _validate_operator(changes, {**defaults, **changes})
    duplicate = _duplicate_code(organization, changes["code"])
    if duplicate is not None:
        raise duplicate
    operator = Operator(organization=organization, **{name: value for name, value in changes.items()})
    _save_operator(operator, actor=actor, reason="operator_create")
    return operator


@transaction.atomic
def operator_update(*, actor, operator: Operator, version: int | None, changes: dict) -> Operator:
    operator = Operator.objects.select_for_update().select_related("organization").get(pk=operator.pk)
    ensure_version(operator, version, "operator")
    changes = _normalize_operator(changes)
    current = {name: getattr(operator, name) for name in OPERATOR_FIELDS}
    _validate_operator(changes, {**current, **changes})
    if "code" in changes and changes["code"] != operator.code:
        duplicate = _duplicate_code(operator.organization, changes["code"], operator.pk)
        if duplicate is not None:
            raise duplicate
    changed = {name: value for name, value in changes.items() if getattr(operator, name) != value}
    if not changed:
        return operator  # nothing to record: no new version
    for name, value in changed.items():
        setattr(operator, name, value)
    _save_operator(operator, actor=actor, reason="operator_update")
    return operator


# ------------------------------------------------------------------------------------ tariffs

TARIFF_FIELDS = {"code", "label", "order_kind", "unit_price", "currency_code", "tax_rule", "ledger_account",
                 "date_valid_from", "date_valid_to"}
UNIT_PRICE = Tariff._meta.get_field("unit_price")


def _overlapping(organization, order_kind: str, currency_code: str, start: date, end: date | None):
    """Live tariffs of `order_kind` in `currency_code` whose validity meets [start, end] (open ends
    included)."""
    from django.db.models import Q

    qs = Tariff.objects.filter(organization=organization, order_kind=order_kind, currency_code=currency_code,
                               is_deleted=False).filter(
        Q(date_valid_to__isnull=True) | Q(date_valid_to__gte=start))
    if end is not None:
        qs = qs.filter(Q(date_valid_from__isnull=True) | Q(date_valid_from__lte=end))
    return qs.order_by("date_valid_from")


@transaction.atomic
def tariff_create(*, actor, organization: Organization, data: dict) -> Tariff:
    """A price for an order kind in a currency (default: the organisation's) over a period.
    Periods of one kind and currency never overlap: a tariff change is a new tariff starting the
    day after the previous one ends."""
    unknown = set(data) - TARIFF_FIELDS
    if unknown:
        raise DomainError(CoreErrorCode.INVALID, f"fields not accepted on a tariff: {', '.join(sorted(unknown))}")
    data = {name: _strip(value) for name, value in data.items()}
    check = ErrorCollector()
    for name, limit in (("code", 50), ("label", 255)):
        if _required(check, data.get(name), name):
            check.check(validation.ensure_max_length, data[name], limit, name)
    if data.get("ledger_account"):
        check.check(validation.ensure_max_length, data["ledger_account"], 64, "ledgerAccount")
    kind = data.get("order_kind")
    if kind in (None, ""):
        check.errors.append(DomainError(CoreErrorCode.REQUIRED, "orderKind is required", "orderKind"))
    elif kind not in OrderKind.values:
        check.errors.append(DomainError(
            CoreErrorCode.INVALID, f"unknown order kind {kind!r}; expected one of {', '.join(OrderKind.values)}", "orderKind"))
    unit_price = None
    if data.get("unit_price") is None:
        check.errors.append(DomainError(CoreErrorCode.REQUIRED, "unitPrice is required", "unitPrice"))
    else:
        unit_price = _check_decimal(check, data["unit_price"], "unitPrice", places=UNIT_PRICE.decimal_places,
                                    digits=UNIT_PRICE.max_digits, minimum=Decimal(0))
    currency = (data.get("currency_code") or organization.currency_code).upper()
    check.check(validation.ensure_currency, currency, "currencyCode")
    rule = None
    if data.get("tax_rule") in (None, ""):
        check.errors.append(DomainError(CoreErrorCode.REQUIRED, "taxRule is required", "taxRule"))
    else:
        rule = check.check(calculation.get_rule, organization, data["tax_rule"], "taxRule")
    start, end = data.get("date_valid_from"), data.get("date_valid_to")
    if start is None:
        check.errors.append(DomainError(CoreErrorCode.REQUIRED, "dateValidFrom is required", "dateValidFrom"))
    for name, value in (("date_valid_from", start), ("date_valid_to", end)):
        if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
            check.errors.append(DomainError(CoreErrorCode.INVALID, f"{validation.camel(name)} must be a date", validation.camel(name)))
    check.raise_if_any()
    if end is not None and end < start:
        raise DomainError(BillingErrorCode.INVALID_PERIOD,
                          f"tariff period ends {end:%d/%m/%Y}, before it starts {start:%d/%m/%Y}", "dateValidTo")
    # Serialise tariff writes of the organisation: two concurrent creations cannot both pass the
    # overlap check.
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    clash = _overlapping(organization, kind, currency, start, end).first()
    if clash is not None:
        since = f"{clash.date_valid_from:%d/%m/%Y}" if clash.date_valid_from else "always"
        until = f"{clash.date_valid_to:%d/%m/%Y}" if clash.date_valid_to else "open end"
        raise DomainError(
            BillingErrorCode.OVERLAPPING_TARIFF,
            f"tariff {clash.code} for {OrderKind(kind).label} in {currency} is already valid from {since} to {until}: "
            "end it before this one starts", "dateValidFrom",
        )
    tariff = Tariff(
        organization=organization, code=data["code"], label=data["label"], order_kind=kind, unit_price=unit_price,
        currency_code=currency, tax_rule=rule.id, ledger_account=data.get("ledger_account") or "",
        date_valid_from=start, date_valid_to=end,
    )
    save_with_history(tariff, actor=actor, reason="tariff_create")
    return tariff


# ------------------------------------------------------------------------------------ orders

ORDER_FIELDS = {"operator_id", "operator", "kind", "reference", "description", "ordered_at", "quantity", "options",
                "amount_override"}
QUANTITY = Order._meta.get_field("quantity")
AMOUNT_OVERRIDE = Order._meta.get_field("amount_override")


def _order_operator(check: ErrorCollector, organization, data: dict) -> Operator | None:
    """The order's operator, by `operator` (an instance) or `operator_id`: the caller's
    organisation's only — any other is NOT_FOUND, whether it exists or not."""
    given = data.get("operator")
    ident = given.pk if isinstance(given, Operator) else (given if given is not None else data.get("operator_id"))
    if ident in (None, ""):
        check.errors.append(DomainError(CoreErrorCode.REQUIRED, "operatorId is required", "operatorId"))
        return None
    operator = check.check(get_scoped, Operator.objects.filter(is_deleted=False), organization, ident,
                           what="operator", field="operatorId")
    if operator is not None and not operator.is_active:
        check.errors.append(DomainError(BillingErrorCode.OPERATOR_INACTIVE,
                                        f"operator {operator.code} is inactive: it takes no new orders", "operatorId"))
    return operator


@transaction.atomic
def order_create(*, actor, organization: Organization, data: dict) -> Order:
    """A commande of an operator. Its reference is unique in the organisation."""
    unknown = set(data) - ORDER_FIELDS
    if unknown:
        raise DomainError(CoreErrorCode.INVALID, f"fields not accepted on an order: {', '.join(sorted(unknown))}")
    data = {name: _strip(value) for name, value in data.items()}
    check = ErrorCollector()
    operator = _order_operator(check, organization, data)
    kind = data.get("kind")
    if kind in (None, ""):
        check.errors.append(DomainError(CoreErrorCode.REQUIRED, "kind is required", "kind"))
    elif kind not in OrderKind.values:
        check.errors.append(DomainError(
            CoreErrorCode.INVALID, f"unknown order kind {kind!r}; expected one of {', '.join(OrderKind.values)}", "kind"))
    reference = data.get("reference")
    if _required(check, reference, "reference"):
        check.check(validation.ensure_max_length, reference, 100, "reference")
    if data.get("description"):
        check.check(validation.ensure_max_length, data["description"], 255, "description")
    ordered_at = data.get("ordered_at")
    if ordered_at is None:
        check.errors.append(DomainError(CoreErrorCode.REQUIRED, "orderedAt is required", "orderedAt"))
    elif not isinstance(ordered_at, datetime):
        check.errors.append(DomainError(CoreErrorCode.INVALID, f"orderedAt must be a date and time, got {ordered_at!r}",
                                        "orderedAt"))
    elif timezone.is_naive(ordered_at):
        ordered_at = timezone.make_aware(ordered_at)  # the server's time zone (Europe/Paris)
    quantity = _check_decimal(check, data["quantity"] if data.get("quantity") is not None else Decimal(1), "quantity",
                              places=QUANTITY.decimal_places, digits=QUANTITY.max_digits, strictly_positive=True)
    amount_override = None
    if data.get("amount_override") is not None:
        amount_override = _check_decimal(check, data["amount_override"], "amountOverride",
                                         places=AMOUNT_OVERRIDE.decimal_places, digits=AMOUNT_OVERRIDE.max_digits,
                                         minimum=Decimal(0))
    options = data.get("options")
    if options is not None and not isinstance(options, dict):
        check.errors.append(DomainError(CoreErrorCode.INVALID, "options must be a JSON object", "options"))
    check.raise_if_any()
    duplicate = DomainError(CoreErrorCode.DUPLICATE, f"an order with reference {reference!r} already exists", "reference")
    if Order.objects.filter(organization=organization, reference=reference).exists():
        raise duplicate
    order = Order(
        organization=organization, operator=operator, kind=kind, reference=reference,
        description=data.get("description") or "", ordered_at=ordered_at, quantity=quantity,
        options=options or {}, amount_override=amount_override,
    )
    try:
        with transaction.atomic():
            save_with_history(order, actor=actor, reason="order_create")
    except IntegrityError:
        if Order.objects.filter(organization=organization, reference=reference).exists():
            raise duplicate from None
        raise
    return order


def operator_get(organization, pk, field: str = "id") -> Operator:
    """One operator of the organisation (another's, or an unknown id, is NOT_FOUND)."""
    return get_scoped(Operator.objects.all(), organization, pk, what="operator", field=field)
