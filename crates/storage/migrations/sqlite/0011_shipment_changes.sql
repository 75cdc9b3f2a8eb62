-- Every modification of a shipment: what changed, from what, and who did it.
CREATE TABLE shipment_changes (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    shipment_id  TEXT NOT NULL REFERENCES shipments(id),
    actor        TEXT NOT NULL,
    changes      TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX shipment_changes_shipment ON shipment_changes (shipment_id, created_at);
