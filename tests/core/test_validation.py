"""core.validation: pure checks of French legal ids, bank details, currency and number prefix.
Empty values are accepted by the optional-id checks (an organisation may not have them yet)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from core import validation
from core.error_codes import CoreErrorCode
from core.errors import DomainError

VALID = [
    (validation.ensure_siren, "123456782"),
    (validation.ensure_siren, "732829320"),
    (validation.ensure_siren, ""),
    (validation.ensure_siret, "12345678200010"),
    (validation.ensure_siret, "73282932000074"),
    (validation.ensure_siret, "35600000000001"),  # La Poste: digit sum divisible by 5, not Luhn
    (validation.ensure_siret, ""),
    (validation.ensure_vat_number, "FR11123456782"),
    (validation.ensure_vat_number, "FR44732829320"),
    (validation.ensure_vat_number, "DE123456789"),  # other EU countries: format only
    (validation.ensure_vat_number, ""),
    (validation.ensure_iban, "FR7630006000011234567890189"),
    (validation.ensure_iban, "FR1420041010050500013M02606"),
    (validation.ensure_iban, "GB82 WEST 1234 5698 7654 32"),
    (validation.ensure_iban, "de89370400440532013000"),
    (validation.ensure_iban, ""),
    (validation.ensure_bic, "AGRIFRPP"),
    (validation.ensure_bic, "DEUTDEFF500"),
    (validation.ensure_bic, "PSSTFRPP"),
    (validation.ensure_bic, ""),
    (validation.ensure_email, "compta@org-b.test"),
    (validation.ensure_email, ""),
    (validation.ensure_currency, "EUR"),
    (validation.ensure_currency, "JPY"),
    (validation.ensure_number_prefix, "INV"),
    (validation.ensure_number_prefix, "ORG-A"),
    (validation.ensure_number_prefix, "A_1"),
    (validation.ensure_number_prefix, "0123456789"),
]

INVALID = [
    (validation.ensure_siren, "123456789", "siren", CoreErrorCode.INVALID_SIREN),  # wrong key
    (validation.ensure_siren, "12345678", "siren", CoreErrorCode.INVALID_SIREN),
    (validation.ensure_siren, "1234567820", "siren", CoreErrorCode.INVALID_SIREN),
    (validation.ensure_siren, "12345678A", "siren", CoreErrorCode.INVALID_SIREN),
    (validation.ensure_siret, "12345678200011", "siret", CoreErrorCode.INVALID_SIRET),  # wrong key
    (validation.ensure_siret, "1234567820001", "siret", CoreErrorCode.INVALID_SIRET),
    (validation.ensure_siret, "35600000000002", "siret", CoreErrorCode.INVALID_SIRET),  # La Poste, bad sum
    (validation.ensure_siret, "123456782 00010", "siret", CoreErrorCode.INVALID_SIRET),
    (validation.ensure_vat_number, "FR00123456782", "vatNumber", CoreErrorCode.INVALID_VAT_NUMBER),  # wrong key
    (validation.ensure_vat_number, "FR1112345678", "vatNumber", CoreErrorCode.INVALID_VAT_NUMBER),
    (validation.ensure_vat_number, "FRAB123456782", "vatNumber", CoreErrorCode.INVALID_VAT_NUMBER),
    (validation.ensure_vat_number, "fr11123456782", "vatNumber", CoreErrorCode.INVALID_VAT_NUMBER),
    (validation.ensure_vat_number, "X1", "vatNumber", CoreErrorCode.INVALID_VAT_NUMBER),
    (validation.ensure_iban, "FR7630006000011234567890188", "iban", CoreErrorCode.INVALID_IBAN),  # check digits
    (validation.ensure_iban, "GB82 WEST 1234 5698 7654 33", "iban", CoreErrorCode.INVALID_IBAN),
    (validation.ensure_iban, "12345", "iban", CoreErrorCode.INVALID_IBAN),
    (validation.ensure_iban, "FR76-3000-6000", "iban", CoreErrorCode.INVALID_IBAN),
    (validation.ensure_bic, "agrifrpp", "bic", CoreErrorCode.INVALID_BIC),
    (validation.ensure_bic, "AGRIFRP", "bic", CoreErrorCode.INVALID_BIC),
    (validation.ensure_bic, "AGRI1RPP", "bic", CoreErrorCode.INVALID_BIC),
    (validation.ensure_bic, "AGRIFRPP5", "bic", CoreErrorCode.INVALID_BIC),
    (validation.ensure_email, "not-an-email", "email", CoreErrorCode.INVALID),
    (validation.ensure_email, "a@b@c.test", "email", CoreErrorCode.INVALID),
    (validation.ensure_currency, "eur", "currencyCode", CoreErrorCode.INVALID_CURRENCY),
    (validation.ensure_currency, "EURO", "currencyCode", CoreErrorCode.INVALID_CURRENCY),
    (validation.ensure_currency, "XXX", "currencyCode", CoreErrorCode.INVALID_CURRENCY),
    (validation.ensure_currency, "", "currencyCode", CoreErrorCode.INVALID_CURRENCY),
    (validation.ensure_currency, None, "currencyCode", CoreErrorCode.INVALID_CURRENCY),
    (validation.ensure_number_prefix, "", "invoiceNumberPrefix", CoreErrorCode.INVALID),
    (validation.ensure_number_prefix, "inv", "invoiceNumberPrefix", CoreErrorCode.INVALID),
    (validation.ensure_number_prefix, "-INV", "invoiceNumberPrefix", CoreErrorCode.INVALID),
    (validation.ensure_number_prefix, "ABCDEFGHIJK", "invoiceNumberPrefix", CoreErrorCode.INVALID),
    (validation.ensure_number_prefix, "IN V", "invoiceNumberPrefix", CoreErrorCode.INVALID),
    (validation.ensure_number_prefix, "INV/", "invoiceNumberPrefix", CoreErrorCode.INVALID),
]


def _id(check, value):
    return f"{check.__name__}({value!r})"


@pytest.mark.parametrize(("check", "value"), VALID, ids=[_id(c, v) for c, v in VALID])
def test_valid_values_pass(check, value):
    # given / when / then: no exception
    assert check(value) is None


@pytest.mark.parametrize(("check", "value", "field", "code"), INVALID, ids=[_id(c, v) for c, v, *_ in INVALID])
def test_invalid_values_raise_their_code_on_their_field(check, value, field, code):
    # given / when
    with pytest.raises(DomainError) as caught:
        check(value)

    # then: the message names the value
    assert (caught.value.field, caught.value.code) == (field, code)
    assert repr(value) in caught.value.message


def test_checks_report_on_the_field_they_are_given():
    # given an input path / when
    with pytest.raises(DomainError) as caught:
        validation.ensure_siren("123456789", field="thirdparty.siren")

    # then
    assert (caught.value.field, caught.value.code) == ("thirdparty.siren", CoreErrorCode.INVALID_SIREN)


@pytest.mark.parametrize(
    ("value", "minimum", "maximum", "code"),
    [("-0.01", "0", "1", CoreErrorCode.OUT_OF_RANGE), ("1.0001", "0", "1", CoreErrorCode.OUT_OF_RANGE),
     ("abc", "0", "1", CoreErrorCode.INVALID), (0.5, "0", "1", CoreErrorCode.INVALID)],
)
def test_ensure_decimal_refuses(value, minimum, maximum, code):
    # given / when
    with pytest.raises(DomainError) as caught:
        validation.ensure_decimal(value, "rate", minimum=Decimal(minimum), maximum=Decimal(maximum))

    # then
    assert (caught.value.field, caught.value.code) == ("rate", code)


@pytest.mark.parametrize("value", [-1, 61, "30", None, True, 30.0])
def test_ensure_int_range_refuses(value):
    # given / when
    with pytest.raises(DomainError) as caught:
        validation.ensure_int_range(value, "paymentDays", 0, 60)

    # then
    assert (caught.value.field, caught.value.code) == ("paymentDays", CoreErrorCode.OUT_OF_RANGE)


@pytest.mark.parametrize(("value", "code"), [(None, CoreErrorCode.REQUIRED), ("  ", CoreErrorCode.REQUIRED)])
def test_ensure_required(value, code):
    # given / when
    with pytest.raises(DomainError) as caught:
        validation.ensure_required(value, "name")

    # then
    assert (caught.value.field, caught.value.code) == ("name", code)
