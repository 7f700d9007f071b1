ALTER TABLE members ADD CONSTRAINT members_pkey PRIMARY KEY (member_id) WITH (fillfactor = 100);
ALTER TABLE search_profiles ADD CONSTRAINT search_profiles_pkey PRIMARY KEY (search_profile_id) WITH (fillfactor = 100);
CREATE INDEX search_profiles_member ON search_profiles (member_id) WITH (fillfactor = 100);
ALTER TABLE items ADD CONSTRAINT items_pkey PRIMARY KEY (item_id) WITH (fillfactor = 100);
CREATE INDEX items_from ON items (from_member_id) WITH (fillfactor = 100);
ALTER TABLE blocks ADD CONSTRAINT blocks_pkey PRIMARY KEY (block_id) WITH (fillfactor = 100);
CREATE INDEX blocks_pair ON blocks (blocker_id, blocked_id) WITH (fillfactor = 100);
ALTER TABLE feeds ADD CONSTRAINT feeds_pkey PRIMARY KEY (member_id);
