-- Delivered shipments the EDD model learns from: Shipgate's own deliveries
-- and imported history. Times are the lane's local civil time (ISO 8601).
-- The model pools transit times across tenants (they describe carriers, not
-- merchants); processing time stays keyed by its scope (tenant or seller).
CREATE TABLE edd_observations (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    source         TEXT NOT NULL,
    source_ref     TEXT NOT NULL,
    tenant_id      TEXT,
    country        TEXT NOT NULL,
    carrier        TEXT NOT NULL,
    service        TEXT NOT NULL,
    scope          TEXT NOT NULL,
    origin         TEXT NOT NULL,
    destination    TEXT NOT NULL,
    ordered_at     TEXT NOT NULL,
    picked_up_at   TEXT,
    delivered_at   TEXT NOT NULL,
    promised_date  TEXT
);
-- Re-importing a file or re-delivering a shipment's last scan adds nothing.
CREATE UNIQUE INDEX edd_observations_source ON edd_observations (source, source_ref);

-- What each carrier account serves, per postal code (from the carrier's
-- pincode API or a CSV).
CREATE TABLE serviceability (
    tenant_id           TEXT NOT NULL REFERENCES tenants(id),
    carrier_account_id  TEXT NOT NULL REFERENCES carrier_accounts(id),
    postal_code         TEXT NOT NULL,
    prepaid             BOOLEAN NOT NULL,
    cod                 BOOLEAN NOT NULL,
    pickup              BOOLEAN NOT NULL,
    reverse             BOOLEAN NOT NULL,
    oda                 BOOLEAN NOT NULL,
    embargo             BOOLEAN NOT NULL,
    max_weight_grams    BIGINT,
    max_cod_minor       BIGINT,
    updated_at          BIGINT NOT NULL,
    PRIMARY KEY (carrier_account_id, postal_code)
);
CREATE INDEX serviceability_lookup ON serviceability (tenant_id, postal_code);
