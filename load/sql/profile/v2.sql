-- profile v2: the member's "about me", height and last login on the legacy
-- site (all NULL where the member left them empty, and for rows loaded
-- before v2).
ALTER TABLE members
    ADD COLUMN profile_text  text,
    ADD COLUMN height_cm     integer,
    ADD COLUMN last_login_at timestamptz;
