-- Publishable keys: safe to put in a web page. They may only look up
-- delivery estimates and serviceability, from the origins listed for them.
-- As with secret keys, only a SHA-256 of the key is kept.
CREATE TABLE publishable_keys (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    key_hash    TEXT NOT NULL UNIQUE,
    key_prefix  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX publishable_keys_tenant ON publishable_keys (tenant_id);

-- The web origins (scheme://host[:port]) a key may be used from; a CORS
-- preflight carries no key, so it is answered by origin alone.
CREATE TABLE publishable_key_origins (
    key_id  TEXT NOT NULL REFERENCES publishable_keys(id),
    origin  TEXT NOT NULL,
    PRIMARY KEY (key_id, origin)
);
CREATE INDEX publishable_key_origins_origin ON publishable_key_origins (origin);
