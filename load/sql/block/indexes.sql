ALTER TABLE blocks ADD CONSTRAINT blocks_pkey PRIMARY KEY (block_id) WITH (fillfactor = 100);
CREATE INDEX blocks_blocker ON blocks (blocker_id) WITH (fillfactor = 100);
CREATE INDEX blocks_blocked ON blocks (blocked_id) WITH (fillfactor = 100);
