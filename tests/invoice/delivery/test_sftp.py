"""SFTP export against a real SFTP server (asyncssh's, rooted in a temporary folder)."""
from __future__ import annotations

import pytest

from invoice.delivery import services
from invoice.delivery.models import Delivery, DeliveryStatus, SftpDestination
from tests.invoice.delivery.servers import SftpServer
from tests.invoice.helpers import errors_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def sftp_server(tmp_path):
    with SftpServer(tmp_path / "sftp-root") as server:
        yield server


@pytest.fixture
def destination(user_a, org_a, sftp_server):
    return services.sftp_destination_set(actor=user_a, organization=org_a, data={
        "host": "127.0.0.1", "port": sftp_server.port, "username": sftp_server.user, "password": sftp_server.password,
        "host_key": sftp_server.host_key_line, "remote_folder": "/depot/{year}/{format}"})


def test_a_created_document_is_uploaded_atomically_to_its_folder(org_a, destination, sftp_server, validated_invoice,
                                                                  make_document, local_storage):
    # when: automatic is the SFTP default
    document = make_document(validated_invoice)
    # then
    [delivery] = Delivery.objects.filter(document=document, channel="sftp")
    assert delivery.status == DeliveryStatus.SENT, delivery.error_message
    year = validated_invoice.date_invoice.year
    uploaded = sftp_server.root / "depot" / str(year) / "json" / f"{validated_invoice.code}.json"
    assert uploaded.read_bytes() == (local_storage / document.storage_key).read_bytes()
    assert [p.name for p in uploaded.parent.iterdir()] == [uploaded.name]  # no temporary file left
    assert delivery.provider_message_id.endswith(f"/depot/{year}/json/{validated_invoice.code}.json")


def test_credentials_are_stored_encrypted(destination, sftp_server):
    row = SftpDestination.objects.get(pk=destination.pk)
    assert sftp_server.password not in row.password_encrypted and row.password_encrypted


def test_a_wrong_host_key_fails_at_once_without_logging_in(user_a, org_a, destination, sftp_server, validated_invoice,
                                                           make_document):
    import asyncssh

    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
    services.sftp_destination_set(actor=user_a, organization=org_a, data={"host_key": other})
    document = make_document(validated_invoice)
    delivery = Delivery.objects.get(document=document, channel="sftp")
    assert (delivery.status, delivery.error_code, delivery.attempts) == (DeliveryStatus.FAILED, "HOST_KEY_MISMATCH", 1)
    assert sftp_server.logins == 0


def test_a_refused_login_fails_at_once(user_a, org_a, destination, validated_invoice, make_document):
    services.sftp_destination_set(actor=user_a, organization=org_a, data={"password": "wrong"})
    document = make_document(validated_invoice)
    delivery = Delivery.objects.get(document=document, channel="sftp")
    assert (delivery.status, delivery.error_code) == (DeliveryStatus.FAILED, "SFTP_AUTH_FAILED")


def test_a_server_down_is_retried_then_failed(user_a, org_a, settings, validated_invoice, make_document):
    import asyncssh

    settings.DELIVERY_MAX_RETRIES, settings.SFTP_TIMEOUT = 1, 2
    from tests.helpers.pipeline import free_port

    services.sftp_destination_set(actor=user_a, organization=org_a, data={
        "host": "127.0.0.1", "port": free_port(), "username": "u", "password": "p",
        "host_key": asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()})
    document = make_document(validated_invoice)
    delivery = Delivery.objects.get(document=document, channel="sftp")
    assert (delivery.status, delivery.error_code, delivery.attempts) == (DeliveryStatus.FAILED, "SFTP_UNAVAILABLE", 2)


@pytest.mark.parametrize("data, field, code", [
    ({"host_key": "not a key"}, "hostKey", "INVALID_HOST_KEY"),
    ({"password": None, "private_key": None}, "password", "CREDENTIALS_REQUIRED"),
    ({"remote_folder": "/x/{secret}"}, "remoteFolder", "UNKNOWN_PLACEHOLDER"),
    ({"port": 70000}, "port", "OUT_OF_RANGE"),
    ({"private_key": "-----BEGIN NOTHING-----"}, "privateKey", "INVALID_PRIVATE_KEY"),
])
def test_bad_settings_are_refused_and_nothing_saved(user_a, org_a, sftp_server, data, field, code):
    base = {"host": "127.0.0.1", "port": sftp_server.port, "username": "u", "password": "p",
            "host_key": sftp_server.host_key_line}
    with pytest.raises(Exception) as raised:
        services.sftp_destination_set(actor=user_a, organization=org_a, data={**base, **data})
    assert errors_of(raised)[0] == (field, code)
    assert not SftpDestination.objects.exists()
