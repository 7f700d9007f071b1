-- alerts: what a member is notified of (flirts, visits, photo likes,
-- favorites received). Blocks are the module's own copy: a member sees no
-- alert from someone they currently block.
CREATE TABLE alerts (
    alert_id           uuid NOT NULL,
    member_id          uuid NOT NULL,
    from_member_id     uuid NOT NULL,
    kind               text NOT NULL,
    subject_id         uuid NOT NULL,
    photo_id           uuid,
    occurred_at        timestamptz NOT NULL,
    hidden_by_block_id uuid,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);

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

CREATE VIEW current_blocks AS
SELECT DISTINCT ON (blocker_id, blocked_id) block_id, blocker_id, blocked_id, blocked_at
FROM blocks
WHERE unblocked_at IS NULL
ORDER BY blocker_id, blocked_id, blocked_at DESC, block_id;
