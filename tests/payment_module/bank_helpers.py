"""Helpers of the bank statement tests: the invoices the samples pay, the samples themselves
(tests/payment_module/data/), a camt.053 generator for big statements, and a snapshot of every row
an import may write."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from invoice.models import Invoice, InvoiceEvent, InvoicePayment
from invoice.services.invoices import invoice_create, invoice_validate, today
from invoice.services.lines import line_add
from payment_module.models import BankStatement, BankStatementLine
from tests.payment_module.helpers import OPERATOR_DATA, make_operator

DATA = Path(__file__).resolve().parent / "data"
SAMPLE_YEAR = 2026
HERVE_DATA = {"code": "herve-et-fils", "name": "Maison Funéraire Hervé & Fils", "siren": "792458135",
              "siret": "79245813500011", "vat_number": "FR59792458135", "address_line1": "12 rue de Paris",
              "postal_code": "93100", "city": "Montreuil", "email": "compta@herve-fils.test"}
REFERENCE = "RF18539007547034"


def sample(name: str, prefix: str = "ORGA") -> bytes:
    """A sample file, its invoice numbers moved to this year's series (they are written for 2026)."""
    text = (DATA / name).read_text(encoding="utf-8")
    return text.replace(f"ORGA-{SAMPLE_YEAR}-", f"{prefix}-{today().year}-").encode()


def make_invoice(actor, organization, operator, *, unit_price="85.00", **header) -> Invoice:
    invoice = invoice_create(actor=actor, organization=organization, data={
        "thirdparty_type": "operator", "thirdparty_id": str(operator.pk), **header})
    line_add(actor=actor, invoice=invoice, data={"description": "Avis de décès", "quantity": "1",
                                                 "unit_price": unit_price})
    return invoice_validate(actor=actor, invoice=invoice)


def make_sample_invoices(actor, organization) -> SimpleNamespace:
    """The 8 invoices the samples pay, numbered 000001..000008 in this order, 102.00 € each:
    1 by its payment reference, 2 by its number, 3 (Hervé & Fils) by amount, 4 and 5 named together
    (ambiguous), 6 overpaid (150.00 sent), 7 and 8 by number in one batch entry."""
    celik = make_operator(actor, organization, **{**OPERATOR_DATA, "name": "Pompes Funèbres Léa Çelik"})
    herve = make_operator(actor, organization, **HERVE_DATA)
    invoices = [make_invoice(actor, organization, herve if n == 3 else celik,
                             **({"payment_reference": REFERENCE} if n == 1 else {})) for n in range(1, 9)]
    assert [invoice.amount_total for invoice in invoices] == [Decimal("102.00")] * 8
    return SimpleNamespace(celik=celik, herve=herve, invoices=invoices)


def written(organization) -> dict:
    """Every row an import may write, for proofs that nothing was (re)written."""
    payments = InvoicePayment.objects.filter(invoice__organization=organization)
    return {
        "statements": BankStatement.objects.filter(organization=organization).count(),
        "lines": BankStatementLine.objects.filter(organization=organization).count(),
        "payments": payments.count(),
        "payment history": InvoicePayment.history.filter(invoice__organization=organization).count(),
        "events": InvoiceEvent.objects.filter(invoice__organization=organization).count(),
        "invoices": sorted(Invoice.objects.filter(organization=organization).values_list("code", "status", "amount_payed",
                                                                                          "version")),
    }


def camt053_document(entries: list[dict], *, iban: str = "FR7630006000011234567890189",
                     statement_id: str = "STMT-BENCH") -> bytes:
    """A camt.053.001.02 statement of `entries` ({ref, amount, debtor, text, direction='CRDT',
    day=date}), valid against the XSD."""
    parts = []
    for entry in entries:
        day = entry.get("day", date(2026, 11, 2)).isoformat()
        direction = entry.get("direction", "CRDT")
        role = "Dbtr" if direction == "CRDT" else "Cdtr"
        parts.append(
            f"<Ntry><Amt Ccy=\"EUR\">{entry['amount']}</Amt><CdtDbtInd>{direction}</CdtDbtInd><Sts>BOOK</Sts>"
            f"<BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>"
            f"<AcctSvcrRef>{entry['ref']}</AcctSvcrRef>"
            "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
            f"<NtryDtls><TxDtls><Refs><EndToEndId>E2E-{entry['ref']}</EndToEndId></Refs>"
            f"<RltdPties><{role}><Nm>{entry.get('debtor', 'PF BENCH')}</Nm></{role}></RltdPties>"
            f"<RmtInf><Ustrd>{entry.get('text') or 'PAIEMENT'}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>MSG-BENCH</MsgId><CreDtTm>2026-11-30T06:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id><CreDtTm>2026-11-30T06:00:00</CreDtTm>"
        f"<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        "<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
        "<Dt><Dt>2026-11-30</Dt></Dt></Bal>"
        + "".join(parts) + "</Stmt></BkToCstmrStmt></Document>"
    ).encode()
