"""manage.py import_bank_statement <file> --organization CODE: the bank statement import
(payment_module.services.bank_statements) from the command line; prints the report."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from core.models import Membership, Organization
from payment_module.constants import StatementFormat
from payment_module.gql.mutations.import_bank_statement import csv_mapping_of
from payment_module.services.bank_statements import bank_statement_import


class Command(BaseCommand):
    help = ("Import a bank statement (camt.053 XML or CSV) for an organisation: match its credit lines to invoices, "
            "record reconciled payments, report unmatched lines. Re-importing the same lines changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the statement file")
        parser.add_argument("--organization", required=True, help="the organisation's code or UUID")
        parser.add_argument("--format", choices=StatementFormat.values, help="default: from the file name or content")
        parser.add_argument("--user", help="e-mail of the member recorded as the author (default: none, a system import)")
        parser.add_argument("--csv-column", action="append", default=[], metavar="FIELD=HEADER",
                            help="map a field to a CSV header, e.g. --csv-column amount=Montant (repeatable)")
        parser.add_argument("--csv-delimiter", help="default ;")
        parser.add_argument("--csv-decimal-point", action="store_true", help="amounts use a decimal point (default: comma)")
        parser.add_argument("--csv-date-format", help="default %%d/%%m/%%Y")
        parser.add_argument("--csv-encoding", help="default UTF-8 (Windows-1252 when not UTF-8)")
        parser.add_argument("--csv-currency", help="default EUR")

    def handle(self, *args, file, organization, format=None, user=None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        found = Organization.objects.filter(is_deleted=False)
        found = found.filter(pk=organization) if _is_uuid(organization) else found.filter(code=organization)
        org = found.first()
        if org is None:
            raise CommandError(f"no organisation {organization!r}")
        actor = None
        if user:
            membership = Membership.objects.filter(organization=org, user__username=user).select_related("user").first()
            if membership is None:
                raise CommandError(f"{user!r} is not a member of {org.code}")
            actor = membership.user
        columns = {}
        for item in options["csv_column"]:
            name, sep, header = item.partition("=")
            if not sep:
                raise CommandError(f"--csv-column takes FIELD=HEADER, got {item!r}")
            columns[name.strip()] = header.strip()
        mapping = {"columns": columns, "delimiter": options["csv_delimiter"], "date_format": options["csv_date_format"],
                   "encoding": options["csv_encoding"], "currency": options["csv_currency"],
                   "decimal_comma": False if options["csv_decimal_point"] else None}
        try:
            report = bank_statement_import(actor=actor, organization=org, content=path.read_bytes(), fmt=format,
                                           file_name=path.name, csv_mapping=csv_mapping_of(
                                               {k: v for k, v in mapping.items() if v not in (None, {})}))
        except DomainError as exc:
            raise CommandError(f"{exc.code.name}: {exc.message}" + (f" ({exc.field})" if exc.field else "")) from None
        counts = report.counts
        where = f"statement {report.statement.pk}" if report.statement else "nothing new: no statement written"
        self.stdout.write(f"{path.name}: {where}")
        self.stdout.write("  " + ", ".join(f"{name} {value}" for name, value in counts.items()))
        for line in report.unmatched_lines:
            self.stdout.write(f"  line {line.position} {line.entry_reference} {line.amount} {line.currency_code} "
                              f"{line.debtor_name!r}: {line.match_status} ({line.reason_code}) {line.reason}")
        self.stdout.write(self.style.SUCCESS("imported" if report.created else "already imported"))


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
