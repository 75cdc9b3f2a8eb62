-- Who changed which configuration, and when: one row per change, written in
-- the transaction that makes it. The summary is JSON without secrets or
-- personal data (credentials by name only). Read newest first per tenant.
CREATE TABLE audit_log (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    at           BIGINT NOT NULL,
    -- `api_key` (actor_id: the key's id), `user` (a dashboard user's id) or
    -- `system` (the CLI and the sandbox's own setup; no id).
    actor_kind   TEXT NOT NULL,
    actor_id     TEXT,
    action       TEXT NOT NULL,
    object_type  TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    summary      TEXT NOT NULL,
    request_id   TEXT
);
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at DESC, id);
