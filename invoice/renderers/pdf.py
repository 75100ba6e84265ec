"""PDF renderer: the snapshot laid out by the Django template invoice/document.html, converted by
xhtml2pdf. Pure: snapshot in, bytes out; nothing is read but the template and the bundled fonts.

The page is made of the RFC's blocks (``sender``, ``recipient``, ``summary``, ``details``,
``references``) plus a ``footer``; an organisation may replace the default content of any of them
with its own plain text (``snapshot.template_blocks``: HTML-escaped, newlines kept as line breaks).
The French legal mentions (category of the operation, due date, late-payment penalties, the 40 €
recovery indemnity, no early-payment discount, the option for VAT on debits, VAT exemption reasons,
the seller's share capital and trade register) sit in their own section that no override removes. A
credit note owes the buyer nothing: it prints no payment term, penalty, indemnity or bank account,
and names the invoice it credits with its date.

Text is set in Bitstream Vera Sans (bundled in ``fonts/``, licence beside it), embedded as a
subset so that é, è, ç and € render everywhere and the file can become PDF/A (see facturx.py).

A long invoice is rendered in parts of at most ``CHUNK_LINES`` lines, one xhtml2pdf call each:
xhtml2pdf holds ≈ 75 KiB of objects per line until its document is built, and reportlab's table
splitting is quadratic in the rows left, so one call for 10,000 lines takes minutes and close to
1 GiB. The first part has the header blocks, the last one the totals, references and mentions; the
parts are joined with pypdf, and the pages are numbered afterwards ("<title> — page i / n" under the
footer text, drawn with reportlab in the same font), since the page count is only known then. An
invoice of up to ``CHUNK_LINES`` lines is one part. Figures: docs/performance.md, "The 10,000-line
invoice (PDF)"."""
from __future__ import annotations

import io
import re
from collections.abc import Iterator
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

# Lines per xhtml2pdf call. A part holds ≈ 60-80 KiB of memory per line while it is built; each
# part also embeds its own font subsets (≈ 40 KiB) and ends on a page of its own. 1,000 keeps a
# 10,000-line invoice at ≈ 200 MiB peak RSS (docs/performance.md, "The 10,000-line invoice (PDF)").
CHUNK_LINES = 1000

# The page-number line sits under the footer text, where xhtml2pdf would set one more line of the
# template's footer frame (@frame footer_frame: 1.4 cm from the left, 18.2 cm wide, its top 2.1 cm
# above the bottom of the page; #footer_content: 7 pt, line height 1.5, #555555, centred).
CM = 72 / 2.54  # points
FOOTER_LEFT, FOOTER_WIDTH, FOOTER_TOP = 1.4 * CM, 18.2 * CM, 2.1 * CM
FOOTER_FONT_SIZE = 7
FOOTER_LEADING = 1.5 * FOOTER_FONT_SIZE
FOOTER_BASELINE = 5.32  # from the top of a footer line down to its baseline, as xhtml2pdf sets it
FOOTER_COLOUR = "#555555"
FOOTER_MAX_LINES = 4  # taller footer text is shrunk into the frame: the page line then stays under it
PAGE_NUMBER_FONT = "InvoiceSans-PageNumber"  # Vera Sans registered with reportlab for the stamps
# A text object that only selects a font: reportlab's page preamble and its table cells' default style.
_FONT_ONLY_TEXT = re.compile(rb"BT /([A-Za-z0-9_.+-]+) [0-9.]+ Tf [0-9.]+ TL ET")

NBSP = "\u00a0"
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF", "JPY": "¥"}
CATEGORY_LABELS = {"E": "Exonéré", "AE": "Autoliquidation", "O": "Hors champ", "Z": "Taux zéro",
                   "K": "Intracom.", "G": "Export"}

LEGAL_LATE_PENALTIES = ("Pénalités de retard : trois fois le taux d'intérêt légal "
                        "(art. L441-10 du Code de commerce).")
LEGAL_RECOVERY_INDEMNITY = ("Indemnité forfaitaire pour frais de recouvrement : 40 € "
                            "(art. L441-10 et D441-5 du Code de commerce).")
LEGAL_NO_DISCOUNT = "Pas d'escompte pour paiement anticipé."
LEGAL_VAT_ON_DEBITS = "Option pour le paiement de la TVA d'après les débits."
OPERATION_CATEGORIES = {"services": "Prestation de services", "goods": "Livraison de biens",
                        "mixed": "Livraison de biens et prestation de services"}


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
        "legal_information": legal_information(party),
    }


