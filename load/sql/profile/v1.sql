-- profile: members, with registration, approval and deletion state.
-- Keys are the event-derived UUIDs; deletion is soft (deleted_at).
CREATE TABLE members (
    member_id     uuid NOT NULL,
    legacy_id     bigint NOT NULL,
    nickname      text NOT NULL,
    email         text NOT NULL,
    gender        text NOT NULL,
    birth_date    date,
    city          text,
    portrait_url  text,
    registered_at timestamptz NOT NULL,
    approved_at   timestamptz,
    deleted_at    timestamptz,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
