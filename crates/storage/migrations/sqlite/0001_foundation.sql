-- Tenants (merchants) and their API keys. Only a SHA-256 of each key is kept.
CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    -- 4-digit series that prefixes every AWB this tenant's fleet issues.
    awb_series  BIGINT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    key_hash    TEXT NOT NULL UNIQUE,
    key_prefix  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

-- Shipments: what was asked for, plus a projection of the state derived
-- from shipment_events (kept in the same transaction as every event).
-- Times are microseconds since the Unix epoch, UTC, in both databases.
CREATE TABLE shipments (
    id                    TEXT PRIMARY KEY,
    tenant_id             TEXT NOT NULL REFERENCES tenants(id),
    order_reference       TEXT NOT NULL,
    carrier               TEXT NOT NULL,
    awb                   TEXT NOT NULL,
    status                TEXT NOT NULL,
    progress              TEXT NOT NULL,
    failed_attempts       BIGINT NOT NULL DEFAULT 0,
    ndr_reason            TEXT,
    last_event_at         BIGINT,
    payment_mode          TEXT NOT NULL,
    cod_amount            BIGINT,
    declared_value        BIGINT NOT NULL,
    currency              TEXT NOT NULL,
    consignee_phone       TEXT NOT NULL,
    pickup_postal_code    TEXT NOT NULL,
    consignee_postal_code TEXT NOT NULL,
    -- Addresses and parcels as JSON: read whole, never queried into.
    details               TEXT NOT NULL,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL,
    UNIQUE (tenant_id, carrier, awb)
);
CREATE INDEX shipments_tenant_id_desc ON shipments (tenant_id, id DESC);
CREATE INDEX shipments_tenant_order_reference ON shipments (tenant_id, order_reference);
CREATE INDEX shipments_awb ON shipments (awb);

-- The append-only history every shipment state is derived from.
CREATE TABLE shipment_events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    shipment_id  TEXT NOT NULL REFERENCES shipments(id),
    status       TEXT NOT NULL,
    occurred_at  BIGINT NOT NULL,
    recorded_at  BIGINT NOT NULL,
    source       TEXT NOT NULL,
    dedupe_key   TEXT NOT NULL,
    carrier_code TEXT,
    description  TEXT,
    location     TEXT,
    ndr_reason   TEXT,
    actor        TEXT,
    UNIQUE (shipment_id, dedupe_key)
);

-- Per-tenant counters for AWBs Shipgate issues itself.
CREATE TABLE awb_series (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    series       TEXT NOT NULL,
    next_serial  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, series)
);

-- Idempotency-Key records: the first response to a key is replayed.
CREATE TABLE idempotency_keys (
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    idem_key      TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    locked_until  BIGINT,
    status_code   BIGINT,
    content_type  TEXT,
    body          BLOB,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, idem_key)
);

-- Durable jobs, written in the same transaction as the data they concern and
-- claimed with a lease so that no two workers run one job at once.
CREATE TABLE jobs (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT REFERENCES tenants(id),
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL,
    run_at        BIGINT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    max_attempts  BIGINT NOT NULL,
    locked_by     TEXT,
    locked_until  BIGINT,
    last_error    TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, run_at);