def legal_information(party: PartySnapshot) -> str:
    """The seller's share capital and trade register entry (Code de commerce, R123-237), e.g.
    "Capital social : 10 000,00 € — RCS Paris 552 100 554"; "" when neither is known."""
    parts = []
    if party.share_capital is not None:
        parts.append(f"Capital social : {format_money(party.share_capital)}")
    if party.trade_register:
        parts.append(party.trade_register)
    return " — ".join(parts)


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
        reason = tax.exemption_reason.strip()
        if exempt and reason:
            reason = reason if reason.endswith((".", "!", "?")) else f"{reason}."
            if reason not in reasons:
                reasons.append(reason)
    return reasons


def _footer_text(seller: dict, blocks: dict) -> str:
    if blocks.get("footer"):
        return blocks["footer"].replace("\r\n", "\n").replace("\r", "\n")
    parts = [seller["name"]]
    if seller["siren"]:
        parts.append(f"SIREN {seller['siren']}")
    if seller["vat_number"]:
        parts.append(f"TVA intracommunautaire {seller['vat_number']}")
    if seller["email"]:
        parts.append(seller["email"])
    return " — ".join(parts)


def document_context(snapshot: InvoiceSnapshot) -> dict:
    """Everything the template shows but the lines, already formatted (the template only lays it
    out)."""
    currency = snapshot.currency or "EUR"
    money = lambda value: format_money(value, currency)
    is_credit_note = snapshot.document_type == "CREDIT_NOTE"
    seller = _party(snapshot.seller)
    title = "Avoir" if is_credit_note else "Facture"
    related = ""
    if is_credit_note and snapshot.related_number:
        related = f"Avoir sur facture {snapshot.related_number}"
        if snapshot.related_date:
            related += f" du {format_date(snapshot.related_date)}"
    operation = OPERATION_CATEGORIES.get(snapshot.operation_category, OPERATION_CATEGORIES["services"])
    mentions = [f"Catégorie de l'opération : {operation}."]
    if is_credit_note:
        # Nothing is owed by the buyer: no payment term, late-payment penalty or recovery indemnity.
        if related:
            mentions.append(f"{related}.")
    else:
        if snapshot.date_due:
            mentions.append(f"Date d'échéance : {format_date(snapshot.date_due)}.")
        mentions += [LEGAL_LATE_PENALTIES, LEGAL_RECOVERY_INDEMNITY, LEGAL_NO_DISCOUNT]
    if snapshot.vat_on_debits:
        mentions.append(LEGAL_VAT_ON_DEBITS)
    mentions += _exemption_mentions(snapshot)
    if seller["legal_information"]:
        mentions.append(f"{seller['name']} — {seller['legal_information']}.")
    blocks = {name: text for name, text in (snapshot.template_blocks or {}).items()
              if name in TEMPLATE_BLOCKS and isinstance(text, str) and text.strip()}
    period = format_period(snapshot.period_start, snapshot.period_end)
    return {
        "title": title,
        "document_title": f"{title} {snapshot.number}".strip(),
        "number": snapshot.number,
        "is_credit_note": is_credit_note,
        "related_number": snapshot.related_number,
        "related": related,
        "issue_date": format_date(snapshot.date_invoice),
        "due_date": "" if is_credit_note else format_date(snapshot.date_due),
        "period": period,
        "payment_days": snapshot.payment_days,
        "payment_reference": snapshot.payment_reference,
        "buyer_reference": snapshot.buyer_reference,
        "currency": currency,
        "seller": seller,
        "buyer": _party(snapshot.buyer),
        "has_discounts": any(line.discount or line.deduction for line in snapshot.lines),
        "taxes": [{
            "label": tax.label, "rate": format_percent(tax.rate) if tax.vat_category in ("S", "") or tax.rate
            else CATEGORY_LABELS.get(tax.vat_category, tax.vat_category),
            "base": money(tax.base), "amount": money(tax.amount),
        } for tax in snapshot.taxes],
        "totals": {
            "net": money(snapshot.amount_net), "discount": money(snapshot.amount_discount) if snapshot.amount_discount else "",
            "tax": money(snapshot.tax_total), "total": money(snapshot.amount_total),
            "paid": "" if is_credit_note else money(snapshot.amount_payed),
            # the direction is in the label, the amount is never negative
            "due": money(abs(snapshot.amount_due)),
        },
        "due_label": "Montant en votre faveur" if snapshot.amount_due < 0 or is_credit_note else "Reste à payer",
        "note": snapshot.note,
        "terms": "" if is_credit_note else snapshot.terms,  # the payment terms of the credited invoice
        "mentions": mentions,
        "blocks": blocks,
        "footer_text": _footer_text(seller, blocks),
        "font_regular": FONT_REGULAR.as_posix(),
        "font_bold": FONT_BOLD.as_posix(),
    }


