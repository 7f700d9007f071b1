-- audit: every event, with its kind, time, member, legacy source and
-- payload (the event's own fields as JSON).
CREATE TABLE events (
    event_id     uuid NOT NULL,
    kind         text NOT NULL,
    occurred_at  timestamptz NOT NULL,
    member_id    uuid NOT NULL,
    source_table text NOT NULL,
    source_key   bigint NOT NULL,
    payload      jsonb NOT NULL,
    created_at   timestamptz NOT NULL
);
