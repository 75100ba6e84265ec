"""Operational endpoints."""
from __future__ import annotations

import hmac
import logging
import time

from celery import current_app  # the project's app: config/__init__.py creates it
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from core.client_ip import is_local_request

logger = logging.getLogger("molink.health")


def _check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "vendor": connection.vendor}


def _check_broker() -> dict:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "mode": "eager (in-process)"}

    with current_app.connection_for_write() as conn:
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


def metrics_allowed(request) -> bool:
    """DEBUG, a request from this host itself (core.client_ip: not through a proxy), or
    `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time)."""
    if settings.DEBUG or is_local_request(request):
        return True
    token = settings.METRICS_TOKEN
    if not token:
        return False
    header = request.META.get("HTTP_AUTHORIZATION", "")
    # Bytes: compare_digest refuses non-ASCII str, and a client must not turn that into a 500.
    return hmac.compare_digest(header.encode("utf-8", "surrogateescape"), f"Bearer {token}".encode())


@require_GET
def metrics(request):
    """GET /metrics: Prometheus text format (counters shared by all processes, and gauges).
    Served in DEBUG, to clients on this host, or with `Authorization: Bearer $METRICS_TOKEN`."""
    if not metrics_allowed(request):
        return JsonResponse({"code": "PERMISSION_DENIED", "field": None,
                             "message": "metrics need `Authorization: Bearer <METRICS_TOKEN>`"}, status=403)

    from core.metrics import exposition

    return HttpResponse(exposition(), content_type="text/plain; version=0.0.4")
