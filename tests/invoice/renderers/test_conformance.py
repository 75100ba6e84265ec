"""The official schematrons (EN 16931 and French CTC) over CII XML and Factur-X: the checker, the
proof `render` applies, and the demo invoices and a 300-line invoice passing both."""
from __future__ import annotations

import io
import logging
import os

import facturx
import pytest
from lxml import etree

from invoice.renderers import RenderError, conformance, render
from invoice.renderers import pdf as pdf_renderer
from invoice.renderers import xml as xml_renderer
from tests.invoice.renderers.snapshots import BUYER, make_snapshot

NS = xml_renderer.NS
BOTH = (conformance.EN16931, conformance.FR_CTC)


def fatal_rules(failures) -> set[str]:
    return {failure.rule for failure in failures if failure.fatal}


def without(xml: bytes, xpath: str) -> bytes:
    """`xml` with the elements `xpath` selects removed."""
    root = etree.fromstring(xml)
    found = root.xpath(xpath, namespaces=NS)
    assert found, xpath
    for element in found:
        element.getparent().remove(element)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.fixture(scope="module")
def good_xml(snapshot):
    return xml_renderer.render(snapshot)


@pytest.fixture(scope="module")
def no_buyer_name(good_xml):
    """Valid against the XSD (the buyer's name is optional there), but BR-07 makes it mandatory."""
    bad = without(good_xml, "//ram:BuyerTradeParty/ram:Name")
    xml_renderer.validate(etree.fromstring(bad))
    return bad


# -- the checker ----------------------------------------------------------------------------------

@pytest.mark.parametrize("schematron", BOTH)
def test_a_good_invoice_and_its_credit_note_have_no_fatal_failure(good_xml, credit_note, schematron):
    assert fatal_rules(conformance.check(good_xml, (schematron,))) == set()
    assert fatal_rules(conformance.check(xml_renderer.render(credit_note), (schematron,))) == set()


def test_a_missing_buyer_name_fails_br_07(no_buyer_name):
    failures = conformance.check(no_buyer_name, (conformance.EN16931,))
    br07 = [failure for failure in failures if failure.rule == "BR-07"]
    assert len(br07) == 1 and br07[0].fatal
    assert br07[0].schematron == conformance.EN16931
    assert br07[0].location == "/CrossIndustryInvoice[1]"  # BR-07 is asserted on the invoice root
    assert "BT-44" in br07[0].text  # the rule's own text: the buyer name


def test_a_long_invoice_number_fails_the_french_br_fr_01(good_xml):
    root = etree.fromstring(good_xml)
    root.find("rsm:ExchangedDocument/ram:ID", NS).text = "F" * 36  # the XSD has no length limit
    xml_renderer.validate(root)
    failures = conformance.check(etree.tostring(root), (conformance.FR_CTC,))
    assert "BR-FR-01_BT-1" in fatal_rules(failures)


def test_prove_refuses_a_fatal_failure_with_the_rule_ids(no_buyer_name):
    with pytest.raises(RenderError) as caught:
        conformance.prove("xml", no_buyer_name)
    assert caught.value.code == "SCHEMATRON_INVALID"
    rules, details = caught.value.message.split(": ", 1)
    assert "BR-07" in rules.split(", ")
    assert "BR-07 (EN16931) [BR-07]-An Invoice shall contain the Buyer name (BT-44)." in details


def test_prove_reads_the_xml_inside_a_facturx(snapshot, no_buyer_name):
    pdf = facturx.generate_from_binary(pdf_renderer.render(snapshot), no_buyer_name, flavor="factur-x",
                                       level="en16931", check_xsd=False, check_schematron=False,
                                       pdf_metadata={"author": "a", "keywords": "", "title": "t", "subject": "s"})
    with pytest.raises(RenderError) as caught:
        conformance.prove("facturx", pdf)
    assert caught.value.code == "SCHEMATRON_INVALID"
    assert "BR-07" in caught.value.message.split(": ", 1)[0].split(", ")


def test_prove_refuses_a_pdf_without_facturx_xml(snapshot):
    with pytest.raises(RenderError) as caught:
        conformance.prove("facturx", pdf_renderer.render(snapshot))
    assert caught.value.code == "SCHEMATRON_INVALID"


@pytest.mark.parametrize("fmt", ["pdf", "json"])
def test_prove_leaves_other_formats_alone(fmt):
    assert conformance.prove(fmt, b"not an invoice") == []


def test_reason_lists_each_rule_once_and_is_bounded():
    failures = [conformance.Failure("EN16931", "BR-S-02", "fatal", f"/line[{n}]", "needs the seller VAT id")
                for n in (1, 2)] + [conformance.Failure("FR-CTC", "BR-FR-12_BT-49", "fatal", "/buyer", "BT-49")]
    assert conformance.reason(failures) == (
        "BR-S-02, BR-FR-12_BT-49: BR-S-02 (EN16931, 2 times) needs the seller VAT id at /line[1]; "
        "BR-FR-12_BT-49 (FR-CTC) BT-49 at /buyer")
    many = [conformance.Failure("EN16931", f"BR-{n}", "fatal", "/x", "t" * 300) for n in range(20)]
    assert len(conformance.reason(many)) == conformance.REASON_LIMIT


