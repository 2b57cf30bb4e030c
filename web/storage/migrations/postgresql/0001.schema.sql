-- Every table, in PostgreSQL's types.
CREATE TABLE catalog (
    id BIGSERIAL PRIMARY KEY,
    article TEXT NOT NULL,
    stamped TEXT NOT NULL,
    article_key TEXT NOT NULL,
    serial TEXT NOT NULL DEFAULT '',
    part_name TEXT NOT NULL DEFAULT '',
    order_number TEXT NOT NULL DEFAULT '',
    station_unit TEXT NOT NULL DEFAULT ''
);
CREATE INDEX catalog_key ON catalog (article_key, serial);
CREATE INDEX catalog_order ON catalog (order_number);
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE scans (
    id BIGSERIAL PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    photo_key TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    reading_status TEXT NOT NULL,
    marking TEXT NOT NULL DEFAULT '',
    article TEXT NOT NULL DEFAULT '',
    serial TEXT NOT NULL DEFAULT '',
    confidence DOUBLE PRECISION NOT NULL DEFAULT 0,
    reading_json TEXT NOT NULL,
    confirmed_at TEXT,
    confirmed_by TEXT,
    confirmed_article TEXT,
    confirmed_serial TEXT,
    order_number TEXT NOT NULL DEFAULT '',
    station_unit TEXT NOT NULL DEFAULT '',
    confirmed_off_catalog BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX scans_created ON scans (created_at);
CREATE TABLE onec_outbox (
    scan_id BIGINT PRIMARY KEY REFERENCES scans (id),
    record_key TEXT NOT NULL UNIQUE,
    payload_json TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    onec_ref TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    sending_since TEXT
);
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('operator', 'admin')),
    created_at TEXT NOT NULL,
    disabled BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users (name),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL DEFAULT '9999'
);
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users (name),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX scans_marking ON scans (marking);
CREATE TABLE memory_entries (
    id BIGSERIAL PRIMARY KEY,
    scan_id BIGINT UNIQUE REFERENCES scans (id),
    source TEXT NOT NULL,
    article TEXT NOT NULL,
    serial TEXT NOT NULL DEFAULT '',
    thumbnail_key TEXT NOT NULL,
    embedder TEXT NOT NULL,
    vector BYTEA NOT NULL,
    created_at TEXT NOT NULL
);
