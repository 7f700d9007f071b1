-- chat v3: one row per thread instead of one per member and thread. The
-- two sides of a thread share everything but the unread count and the
-- block that hides it, so they are one row with a column per side, and
-- thread_members is a view unfolding each row into its sides, with the
-- columns and types of version 2 (created_at is the first message, as it
-- always was). On finland this halves the derived rows (2.1M to 1.1M) and
-- its key (thread_id alone): 312 bytes per stream event before.
-- A thread id is made from its pair of members (transform's ids::thread),
-- so thread_id alone is the key.
DROP TABLE thread_members;

CREATE TABLE threads (
    thread_id               uuid NOT NULL,
    low_member_id           uuid NOT NULL,
    high_member_id          uuid NOT NULL,
    first_message_at        timestamptz NOT NULL,
    last_message_at         timestamptz NOT NULL,
    -- The last message sent or read.
    changed_at              timestamptz NOT NULL,
    messages                integer NOT NULL,
    low_unread              integer NOT NULL,
    high_unread             integer NOT NULL,
    -- A side hidden by a current block, and when that block was made.
    low_hidden_by_block_id  uuid,
    low_hidden_at           timestamptz,
    high_hidden_by_block_id uuid,
    high_hidden_at          timestamptz,
    CONSTRAINT threads_pkey PRIMARY KEY (thread_id) WITH (fillfactor = 100)
);
CREATE INDEX threads_low_inbox ON threads (low_member_id, last_message_at DESC)
    WITH (fillfactor = 100);
CREATE INDEX threads_high_inbox ON threads (high_member_id, last_message_at DESC)
    WITH (fillfactor = 100);

-- A UNION ALL rather than a lateral unfold, so that `WHERE member_id = $1`
-- reaches each branch and uses its inbox index.
CREATE VIEW thread_members AS
SELECT thread_id, low_member_id AS member_id, high_member_id AS other_member_id,
       first_message_at, last_message_at, messages::bigint AS messages,
       low_unread::bigint AS unread, low_hidden_by_block_id AS hidden_by_block_id,
       first_message_at AS created_at, greatest(changed_at, low_hidden_at) AS updated_at
FROM threads
UNION ALL
-- A note to oneself has one side.
SELECT thread_id, high_member_id, low_member_id,
       first_message_at, last_message_at, messages::bigint,
       high_unread::bigint, high_hidden_by_block_id,
       first_message_at, greatest(changed_at, high_hidden_at)
FROM threads
WHERE low_member_id <> high_member_id;

-- The threads are rebuilt by the finishing steps: run them again.
UPDATE pancake.stream SET finished_at = NULL;
