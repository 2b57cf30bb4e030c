"""How to reach 1C and how its fields map onto ours: data, not code.

Every plant's 1C configuration differs; the defaults follow the orders table
and need only the connection (``MARKSCAN_ONEC_URL``, ``_USER``, ``_PASSWORD``:
``web.config``). A JSON file ``onec.json`` in the data folder may override any
mapping.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from web.config import Config

# Our field -> the 1C field that holds it, for the orders entity set.
DEFAULT_ORDER_FIELDS = {
    "article": "ДетальАртикул",
    "serial": "ПорядковыйНомер",
    "part_name": "ДетальНаименование",
    "order_number": "ЗаказНомер",
    "station_unit": "СтанцияБлок",
}
# Our field -> the 1C field written, for confirmed identifications.
DEFAULT_IDENTIFICATION_FIELDS = {
    "marking": "Маркировка",
    "article": "ДетальАртикул",
    "serial": "ПорядковыйНомер",
    "order_number": "ЗаказНомер",
    "station_unit": "СтанцияБлок",
    "user": "Пользователь",
    "date": "Date",
    "photo_url": "СсылкаНаФото",
    "key": "КлючИдентификации",
}


@dataclass(frozen=True)
class OnecConfig:
    url: str  # the .../odata/standard.odata root
    user: str
    password: str = field(repr=False)  # never printed, never logged
    orders_set: str = "InformationRegister_ДеталиПоПлану"
    order_fields: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ORDER_FIELDS))
    identifications_set: str = "Document_ИдентификацияДетали"
    identification_fields: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_IDENTIFICATION_FIELDS))
    timeout_s: float = 30.0
    page_size: int = 5000
    sync_every_min: float = 0  # orders synced on a schedule when > 0

    @property
    def root(self) -> str:
        return self.url.rstrip("/")

    @classmethod
    def load(cls, settings: Config) -> OnecConfig | None:
        """The link ``settings`` name, with the mapping of ``DATA/onec.json``; None when no URL is configured."""
        values: dict = {}
        path = settings.data_dir / "onec.json"
        if path.exists():
            values.update(json.loads(path.read_text(encoding="utf-8")))
        given = {
            "url": settings.onec_url,
            "user": settings.onec_user,
            "password": settings.onec_password.get_secret_value(),
            "sync_every_min": settings.onec_sync_minutes,
        }
        values.update({k: v for k, v in given.items() if v})
        if not values.get("url"):
            return None
        values.setdefault("user", "")
        values.setdefault("password", "")
        for key in ("order_fields", "identification_fields"):
            if key in values:
                defaults = DEFAULT_ORDER_FIELDS if key == "order_fields" else DEFAULT_IDENTIFICATION_FIELDS
                values[key] = {**defaults, **values[key]}
        return cls(**values)
