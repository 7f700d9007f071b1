-- favorite: who keeps whom as a favorite; removal is soft (removed_at).
CREATE TABLE favorites (
    favorite_id        uuid NOT NULL,
    member_id          uuid NOT NULL,
    favorite_member_id uuid NOT NULL,
    added_at           timestamptz NOT NULL,
    removed_at         timestamptz,
    legacy_id          bigint NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);
