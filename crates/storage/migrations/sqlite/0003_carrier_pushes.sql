-- Carrier pushes (webhooks), kept raw and durably before they are
-- acknowledged; a job in the same transaction applies them.
CREATE TABLE carrier_pushes (
    id                  TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL REFERENCES tenants(id),
    carrier_account_id  TEXT NOT NULL REFERENCES carrier_accounts(id),
    received_at         BIGINT NOT NULL,
    headers             TEXT NOT NULL,
    body                BLOB NOT NULL,
    -- received | applied | failed
    status              TEXT NOT NULL,
    error               TEXT,
    processed_at        BIGINT
);
CREATE INDEX carrier_pushes_account ON carrier_pushes (carrier_account_id, received_at);

-- Carrier status codes Shipgate could not map: kept for review, never dropped
-- (the scan itself stays in its raw push or tracking answer).
CREATE TABLE unknown_carrier_codes (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    carrier      TEXT NOT NULL,
    code         TEXT NOT NULL,
    description  TEXT NOT NULL,
    example_awb  TEXT NOT NULL,
    first_seen   BIGINT NOT NULL,
    last_seen    BIGINT NOT NULL,
    seen_count   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, carrier, code)
);
