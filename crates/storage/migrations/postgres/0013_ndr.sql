-- One row per failed delivery attempt (NDR): what the carrier said, and the
-- one action taken on it (claimed by moving `state` off open/failed).
CREATE TABLE ndrs (
    id                 TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL REFERENCES tenants(id),
    shipment_id        TEXT NOT NULL REFERENCES shipments(id),
    carrier            TEXT NOT NULL,
    awb                TEXT NOT NULL,
    attempt            BIGINT NOT NULL,
    reason             TEXT NOT NULL,
    remarks            TEXT,
    occurred_at        BIGINT NOT NULL,
    state              TEXT NOT NULL,
    action             TEXT,
    actor              TEXT,
    action_at          BIGINT,
    carrier_request_id TEXT,
    error              TEXT,
    customer_asked_at  BIGINT,
    escalated_at       BIGINT,
    resolved_at        BIGINT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    UNIQUE (shipment_id, attempt)
);
CREATE INDEX ndrs_queue ON ndrs (tenant_id, state, id);
