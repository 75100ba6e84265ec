"""Operational endpoints."""
from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

logger = logging.getLogger("molink.health")


def _check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "vendor": connection.vendor}


def _check_broker() -> dict:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "mode": "eager (in-process)"}
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT)
        transport = conn.transport_cls
    return {"ok": True, "mode": "broker", "transport": str(transport)}


def _check_storage() -> dict:
    name = "health/.probe"
    if settings.STORAGE_BACKEND == "s3":
        default_storage.exists(name)  # a HEAD on the bucket's key: proves credentials and reachability
    else:
        from django.core.files.base import ContentFile

        default_storage.delete(name)
        default_storage.save(name, ContentFile(b"ok"))
        default_storage.delete(name)
    return {"ok": True, "backend": settings.STORAGE_BACKEND}


CHECKS = {"database": _check_database, "broker": _check_broker, "storage": _check_storage}


@require_GET
def health(request):
    """GET /health → 200 {"status": "ok", "checks": {...}} or 503 with the failing check named.
    Failure details stay in the server log (no connection strings leak)."""
    results = {}
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            results[name] = check()
        except Exception as exc:  # a health check reports, it never raises
            logger.error("health check %s failed: %s", name, exc.__class__.__name__, exc_info=True)
            results[name] = {"ok": False, "error": exc.__class__.__name__}
        results[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    healthy = all(result["ok"] for result in results.values())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": results}, status=200 if healthy else 503)


@require_GET
def metrics(request):
    """GET /metrics: Prometheus text format (counters shared by all processes, and gauges).
    Served in DEBUG, to loopback clients, or with `Authorization: Bearer $METRICS_TOKEN`."""
    import hmac

    from django.http import HttpResponse

    token = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    allowed = (settings.DEBUG or request.META.get("REMOTE_ADDR") in {"127.0.0.1", "::1"}
               or (token and hmac.compare_digest(header, f"Bearer {token}")))
    if not allowed:
        return JsonResponse({"code": "PERMISSION_DENIED", "message": "metrics need the METRICS_TOKEN bearer token",
                             "field": None}, status=403)

    from core.metrics import exposition

    return HttpResponse(exposition(), content_type="text/plain; version=0.0.4")
