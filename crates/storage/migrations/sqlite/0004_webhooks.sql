-- Merchant webhooks (outbound), delivered the Standard Webhooks way.

-- Where a tenant wants events sent. The signing secrets are sealed by the
-- application (like carrier credentials) before they reach the database.
CREATE TABLE webhook_endpoints (
    id                          TEXT PRIMARY KEY,
    tenant_id                   TEXT NOT NULL REFERENCES tenants(id),
    url                         TEXT NOT NULL,
    description                 TEXT,
    -- JSON array of the event types subscribed to.
    event_types                 TEXT NOT NULL,
    enabled                     BOOLEAN NOT NULL,
    -- Why Shipgate disabled the endpoint (NULL when the merchant did, or it is enabled).
    disabled_reason             TEXT,
    secret                      TEXT NOT NULL,
    -- After a rotation the old secret signs too, until it expires.
    previous_secret             TEXT,
    previous_secret_expires_at  BIGINT,
    -- Start of the current run of failed attempts; NULL after any success.
    failing_since               BIGINT,
    created_at                  BIGINT NOT NULL,
    updated_at                  BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id, id DESC);

-- One message per event and endpoint; its id is the `webhook-id` header and
-- its payload the exact body every attempt sends (and signs).
CREATE TABLE webhook_messages (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints(id),
    -- The event this message carries: fanning one event out twice is a no-op.
    event_key        TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    payload          TEXT NOT NULL,
    -- pending | delivered | failed
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL,
    next_attempt_at  BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (endpoint_id, event_key)
);
CREATE INDEX webhook_messages_endpoint ON webhook_messages (endpoint_id, id DESC);

-- Every delivery attempt, kept for the merchant to inspect.
CREATE TABLE webhook_attempts (
    message_id        TEXT NOT NULL REFERENCES webhook_messages(id),
    attempt           BIGINT NOT NULL,
    -- The job that made the attempt: a job re-run after its lease ran out
    -- finds its attempt recorded and does not send again.
    job_id            TEXT NOT NULL UNIQUE,
    -- scheduled | replay
    trigger_kind      TEXT NOT NULL,
    started_at        BIGINT NOT NULL,
    status_code       BIGINT,
    latency_ms        BIGINT NOT NULL,
    response_excerpt  TEXT,
    error             TEXT,
    next_attempt_at   BIGINT,
    PRIMARY KEY (message_id, attempt)
);
