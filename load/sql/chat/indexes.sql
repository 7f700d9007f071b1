ALTER TABLE messages ADD CONSTRAINT messages_pkey PRIMARY KEY (message_id);
CREATE INDEX messages_thread ON messages (thread_id, sent_at);
ALTER TABLE blocks ADD CONSTRAINT blocks_pkey PRIMARY KEY (block_id);
CREATE INDEX blocks_pair ON blocks (blocker_id, blocked_id);
