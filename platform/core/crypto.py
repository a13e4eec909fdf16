"""Encryption at rest: today the stored answers of idempotent requests (civic.core.idempotency),
which carry client secrets and personal data; later, third-party secrets a tenant gives us.

Fernet with rotatable keys: CIVIC_ENCRYPTION_KEYS lists keys newest first; the
first encrypts, all decrypt, and `rotate()` re-encrypts with the newest.

`subkeys(purpose)` derives, from the same keys, a key of its own for one purpose (the HMAC under which
a lookup value is kept, such as the opt-out register's): HKDF-SHA256 of each encryption key with the
label `civic:<purpose>` as its info, newest first, so no two purposes share a key and none is the
Fernet key itself. A value kept under an HMAC cannot be re-computed without the person's details, so
an encryption key stays listed while values made under it are kept (each is rewritten under the
newest key when it is next used).
"""
import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


def _derived_key(secret: str) -> bytes:
    # Development only: config.validate() refuses production without explicit keys.
    return base64.urlsafe_b64encode(hashlib.sha256(b"civic-encryption:" + secret.encode()).digest())


def _keys(config) -> list:
    return config["ENCRYPTION_KEYS"] or [_derived_key(config["SECRET_KEY"])]


def fernet(config=None) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in _keys(config or current_app.config)])


def subkeys(purpose: str, config=None) -> tuple[bytes, ...]:
    """32-byte keys for `purpose` (an HMAC's), one per encryption key, newest first: the first makes new values,
    all are tried on lookup."""
    keys = _keys(config or current_app.config)
    return _subkeys(purpose, tuple(k if isinstance(k, bytes) else k.encode() for k in keys))


@functools.lru_cache(maxsize=32)
def _subkeys(purpose: str, keys: tuple[bytes, ...]) -> tuple[bytes, ...]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return tuple(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"civic:{purpose}".encode())
                 .derive(base64.urlsafe_b64decode(key)) for key in keys)


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
