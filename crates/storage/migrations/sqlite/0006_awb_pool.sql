-- AWBs fetched from a carrier in bulk ahead of use; each is handed out once.
CREATE TABLE awb_pool (
    carrier_account_id  TEXT NOT NULL REFERENCES carrier_accounts(id),
    awb                 TEXT NOT NULL,
    fetched_at          BIGINT NOT NULL,
    taken_at            BIGINT,
    PRIMARY KEY (carrier_account_id, awb)
);
CREATE INDEX awb_pool_available ON awb_pool (carrier_account_id, taken_at, fetched_at);
