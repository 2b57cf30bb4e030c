"""Server settings: command-line flags first, then MARKSCAN_* environment variables."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from web.catalog_source import DEFAULT_DATA_DIR, database_path


@dataclass(frozen=True, slots=True)
class Config:
    data_dir: Path = DEFAULT_DATA_DIR
    workers: int = os.cpu_count() or 1  # recognition threads
    queue_limit: int = 16  # photos waiting for a worker before we answer 503
    max_upload_bytes: int = 25 * 1024 * 1024
    secure_cookies: bool = False  # set behind HTTPS (Caddy): the session cookie is then Secure
    visual_memory: bool = True  # remember confirmed photos and use them in recognition

    @property
    def database(self) -> Path:
        return database_path(self.data_dir)

    def secret_key(self) -> str:
        """The key that signs session cookies: made once, kept in the data folder, never logged."""
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
        return path.read_text().strip()

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
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
