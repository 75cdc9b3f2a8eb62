-- When the carrier first had the parcel (the first applied `picked_up` or
-- `in_transit` scan; see `ShipmentState::picked_up_at`), for pickup-to-delivery
-- turnaround. Existing rows: their earliest such scan.
ALTER TABLE shipments ADD COLUMN picked_up_at BIGINT;
UPDATE shipments SET picked_up_at =
    (SELECT MIN(occurred_at) FROM shipment_events e
     WHERE e.shipment_id = shipments.id AND e.status IN ('picked_up', 'in_transit'));

-- The carrier performance report's counts per carrier, lane (first three
-- characters of the pickup and delivery postal codes) and creation day
-- (days since 1970-01-01 in IST), kept up to date in the transaction that
-- stores a shipment or changes its state (storage::performance). A row with
-- both prefixes '*' counts all the carrier's lanes. Times in microseconds.
CREATE TABLE carrier_lane_daily_stats (
    tenant_id                  TEXT NOT NULL,
    origin_prefix              TEXT NOT NULL,
    destination_prefix         TEXT NOT NULL,
    carrier                    TEXT NOT NULL,
    day                        BIGINT NOT NULL,
    shipments                  BIGINT NOT NULL,
    delivered                  BIGINT NOT NULL,
    rto                        BIGINT NOT NULL,
    with_ndr                   BIGINT NOT NULL,
    promised                   BIGINT NOT NULL,
    on_time                    BIGINT NOT NULL,
    order_to_delivery_micros   BIGINT NOT NULL,
    picked_up_and_delivered    BIGINT NOT NULL,
    pickup_to_delivery_micros  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, origin_prefix, destination_prefix, carrier, day)
) WITHOUT ROWID;

INSERT INTO carrier_lane_daily_stats
SELECT tenant_id, substr(pickup_postal_code, 1, 3), substr(consignee_postal_code, 1, 3), carrier,
    (created_at / 1000000 + 19800) / 86400,
    COUNT(*),
    SUM(CASE WHEN status = 'delivered' THEN 1 ELSE 0 END),
    SUM(CASE WHEN substr(status, 1, 4) = 'rto_' THEN 1 ELSE 0 END),
    SUM(CASE WHEN failed_attempts > 0 THEN 1 ELSE 0 END),
    SUM(CASE WHEN status = 'delivered' AND last_event_at IS NOT NULL AND json_extract(details, '$.promise.date') IS NOT NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN status = 'delivered' AND last_event_at IS NOT NULL AND json_extract(details, '$.promise.date') IS NOT NULL
        AND (last_event_at / 1000000 + 19800) / 86400 <= CAST(julianday(json_extract(details, '$.promise.date')) - 2440587.5 AS INTEGER) THEN 1 ELSE 0 END),
    SUM(CASE WHEN status = 'delivered' AND last_event_at IS NOT NULL THEN last_event_at - created_at ELSE 0 END),
    SUM(CASE WHEN status = 'delivered' AND last_event_at IS NOT NULL AND picked_up_at IS NOT NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN status = 'delivered' AND last_event_at IS NOT NULL AND picked_up_at IS NOT NULL THEN last_event_at - picked_up_at ELSE 0 END)
FROM shipments
GROUP BY tenant_id, substr(pickup_postal_code, 1, 3), substr(consignee_postal_code, 1, 3), carrier,
    (created_at / 1000000 + 19800) / 86400;

INSERT INTO carrier_lane_daily_stats
SELECT tenant_id, '*', '*', carrier, day, SUM(shipments), SUM(delivered), SUM(rto), SUM(with_ndr),
    SUM(promised), SUM(on_time), SUM(order_to_delivery_micros), SUM(picked_up_and_delivered),
    SUM(pickup_to_delivery_micros)
FROM carrier_lane_daily_stats
GROUP BY tenant_id, carrier, day;

-- Shipments ever created per carrier and lane: the report ranks lanes by
-- it (ranking within an arbitrary range would read every lane's day rows).
CREATE TABLE carrier_lanes (
    tenant_id           TEXT NOT NULL,
    carrier             TEXT NOT NULL,
    origin_prefix       TEXT NOT NULL,
    destination_prefix  TEXT NOT NULL,
    shipments           BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, carrier, origin_prefix, destination_prefix)
);
CREATE INDEX carrier_lanes_busiest ON carrier_lanes
    (tenant_id, shipments, carrier, origin_prefix, destination_prefix);

INSERT INTO carrier_lanes
SELECT tenant_id, carrier, origin_prefix, destination_prefix, SUM(shipments)
FROM carrier_lane_daily_stats
WHERE origin_prefix <> '*'
GROUP BY tenant_id, carrier, origin_prefix, destination_prefix;
