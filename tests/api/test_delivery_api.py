"""Delivery through the interfaces (SQLite, eager tasks, local storage): GraphQL sendInvoiceDocument,
deliveries on the invoice, settings, webhook endpoints (secret once), SFTP credentials write-only;
REST POST /v2/invoices/{id}/send, /v2/deliveries, /v2/webhooks; errors are 4xx JSON, never partial."""
from __future__ import annotations

import json

import pytest
from django.test import Client, TestCase

from core.models import Membership
from invoice.delivery.models import Delivery, WebhookEndpoint
from tests.api.conftest import bearer
from tests.helpers.fixtures import make_user
from tests.helpers.graphql import (
    assert_mutation_errors,
    assert_mutation_ok,
    data,
    error_codes,
    post,
)
from tests.invoice.delivery.servers import WebhookReceiver

pytestmark = pytest.mark.django_db

SEND = """mutation($id: String!, $recipients: [String!]) {
  sendInvoiceDocument(input: {documentId: $id, recipients: $recipients, clientMutationId: "send-1"}) {
    errors { field code message } deliveries { id channel recipient status }
  }
}"""


@pytest.fixture
def document(user_a, org_a, settings, tmp_path):
    from invoice.services import documents
    from tests.invoice.helpers import make_validated

    validated_invoice = make_validated(actor=user_a, organization=org_a)
    settings.STORAGE_BACKEND = "local"
    settings.STORAGES = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                     "OPTIONS": {"location": tmp_path, "allow_overwrite": True}},
                         "staticfiles": settings.STORAGES["staticfiles"]}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with TestCase.captureOnCommitCallbacks(execute=True):
        return documents.document_request(actor=user_a, organization=org_a, invoice=validated_invoice, fmt="json")


def graphql(query, variables, user):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return post(query, variables, user=user)


def test_send_through_graphql_then_read_the_delivery_on_the_invoice(user_a, document):
    from django.core import mail

    payload = assert_mutation_ok(graphql(SEND, {"id": str(document.pk)}, user_a), "sendInvoiceDocument")
    [sent] = payload["deliveries"]
    assert sent["channel"] == "email" and len(mail.outbox) == 1
    answer = data(post("""query($id: String) { invoice(id: $id) { edges { node {
        deliveries { channel status providerMessageId attemptLog { number outcome } }
        events { eventType message } } } } }""", {"id": str(document.invoice_id)}, user=user_a))
    node = answer["invoice"]["edges"][0]["node"]
    assert node["deliveries"] == [{"channel": "email", "status": "sent",
                                   "providerMessageId": mail.outbox[0].extra_headers["Message-ID"],
                                   "attemptLog": [{"number": 1, "outcome": "sent"}]}]
    assert any("sent by e-mail" in event["message"] for event in node["events"])


def test_a_bad_recipient_is_a_mutation_error_and_nothing_is_queued(user_a, document):
    result = graphql(SEND, {"id": str(document.pk), "recipients": ["nope"]}, user_a)
    assert_mutation_errors(result, "sendInvoiceDocument", [("recipients.0", "INVALID")])
    assert not Delivery.objects.exists()


def test_another_organisations_document_is_not_found(user_b, document):
    result = graphql(SEND, {"id": str(document.pk)}, user_b)
    assert_mutation_errors(result, "sendInvoiceDocument", [("documentId", "NOT_FOUND")])


def test_a_viewer_cannot_send(org_a, document):
    viewer = make_user(org_a, Membership.Role.VIEWER, username="viewer-send@a.test")
    result = graphql(SEND, {"id": str(document.pk)}, viewer)
    assert_mutation_errors(result, "sendInvoiceDocument", [(None, "PERMISSION_DENIED")])


def test_the_webhook_secret_is_shown_once_and_never_readable(user_a):
    with WebhookReceiver() as receiver:
        result = graphql("""mutation($url: String!) { createWebhookEndpoint(input: {url: $url, events: ["invoice.paid"]}) {
            errors { code } secret webhookEndpoint { id url events isActive } } }""", {"url": receiver.url}, user_a)
    payload = assert_mutation_ok(result, "createWebhookEndpoint")
    assert payload["secret"].startswith("whsec_") and payload["webhookEndpoint"]["events"] == ["invoice.paid"]
    listed = json.dumps(data(post("{ webhookEndpoint { edges { node { id url events } } } }", user=user_a)))
    assert payload["secret"] not in listed and receiver.url in listed
    assert error_codes(post("{ webhookEndpoint { edges { node { secretEncrypted } } } }", user=user_a)) \
        == ["GRAPHQL_VALIDATION_FAILED"]


