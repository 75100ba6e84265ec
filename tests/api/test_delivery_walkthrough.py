"""docs/delivery.md, "Trying it from make run", as a new user would: the embedded default (eager
tasks, file e-mail backend, local storage), the sandbox's webhook receiver and SFTP server, and the
GraphQL documents of the guide. One created document is delivered by each channel, visible on the
invoice and in its events."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.test import TestCase

from invoice.delivery.channels.webhook import verify
from invoice.delivery.sandbox import SftpServer, WebhookReceiver, free_port
from tests.helpers.graphql import assert_mutation_ok, data, post
from tests.invoice.helpers import make_validated

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]


def run(query, variables, user):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return post(query, variables, user=user)


def test_one_document_is_delivered_by_email_sftp_and_webhook(user_a, org_a, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.STORAGE_BACKEND = "local"
    settings.STORAGES = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                     "OPTIONS": {"location": tmp_path / "media", "allow_overwrite": True}},
                         "staticfiles": settings.STORAGES["staticfiles"]}
    invoice = make_validated(actor=user_a, organization=org_a)
    with WebhookReceiver() as receiver, SftpServer(tmp_path / "sftp", password="molink-sandbox") as sftp:
        assert_mutation_ok(run('mutation { updateDeliverySettings(input: {emailMode: "automatic"}) '
                               '{ errors { code message } } }', {}, user_a), "updateDeliverySettings")
        secret = assert_mutation_ok(run('mutation($url: String!) { createWebhookEndpoint(input: {url: $url}) '
                                        '{ secret errors { code message } } }', {"url": receiver.url}, user_a),
                                    "createWebhookEndpoint")["secret"]
        assert_mutation_ok(run('mutation($port: Int!, $key: String!) { setSftpDestination(input: {host: "127.0.0.1", '
                               'port: $port, username: "molink", password: "molink-sandbox", hostKey: $key}) '
                               '{ errors { code message } } }', {"port": sftp.port, "key": sftp.host_key_line}, user_a),
                           "setSftpDestination")
        assert_mutation_ok(run('mutation($id: String!) { generateInvoiceDocument(input: {invoiceId: $id, format: "pdf"}) '
                               '{ errors { code } } }', {"id": str(invoice.pk)}, user_a), "generateInvoiceDocument")
        node = data(post('query($id: String) { invoice(id: $id) { edges { node { code deliveries { channel status '
                         'recipient } events { eventType message } } } } }', {"id": str(invoice.pk)},
                         user=user_a))["invoice"]["edges"][0]["node"]
    # then: three deliveries sent, each channel's receiver has the document
    assert sorted((d["channel"], d["status"]) for d in node["deliveries"]) == [
        ("email", "sent"), ("sftp", "sent"), ("webhook", "sent")]
    [mail] = list((tmp_path / "mail").iterdir())
    assert f"{invoice.code}.pdf" in mail.read_text()
    assert (tmp_path / "sftp" / "invoices" / str(invoice.date_invoice.year) / f"{invoice.code}.pdf").read_bytes()[:5] \
        == b"%PDF-"
    [hook] = receiver.received
    assert hook.payload["type"] == "invoice_document.created" and verify(secret, hook.headers, hook.body)
    sent_events = sorted(e["message"].split(" to ")[0] for e in node["events"] if "sent by" in e["message"])
    assert sent_events == ["event invoice_document.created sent by webhook", "pdf document sent by SFTP",
                           "pdf document sent by e-mail"]


def test_the_sandbox_command_starts_and_prints_what_to_register(tmp_path):
    webhook_port, sftp_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "delivery_sandbox", "--webhook-port", str(webhook_port),
         "--sftp-port", str(sftp_port), "--root", str(tmp_path)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={"DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3", "PATH": "/usr/bin:/bin",
             "PYTHONUNBUFFERED": "1"})
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not any("host key" in line for line in lines) and process.poll() is None:
            time.sleep(0.2)
        text = "".join(lines)
        assert f"http://127.0.0.1:{webhook_port}/hooks/molink" in text, text
        assert "ssh-ed25519 " in text and (tmp_path / "ssh_host_ed25519_key").exists()
    finally:
        process.terminate()
        process.wait(10)
