-- Threads from the messages, then retroactive blocks: a member sees no
-- thread with someone they currently block.
-- Rebuilt whole, with its key and indexes made afterwards: inserting two
-- million rows into random UUID keys one by one took 31 s on finland,
-- building them afterwards takes 3.
TRUNCATE threads;
ALTER TABLE threads DROP CONSTRAINT threads_pkey;
DROP INDEX threads_low_inbox;
DROP INDEX threads_high_inbox;

-- One pass over the messages, grouped by thread and pair (a thread is one
-- pair of members; the low member is the one whose id sorts first). The
-- planner prefers walking messages_thread here, which reads the heap in
-- random order and took 69 s at x10, hence the plain scan. The grouping
-- is hashed, never sorted: linear in the messages however many threads
-- there are (past work_mem the hash spills to disk in partitions, still
-- one pass each), where a sort grows as n log n. The planner would sort
-- once it expects more groups than work_mem holds.
SET LOCAL enable_indexscan = off;
SET LOCAL enable_bitmapscan = off;
SET LOCAL enable_sort = off;
INSERT INTO threads
    (thread_id, low_member_id, high_member_id, first_message_at, last_message_at,
     changed_at, messages, low_unread, high_unread)
SELECT thread_id,
       least(sender_id, recipient_id),
       greatest(sender_id, recipient_id),
       min(sent_at),
       max(sent_at),
       max(greatest(sent_at, read_at)),
       count(*),
       count(*) FILTER (WHERE read_at IS NULL AND recipient_id <= sender_id),
       count(*) FILTER (WHERE read_at IS NULL AND recipient_id > sender_id)
FROM messages
GROUP BY 1, 2, 3;
SET LOCAL enable_indexscan = on;
SET LOCAL enable_bitmapscan = on;
SET LOCAL enable_sort = on;

-- Full pages: the table is rebuilt whole at every load, never grown in place.
ALTER TABLE threads ADD CONSTRAINT threads_pkey PRIMARY KEY (thread_id) WITH (fillfactor = 100);
CREATE INDEX threads_low_inbox ON threads (low_member_id, last_message_at DESC)
    WITH (fillfactor = 100);
CREATE INDEX threads_high_inbox ON threads (high_member_id, last_message_at DESC)
    WITH (fillfactor = 100);

UPDATE threads t
SET low_hidden_by_block_id = b.block_id, low_hidden_at = b.blocked_at
FROM current_blocks b
WHERE b.blocker_id = t.low_member_id AND b.blocked_id = t.high_member_id;

UPDATE threads t
SET high_hidden_by_block_id = b.block_id, high_hidden_at = b.blocked_at
FROM current_blocks b
WHERE b.blocker_id = t.high_member_id AND b.blocked_id = t.low_member_id;
