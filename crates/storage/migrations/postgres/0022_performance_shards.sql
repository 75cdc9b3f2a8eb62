-- Every transaction that stores a shipment or changes its state adds to its
-- carrier's all-lanes row of the day in `carrier_lane_daily_stats`; with
-- several writers at once they queued on that one row's lock until each
-- committed. Each transaction now adds to one of a few copies of a row
-- (`shard`, chosen per transaction) and the report sums them.
ALTER TABLE carrier_lane_daily_stats ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE carrier_lane_daily_stats DROP CONSTRAINT carrier_lane_daily_stats_pkey;
ALTER TABLE carrier_lane_daily_stats
    ADD PRIMARY KEY (tenant_id, origin_prefix, destination_prefix, carrier, day, shard);
