"""Columns added after the first releases, for databases those releases made (each only if missing)."""

from yoyo import step

LATER_COLUMNS = (
    ("scans", "order_number", "TEXT NOT NULL DEFAULT ''"),
    ("scans", "station_unit", "TEXT NOT NULL DEFAULT ''"),
    ("users", "disabled", "INTEGER NOT NULL DEFAULT 0"),
    ("api_tokens", "expires_at", "TEXT NOT NULL DEFAULT '9999'"),
    ("onec_outbox", "sending_since", "TEXT"),
    ("scans", "confirmed_off_catalog", "INTEGER NOT NULL DEFAULT 0"),
)


def add_missing_columns(connection) -> None:
    cursor = connection.cursor()
    for table, column, definition in LATER_COLUMNS:
        cursor.execute(f"PRAGMA table_info({table})")
        if column not in {row[1] for row in cursor.fetchall()}:
            cursor.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")


steps = [step(add_missing_columns)]
