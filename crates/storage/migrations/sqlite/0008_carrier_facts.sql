-- What the carrier itself says about a shipment, beyond scans: its own
-- estimated delivery date, its attempt count, and who received the parcel.
ALTER TABLE shipments ADD COLUMN carrier_edd TEXT;
ALTER TABLE shipments ADD COLUMN carrier_attempts BIGINT;
ALTER TABLE shipments ADD COLUMN proof_of_delivery TEXT;
