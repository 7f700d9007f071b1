-- Full pages (fillfactor 100, not btree's 90): they are built once the
-- rows are in; pages split as usual if rows come later.
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (event_id) WITH (fillfactor = 100);
CREATE INDEX events_member ON events (member_id, occurred_at) WITH (fillfactor = 100);
CREATE INDEX events_time ON events (occurred_at) WITH (fillfactor = 100);