SVRL_REPORT = b"""<svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl">
  <svrl:failed-assert id="BR-A" flag="fatal" location="/a" test="x"><svrl:text> fatal  one </svrl:text></svrl:failed-assert>
  <svrl:failed-assert id="BR-B" flag="warning" location="/b" test="y"><svrl:text>a warning</svrl:text></svrl:failed-assert>
  <svrl:failed-assert id="BR-C" location="/c" test="z"><svrl:text>no flag</svrl:text></svrl:failed-assert>
  <svrl:successful-report id="BR-D" flag="fatal" location="/d" test="w"><svrl:text>reported</svrl:text></svrl:successful-report>
  <svrl:fired-rule context="/"/>
</svrl:schematron-output>"""


def test_parse_report_reads_asserts_and_reports_and_their_flags():
    failures = conformance.parse_report("X", SVRL_REPORT)
    assert [(f.rule, f.flag, f.fatal, f.location, f.text) for f in failures] == [
        ("BR-A", "fatal", True, "/a", "fatal one"),
        ("BR-B", "warning", False, "/b", "a warning"),
        ("BR-C", "", True, "/c", "no flag"),  # an assert without a flag is an error
        ("BR-D", "fatal", True, "/d", "reported"),
    ]


def test_warnings_are_logged_not_fatal(monkeypatch, caplog, good_xml):
    warning = conformance.Failure("EN16931", "BR-W", "warning", "/w", "just a warning")
    monkeypatch.setattr(conformance, "check", lambda xml: [warning])
    with caplog.at_level(logging.WARNING, logger="molink.documents"):
        assert conformance.prove("xml", good_xml) == [warning]
    assert "BR-W" in caplog.text


def test_an_xslt_setting_that_names_no_file_is_unavailable(settings, good_xml):
    settings.INVOICE_SCHEMATRON_EN16931_XSLT = "/nonexistent/EN16931-CII-validation.xslt"
    with pytest.raises(RenderError) as caught:
        conformance.check(good_xml)
    assert caught.value.code == "SCHEMATRON_UNAVAILABLE"


def test_a_forked_child_builds_its_own_engine_and_checks(good_xml, no_buyer_name):
    parent = conformance.engine()  # compiled in the parent, as a warmed-up prefork master would
    conformance.check(good_xml)
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if it has its own engine and it answers right
        code = 1
        try:
            child = conformance.engine()
            ok = child is not parent and child.pid == os.getpid()
            ok = ok and not fatal_rules(conformance.check(good_xml)) and "BR-07" in fatal_rules(conformance.check(no_buyer_name))
            code = 0 if ok else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert conformance.engine() is parent


# -- render() proves XML and Factur-X -------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["xml", "facturx"])
def test_render_refuses_a_file_that_fails_a_schematron(monkeypatch, fmt):
    snapshot = make_snapshot(buyer=BUYER.__class__(**{**BUYER.__dict__, "name": "", "legal_name": ""}))
    monkeypatch.setattr(xml_renderer, "validate", lambda root: None)  # let the nameless buyer past the XSD
    with pytest.raises(RenderError) as caught:
        render(fmt, snapshot)
    assert caught.value.code == "SCHEMATRON_INVALID"
    assert "BR-07" in caught.value.message.split(": ", 1)[0].split(", ")


@pytest.mark.parametrize("fmt", ["xml", "facturx"])
def test_a_300_line_invoice_passes_both_schematrons(long_snapshot, fmt):
    rendered = render(fmt, long_snapshot)  # raises SCHEMATRON_INVALID on any fatal failure
    xml = conformance.embedded_xml(rendered.content) if fmt == "facturx" else rendered.content
    assert xml.count(b"<ram:IncludedSupplyChainTradeLineItem>") == 300
    assert fatal_rules(conformance.check(xml)) == set()


# -- the demo invoices ----------------------------------------------------------------------------

def demo_failures() -> dict[str, list[str]]:
    """Per demo invoice and format, what stops its file: the render error of `render` (XSD_INVALID,
    SCHEMATRON_INVALID…) and the fatal rule ids of each schematron over its CII XML."""
    from django.core.management import call_command

    from invoice.constants import NOT_RENDERABLE_STATUSES
    from invoice.models import Invoice
    from invoice.selectors import document_snapshot

    call_command("demo_data", stdout=io.StringIO())
    invoices = Invoice.objects.exclude(status__in=NOT_RENDERABLE_STATUSES).order_by("organization__code", "code")
    assert invoices.count() >= 40
    found = {}
    for invoice in invoices:
        snapshot = document_snapshot(invoice.pk)
        # The rules over the XML as built, even when the XSD (checked first by render) refuses it.
        xml = etree.tostring(xml_renderer.build(snapshot), xml_declaration=True, encoding="UTF-8")
        rules = [f"{schematron}: {', '.join(sorted(fatal_rules(conformance.check(xml, (schematron,)))))}"
                 for schematron in BOTH if fatal_rules(conformance.check(xml, (schematron,)))]
        for fmt in ("xml", "facturx"):
            try:
                render(fmt, snapshot)
                errors = []
            except RenderError as exc:
                errors = [exc.code if exc.code == "SCHEMATRON_INVALID" else f"{exc.code}: {exc.message[:200]}"]
            if errors or rules:
                found[f"{invoice.organization.code} {invoice.code} ({invoice.get_document_type_display()}, {fmt})"] = (
                    errors + rules)
    return found


@pytest.mark.django_db
def test_every_demo_invoice_passes_both_schematrons_as_xml_and_facturx():
    assert demo_failures() == {}


def test_a_document_saxon_cannot_read_is_invalid():
    with pytest.raises(RenderError) as caught:
        conformance.check(b"<rsm:CrossIndustryInvoice")
    assert caught.value.code == "SCHEMATRON_INVALID"
