-- chat: messages with read state, and each member's threads. Blocks are
-- the module's own copy: a member sees no thread with someone they
-- currently block.
CREATE TABLE messages (
    message_id   uuid NOT NULL,
    thread_id    uuid NOT NULL,
    sender_id    uuid NOT NULL,
    recipient_id uuid NOT NULL,
    body         text NOT NULL,
    sent_at      timestamptz NOT NULL,
    read_at      timestamptz,
    legacy_id    bigint NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
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

-- A member's side of a thread (two rows per thread), derived from the
-- messages after each load.
CREATE TABLE thread_members (
    thread_id          uuid NOT NULL,
    member_id          uuid NOT NULL,
    other_member_id    uuid NOT NULL,
    first_message_at   timestamptz NOT NULL,
    last_message_at    timestamptz NOT NULL,
    messages           bigint NOT NULL,
    unread             bigint NOT NULL,
    hidden_by_block_id uuid,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    PRIMARY KEY (thread_id, member_id)
);
CREATE INDEX thread_members_inbox ON thread_members (member_id, last_message_at DESC);
