-- Pickup requests: one per carrier account, pickup location and day (the
-- carriers' own rule), with the carrier's confirmation.
CREATE TABLE pickups (
    id                  TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL REFERENCES tenants(id),
    carrier_account_id  TEXT,
    carrier             TEXT NOT NULL,
    location            TEXT NOT NULL,
    pickup_date         TEXT NOT NULL,
    carrier_pickup_id   TEXT,
    shipment_count      BIGINT NOT NULL,
    created_at          BIGINT NOT NULL
);
-- COALESCE: the self-managed fleet has no account, and NULLs never collide.
CREATE UNIQUE INDEX pickups_one_per_day
    ON pickups (tenant_id, carrier, COALESCE(carrier_account_id, ''), location, pickup_date);
