-- Full pages (fillfactor 100, not btree's 90): they are built once the
-- rows are in; pages split as usual if rows come later.
ALTER TABLE messages ADD CONSTRAINT messages_pkey PRIMARY KEY (message_id) WITH (fillfactor = 100);
CREATE INDEX messages_thread ON messages (thread_id, sent_at) WITH (fillfactor = 100);
ALTER TABLE blocks ADD CONSTRAINT blocks_pkey PRIMARY KEY (block_id) WITH (fillfactor = 100);
CREATE INDEX blocks_pair ON blocks (blocker_id, blocked_id) WITH (fillfactor = 100);
