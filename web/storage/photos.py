"""Where photos are kept: a local folder by default, or an S3-compatible object store.

Photos, annotated photos and thumbnails are content-addressed: a photo's key is its
SHA-256, so the same photo is stored once and a retried upload changes nothing.
Both stores write a photo whole or not at all, and say OSError when they cannot.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import tempfile
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse


def photo_key(data: bytes) -> str:
    """The key a photo is stored under: its SHA-256, so the same photo always has the same key."""
    return hashlib.sha256(data).hexdigest()


def _checked(key: str) -> str:
    if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
        raise KeyError(key)
    return key


class PhotoStore(Protocol):
    name: str

    async def save(self, data: bytes) -> str: ...

    async def read(self, key: str) -> bytes: ...

    async def close(self) -> None: ...


class LocalPhotoStore:
    """Photos as files named by their SHA-256, two levels of folders deep."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.name = f"folder {self.root}"

    def _path(self, key: str) -> Path:
        key = _checked(key)
        return self.root / key[:2] / key[2:4] / key

    def save_now(self, data: bytes) -> str:
        """``save`` on the calling thread (for the CLI's folder seeding)."""
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

    async def save(self, data: bytes) -> str:
        """Store ``data`` (whole or not at all; the same photo twice is stored once) and return its key."""
        return await asyncio.to_thread(self.save_now, data)

    async def read(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    async def close(self) -> None:
        return None


class S3PhotoStore:
    """Photos as objects ``PREFIX/ab/cd/KEY`` in an S3 bucket (AWS, SeaweedFS, MinIO, …), through aiobotocore.

    Credentials and region come the standard way (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
    ``AWS_REGION``); ``endpoint`` points at an S3-compatible server. The bucket is made if missing.
    """

    def __init__(self, bucket: str, prefix: str = "", endpoint: str | None = None, region: str | None = None):
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.endpoint, self.region = endpoint or None, region or os.environ.get("AWS_REGION") or "us-east-1"
        self.name = f"s3://{bucket}/{self.prefix}" + (f" at {endpoint}" if endpoint else "")
        self._client = None
        self._stack = AsyncExitStack()
        self._opening = asyncio.Lock()

    def _object(self, key: str) -> str:
        key = _checked(key)
        return "/".join(p for p in (self.prefix, key[:2], key[2:4], key) if p)

    async def _ready(self):
        async with self._opening:
            if self._client is None:
                from aiobotocore.session import get_session
                from botocore.config import Config

                config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30)
                client = await self._stack.enter_async_context(
                    get_session().create_client(
                        "s3", endpoint_url=self.endpoint, region_name=self.region, config=config
                    )
                )
                await self._ensure_bucket(client)
                self._client = client
        return self._client

    async def _ensure_bucket(self, client) -> None:
        from botocore.exceptions import ClientError

        try:
            await client.head_bucket(Bucket=self.bucket)
        except ClientError:
            await client.create_bucket(Bucket=self.bucket)

    async def save(self, data: bytes) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        key = photo_key(data)
        try:
            client = await self._ready()
            await client.put_object(Bucket=self.bucket, Key=self._object(key), Body=data)  # whole or not at all
        except (BotoCoreError, ClientError) as exc:
            raise OSError(errno.EIO, f"the photo store ({self.name}) refused the photo: {exc}") from exc
        return key

    async def read(self, key: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            client = await self._ready()
            answer = await client.get_object(Bucket=self.bucket, Key=self._object(key))
            async with answer["Body"] as body:
                return await body.read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(key) from exc
            raise OSError(errno.EIO, f"the photo store ({self.name}) failed: {exc}") from exc
        except BotoCoreError as exc:
            raise OSError(errno.EIO, f"the photo store ({self.name}) failed: {exc}") from exc

    async def close(self) -> None:
        await self._stack.aclose()
        self._client = None


def open_photo_store(setting: str, data_dir: Path, endpoint: str = "") -> PhotoStore:
    """The store ``MARKSCAN_PHOTO_STORE`` names: ``s3://BUCKET/PREFIX``, or "" for ``DATA/photos``."""
    if not setting:
        return LocalPhotoStore(data_dir / "photos")
    url = urlparse(setting)
    if url.scheme != "s3" or not url.netloc:
        raise ValueError(f"MARKSCAN_PHOTO_STORE={setting!r}: expected s3://BUCKET/PREFIX")
    return S3PhotoStore(url.netloc, url.path, endpoint or None)
