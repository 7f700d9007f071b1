ALTER TABLE favorites ADD CONSTRAINT favorites_pkey PRIMARY KEY (favorite_id) WITH (fillfactor = 100);
CREATE INDEX favorites_member ON favorites (member_id) WITH (fillfactor = 100);
CREATE INDEX favorites_favorite_member ON favorites (favorite_member_id) WITH (fillfactor = 100);
