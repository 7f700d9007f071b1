ALTER TABLE alerts ADD CONSTRAINT alerts_pkey PRIMARY KEY (alert_id);
CREATE INDEX alerts_inbox ON alerts (member_id, occurred_at DESC);
ALTER TABLE blocks ADD CONSTRAINT blocks_pkey PRIMARY KEY (block_id);
CREATE INDEX blocks_pair ON blocks (blocker_id, blocked_id);