def build_context(snapshot: InvoiceSnapshot) -> dict:
    """The context of the whole document as one part."""
    lines = [_line(line, snapshot.currency or "EUR") for line in snapshot.lines]
    return {**document_context(snapshot), "lines": lines, "first_part": True, "last_part": True}


def part_contexts(snapshot: InvoiceSnapshot, chunk_lines: int) -> Iterator[dict]:
    """The context of each part: ``chunk_lines`` lines at most, header blocks in the first part,
    totals and mentions in the last. Lines are formatted part by part. An overridden ``details``
    block shows no lines: one part."""
    context = document_context(snapshot)
    lines = () if context["blocks"].get("details") else snapshot.lines
    starts = range(0, len(lines), chunk_lines) or range(1)
    for start in starts:
        yield {**context, "lines": [_line(line, context["currency"]) for line in lines[start:start + chunk_lines]],
               "first_part": start == starts[0], "last_part": start == starts[-1]}


def render_html(snapshot: InvoiceSnapshot) -> str:
    """The HTML of the whole document as one part (what ``render`` does for a short invoice)."""
    return get_template(TEMPLATE).render(build_context(snapshot))


def render(snapshot: InvoiceSnapshot, *, chunk_lines: int | None = None) -> bytes:
    """The PDF, in parts of ``chunk_lines`` lines (default ``CHUNK_LINES``) joined and page-numbered.
    A part's objects are freed as soon as its call returns (measured: an explicit gc.collect()
    between parts does not lower the peak); only its bytes are kept."""
    template = get_template(TEMPLATE)
    parts = []
    for context in part_contexts(snapshot, chunk_lines or CHUNK_LINES):
        parts.append(_xhtml2pdf(template.render(context), snapshot.number))
    # every part has the same title and footer text
    return assemble(parts, title=context["document_title"], footer_text=context["footer_text"])


def _xhtml2pdf(html: str, number: str) -> bytes:
    from xhtml2pdf import pisa
    from xhtml2pdf.config.resources import ResourceAccessPolicy

    # Local reads confined to the bundled fonts, and nothing fetched over the network.
    policy = ResourceAccessPolicy(base_dir=FONTS_DIR, allow_remote=False)
    output = io.BytesIO()
    status = pisa.CreatePDF(html, dest=output, encoding="utf-8", resource_policy=policy)
    if status.err:
        raise RenderError("PDF_RENDER_FAILED", f"xhtml2pdf reported {status.err} error(s) rendering invoice {number!r}")
    return output.getvalue()


# -- joining the parts, numbering the pages -------------------------------------------------------

