"""Where attachment bytes live: a small interface, local disk by default (an object store can replace it).

Files are stored by their SHA-256, so writing the same bytes twice (a retried request) is one file,
and a path never comes from a caller's filename. What a file is comes from its first bytes, not its name.
"""
import hashlib
import os
import tempfile
from pathlib import Path

from flask import current_app

ALLOWED = {"application/pdf", "image/png", "image/jpeg", "text/plain"}


class Storage:
    """The interface: `put(data) -> key`, `get(key) -> bytes`, `delete(key)` (nothing to delete is fine)."""

    def put(self, data: bytes) -> str:
        raise NotImplementedError

    def get(self, key: str) -> bytes:
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError


class LocalDisk(Storage):
    def __init__(self, folder: str):
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise ValueError("not a storage key")
        return self.folder / key[:2] / key

    def put(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        path = self._path(key)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
                tmp.write(data)
            os.replace(tmp.name, path)  # whole or not at all
        return key

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def storage() -> Storage:
    """The app's storage (`app.extensions["casework.storage"]` may hold another implementation)."""
    found = current_app.extensions.get("casework.storage")
    return found if found is not None else LocalDisk(current_app.config["CASEWORK_FILES_DIR"])


def sniff(data: bytes) -> str | None:
    """The content type the bytes are, among those allowed, or None."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if data and not any(ord(c) < 32 and c not in "\t\r\n\f" for c in text):
        return "text/plain"
    return None
