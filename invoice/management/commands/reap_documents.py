from django.core.management.base import BaseCommand

from invoice.services.documents import reap_stuck_documents


class Command(BaseCommand):
    help = "Re-enqueue or fail invoice documents stuck in `pending` (also a periodic Celery task)."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=None, help="seconds (default INVOICE_DOCUMENT_STUCK_AFTER)")

    def handle(self, *args, older_than=None, **options):
        counts = reap_stuck_documents(older_than=older_than)
        self.stdout.write(f"requeued {counts['requeued']}, failed {counts['failed']}")
