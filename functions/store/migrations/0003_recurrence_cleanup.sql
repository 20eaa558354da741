-- Recurrence (one task per instance of a series), daily cleanup's indexes, and the dead-letter records.

-- A duplicate `completed` event, complete -> reopen -> complete, or a sweep racing the event can at
-- most try to insert the same instance twice: this key makes the second insert a no-op.
CREATE UNIQUE INDEX tasks_series_due_unique ON tasks (series_id, due_at) WHERE series_id IS NOT NULL;
DROP INDEX tasks_series;  -- same columns; the unique index serves its lookups

-- A series ends when its rule has no further instance (COUNT/UNTIL), when its latest task leaves it
-- (PATCH of due_at/timezone/recurrence starts a new series) or is deleted. The sweep skips ended ones.
ALTER TABLE series ADD COLUMN ended_at timestamptz;
CREATE INDEX series_open ON series (id) WHERE ended_at IS NULL;

-- daily-cleanup deletes by age in bounded batches; each purge reads one of these.
CREATE INDEX tasks_deleted ON tasks (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;
CREATE INDEX inbox_received ON inbox (received_at);
CREATE INDEX cron_ticks_claimed ON cron_ticks (claimed_at);
CREATE INDEX reminders_sent ON reminders (sent_at) WHERE state = 'sent';
CREATE INDEX reminders_cancelled ON reminders (updated_at) WHERE state = 'cancelled';
CREATE INDEX audit_by_time ON audit_log (at);
CREATE INDEX state_expiry ON state (expiredate) WHERE expiredate IS NOT NULL;
CREATE INDEX pubsub_messages_published ON pubsub_messages (published_at);

-- One row per (dead-letter topic, CloudEvent id). A redelivery changes nothing; the same event
-- dead-lettered again after a replay reopens its row (replayed_at back to NULL, times + 1).
CREATE TABLE dead_letters (
    id              uuid PRIMARY KEY,
    topic           text NOT NULL,          -- the dead-letter topic it arrived on, e.g. task-events-dlq
    original_topic  text NOT NULL,          -- where a replay sends it back
    event_id        text NOT NULL,
    event_type      text,
    reason          text,                   -- when the dead-lettering side said why
    event           jsonb NOT NULL,         -- the original CloudEvent, verbatim
    times           integer NOT NULL DEFAULT 1,
    received_at     timestamptz NOT NULL DEFAULT now(),
    replayed_at     timestamptz,
    replays         integer NOT NULL DEFAULT 0,
    UNIQUE (topic, event_id)
);
CREATE INDEX dead_letters_newest ON dead_letters (received_at DESC, id);
