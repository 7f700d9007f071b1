//! What each module database holds of a load, read without changing
//! anything: for showing a plan before a run and for reconciling after one.

use super::{PgError, PgOptions, StreamId, targets};
use pancake_proto::Manifest;
use sqlx::Row as _;
use std::collections::BTreeMap;

/// One module database's share of a load, from its bookkeeping
/// (`pancake.parts`, `pancake.stream`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    pub module: &'static str,
    /// `postgres://user@host:port/database`.
    pub database: String,
    /// The database exists and holds pancake's bookkeeping.
    pub exists: bool,
    /// Whether it holds the stream given (`None`: no stream given, or no
    /// stream recorded yet).
    pub this_stream: Option<bool>,
    /// Stream parts loaded.
    pub parts: u64,
    /// Events of the kinds the module consumes, in the loaded parts.
    pub events: u64,
    /// Rows copied per table by the loaded parts.
    pub rows: BTreeMap<String, u64>,
    /// Every part loaded and the finishing steps ran.
    pub finished: bool,
}

impl Loaded {
    pub fn rows_total(&self) -> u64 {
        self.rows.values().sum()
    }
}

/// What every module `options` selects holds, compared with `stream` (the
/// event stream's manifest) when given. Creates nothing: a missing
/// database is reported as such.
pub async fn loaded(
    options: &PgOptions,
    stream: Option<&Manifest>,
) -> Result<Vec<Loaded>, PgError> {
    let stream = stream.map(StreamId::of);
    let mut out = Vec::new();
    for (spec, server, database) in targets(options)? {
        let mut loaded = Loaded {
            module: spec.name,
            database: server.shown_with(&database),
            ..Loaded::default()
        };
        if server.database_exists(&database).await? {
            let mut conn = server.connect(&database).await?;
            let fail = |e| server.error(&database, "reading the loaded parts", e);
            let bookkeeping: bool =
                sqlx::query_scalar("SELECT to_regclass('pancake.parts') IS NOT NULL")
                    .fetch_one(&mut conn)
                    .await
                    .map_err(fail)?;
            if bookkeeping {
                loaded.exists = true;
                let held = sqlx::query(
                    "SELECT fingerprint, finished_at IS NOT NULL AS finished FROM pancake.stream",
                )
                .fetch_optional(&mut conn)
                .await
                .map_err(fail)?;
                if let Some(row) = held {
                    loaded.finished = row.get("finished");
                    loaded.this_stream = stream
                        .as_ref()
                        .map(|s| s.fingerprint == row.get::<String, _>("fingerprint"));
                }
                let (parts, events): (i64, i64) = sqlx::query_as(
                    "SELECT count(*), coalesce(sum(events), 0)::bigint FROM pancake.parts",
                )
                .fetch_one(&mut conn)
                .await
                .map_err(fail)?;
                loaded.parts = parts as u64;
                loaded.events = events as u64;
                let sums = sqlx::query(
                    "SELECT key, sum(value::bigint)::bigint FROM pancake.parts, jsonb_each_text(rows) GROUP BY key",
                )
                .fetch_all(&mut conn)
                .await
                .map_err(fail)?;
                for r in sums {
                    loaded
                        .rows
                        .insert(r.get::<String, _>(0), r.get::<i64, _>(1) as u64);
                }
            }
            let _ = sqlx::Connection::close(conn).await;
        }
        out.push(loaded);
    }
    Ok(out)
}
