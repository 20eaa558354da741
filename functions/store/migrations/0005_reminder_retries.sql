-- A claimed reminder may be claimed again once retry_at has passed: send-reminder sets it, backing off, when the
-- mail provider fails for the moment, and the claim sets it a lease ahead, so that a claim whose event was
-- lost (dead-lettered after the database was away too long, say) is taken again instead of waiting forever.
ALTER TABLE reminders ADD COLUMN retry_at timestamptz;
UPDATE reminders SET retry_at = coalesce(claimed_at, now()) + interval '10 minutes' WHERE state = 'claimed';
CREATE INDEX reminders_retry ON reminders (retry_at) WHERE state = 'claimed';
