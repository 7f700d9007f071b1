ALTER TABLE blocks ADD CONSTRAINT blocks_pkey PRIMARY KEY (block_id);
CREATE INDEX blocks_blocker ON blocks (blocker_id);
CREATE INDEX blocks_blocked ON blocks (blocked_id);
