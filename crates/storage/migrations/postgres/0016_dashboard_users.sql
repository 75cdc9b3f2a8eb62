-- People who sign in to the merchant dashboard (`/app`), one tenant each.
-- Emails are stored lower-cased and are unique across tenants, so signing
-- in needs no tenant. Passwords are kept as Argon2id PHC strings.
CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    email          TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX users_tenant ON users (tenant_id);

-- Dashboard sessions: only a SHA-256 of the cookie's token is kept, with the
-- session's CSRF token (a random value the pages put in every form).
CREATE TABLE user_sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);
CREATE INDEX user_sessions_expires ON user_sessions (expires_at);
