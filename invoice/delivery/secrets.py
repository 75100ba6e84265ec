"""Credentials at rest (webhook secrets, SFTP passwords and keys): Fernet (AES-128-CBC + HMAC)
with the keys of DELIVERY_ENCRYPTION_KEYS — the first encrypts, all decrypt, so a key can be
rotated by putting the new one first. Without that setting a key is derived from SECRET_KEY."""
from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadable(Exception):
    """A stored credential cannot be decrypted with the configured keys."""


def _fernet() -> MultiFernet:
    keys = [key.strip() for key in settings.DELIVERY_ENCRYPTION_KEYS if key.strip()]
    if not keys:
        derived = hashlib.sha256(f"molink-delivery:{settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(derived).decode()]
    return MultiFernet([Fernet(key.encode()) for key in keys])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("a stored credential cannot be decrypted with DELIVERY_ENCRYPTION_KEYS") from None
