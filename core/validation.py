"""Pure checks that raise DomainError(code, message, field). No database access."""
from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from core.error_codes import CoreErrorCode
from core.errors import DomainError
from core.money import is_currency, to_decimal


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def camel(name: str) -> str:
    """A model field name as the API names it: `address_line1` → `addressLine1`."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def ensure_required(value, field: str) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DomainError(CoreErrorCode.REQUIRED, f"{field} is required", field)


def ensure_max_length(value: str | None, limit: int, field: str) -> None:
    if value is not None and len(value) > limit:
        raise DomainError(CoreErrorCode.TOO_LONG, f"{field} must be at most {limit} characters, got {len(value)}", field)


def ensure_siren(value: str, field: str = "siren") -> None:
    if value and not (re.fullmatch(r"\d{9}", value) and _luhn_ok(value)):
        raise DomainError(CoreErrorCode.INVALID_SIREN, f"SIREN must be 9 digits with a valid key, got {value!r}", field)


def ensure_siret(value: str, field: str = "siret") -> None:
    # La Poste's SIRETs (SIREN 356000000) use a digit-sum rule instead of Luhn.
    valid = bool(re.fullmatch(r"\d{14}", value or "")) and (
        _luhn_ok(value) or (value.startswith("356000000") and sum(map(int, value)) % 5 == 0)
    )
    if value and not valid:
        raise DomainError(CoreErrorCode.INVALID_SIRET, f"SIRET must be 14 digits with a valid key, got {value!r}", field)


def ensure_vat_number(value: str, field: str = "vatNumber") -> None:
    """EU VAT ids: 2-letter country + 2..12 alphanumerics; French ones also check their key."""
    if not value:
        return
    if not re.fullmatch(r"[A-Z]{2}[0-9A-Z]{2,12}", value):
        raise DomainError(CoreErrorCode.INVALID_VAT_NUMBER, f"not a VAT number: {value!r}", field)
    if value.startswith("FR"):
        match = re.fullmatch(r"FR(\d{2})(\d{9})", value)
        if not match or int(match.group(1)) != (12 + 3 * (int(match.group(2)) % 97)) % 97:
            raise DomainError(CoreErrorCode.INVALID_VAT_NUMBER, f"French VAT number with a wrong key: {value!r}", field)


def ensure_iban(value: str, field: str = "iban") -> None:
    if not value:
        return
    compact = value.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", compact):
        raise DomainError(CoreErrorCode.INVALID_IBAN, f"not an IBAN: {value!r}", field)
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    if int(number) % 97 != 1:
        raise DomainError(CoreErrorCode.INVALID_IBAN, f"IBAN check digits are wrong: {value!r}", field)


def ensure_email(value: str, field: str = "email") -> None:
    if not value:
        return
    try:
        validate_email(value)
    except ValidationError:
        raise DomainError(CoreErrorCode.INVALID, f"not an e-mail address: {value!r}", field) from None


def ensure_bic(value: str, field: str = "bic") -> None:
    if value and not re.fullmatch(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?", value):
        raise DomainError(CoreErrorCode.INVALID_BIC, f"not a BIC: {value!r}", field)


def ensure_currency(value: str | None, field: str = "currencyCode") -> None:
    if not is_currency(value):
        raise DomainError(CoreErrorCode.INVALID_CURRENCY, f"currency must be an ISO 4217 code, got {value!r}", field)


def ensure_decimal(value, field: str, *, minimum: Decimal | None = None, maximum: Decimal | None = None,
                   label: str | None = None) -> Decimal:
    label = label or field
    try:
        number = to_decimal(value)
    except (TypeError, ValueError):
        raise DomainError(CoreErrorCode.INVALID, f"{label} must be a decimal number, got {value!r}", field) from None
    if minimum is not None and number < minimum:
        raise DomainError(CoreErrorCode.OUT_OF_RANGE, f"{label} must be ≥ {minimum}, got {number}", field)
    if maximum is not None and number > maximum:
        raise DomainError(CoreErrorCode.OUT_OF_RANGE, f"{label} must be ≤ {maximum}, got {number}", field)
    return number


def ensure_int_range(value, field: str, minimum: int, maximum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum:
        raise DomainError(CoreErrorCode.OUT_OF_RANGE, f"{field} must be an integer in [{minimum}, {maximum}], got {value!r}", field)
    return value


def ensure_number_prefix(value: str, field: str = "invoiceNumberPrefix") -> None:
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9_-]{0,9}", value or ""):
        raise DomainError(
            CoreErrorCode.INVALID, f"number prefix must be 1-10 capitals, digits, '-' or '_', got {value!r}", field
        )


def ensure_country_code(value, field: str = "countryCode") -> None:
    if not (isinstance(value, str) and re.fullmatch(r"[A-Z]{2}", value)):
        raise DomainError(CoreErrorCode.INVALID, f"country code must be ISO 3166 alpha-2, got {value!r}", field)


def ensure_payment_days(value, field: str = "paymentDays") -> int:
    """French law caps payment terms at 60 days (Code de commerce L441-10)."""
    return ensure_int_range(value, field, 0, 60)


# Characters no invoice text may hold: C0 controls but tab, newline and carriage return, unpaired
# UTF-16 surrogates (JSON "\ud800" decodes to one; no database or XML file can store it) and the
# non-characters U+FFFE/U+FFFF. They are refused where input arrives, so none reaches a document.
_FORBIDDEN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def ensure_clean_text(value, field: str | None = None) -> None:
    """Every string in `value` (nested dicts and lists too) is free of forbidden characters;
    the error names the first offending path (`input.note`, `lines.2.description`)."""
    stack = [(field, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            found = _FORBIDDEN_TEXT.search(item)
            if found:
                raise DomainError(CoreErrorCode.INVALID, f"text must not contain the control or unpaired surrogate "
                                  f"character U+{ord(found.group()):04X}", path)
        elif isinstance(item, dict):
            stack.extend((f"{path}.{camel(key)}" if path else camel(key), child) for key, child in item.items())
        elif isinstance(item, (list, tuple)):
            stack.extend((f"{path}.{index}" if path else str(index), child) for index, child in enumerate(item))
