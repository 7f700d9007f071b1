-- block: who blocks whom, now (unblocked_at is null) and in the past.
CREATE TABLE blocks (
    block_id     uuid NOT NULL,
    blocker_id   uuid NOT NULL,
    blocked_id   uuid NOT NULL,
    blocked_at   timestamptz NOT NULL,
    unblocked_at timestamptz,
    legacy_id    bigint NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
