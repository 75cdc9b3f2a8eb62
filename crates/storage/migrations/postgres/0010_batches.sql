-- Bulk shipment creation: a batch, its rows (the request as given) and each
-- row's result, worked through by a job.
CREATE TABLE batches (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    total       BIGINT NOT NULL,
    succeeded   BIGINT NOT NULL DEFAULT 0,
    failed      BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE batch_rows (
    batch_id    TEXT NOT NULL REFERENCES batches(id),
    idx         BIGINT NOT NULL,
    input       TEXT NOT NULL,
    -- NULL until processed; then {"ok": {...}} or {"error": {...}}.
    result      TEXT,
    PRIMARY KEY (batch_id, idx)
);
