"""SFTP upload of the document (asyncssh client). Atomic for the reader on the other side: the
bytes go to a hidden temporary name in the target folder, then are renamed over the final name
(POSIX rename: replaces a file of the same name, e.g. after a retry). Only the host key configured
on the destination is trusted: no trust on first use."""
from __future__ import annotations

import asyncio
import posixpath
from datetime import date

import asyncssh
from django.conf import settings

from invoice import storage
from invoice.delivery import secrets as stored
from invoice.delivery.channels import ChannelError, Sent
from invoice.delivery.targets import TargetRefused, resolve_target

FOLDER_FIELDS = ("year", "month", "organization", "operator", "format")


def remote_folder(pattern: str, *, invoice, document) -> str:
    day = invoice.date_invoice or date.today()
    values = {"year": f"{day.year:04d}", "month": f"{day.month:02d}", "organization": invoice.organization.code,
              "operator": getattr(document.operator, "code", "") or "unknown", "format": document.format}
    folder = pattern
    for name, value in values.items():
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(value))
        folder = folder.replace("{" + name + "}", safe)
    return posixpath.normpath(folder or ".")


def file_name(invoice, document) -> str:
    extension = document.storage_key.rsplit(".", 1)[-1]
    number = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in (invoice.code or str(document.id)))
    return f"{number}.{extension}"


def parse_host_key(text: str):
    try:
        return asyncssh.import_public_key(text.strip())
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise ValueError(f"not an OpenSSH public key: {exc}") from None


def parse_private_key(text: str, passphrase: str | None = None):
    try:
        return asyncssh.import_private_key(text.strip(), passphrase)
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise ValueError(f"not a private key asyncssh can read: {exc}") from None


async def _upload(destination, address: str, folder: str, name: str, content: bytes, tag: str) -> str:
    password = stored.decrypt(destination.password_encrypted) or None
    private_key = stored.decrypt(destination.private_key_encrypted)
    options = {
        "host": address, "port": destination.port, "username": destination.username, "password": password,
        "client_keys": [parse_private_key(private_key)] if private_key else None,
        "known_hosts": ([parse_host_key(destination.host_key)], [], []),
        "connect_timeout": settings.SFTP_TIMEOUT, "login_timeout": settings.SFTP_TIMEOUT,
        "agent_path": None, "config": None, "preferred_auth": "publickey,password",
    }
    async with asyncssh.connect(**options) as connection, connection.start_sftp_client() as sftp:
        await sftp.makedirs(folder, exist_ok=True)
        final, temporary = posixpath.join(folder, name), posixpath.join(folder, f".{name}.{tag}.part")
        async with sftp.open(temporary, "wb") as handle:
            await handle.write(content)
        try:
            await sftp.posix_rename(temporary, final)
        except asyncssh.SFTPOpUnsupported:  # a server without the extension: plain rename
            if await sftp.exists(final):
                await sftp.remove(final)
            await sftp.rename(temporary, final)
        return final


def send(delivery, **_context) -> Sent:
    destination, document, invoice = delivery.sftp_destination, delivery.document, delivery.invoice
    if destination is None or not destination.is_active:
        raise ChannelError("DESTINATION_DISABLED", "the SFTP destination is disabled or gone", retryable=False)
    try:
        address = resolve_target(destination.host, destination.port)
    except TargetRefused as exc:
        raise ChannelError(exc.code, exc.message, retryable=exc.code == "TARGET_UNRESOLVABLE") from None
    try:
        with storage.open_document(document.storage_key) as handle:
            content = handle.read()
    except (storage.StorageUnavailable, OSError) as exc:
        raise ChannelError("STORAGE_UNAVAILABLE", f"the document could not be read: {exc}", retryable=True) from exc
    folder = remote_folder(destination.remote_folder, invoice=invoice, document=document)
    try:
        path = asyncio.run(asyncio.wait_for(
            _upload(destination, address, folder, file_name(invoice, document), content, delivery.id.hex[:12]),
            timeout=settings.SFTP_TIMEOUT * 3))
    except asyncssh.HostKeyNotVerifiable as exc:
        raise ChannelError("HOST_KEY_MISMATCH", f"the server's host key is not the one configured ({exc})",
                           retryable=False) from exc
    except asyncssh.PermissionDenied as exc:
        raise ChannelError("SFTP_AUTH_FAILED", f"the server refused our login: {exc}", retryable=False) from exc
    except asyncssh.SFTPPermissionDenied as exc:
        raise ChannelError("SFTP_PERMISSION_DENIED", f"cannot write in {folder}: {exc}", retryable=False) from exc
    except (TimeoutError, asyncssh.Error, OSError) as exc:
        raise ChannelError("SFTP_UNAVAILABLE", f"{exc.__class__.__name__}: {exc}", retryable=True) from exc
    return Sent(f"sftp://{destination.host}:{destination.port}{path}")
