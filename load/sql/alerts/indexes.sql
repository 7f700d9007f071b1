ALTER TABLE alerts ADD CONSTRAINT alerts_pkey PRIMARY KEY (alert_id) WITH (fillfactor = 100);
CREATE INDEX alerts_inbox ON alerts (member_id, occurred_at DESC) WITH (fillfactor = 100);
ALTER TABLE blocks ADD CONSTRAINT blocks_pkey PRIMARY KEY (block_id) WITH (fillfactor = 100);
CREATE INDEX blocks_pair ON blocks (blocker_id, blocked_id) WITH (fillfactor = 100);
