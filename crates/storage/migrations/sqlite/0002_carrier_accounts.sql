-- Carrier accounts: a tenant's credentials at a carrier (encrypted by the
-- application before they reach the database), where to call it, and settings.
CREATE TABLE carrier_accounts (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    carrier      TEXT NOT NULL,
    name         TEXT NOT NULL,
    -- NULL for sandbox accounts: they call the built-in simulator.
    base_url     TEXT,
    credentials  TEXT NOT NULL,
    settings     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX carrier_accounts_tenant ON carrier_accounts (tenant_id, id DESC);

ALTER TABLE shipments ADD COLUMN carrier_account_id TEXT REFERENCES carrier_accounts(id);
ALTER TABLE shipments ADD COLUMN routing_code TEXT;
