-- Incremental folds: when the latest of a shipment's events (applied or
-- not) happened, so a newer scan is folded onto the stored state without
-- reading the history. NULL: no events.
ALTER TABLE shipments ADD COLUMN latest_event_at BIGINT;
UPDATE shipments SET latest_event_at =
    (SELECT MAX(occurred_at) FROM shipment_events e WHERE e.shipment_id = shipments.id);

-- Webhook messages are the outbox: delivery claims due ones straight from
-- here (next_attempt_at moves ahead by the lease; claimed_by names the claim
-- that may record the attempt) instead of through a job per attempt.
ALTER TABLE webhook_messages ADD COLUMN claimed_by TEXT;
-- Scheduled attempts made so far: which wait of the retry schedule is next.
ALTER TABLE webhook_messages ADD COLUMN schedule_step BIGINT NOT NULL DEFAULT 0;
CREATE INDEX webhook_messages_due ON webhook_messages (next_attempt_at) WHERE status = 'pending';
