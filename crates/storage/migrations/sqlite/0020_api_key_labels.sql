-- A label per secret API key ("warehouse scanner"), to tell keys apart in
-- the dashboard and GET /v1/api-keys.
ALTER TABLE api_keys ADD COLUMN label TEXT;
