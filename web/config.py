"""Server settings: command-line flags first, then MARKSCAN_* environment variables."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from web.catalog_source import DATABASE_NAME, DEFAULT_DATA_DIR

MIN_SECRET_CHARS = 32


class ConfigError(RuntimeError):
    """The server cannot start as configured; the message says what to do."""


def write_new_secret(path: Path) -> None:
    """A fresh random key at ``path``, whole or not at all (another process may win the race)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
            f.flush()
            os.fsync(f.fileno())
        os.link(partial, path)  # appears only complete; fails if another process made one first
    except FileExistsError:
        pass
    finally:
        partial.unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class Config:
    data_dir: Path = DEFAULT_DATA_DIR
    workers: int = os.cpu_count() or 1  # recognition threads
    queue_limit: int = 16  # photos waiting for a worker before we answer 503
    max_upload_bytes: int = 25 * 1024 * 1024
    secure_cookies: bool = False  # set behind HTTPS (Caddy): the session cookie is then Secure
    visual_memory: bool = True  # remember confirmed photos and use them in recognition
    public_url: str = ""  # how people reach markscan, e.g. https://markscan.plant.local (links sent to 1C)
    trusted_proxies: str = "127.0.0.1"  # addresses whose X-Forwarded-* headers are believed ("*": any)
    timezone: str = ""  # the plant's time zone for the pages (e.g. Europe/Moscow); "": the server's own
    database_url: str = ""  # postgresql://USER@HOST:PORT/DB; "": the SQLite file DATA/markscan.db
    photo_store: str = ""  # s3://BUCKET/PREFIX for an S3-compatible store; "": the folder DATA/photos
    s3_endpoint: str = ""  # the S3 server's URL when it is not AWS (SeaweedFS, MinIO)
    backend: str = "onnx"  # what runs the models: onnx (onnxruntime) or torch (inference.backends)
    device: str = "cpu"  # cpu or cuda (torch only)
    precision: str = "fp32"  # fp32 or fp16 on cuda
    models: str = ""  # a folder of trained models (markscan train --out); "": the ones shipped in the package

    def inference_backend(self):
        """The runtime for the models these settings name (``inference.backends.Backend``)."""
        from inference.backends import Backend, BackendError

        try:
            return Backend(self.backend, self.device, self.precision)
        except BackendError as exc:
            raise ConfigError(str(exc)) from exc

    @property
    def database(self) -> str | Path:
        """``database_url`` (PostgreSQL) when set, else the SQLite file in the data folder."""
        return self.database_url or Path(self.data_dir) / DATABASE_NAME

    def secret_key(self) -> str:
        """The key that signs session cookies: made once, kept in the data folder, never logged.

        A key file that is empty or short (a write cut off by a full disk in an
        old release) is refused: signing with it would let anyone forge a session.
        """
        path = self.data_dir / "secret.key"
        if not path.exists():
            write_new_secret(path)
        key = path.read_text().strip()
        if len(key) < MIN_SECRET_CHARS:
            raise ConfigError(
                f"{path} holds no usable key ({len(key)} characters, {MIN_SECRET_CHARS} needed); "
                "delete the file and start again to have a new one made (everyone signs in again)"
            )
        return key

    def trained_models(self):
        """The reader's learned models these settings name (``inference.models``)."""
        from inference.models import Models, ModelsError

        try:
            return Models.load(self.models or None)
        except ModelsError as exc:
            raise ConfigError(f"MARKSCAN_MODELS: {exc}") from exc

    def photos(self):
        """The photo store these settings name (``web.storage.photos``)."""
        from web.storage.photos import open_photo_store

        try:
            return open_photo_store(self.photo_store, self.data_dir, self.s3_endpoint)
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc

    def check(self) -> None:
        """Settings that cannot work, refused at start-up with what to do (ConfigError)."""
        self.photos()
        self.trained_models()
        from inference.backends import BackendError

        try:
            self.inference_backend().check()
        except BackendError as exc:
            raise ConfigError(str(exc)) from exc
        if self.timezone:
            try:
                ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ConfigError(
                    f"MARKSCAN_TIMEZONE={self.timezone!r} is not a time zone (e.g. Europe/Moscow)"
                ) from exc

    @classmethod
    def from_env(cls, **overrides) -> Config:
        env = os.environ
        values = {
            "data_dir": Path(env.get("MARKSCAN_DATA", DEFAULT_DATA_DIR)),
            "workers": int(env.get("MARKSCAN_WORKERS", os.cpu_count() or 1)),
            "queue_limit": int(env.get("MARKSCAN_QUEUE_LIMIT", 16)),
            "max_upload_bytes": int(env.get("MARKSCAN_MAX_UPLOAD_MB", 25)) * 1024 * 1024,
            "secure_cookies": env.get("MARKSCAN_SECURE_COOKIES", "") in ("1", "true", "yes"),
            "visual_memory": env.get("MARKSCAN_VISUAL_MEMORY", "1") not in ("0", "false", "no"),
            "public_url": env.get("MARKSCAN_PUBLIC_URL", ""),
            "trusted_proxies": env.get("MARKSCAN_TRUSTED_PROXIES", "127.0.0.1"),
            "timezone": env.get("MARKSCAN_TIMEZONE", ""),
            "database_url": env.get("MARKSCAN_DATABASE_URL", ""),
            "photo_store": env.get("MARKSCAN_PHOTO_STORE", ""),
            "s3_endpoint": env.get("MARKSCAN_S3_ENDPOINT", ""),
            "backend": env.get("MARKSCAN_BACKEND", "onnx"),
            "device": env.get("MARKSCAN_DEVICE", "cpu"),
            "precision": env.get("MARKSCAN_PRECISION", "fp32"),
            "models": env.get("MARKSCAN_MODELS", ""),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
