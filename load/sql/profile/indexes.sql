ALTER TABLE members ADD CONSTRAINT members_pkey PRIMARY KEY (member_id) WITH (fillfactor = 100);
CREATE INDEX members_legacy_id ON members (legacy_id) WITH (fillfactor = 100);
CREATE INDEX members_email ON members (email) WITH (fillfactor = 100);
