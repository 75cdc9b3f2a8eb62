-- The dashboard's shipment search and filters, newest first within each
-- (phone numbers are stored normalized, +<calling code><number>), and its
-- carrier performance report over a creation-date range.
CREATE INDEX shipments_tenant_phone ON shipments (tenant_id, consignee_phone, id);
CREATE INDEX shipments_tenant_status ON shipments (tenant_id, status, id);
CREATE INDEX shipments_tenant_carrier ON shipments (tenant_id, carrier, id);
CREATE INDEX shipments_tenant_created ON shipments (tenant_id, created_at);
CREATE INDEX shipments_tenant_failed ON shipments (tenant_id, id) WHERE failed_attempts > 0;
