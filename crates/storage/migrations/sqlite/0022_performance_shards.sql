-- The PostgreSQL store spreads each row of `carrier_lane_daily_stats` over a
-- few copies (`shard`) so concurrent writers do not queue on one row's lock.
-- SQLite has one writer and always writes copy 0; the table has the same
-- key on both so one upsert serves both. SQLite cannot change a primary
-- key in place: the table is rebuilt.
CREATE TABLE carrier_lane_daily_stats_sharded (
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
    shard                      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, origin_prefix, destination_prefix, carrier, day, shard)
) WITHOUT ROWID;

INSERT INTO carrier_lane_daily_stats_sharded
SELECT tenant_id, origin_prefix, destination_prefix, carrier, day, shipments, delivered, rto,
    with_ndr, promised, on_time, order_to_delivery_micros, picked_up_and_delivered,
    pickup_to_delivery_micros, 0
FROM carrier_lane_daily_stats;

DROP TABLE carrier_lane_daily_stats;
ALTER TABLE carrier_lane_daily_stats_sharded RENAME TO carrier_lane_daily_stats;
