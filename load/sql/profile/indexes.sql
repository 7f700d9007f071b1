ALTER TABLE members ADD CONSTRAINT members_pkey PRIMARY KEY (member_id);
CREATE INDEX members_legacy_id ON members (legacy_id);
CREATE INDEX members_email ON members (email);
