-- The loader's own bookkeeping, in every module database: which schema
-- version is applied, which event stream the database holds, which parts of
-- it are loaded, and state changes still waiting for their row.
CREATE SCHEMA IF NOT EXISTS pancake;

CREATE TABLE IF NOT EXISTS pancake.schema_version (
    module     text PRIMARY KEY,
    version    integer NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS pancake.stream (
    only_one    boolean PRIMARY KEY DEFAULT true CHECK (only_one),
    fingerprint text NOT NULL,
    created_at  text NOT NULL,
    source      text NOT NULL,
    -- Set once every part is loaded and the module's finishing steps ran.
    finished_at timestamptz,
    indexes_built boolean NOT NULL DEFAULT false
);

-- One row per loaded part, written in the same transaction as its rows.
CREATE TABLE IF NOT EXISTS pancake.parts (
    stream_table text NOT NULL,
    part         integer NOT NULL,
    events       bigint NOT NULL,
    rows         jsonb NOT NULL,
    loaded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stream_table, part)
);

-- A state change (a read, an approval, an unblock...) whose row was not in
-- the same part: applied by key once every part is loaded.
CREATE TABLE IF NOT EXISTS pancake.pending (
    tbl text NOT NULL,
    key uuid NOT NULL,
    col text NOT NULL,
    at  timestamptz NOT NULL
);
