"""PDF renderer: the snapshot laid out by the Django template invoice/document.html, converted by
xhtml2pdf. Pure: snapshot in, bytes out; nothing is read but the template and the bundled fonts.

The page is made of the RFC's blocks (``sender``, ``recipient``, ``summary``, ``details``,
``references``) plus a ``footer``; an organisation may replace the default content of any of them
with its own plain text (``snapshot.template_blocks``: HTML-escaped, newlines kept as line breaks).
The French legal mentions (due date, late-payment penalties, the 40 € recovery indemnity, no
early-payment discount, VAT exemption reasons) sit in their own section that no override removes.

Text is set in Bitstream Vera Sans (bundled in ``fonts/``, licence beside it), embedded as a
subset so that é, è, ç and € render everywhere and the file can become PDF/A (see facturx.py)."""
from __future__ import annotations

import io
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.template.loader import get_template

from core.money import minor_units
from core.services.organizations import TEMPLATE_BLOCKS
from invoice.renderers import RenderError
from invoice.renderers.snapshot import InvoiceSnapshot, LineSnapshot, PartySnapshot

TEMPLATE = "invoice/document.html"
FONTS_DIR = Path(__file__).resolve().parent / "fonts"
FONT_REGULAR = FONTS_DIR / "Vera.ttf"
FONT_BOLD = FONTS_DIR / "VeraBd.ttf"

NBSP = "\u00a0"
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF", "JPY": "¥"}
CATEGORY_LABELS = {"E": "Exonéré", "AE": "Autoliquidation", "O": "Hors champ", "Z": "Taux zéro",
                   "K": "Intracom.", "G": "Export"}

LEGAL_LATE_PENALTIES = ("Pénalités de retard : trois fois le taux d'intérêt légal "
                        "(art. L441-10 du Code de commerce).")
LEGAL_RECOVERY_INDEMNITY = ("Indemnité forfaitaire pour frais de recouvrement : 40 € "
                            "(art. L441-10 et D441-5 du Code de commerce).")
LEGAL_NO_DISCOUNT = "Pas d'escompte pour paiement anticipé."


# -- French formatting ---------------------------------------------------------------------------

def _group(digits: str) -> str:
    """'1234567' → '1 234 567' with non-breaking spaces."""
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)]
    return NBSP.join(parts)


def format_number(value: Decimal, places: int | None = None, min_places: int = 0) -> str:
    """French decimal notation: grouped thousands, comma. ``places`` rounds to a fixed number of
    decimals; otherwise trailing zeros are dropped down to ``min_places``."""
    value = Decimal(value)
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        text = f"{abs(value):.{places}f}"
    else:
        text = f"{abs(value):f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        integer, _, fraction = text.partition(".")
        if len(fraction) < min_places:
            fraction = fraction.ljust(min_places, "0")
        text = f"{integer}.{fraction}" if fraction else integer
    integer, _, fraction = text.partition(".")
    sign = "-" if value < 0 and any(c not in "0." for c in text) else ""
    return sign + _group(integer) + ("," + fraction if fraction else "")


def format_money(value: Decimal, currency: str = "EUR") -> str:
    """'1 234,56 €' (non-breaking spaces), rounded half-up to the currency's minor units."""
    symbol = CURRENCY_SYMBOLS.get(currency, currency)
    return f"{format_number(value, places=minor_units(currency))}{NBSP}{symbol}"


def format_unit_price(value: Decimal, currency: str = "EUR") -> str:
    """A unit price keeps up to 4 decimals (never fewer than the currency's)."""
    places = minor_units(currency)
    value = Decimal(value)
    if value != value.quantize(Decimal(1).scaleb(-places)):
        text = format_number(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP), min_places=places)
    else:
        text = format_number(value, places=places)
    return f"{text}{NBSP}{CURRENCY_SYMBOLS.get(currency, currency)}"


def format_percent(fraction: Decimal) -> str:
    """0.20 → '20 %', 0.055 → '5,5 %'."""
    return f"{format_number(Decimal(fraction) * 100)}{NBSP}%"


def format_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


# -- context -------------------------------------------------------------------------------------

def _party(party: PartySnapshot) -> dict:
    locality = " ".join(part for part in (party.postal_code, party.city) if part)
    address = [line for line in (party.address_line1, party.address_line2, locality) if line]
    if party.country_code and party.country_code.upper() != "FR":
        address.append(party.country_code.upper())
    return {
        "name": party.legal_name or party.name,
        "trade_name": party.name if party.legal_name and party.name != party.legal_name else "",
        "address": address, "siren": party.siren, "siret": party.siret, "vat_number": party.vat_number,
        "email": party.email, "iban": _spaced(party.iban), "bic": party.bic,
    }


