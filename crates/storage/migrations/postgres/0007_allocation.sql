-- How a shipment's carrier account was chosen (strategy, rule, ranked reasons).
ALTER TABLE shipments ADD COLUMN allocation TEXT;

-- Per-tenant settings, as JSON documents (allocation rules, …).
CREATE TABLE tenant_settings (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    value       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
