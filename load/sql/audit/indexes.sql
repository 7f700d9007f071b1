ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (event_id);
CREATE INDEX events_member ON events (member_id, occurred_at);
CREATE INDEX events_time ON events (occurred_at);
