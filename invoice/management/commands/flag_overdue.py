from datetime import date

from django.core.management.base import BaseCommand, CommandError

from invoice.services.overdue import flag_overdue_invoices


class Command(BaseCommand):
    help = ("Record invoices that became overdue (overdue_since, WARNING event, VALIDATED → UNPAID) and run the "
            "'invoice overdue' hooks once for each; clear those no longer overdue. Also a daily Celery beat task.")

    def add_arguments(self, parser):
        parser.add_argument("--on", default=None, help="the day of the run, YYYY-MM-DD (default today)")

    def handle(self, *args, on=None, **options):
        try:
            day = date.fromisoformat(on) if on else None
        except ValueError:
            raise CommandError(f"--on must be a date YYYY-MM-DD, got {on!r}") from None
        counts = flag_overdue_invoices(on=day)
        self.stdout.write(f"flagged {counts['flagged']}, cleared {counts['cleared']}")