def _spaced(iban: str) -> str:
    iban = (iban or "").replace(" ", "")
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def _vat_cell(line: LineSnapshot) -> str:
    if line.vat_category in ("S", "") or line.tax_rate:
        return format_percent(line.tax_rate)
    return CATEGORY_LABELS.get(line.vat_category, line.vat_category)


def format_period(start: date | None, end: date | None) -> str:
    if start and end:
        return f"du {format_date(start)} au {format_date(end)}"
    if start:
        return f"à partir du {format_date(start)}"
    if end:
        return f"jusqu'au {format_date(end)}"
    return ""


def _line(line: LineSnapshot, currency: str) -> dict:
    period = format_period(line.period_start, line.period_end)
    return {
        "position": line.position, "code": line.code, "description": line.description,
        "details": line.details, "period": period,
        "quantity": format_number(line.quantity),
        "unit_price": format_unit_price(line.unit_price, currency),
        "discount": format_percent(line.discount) if line.discount else "",
        "deduction": format_money(line.deduction, currency) if line.deduction else "",
        "vat": _vat_cell(line),
        "amount_net": format_money(line.amount_net, currency),
    }


def _exemption_mentions(snapshot: InvoiceSnapshot) -> list[str]:
    reasons = []
    for tax in snapshot.taxes:
        exempt = tax.vat_category in ("E", "AE", "O", "K", "G", "Z")
        if exempt and tax.exemption_reason and tax.exemption_reason not in reasons:
            reasons.append(tax.exemption_reason)
    return reasons


def build_context(snapshot: InvoiceSnapshot) -> dict:
    """Everything the template shows, already formatted (the template only lays it out)."""
    currency = snapshot.currency or "EUR"
    money = lambda value: format_money(value, currency)
    is_credit_note = snapshot.document_type == "CREDIT_NOTE"
    seller = _party(snapshot.seller)
    title = "Avoir" if is_credit_note else "Facture"
    mentions = []
    if snapshot.date_due:
        mentions.append(f"Date d'échéance : {format_date(snapshot.date_due)}.")
    mentions += [LEGAL_LATE_PENALTIES, LEGAL_RECOVERY_INDEMNITY, LEGAL_NO_DISCOUNT]
    mentions += _exemption_mentions(snapshot)
    blocks = {name: text for name, text in (snapshot.template_blocks or {}).items()
              if name in TEMPLATE_BLOCKS and isinstance(text, str) and text.strip()}
    period = format_period(snapshot.period_start, snapshot.period_end)
    return {
        "title": title,
        "document_title": f"{title} {snapshot.number}".strip(),
        "number": snapshot.number,
        "is_credit_note": is_credit_note,
        "related_number": snapshot.related_number,
        "issue_date": format_date(snapshot.date_invoice),
        "due_date": format_date(snapshot.date_due),
        "period": period,
        "payment_days": snapshot.payment_days,
        "payment_reference": snapshot.payment_reference,
        "buyer_reference": snapshot.buyer_reference,
        "currency": currency,
        "seller": seller,
        "buyer": _party(snapshot.buyer),
        "lines": [_line(line, currency) for line in snapshot.lines],
        "has_discounts": any(line.discount or line.deduction for line in snapshot.lines),
        "taxes": [{
            "label": tax.label, "rate": format_percent(tax.rate) if tax.vat_category in ("S", "") or tax.rate
            else CATEGORY_LABELS.get(tax.vat_category, tax.vat_category),
            "base": money(tax.base), "amount": money(tax.amount),
        } for tax in snapshot.taxes],
        "totals": {
            "net": money(snapshot.amount_net), "discount": money(snapshot.amount_discount) if snapshot.amount_discount else "",
            "tax": money(snapshot.tax_total), "total": money(snapshot.amount_total),
            "paid": money(snapshot.amount_payed), "due": money(snapshot.amount_due),
        },
        "due_label": "Montant en votre faveur" if snapshot.amount_due < 0 else "Reste à payer",
        "note": snapshot.note,
        "terms": snapshot.terms,
        "mentions": mentions,
        "blocks": blocks,
        "font_regular": FONT_REGULAR.as_posix(),
        "font_bold": FONT_BOLD.as_posix(),
    }


def render_html(snapshot: InvoiceSnapshot) -> str:
    return get_template(TEMPLATE).render(build_context(snapshot))


def render(snapshot: InvoiceSnapshot) -> bytes:
    from xhtml2pdf import pisa
    from xhtml2pdf.config.resources import ResourceAccessPolicy

    html = render_html(snapshot)
    # Local reads confined to the bundled fonts, and nothing fetched over the network.
    policy = ResourceAccessPolicy(base_dir=FONTS_DIR, allow_remote=False)
    output = io.BytesIO()
    status = pisa.CreatePDF(html, dest=output, encoding="utf-8", resource_policy=policy)
    if status.err:
        raise RenderError("PDF_RENDER_FAILED", f"xhtml2pdf reported {status.err} error(s) rendering invoice {snapshot.number!r}")
    return output.getvalue()
