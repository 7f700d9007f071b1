-- news: every member's feed (the rules: README.md beside this file).
-- members, search_profiles, items and blocks are what the events say;
-- feeds is derived from them by every load (load/src/postgres/news/).
CREATE TABLE members (
    member_id     uuid NOT NULL,
    gender        integer NOT NULL,       -- Gender: 0 unspecified, 1 woman, 2 man, 3 other
    birth_date    date,
    city          text,
    registered_at timestamptz NOT NULL,
    approved_at   timestamptz,
    deleted_at    timestamptz,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

-- One row per search-profile-set; a NULL means "any".
CREATE TABLE search_profiles (
    search_profile_id uuid NOT NULL,      -- the event's id
    member_id         uuid NOT NULL,
    seeking_gender    integer,
    age_min           integer NOT NULL,
    age_max           integer NOT NULL,
    city              text,
    set_at            timestamptz NOT NULL,
    created_at        timestamptz NOT NULL
);

-- What a feed can show: new members and photos (to whoever is interested),
-- flirts and visits (to their recipient).
CREATE TABLE items (
    item_id        uuid NOT NULL,         -- the event's id
    kind           text NOT NULL,         -- new-member, photo, flirt, visit
    from_member_id uuid NOT NULL,
    to_member_id   uuid,                  -- NULL for new-member and photo
    subject_id     uuid NOT NULL,         -- the member, photo, flirt or visit
    occurred_at    timestamptz NOT NULL,
    created_at     timestamptz NOT NULL
);

CREATE TABLE blocks (
    block_id     uuid NOT NULL,
    blocker_id   uuid NOT NULL,
    blocked_id   uuid NOT NULL,
    blocked_at   timestamptz NOT NULL,
    unblocked_at timestamptz,
    legacy_id    bigint NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);

CREATE VIEW current_blocks AS
SELECT DISTINCT ON (blocker_id, blocked_id) block_id, blocker_id, blocked_id, blocked_at
FROM blocks
WHERE unblocked_at IS NULL
ORDER BY blocker_id, blocked_id, blocked_at DESC, block_id;

-- One row per registered, never deleted member: the feed, newest first.
CREATE TABLE feeds (
    member_id  uuid NOT NULL,
    item_ids   uuid[] NOT NULL,
    visible    integer NOT NULL,          -- items shown
    hidden     integer NOT NULL,          -- items hidden by a block that holds
    feed_size  integer NOT NULL,          -- --news-feed-size it was built with
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

-- The feed as rows: position 1 is the newest. A member's visible feed is
-- WHERE member_id = $1 AND hidden_by_block_id IS NULL ORDER BY position.
CREATE VIEW feed_items AS
SELECT f.member_id, p.position::integer AS position, i.item_id, i.kind,
       i.from_member_id, i.subject_id, i.occurred_at,
       (SELECT b.block_id FROM current_blocks b
        WHERE b.blocker_id = f.member_id AND b.blocked_id = i.from_member_id) AS hidden_by_block_id
FROM feeds f
CROSS JOIN LATERAL unnest(f.item_ids) WITH ORDINALITY AS p(item_id, position)
JOIN items i ON i.item_id = p.item_id;