def test_sftp_credentials_are_write_only(user_a):
    import asyncssh

    key = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
    result = graphql("""mutation($key: String!) { setSftpDestination(input: {host: "sftp.example.com", username: "u",
        password: "p4ss-w0rd", hostKey: $key}) { errors { code } sftpDestination { host hasPassword hasPrivateKey } } }""",
                     {"key": key}, user_a)
    payload = assert_mutation_ok(result, "setSftpDestination")
    assert payload["sftpDestination"] == {"host": "sftp.example.com", "hasPassword": True, "hasPrivateKey": False}
    from core.models import MutationLog

    assert "p4ss-w0rd" not in MutationLog.objects.get(mutation_name="SetSftpDestinationMutation").json_content


def test_delivery_settings_are_for_administrators(org_a, user_a):
    accountant = make_user(org_a, Membership.Role.ACCOUNTANT, username="acc-settings@a.test")
    query = 'mutation { updateDeliverySettings(input: {emailMode: "automatic"}) { errors { field code } } }'
    assert_mutation_errors(graphql(query, {}, accountant), "updateDeliverySettings", [(None, "PERMISSION_DENIED")])
    assert_mutation_ok(graphql(query, {}, user_a), "updateDeliverySettings")
    assert data(post("{ deliverySettings { emailMode emailLanguage } }", user=user_a))["deliverySettings"] == \
        {"emailMode": "automatic", "emailLanguage": "fr"}
    bad = 'mutation { updateDeliverySettings(input: {emailMode: "sometimes"}) { errors { field code } } }'
    assert_mutation_errors(graphql(bad, {}, user_a), "updateDeliverySettings", [("emailMode", "INVALID")])


# --- REST -------------------------------------------------------------------------------------------

def rest(method, path, headers, body=None):
    client = Client()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = getattr(client, method)(path, data=json.dumps(body) if body is not None else None,
                                           content_type="application/json", **headers)
    return response.status_code, response.json()


def test_rest_send_then_read_the_delivery(user_a, document):
    status, rows = rest("post", f"/v2/invoices/{document.pk}/send", bearer(user_a), {"recipients": ["ops@op.test"]})
    assert status == 202 and [row["recipient"] for row in rows] == ["ops@op.test"]
    status, row = rest("get", f"/v2/deliveries/{rows[0]['id']}", bearer(user_a))
    assert status == 200 and row["status"] == "sent" and row["attempt_log"][0]["outcome"] == "sent"


@pytest.mark.parametrize("body, field, code", [
    ({"channels": ["fax"]}, "channels", "INVALID_CHANNEL"),
    ({"channels": ["sftp"]}, "channels", "CHANNEL_NOT_CONFIGURED"),
    ({"recipients": ["x"]}, "recipients.0", "INVALID"),
])
def test_rest_send_refuses_bad_input_with_a_json_400(user_a, document, body, field, code):
    status, error = rest("post", f"/v2/invoices/{document.pk}/send", bearer(user_a), body)
    assert (status, error["code"], error["field"]) == (400, code, field)
    assert not Delivery.objects.exists()


def test_rest_send_of_another_organisations_document_is_404(user_b, document):
    status, error = rest("post", f"/v2/invoices/{document.pk}/send", bearer(user_b), {})
    assert (status, error["code"]) == (404, "NOT_FOUND")


def test_rest_webhooks_create_list_disable_and_log(user_a, settings):
    settings.DELIVERY_ALLOW_PRIVATE_TARGETS = False
    status, error = rest("post", "/v2/webhooks", bearer(user_a), {"url": "http://127.0.0.1/x"})
    assert (status, error["code"], error["field"]) == (400, "TARGET_NOT_ALLOWED", "url")
    status, created = rest("post", "/v2/webhooks", bearer(user_a), {"url": "https://hooks.example.com/molink"})
    assert status == 201 and created["secret"].startswith("whsec_")
    status, listed = rest("get", "/v2/webhooks", bearer(user_a))
    assert status == 200 and [row["id"] for row in listed] == [created["id"]] and "secret" not in listed[0]
    status, changed = rest("patch", f"/v2/webhooks/{created['id']}", bearer(user_a), {"is_active": False})
    assert status == 200 and changed["is_active"] is False and changed["disabled_reason"]
    status, log = rest("get", f"/v2/webhooks/{created['id']}/deliveries", bearer(user_a))
    assert (status, log) == (200, [])
    assert WebhookEndpoint.objects.count() == 1
