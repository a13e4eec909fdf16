"""Encryption at rest: today the stored answers of idempotent requests (civic.core.idempotency),
which carry client secrets and personal data; later, third-party secrets a tenant gives us.

Fernet with rotatable keys: CIVIC_ENCRYPTION_KEYS lists keys newest first; the
first encrypts, all decrypt, and `rotate()` re-encrypts with the newest.
"""
import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


def _derived_key(secret: str) -> bytes:
    # Development only: config.validate() refuses production without explicit keys.
    return base64.urlsafe_b64encode(hashlib.sha256(b"civic-encryption:" + secret.encode()).digest())


def fernet(config=None) -> MultiFernet:
    config = config or current_app.config
    keys = config["ENCRYPTION_KEYS"] or [_derived_key(config["SECRET_KEY"])]
    return MultiFernet([Fernet(k) for k in keys])


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


UNKNOWN_KEY = "cannot decrypt: the key that encrypted this value is not configured"


def decrypt(ciphertext: str) -> str:
    try:
        return fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise ValueError(UNKNOWN_KEY) from None


def rotate(ciphertext: str) -> str:
    """Re-encrypt with the newest key (run after adding a key at the front of the list)."""
    try:
        return fernet().rotate(ciphertext.encode()).decode()
    except InvalidToken:
        raise ValueError(UNKNOWN_KEY) from None


def new_key() -> str:
    return Fernet.generate_key().decode()