def assemble(parts: list[bytes], *, title: str, footer_text: str) -> bytes:
    """One PDF of the parts in order (the document information and catalogue of the first), each
    page stamped "<title> — page i / n", font subsets renamed apart, reportlab's unused Helvetica
    removed."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(parts[0])))
    for part in parts[1:]:
        writer.append(PdfReader(io.BytesIO(part)))
    count = len(writer.pages)
    stamps = PdfReader(io.BytesIO(_page_numbers(count, title=title, footer_text=footer_text)))
    for page, stamp in zip(writer.pages, stamps.pages, strict=True):
        page.merge_page(stamp)
        page.compress_content_streams()  # merging decoded them
    _rename_font_subsets(writer)
    drop_unused_standard_fonts(writer)
    writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)  # the dropped font's object
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def _page_number_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if PAGE_NUMBER_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(PAGE_NUMBER_FONT, FONT_REGULAR))
    return PAGE_NUMBER_FONT


def footer_line_count(footer_text: str) -> int:
    """Lines the footer text takes in the footer frame: one per line break, long lines wrapped."""
    from reportlab.lib.utils import simpleSplit

    font = _page_number_font()
    return sum(max(1, len(simpleSplit(line, font, FOOTER_FONT_SIZE, FOOTER_WIDTH))) for line in footer_text.split("\n"))


def _page_numbers(count: int, *, title: str, footer_text: str) -> bytes:
    """A PDF of ``count`` A4 pages holding nothing but the page-number line, in the embedded font."""
    from reportlab.lib.colors import HexColor
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    font = _page_number_font()
    baseline = FOOTER_TOP - FOOTER_BASELINE - min(footer_line_count(footer_text), FOOTER_MAX_LINES) * FOOTER_LEADING
    output = io.BytesIO()
    # initialFontName: the page preamble selects this embedded font, not an unembedded Helvetica.
    canvas = Canvas(output, pagesize=A4, invariant=1, initialFontName=font, initialFontSize=FOOTER_FONT_SIZE)
    for number in range(1, count + 1):
        canvas.setFont(font, FOOTER_FONT_SIZE)
        canvas.setFillColor(HexColor(FOOTER_COLOUR))
        canvas.drawCentredString(FOOTER_LEFT + FOOTER_WIDTH / 2, baseline, f"{title} — page {number} / {count}")
        canvas.showPage()
    canvas.save()
    return output.getvalue()


def font_dictionaries(writer) -> list:
    """Every /Font resource dictionary of the pages and of their form XObjects."""
    seen, found = set(), []

    def visit(resources, depth=0):
        if resources is None or depth > 10:
            return
        resources = resources.get_object()
        fonts = resources.get("/Font")
        if fonts is not None and id(fonts.get_object()) not in seen:
            seen.add(id(fonts.get_object()))
            found.append(fonts.get_object())
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                visit(xobject.get("/Resources"), depth + 1)

    for page in writer.pages:
        visit(page.get("/Resources"))
    return found


def drop_unused_standard_fonts(writer) -> None:
    """Remove reportlab's font-only text objects naming an unembedded standard font (its page
    preamble and table cells' default style select Helvetica, ``BT /F1 10 Tf 12 TL ET``, and never
    draw with it), then the font itself when nothing shows text with it: no unembedded font is left
    in the file (PDF/A, and viewers that would substitute one)."""
    from pypdf.generic import NameObject

    candidates = set()
    for fonts in font_dictionaries(writer):
        for name, font in fonts.items():
            font = font.get_object()
            if font.get("/Subtype") == "/Type1" and "/FontDescriptor" not in font:
                candidates.add(name.lstrip("/"))
    if not candidates:
        return
    still_used = set()
    for page in writer.pages:
        contents = page.get_contents()
        if contents is None:
            continue
        data = contents.get_data()
        cleaned = _FONT_ONLY_TEXT.sub(lambda m: b"" if m.group(1).decode() in candidates else m.group(0), data)
        for name in candidates:
            if re.search(rb"/" + re.escape(name.encode()) + rb"\s+[-0-9.]+\s+Tf", cleaned):
                still_used.add(name)
        if cleaned != data:
            contents.set_data(cleaned)
            page.replace_contents(contents)
            page.compress_content_streams()
    for fonts in font_dictionaries(writer):
        for name in candidates - still_used:
            fonts.pop(NameObject("/" + name), None)


def _subset_tag(index: int) -> str:
    """0 → 'AAAAAA', 1 → 'AAAAAB', …"""
    letters = []
    for _ in range(6):
        index, rest = divmod(index, 26)
        letters.append(chr(ord("A") + rest))
    return "".join(reversed(letters))


def _rename_font_subsets(writer) -> None:
    """reportlab tags the font subsets of every PDF it writes AAAAAA+, AAAAAB+, …; joined, the parts
    and the page-number stamps would hold different subsets of one name, which the PDF specification
    forbids (a viewer caching fonts by name draws wrong glyphs). Each subset gets a tag of its own."""
    from pypdf.generic import NameObject

    renamed = {}
    for fonts in font_dictionaries(writer):
        for font in fonts.values():
            font = font.get_object()
            base = str(font.get("/BaseFont", ""))
            if id(font) in renamed or len(base) < 8 or base[7] != "+":
                continue
            name = NameObject(f"/{_subset_tag(len(renamed))}{base[7:]}")
            renamed[id(font)] = name
            font[NameObject("/BaseFont")] = name
            descriptor = font.get("/FontDescriptor")
            if descriptor is not None:
                descriptor.get_object()[NameObject("/FontName")] = name
