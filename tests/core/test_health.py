"""GET /health: database, broker and storage checks; 503 naming the failing check, with no detail
of the failure leaking to the caller."""
from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client

from core import views


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """The storage probe writes and deletes a file: keep it out of the project's var/."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }


def test_health_on_the_embedded_default(db, settings, tmp_path):
    # given the embedded default: SQLite, eager tasks, local files
    assert (settings.CELERY_TASK_ALWAYS_EAGER, settings.STORAGE_BACKEND) == (True, "local")

    # when
    response = Client().get("/health")

    # then
    body = response.json()
    assert (response.status_code, response["Content-Type"], body["status"]) == (200, "application/json", "ok")
    checks = {name: {k: v for k, v in check.items() if k != "ms"} for name, check in body["checks"].items()}
    assert checks == {
        "database": {"ok": True, "vendor": "sqlite"},
        "broker": {"ok": True, "mode": "eager (in-process)"},
        "storage": {"ok": True, "backend": "local"},
    }
    assert all(isinstance(check["ms"], float) for check in body["checks"].values())
    assert list(tmp_path.rglob("*.probe")) == []  # the probe file is cleaned up


@pytest.mark.parametrize("failing", ["database", "broker", "storage"])
def test_failing_check_is_503_without_detail(db, monkeypatch, failing):
    # given a check that raises with secrets in its message
    secret = "password authentication failed for user molink at db.internal:5432 (token=s3cr3t)"

    def broken():
        raise OperationalError(secret)

    monkeypatch.setitem(views.CHECKS, failing, broken)

    # when
    response = Client().get("/health")

    # then
    body = response.json()
    assert (response.status_code, body["status"]) == (503, "error")
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        name: name != failing for name in ("database", "broker", "storage")
    }
    assert {k: v for k, v in body["checks"][failing].items() if k != "ms"} == {"ok": False, "error": "OperationalError"}
    assert "s3cr3t" not in response.content.decode()
    assert "db.internal" not in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_health_only_answers_get(db):
    # given / when
    response = Client().post("/health")

    # then
    assert response.status_code == 405
