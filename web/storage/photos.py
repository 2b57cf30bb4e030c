"""Where uploaded photos are kept: local disk by default, behind a small interface."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol


def photo_key(data: bytes) -> str:
    """The key a photo is stored under: its SHA-256, so the same photo always has the same key."""
    return hashlib.sha256(data).hexdigest()


class PhotoStore(Protocol):
    def save(self, data: bytes) -> str: ...

    def read(self, key: str) -> bytes: ...


class LocalPhotoStore:
    """Photos as files named by their SHA-256, two levels of folders deep."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
            raise KeyError(key)
        return self.root / key[:2] / key[2:4] / key

    def save(self, data: bytes) -> str:
        """Store ``data`` (whole or not at all; the same photo twice is stored once) and return its key."""
        key = photo_key(data)
        path = self._path(key)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".partial-")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)  # a full disk leaves no empty file behind
                raise
        return key

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()
