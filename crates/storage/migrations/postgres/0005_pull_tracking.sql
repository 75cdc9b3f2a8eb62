-- When to ask the carrier next about a shipment (pull tracking); NULL for
-- shipments nobody polls (the self-managed fleet, terminal statuses).
ALTER TABLE shipments ADD COLUMN next_poll_at BIGINT;
CREATE INDEX shipments_next_poll_at ON shipments (next_poll_at);
