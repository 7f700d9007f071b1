-- audit v3: each payload compressed as one zstd frame, with a dictionary
-- trained on the stream's own payloads and kept here. PostgreSQL leaves
-- rows under about 2 KB uncompressed, and the payloads are mostly message
-- bodies of a few hundred bytes; against the dictionary they take about
-- half. On finland: 500 bytes for a message's payload before.
--
-- A payload is read back in two steps: zstd-decompress it with the
-- dictionary whose id its frame header carries (dictionary_id here; a
-- frame naming no dictionary needs none; `zstd -d -D dictionary.bin`
-- reads one too), then `Event::decode(bytes).payload` as in version 2.
--
-- As from version 1, the rows cannot be rewritten in SQL, and the audit
-- log is a pure function of the stream: the table is made anew and its
-- parts forgotten, so the next load writes every row again.
DROP TABLE events;

CREATE TABLE events (
    event_id     uuid NOT NULL,
    member_id    uuid NOT NULL,
    occurred_at  timestamptz NOT NULL,
    source_key   bigint NOT NULL,
    created_at   timestamptz NOT NULL,
    kind         event_kind NOT NULL,
    source_table text NOT NULL,
    -- A zstd frame of an Event holding only the payload.
    payload      bytea NOT NULL
);

-- One dictionary per database, trained before the first part is written.
DROP TABLE IF EXISTS payload_dictionaries;
CREATE TABLE payload_dictionaries (
    dictionary_id bigint PRIMARY KEY,
    dictionary    bytea NOT NULL,
    -- What it was trained on: payloads, and their bytes. No time of
    -- training: two loads of one stream give identical rows.
    samples       integer NOT NULL,
    sample_bytes  bigint NOT NULL
);

DELETE FROM pancake.parts;
UPDATE pancake.stream SET finished_at = NULL, indexes_built = false;
