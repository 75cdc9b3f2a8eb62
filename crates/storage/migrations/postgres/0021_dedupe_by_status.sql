-- Carrier scans (pushed or polled) were de-duplicated by the carrier's raw code at the exact
-- instant; they now are by the normalized status in the minute it happened
-- (`ShipmentEvent::dedupe_key`), because a carrier's push and its tracking
-- answer can name the same scan with different codes and precisions.
-- Rekey the stored carrier events so a repeat of an old scan still matches.
-- Where one status in one minute is already stored twice (duplicates the old
-- key let in), the first keeps the new key and the others their old one:
-- nothing is deleted.
UPDATE shipment_events
SET dedupe_key = status || '@m' || (occurred_at / 60000000)
WHERE source IN ('carrier_push', 'carrier_pull')
  AND seq IN (
      SELECT MIN(seq) FROM shipment_events
      WHERE source IN ('carrier_push', 'carrier_pull')
      GROUP BY shipment_id, status, occurred_at / 60000000
  )
  AND NOT EXISTS (
      SELECT 1 FROM shipment_events other
      WHERE other.shipment_id = shipment_events.shipment_id
        AND other.dedupe_key = shipment_events.status || '@m' || (shipment_events.occurred_at / 60000000)
  );
