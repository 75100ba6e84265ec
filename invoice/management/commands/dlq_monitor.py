"""Consume the invoice documents dead-letter queue until stopped (or once, with --drain)."""
import socket

from celery import current_app  # the project's app: config/__init__.py creates it
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Mark dead-lettered invoice documents failed (WARNING event, ERROR alert, metric)."

    def add_arguments(self, parser):
        parser.add_argument("--drain", action="store_true", help="process what is queued, then exit")
        parser.add_argument("--timeout", type=float, default=2.0, help="idle seconds before --drain exits")

    def handle(self, *args, drain=False, timeout=2.0, **options):
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise CommandError("CELERY_BROKER_URL is not set: there is no dead-letter queue in eager mode")
        from invoice.dlq import dead_letter_consumer
        from invoice.queues import declare_topology

        with current_app.connection_for_write() as connection:
            declare_topology(connection, force=True)
        with current_app.connection_for_read() as connection:
            with dead_letter_consumer(connection.default_channel):
                self.stdout.write(f"dlq_monitor: consuming {settings.INVOICE_DOCUMENTS_QUEUE}.dlq, {settings.DELIVERY_QUEUE}.dlq")
                while True:
                    try:
                        connection.drain_events(timeout=timeout)
                    except (socket.timeout, TimeoutError):
                        if drain:
                            return
                    except KeyboardInterrupt:
                        return
