-- Users, tasks, series, reminders, and the event plumbing (outbox, inbox, cron ticks), audit trail.
CREATE TABLE users (
    id          text PRIMARY KEY,
    email       text,
    timezone    text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE series (
    id          uuid PRIMARY KEY,
    user_id     text NOT NULL REFERENCES users (id),
    rrule       text NOT NULL,
    anchor      timestamptz NOT NULL,   -- DTSTART: the first due date
    timezone    text NOT NULL,          -- the IANA zone DTSTART is local to
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tasks (
    id            uuid PRIMARY KEY,
    user_id       text NOT NULL REFERENCES users (id),
    title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description   text CHECK (length(description) <= 10000),
    priority      smallint NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 3),
    tags          text[] NOT NULL DEFAULT '{}',
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    due_at        timestamptz,
    -- Keyset pagination needs a total order; "no due date" sorts after every date.
    due_key       timestamptz NOT NULL GENERATED ALWAYS AS (coalesce(due_at, '9999-12-31 00:00:00+00'::timestamptz)) STORED,
    timezone      text NOT NULL DEFAULT 'UTC',
    recurrence    text,
    series_id     uuid REFERENCES series (id),
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    deleted_at    timestamptz,
    search        tsvector GENERATED ALWAYS AS
                  (to_tsvector('simple', title || ' ' || coalesce(description, ''))) STORED
);
CREATE INDEX tasks_by_created ON tasks (user_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX tasks_by_due ON tasks (user_id, due_key, id) WHERE deleted_at IS NULL;
CREATE INDEX tasks_by_priority ON tasks (user_id, priority, id) WHERE deleted_at IS NULL;
CREATE INDEX tasks_tags ON tasks USING gin (tags) WHERE deleted_at IS NULL;
CREATE INDEX tasks_search ON tasks USING gin (search) WHERE deleted_at IS NULL;
CREATE INDEX tasks_series ON tasks (series_id, due_at) WHERE series_id IS NOT NULL;

CREATE TABLE reminders (
    id          uuid PRIMARY KEY,
    task_id     uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    user_id     text NOT NULL,
    before      interval,
    at          timestamptz,
    remind_at   timestamptz NOT NULL,
    state       text NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'claimed', 'sent', 'cancelled', 'failed')),
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    CHECK ((before IS NULL) <> (at IS NULL))
);
-- The claim scans only what is pending, so its cost follows the number due, not the number of tasks.
CREATE INDEX reminders_pending ON reminders (remind_at) WHERE state = 'pending';
CREATE INDEX reminders_task ON reminders (task_id);

CREATE TABLE outbox (
    id            uuid PRIMARY KEY,       -- also the CloudEvent id
    topic         text NOT NULL,
    key           text NOT NULL,
    event         jsonb NOT NULL,         -- the whole CloudEvent, published verbatim
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    published_at  timestamptz,
    attempts      integer NOT NULL DEFAULT 0
);
CREATE INDEX outbox_unpublished ON outbox (created_at) WHERE published_at IS NULL;

CREATE TABLE inbox (
    consumer     text NOT NULL,
    event_id     text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE cron_ticks (
    function    text NOT NULL,
    tick        timestamptz NOT NULL,
    claimed_at  timestamptz NOT NULL DEFAULT now(),
    claimed_by  text NOT NULL,
    PRIMARY KEY (function, tick)
);

CREATE TABLE audit_log (
    id           uuid PRIMARY KEY,        -- the audit-logs event id: a redelivery cannot add a row
    user_id      text NOT NULL,
    actor        text NOT NULL,
    actor_type   text NOT NULL CHECK (actor_type IN ('user', 'function')),
    action       text NOT NULL,
    task_id      uuid,
    at           timestamptz NOT NULL,
    before       jsonb NOT NULL DEFAULT '{}',
    after        jsonb NOT NULL DEFAULT '{}',
    details      jsonb NOT NULL DEFAULT '{}',
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_by_user ON audit_log (user_id, at DESC, id DESC);
CREATE INDEX audit_by_task ON audit_log (user_id, task_id, at DESC, id DESC);

-- The state store, laid out as Dapr's state.postgresql v1 table so data carries over (etag = xmin).
CREATE TABLE IF NOT EXISTS state (
    key         text NOT NULL PRIMARY KEY,
    value       jsonb NOT NULL,
    isbinary    boolean NOT NULL,
    insertdate  timestamptz NOT NULL DEFAULT now(),
    updatedate  timestamptz,
    expiredate  timestamptz
);

-- The embedded runtime's durable pub/sub: a log per topic and one delivery row per subscriber.
CREATE TABLE pubsub_messages (
    id            bigserial PRIMARY KEY,
    topic         text NOT NULL,
    key           text,
    event         jsonb NOT NULL,
    published_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pubsub_messages_topic ON pubsub_messages (topic, id);

CREATE TABLE pubsub_deliveries (
    id                bigserial PRIMARY KEY,
    message_id        bigint NOT NULL REFERENCES pubsub_messages (id) ON DELETE CASCADE,
    app_id            text NOT NULL,
    route             text NOT NULL,
    dead_letter_topic text,
    attempts          integer NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    last_error        text
);
CREATE INDEX pubsub_deliveries_due ON pubsub_deliveries (next_attempt_at, id);
