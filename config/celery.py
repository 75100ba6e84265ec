"""The Celery application. Settings come from Django settings prefixed CELERY_.

Start-up steps wire the document and delivery pipelines (invoice.queues, invoice.dlq): the worker
declares the work queues with their dead-letter exchanges and DLQs, and (unless
INVOICE_DLQ_IN_WORKER=0) also consumes the DLQ, like `manage.py dlq_monitor` does."""
import os

from celery import Celery, bootsteps
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("molink")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _configure_queues(sender, **kwargs):
    from kombu import Queue

    from invoice.queues import pipeline_queues, work_queue

    sender.conf.task_queues = (Queue("celery"), *(work_queue(queue) for queue in pipeline_queues()))


class DeclareDocumentTopology(bootsteps.StartStopStep):
    requires = {"celery.worker.components:Pool"}

    def start(self, worker):
        from invoice.queues import declare_topology

        declare_topology(force=True)


class DeadLetterConsumer(bootsteps.ConsumerStep):
    def get_consumers(self, channel):
        from django.conf import settings

        if not settings.INVOICE_DLQ_IN_WORKER:
            return []
        from invoice.dlq import dead_letter_consumer

        return [dead_letter_consumer(channel)]


app.steps["worker"].add(DeclareDocumentTopology)
app.steps["consumer"].add(DeadLetterConsumer)


@task_prerun.connect
@task_postrun.connect
def _check_database_connection(task=None, **kwargs):
    """With CELERY_DB_REUSE_MAX the worker keeps its connection between tasks; Django's own rule
    then decides, as around a web request: a connection older than CONN_MAX_AGE, or broken
    (CONN_HEALTH_CHECKS: e.g. after a PostgreSQL restart), is replaced before the task uses it.
    Never for an eager task: it runs inside the caller's transaction."""
    if task is not None and not getattr(task.request, "is_eager", False):
        from django.db import close_old_connections

        close_old_connections()
