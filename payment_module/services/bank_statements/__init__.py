"""import_bank_statement: a bank statement file (camt.053 or CSV) → BankStatement + its lines +
the InvoicePayments of the lines that match an invoice (payment_module.services.bank_statements
.matching), in one transaction.

- Bad file: DomainError (code + field, payment_module.error_codes.BankStatementErrorCode) raised
  by the parser before anything is written.
- Only credit lines are payments; debits are stored as `ignored_debit`.
- A matched line becomes an accepted, reconciled payment through invoice.services.payments
  (payments_record_bulk: the same rules as any payment). A line the payment rules refuse — larger
  than what remains due (OVERPAYMENT), an invoice that takes no payment, a date in the future —
  is kept `unmatched` with the reason: never forced.
- Idempotent by entry reference (unique per organisation): a line already imported is reported as
  `duplicate` and not stored again; the very same file (same SHA-256) answers its first import's
  statement; a file with nothing new writes nothing at all (`created` False). Two imports of the
  same lines at once: the second waits on the unique keys, fails, and is replayed once, when it
  sees the first's lines as duplicates.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from core.history import insert_rows
from core.tenancy import get_scoped, scope
from invoice.constants import ReconciliationStatus
from invoice.error_codes import InvoiceErrorCode
from invoice.services.payments import payments_record_bulk
from payment_module.constants import MatchReason, MatchStatus
from payment_module.models import BankStatement, BankStatementLine
from payment_module.services.bank_statements.matching import CHUNK, find_candidates
from payment_module.services.bank_statements.parsing import (
    CREDIT,
    CsvMapping,
    ParsedStatement,
    StatementLine,
    clip,
    parse_statement,
)

__all__ = ["CsvMapping", "ImportReport", "bank_statement_get", "bank_statement_import", "bank_statement_list",
           "parse_statement", "statement_report"]

PAYMENT_ORIGIN = "bank_statement"
REFUSAL_REASONS = {InvoiceErrorCode.OVERPAYMENT: MatchReason.OVERPAYMENT,
                   InvoiceErrorCode.NOT_PAYABLE: MatchReason.NOT_PAYABLE}


@dataclass
class ImportReport:
    """What an import did. `statement` is the stored statement (None when the file brought nothing
    new); `unmatched` holds the unmatched and ambiguous lines, with their reasons."""

    statement: BankStatement | None
    created: bool
    lines: int = 0
    matched: int = 0
    unmatched: int = 0
    ambiguous: int = 0
    duplicate: int = 0
    ignored: int = 0
    unmatched_lines: list[BankStatementLine] = field(default_factory=list)
    duplicate_references: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {"lines": self.lines, "matched": self.matched, "unmatched": self.unmatched,
                "ambiguous": self.ambiguous, "duplicate": self.duplicate, "ignored": self.ignored}


def bank_statement_import(*, actor, organization, content: bytes, fmt: str | None = None, file_name: str = "",
                          csv_mapping: CsvMapping | None = None) -> ImportReport:
    """Import one statement file (fmt None: inferred from the file name, else the content)."""
    parsed = parse_statement(content, fmt, csv_mapping, file_name)
    sha256 = hashlib.sha256(content).hexdigest()
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _import(actor=actor, organization=organization, parsed=parsed, sha256=sha256,
                               file_name=clip(file_name))
        except IntegrityError:
            if attempt == 2:  # replayed once already: not a concurrent import of the same lines
                raise
    raise AssertionError("unreachable")


def bank_statement_list(organization):
    return scope(BankStatement.objects.select_related("created_by"), organization)


def bank_statement_get(organization, pk, *, field: str = "id") -> BankStatement:
    return get_scoped(BankStatement.objects.select_related("created_by"), organization, pk, what="bank statement",
                      field=field)


def statement_report(statement: BankStatement) -> ImportReport:
    """The report of a stored statement, as its import gave it (lines read back in one query)."""
    unmatched = list(statement.lines.filter(match_status__in=(MatchStatus.UNMATCHED, MatchStatus.AMBIGUOUS))
                     .select_related("matched_invoice").order_by("position"))
    return ImportReport(statement, False, lines=statement.line_count, matched=statement.matched_count,
                        unmatched=statement.unmatched_count, ambiguous=statement.ambiguous_count,
                        duplicate=statement.duplicate_count, ignored=statement.ignored_count, unmatched_lines=unmatched)


def _existing_references(organization, references) -> set[str]:
    found = set()
    ordered = sorted(references)
    for start in range(0, len(ordered), CHUNK):
        found.update(BankStatementLine.objects.filter(organization=organization,
                                                      entry_reference__in=ordered[start:start + CHUNK])
                     .values_list("entry_reference", flat=True))
    return found


def _import(*, actor, organization, parsed: ParsedStatement, sha256: str, file_name: str) -> ImportReport:
    same_file = BankStatement.objects.filter(organization=organization, sha256=sha256).first()
    if same_file is not None:
        return ImportReport(same_file, False, lines=len(parsed.lines), duplicate=len(parsed.lines),
                            duplicate_references=[line.entry_reference for line in parsed.lines])
    known = _existing_references(organization, {line.entry_reference for line in parsed.lines})
    fresh: list[StatementLine] = []
    duplicates: list[str] = []
    for line in parsed.lines:
        if line.entry_reference in known:
            duplicates.append(line.entry_reference)
        else:
            known.add(line.entry_reference)  # the same reference twice in one file: the second is a duplicate
            fresh.append(line)
    report = ImportReport(None, False, lines=len(parsed.lines), duplicate=len(duplicates),
                          duplicate_references=duplicates)
    if not fresh:
        return report

    statement = BankStatement.objects.create(
        organization=organization, source_format=parsed.source_format, file_name=file_name, sha256=sha256,
        account_iban=clip(parsed.account_iban, 34), statement_id=clip(parsed.statement_id, 35),
        message_id=clip(parsed.message_id, 35), currency_code=clip(parsed.currency_code, 3), created_by=actor)
    rows = {line.position: _row(statement, organization, line) for line in fresh}
    credits = [line for line in fresh if line.credit_debit == CREDIT]
    candidates = find_candidates(organization, credits)
    requests, requested = [], []
    for line in credits:
        row, found = rows[line.position], candidates.get(line.position)
        if found is None:
            _refuse(row, MatchStatus.UNMATCHED, MatchReason.NO_CANDIDATE,
                    "no invoice found by payment reference, invoice number or amount")
            continue
        row.match_rule = found.rule
        if len(found.invoices) > 1:
            codes = ", ".join(sorted(invoice.code for invoice in found.invoices))
            _refuse(row, MatchStatus.AMBIGUOUS, MatchReason.AMBIGUOUS, f"several invoices fit ({found.rule}): {codes}")
            continue
        invoice = found.invoices[0]
        row.matched_invoice = invoice
        if invoice.currency_code != line.currency_code:
            _refuse(row, MatchStatus.UNMATCHED, MatchReason.CURRENCY_MISMATCH,
                    f"{line.amount} {line.currency_code} cannot pay {invoice.code}, billed in {invoice.currency_code}")
            continue
        requests.append((invoice, _payment_data(line)))
        requested.append(row)
    for row, outcome in zip(requested, payments_record_bulk(actor=actor, requests=requests,
                                                            reason="bank_statement_import"), strict=True):
        if outcome.error is not None:
            reason = REFUSAL_REASONS.get(outcome.error.code, MatchReason.REFUSED)
            _refuse(row, MatchStatus.UNMATCHED, reason, f"{row.matched_invoice.code}: {outcome.error.message}")
        else:
            row.match_status, row.payment = MatchStatus.MATCHED, outcome.payment
    insert_rows(BankStatementLine, list(rows.values()))

    statuses = [row.match_status for row in rows.values()]
    report.statement, report.created = statement, True
    report.matched = statuses.count(MatchStatus.MATCHED)
    report.unmatched = statuses.count(MatchStatus.UNMATCHED)
    report.ambiguous = statuses.count(MatchStatus.AMBIGUOUS)
    report.ignored = statuses.count(MatchStatus.IGNORED_DEBIT)
    report.unmatched_lines = [row for row in rows.values()
                              if row.match_status in (MatchStatus.UNMATCHED, MatchStatus.AMBIGUOUS)]
    statement.line_count, statement.matched_count, statement.unmatched_count = report.lines, report.matched, report.unmatched
    statement.ambiguous_count, statement.duplicate_count = report.ambiguous, report.duplicate
    statement.ignored_count = report.ignored
    statement.save(update_fields=["line_count", "matched_count", "unmatched_count", "ambiguous_count",
                                  "duplicate_count", "ignored_count"])
    return report


def _row(statement: BankStatement, organization, line: StatementLine) -> BankStatementLine:
    row = BankStatementLine(
        statement=statement, organization=organization, position=line.position, entry_reference=line.entry_reference,
        booking_date=line.booking_date, value_date=line.value_date, amount=line.amount,
        currency_code=line.currency_code, credit_debit=line.credit_debit, debtor_name=line.debtor_name,
        debtor_iban=line.debtor_iban, remittance_info=line.remittance_info,
        creditor_reference=line.creditor_reference, end_to_end_id=line.end_to_end_id,
        match_status=MatchStatus.UNMATCHED)
    if line.credit_debit != CREDIT:
        _refuse(row, MatchStatus.IGNORED_DEBIT, MatchReason.DEBIT, "a debit is not a payment of an invoice")
    return row


def _refuse(row: BankStatementLine, status: str, reason: str, message: str) -> None:
    row.match_status, row.reason_code, row.reason = status, reason, message


def _payment_data(line: StatementLine) -> dict:
    return {
        "amount_payed": line.amount, "date_payment": line.booking_date or line.value_date,
        "code_ext": line.entry_reference, "label": clip(line.remittance_info or line.creditor_reference),
        "payer_name": line.debtor_name, "payer_ref": line.debtor_iban, "payment_origin": PAYMENT_ORIGIN,
        "code_tp": line.end_to_end_id, "reconciliation_status": ReconciliationStatus.RECONCILIATED,
    }
