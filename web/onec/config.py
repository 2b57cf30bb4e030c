"""How to reach 1C and how its fields map onto ours: data, not code.

Every plant's 1C configuration differs; the defaults follow the orders table
and need only the connection (``MARKSCAN_ONEC_URL``, ``_USER``, ``_PASSWORD``).
A JSON file ``onec.json`` in the data folder may override any mapping.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

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
    def load(cls, data_dir: str | Path | None = None, env: dict[str, str] | None = None) -> OnecConfig | None:
        """From the environment and ``DATA/onec.json``; None when no URL is configured."""
        env = dict(os.environ if env is None else env)
        values: dict = {}
        if data_dir is not None and (Path(data_dir) / "onec.json").exists():
            values.update(json.loads((Path(data_dir) / "onec.json").read_text(encoding="utf-8")))
        for key, name in (("url", "URL"), ("user", "USER"), ("password", "PASSWORD")):
            if env.get(f"MARKSCAN_ONEC_{name}"):
                values[key] = env[f"MARKSCAN_ONEC_{name}"]
        if env.get("MARKSCAN_ONEC_SYNC_MINUTES"):
            values["sync_every_min"] = float(env["MARKSCAN_ONEC_SYNC_MINUTES"])
        if not values.get("url"):
            return None
        values.setdefault("user", "")
        values.setdefault("password", "")
        for key in ("order_fields", "identification_fields"):
            if key in values:
                defaults = DEFAULT_ORDER_FIELDS if key == "order_fields" else DEFAULT_IDENTIFICATION_FIELDS
                values[key] = {**defaults, **values[key]}
        return cls(**values)
