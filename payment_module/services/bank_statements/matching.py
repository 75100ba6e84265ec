"""Which invoice a credit line pays: the match rules, with every lookup batched (a few queries for a
whole statement, whatever its length). Reads only; payments are recorded by the caller.

Rules, tried in this order; the first rule that finds any candidate decides, and several distinct
candidates make the line ambiguous (kept, reported, no payment):

1. **payment_reference** — a word of the remittance text, the structured creditor reference
   (`CdtrRefInf/Ref`, spaces removed) or the end-to-end id equals an issued invoice's
   `payment_reference` (compared in upper case; an invoice's reference defaults to its number).
2. **invoice_number** — an invoice number of the shape PREFIX-YYYY-NNNNNN in that text is an issued
   invoice's `code`.
3. **amount** — the debtor's name is the name or legal name of exactly one operator (compared
   without case, accents or punctuation) and exactly one of that operator's open invoices
   (validated, unpaid or suspended) has exactly the line's amount still due, in its currency.

Only invoices (not credit notes) of the organisation, issued and not deleted, are candidates.
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType

from core.tenancy import scope
from invoice.constants import ISSUED_STATUSES, OPEN_STATUSES, DocumentType
from invoice.models import Invoice
from payment_module.constants import MatchRule
from payment_module.models import Operator
from payment_module.services.bank_statements.parsing import StatementLine

CHUNK = 2000  # values per IN (...) list: well under SQLite's 32,766 bound variables
NUMBER = re.compile(r"\b[A-Z0-9]{1,20}-\d{4}-\d{6}\b")
WORD_SPLIT = re.compile(r"[\s,;:()\[\]{}<>\"'|]+")


@dataclass
class Candidates:
    rule: str = ""
    invoices: list[Invoice] = field(default_factory=list)


def _chunks(values) -> list[list]:
    values = sorted(values)
    return [values[start:start + CHUNK] for start in range(0, len(values), CHUNK)]


def folded_name(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def reference_tokens(line: StatementLine) -> set[str]:
    text = f"{line.remittance_info} {line.creditor_reference} {line.end_to_end_id}".upper()
    tokens = {token.strip(".-/") for token in WORD_SPLIT.split(text)}
    tokens |= {line.creditor_reference.replace(" ", "").upper(), line.end_to_end_id.upper()}
    # Only what can be a reference: a digit in it, 4..255 characters ("FACTURE", "N°" are not).
    return {token for token in tokens if 4 <= len(token) <= 255 and any(c.isdigit() for c in token)}


def invoice_numbers(line: StatementLine) -> set[str]:
    return set(NUMBER.findall(f"{line.remittance_info} {line.creditor_reference}".upper()))


def _issued(organization):
    return scope(Invoice.objects.filter(is_deleted=False, document_type=DocumentType.INVOICE,
                                        status__in=ISSUED_STATUSES), organization)


def find_candidates(organization, lines: list[StatementLine]) -> dict[int, Candidates]:
    """{line.position: Candidates} for credit lines, by the rules above, in O(1) queries per
    CHUNK values."""
    tokens = {line.position: reference_tokens(line) for line in lines}
    numbers = {line.position: invoice_numbers(line) for line in lines}
    by_reference: dict[str, list[Invoice]] = defaultdict(list)
    for chunk in _chunks(set().union(*tokens.values())):
        for invoice in _issued(organization).filter(payment_reference__in=chunk):
            by_reference[invoice.payment_reference.upper()].append(invoice)
    by_code: dict[str, Invoice] = {}
    for chunk in _chunks(set().union(*numbers.values())):
        by_code.update({invoice.code: invoice for invoice in _issued(organization).filter(code__in=chunk)})

    found: dict[int, Candidates] = {}
    pending: list[StatementLine] = []
    for line in lines:
        hits = {invoice.pk: invoice for token in tokens[line.position] for invoice in by_reference.get(token, ())}
        if hits:
            found[line.position] = Candidates(MatchRule.PAYMENT_REFERENCE, list(hits.values()))
            continue
        hits = {by_code[number].pk: by_code[number] for number in numbers[line.position] if number in by_code}
        if hits:
            found[line.position] = Candidates(MatchRule.INVOICE_NUMBER, list(hits.values()))
            continue
        pending.append(line)
    found.update(_by_amount(organization, [line for line in pending if line.debtor_name]))
    return found


def _by_amount(organization, lines: list[StatementLine]) -> dict[int, Candidates]:
    if not lines:
        return {}
    wanted = {folded_name(line.debtor_name) for line in lines}
    operators: dict[str, set] = defaultdict(set)
    for pk, name, legal_name in scope(Operator.objects.filter(is_deleted=False), organization).values_list(
            "pk", "name", "legal_name"):
        for label in {folded_name(name), folded_name(legal_name)} & wanted:
            operators[label].add(pk)
    operator_ids = set().union(*operators.values()) if operators else set()
    if not operator_ids:
        return {}
    open_invoices: dict = defaultdict(list)
    operator_type = ContentType.objects.get_for_model(Operator)
    for chunk in _chunks(operator_ids):
        for invoice in _issued(organization).filter(status__in=OPEN_STATUSES, thirdparty_type=operator_type,
                                                    thirdparty_id__in=chunk):
            open_invoices[invoice.thirdparty_id].append(invoice)
    found = {}
    for line in lines:
        owners = operators.get(folded_name(line.debtor_name), set())
        hits = [invoice for owner in owners for invoice in open_invoices.get(owner, ())
                if invoice.currency_code == line.currency_code
                and invoice.amount_total - invoice.amount_payed == line.amount]
        if hits:
            found[line.position] = Candidates(MatchRule.AMOUNT, hits)
    return found
