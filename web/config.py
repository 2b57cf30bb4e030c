"""Every setting of markscan in one object: ``MARKSCAN_*`` environment variables, command-line flags over them.

``Config.from_env()`` reads and validates them; a value that cannot work is
refused at start-up with one line naming the variable (``ConfigError``; the
command exits 2). The settings table in ``docs/configuration.md`` is generated
from the fields below (``web.reference``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("markscan-data")
DATABASE_NAME = "markscan.db"
MIN_SECRET_CHARS = 32
PREFIX = "MARKSCAN_"


class ConfigError(RuntimeError):
    """markscan cannot start as configured; the message says what to do."""


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


class Config(BaseSettings):
    """The settings of the server and the ``markscan`` command."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, frozen=True, extra="ignore", populate_by_name=True)

    data_dir: Path = Field(
        DEFAULT_DATA_DIR, validation_alias="MARKSCAN_DATA", description="the folder of the database, photos and keys"
    )
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        description="recognition threads",
        json_schema_extra={"shown_default": "the CPU cores"},
    )
    queue_limit: int = Field(16, ge=1, description="photos waiting for a worker before the server answers 503")
    max_upload_mb: int = Field(25, ge=1, description="the largest photo accepted, in MB")
    secure_cookies: bool = Field(False, description="mark the session cookie Secure (set behind HTTPS)")
    visual_memory: bool = Field(True, description="remember confirmed photos and use them in recognition")
    public_url: str = Field("", description="how people reach markscan, e.g. https://markscan.plant.local")
    trusted_proxies: str = Field(
        "", description='hosts whose X-Forwarded-* headers are believed ("": none, "*": any; Caddy\'s address)'
    )
    timezone: str = Field("", description='the time zone of the pages, e.g. Europe/Moscow ("": the server\'s)')
    database_url: str = Field("", description='postgresql://USER@HOST:PORT/DB ("": the SQLite file DATA/markscan.db)')
    photo_store: str = Field("", description='s3://BUCKET/PREFIX, an S3-compatible store ("": the folder DATA/photos)')
    s3_endpoint: str = Field("", description="the S3 server's URL when it is not AWS (SeaweedFS, MinIO)")
    backend: str = Field("onnx", description="what runs the models: onnx (OpenVINO and onnxruntime, CPU) or torch")
    device: str = Field("cpu", description="cpu or cuda (torch only)")
    precision: str = Field("fp32", description="fp32, or fp16 on cuda")
    models: str = Field("", description='a folder of trained models (markscan train --out; "": the shipped ones)')
    onec_url: str = Field("", description='1C\'s OData root, …/odata/standard.odata ("": no 1C)')
    onec_user: str = Field("", description="the 1C user markscan signs in as")
    onec_password: SecretStr = Field(SecretStr(""), description="that user's password (never logged or shown)")
    onec_sync_minutes: float = Field(0, ge=0, description="sync the orders from 1C this often (0: only on demand)")

    @field_validator("backend", "device", "precision")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()

    @classmethod
    def from_env(cls, **overrides) -> Config:
        """The settings from the environment, with ``overrides`` (command-line flags; None: not given) over them."""
        given = {k: v for k, v in overrides.items() if v is not None}
        try:
            return cls(**given)
        except ValidationError as exc:
            error = exc.errors()[0]
            name = str(error["loc"][0]) if error["loc"] else ""
            raise ConfigError(f"{variable(name)}={error.get('input')!r}: {error['msg']}") from None

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def database(self) -> str | Path:
        """``database_url`` (PostgreSQL) when set, else the SQLite file in the data folder."""
        return self.database_url or Path(self.data_dir) / DATABASE_NAME

    def inference_backend(self):
        """The runtime for the models these settings name (``inference.backends.Backend``)."""
        from inference.backends import Backend, BackendError

        try:
            return Backend(self.backend, self.device, self.precision)
        except BackendError as exc:
            raise ConfigError(str(exc)) from exc

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

    def onec(self):
        """The 1C link these settings name, with ``DATA/onec.json``'s mapping (``web.onec.config``); None: no 1C."""
        from web.onec.config import OnecConfig

        try:
            return OnecConfig.load(self)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{self.data_dir / 'onec.json'}: {exc}") from exc

    def check(self) -> None:
        """Settings that cannot work, refused at start-up with what to do (ConfigError)."""
        self.photos()
        self.trained_models()
        self.onec()
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


def variable(field: str) -> str:
    """The environment variable of a ``Config`` field."""
    info = Config.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    return alias if isinstance(alias, str) else PREFIX + field.upper()
