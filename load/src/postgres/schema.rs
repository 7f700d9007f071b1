//! A module database's schema: the loader's bookkeeping, the module's
//! versioned migrations, and the checks that the database is the one this
//! load expects (a pancake database, at a version we know, holding this
//! event stream and no other).

use super::news::{
    self,
    feeds::{FeedsBuilt, FeedsError},
};
use super::project::Computed;
use super::server::Server;
use super::{PgError, StreamId};
use crate::modules::ModuleSpec;
use sqlx::postgres::PgConnection;
use sqlx::{Connection as _, Row as _};
use std::collections::HashSet;

pub(super) const BOOKKEEPING: &str = include_str!("../../sql/pancake.sql");

/// Sorts and index builds over whole tables: the server's defaults (4 MB,
/// 64 MB) spill to disk and made the chat threads 4x slower on finland.
/// For the finishing transaction only.
const MEMORY: &str = "SET LOCAL work_mem = '128MB'; SET LOCAL maintenance_work_mem = '256MB'";

/// Runs statements without parameters, naming `action` if they fail.
async fn exec(
    server: &Server,
    database: &str,
    conn: &mut PgConnection,
    sql: &str,
    action: &str,
) -> Result<u64, PgError> {
    // The module's own scripts and statements, never user input.
    Ok(sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(conn)
        .await
        .map_err(|e| server.error(database, action, e))?
        .rows_affected())
}

/// A transaction for whole-table work, with [`MEMORY`] set for it.
pub(super) async fn begin_with_memory<'c>(
    server: &Server,
    database: &str,
    conn: &'c mut PgConnection,
) -> Result<sqlx::Transaction<'c, sqlx::Postgres>, PgError> {
    let mut tx = conn
        .begin()
        .await
        .map_err(|e| server.error(database, "starting a transaction", e))?;
    exec(server, database, &mut tx, MEMORY, "setting work memory").await?;
    Ok(tx)
}

/// Where a module database stands before a load.
#[derive(Debug, Default)]
pub struct Standing {
    /// (stream table, part number) already loaded.
    pub done: HashSet<(String, u32)>,
    /// Every part loaded and the finishing steps ran.
    pub finished: bool,
    pub indexes_built: bool,
    /// The tables had rows before this load.
    pub had_rows: bool,
}

/// Brings `database` to the module's newest schema version and records the
/// stream, refusing a database that holds something else.
pub async fn prepare(
    server: &Server,
    database: &str,
    conn: &mut PgConnection,
    module: &ModuleSpec,
    stream: &StreamId,
) -> Result<Standing, PgError> {
    let pg = module.postgres;
    let fail = |action: &str, e: sqlx::Error| server.error(database, action, e);
    let mut tx = conn
        .begin()
        .await
        .map_err(|e| fail("starting a transaction", e))?;
    // Two loaders preparing the same database wait for each other.
    exec(
        server,
        database,
        &mut tx,
        "SELECT pg_advisory_xact_lock(7031)",
        "locking the schema",
    )
    .await?;
    if foreign(&mut tx)
        .await
        .map_err(|e| fail("reading the schema", e))?
    {
        return Err(PgError::NotPancake {
            database: server.shown_with(database),
        });
    }
    exec(
        server,
        database,
        &mut tx,
        BOOKKEEPING,
        "creating the pancake schema",
    )
    .await?;
    let version: i32 =
        sqlx::query_scalar("SELECT version FROM pancake.schema_version WHERE module = $1")
            .bind(module.name)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| fail("reading the schema version", e))?
            .unwrap_or(0);
    let newest = pg.migrations.len() as i32;
    if version > newest || version < 0 {
        return Err(PgError::SchemaVersion {
            database: server.shown_with(database),
            module: module.name,
            found: version,
            expected: newest,
        });
    }
    for (i, script) in pg.migrations.iter().enumerate().skip(version as usize) {
        exec(
            server,
            database,
            &mut tx,
            script,
            &format!("applying schema version {}", i + 1),
        )
        .await?;
    }
    sqlx::query(
        "INSERT INTO pancake.schema_version (module, version) VALUES ($1, $2)
         ON CONFLICT (module) DO UPDATE SET version = excluded.version, applied_at = now()
         WHERE pancake.schema_version.version <> excluded.version",
    )
    .bind(module.name)
    .bind(newest)
    .execute(&mut *tx)
    .await
    .map_err(|e| fail("recording the schema version", e))?;
    check_columns(server, database, &mut tx, module).await?;

    let held = sqlx::query("SELECT fingerprint, created_at, source, finished_at IS NOT NULL AS finished, indexes_built FROM pancake.stream")
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| fail("reading the stream record", e))?;
    let mut standing = Standing::default();
    match held {
        Some(row) => {
            let fingerprint: String = row.get("fingerprint");
            if fingerprint != stream.fingerprint {
                return Err(PgError::OtherStream {
                    database: server.shown_with(database),
                    holds: format!(
                        "{} (created {})",
                        row.get::<String, _>("source"),
                        row.get::<String, _>("created_at")
                    ),
                    this: format!("{} (created {})", stream.source, stream.created_at),
                });
            }
            standing.finished = row.get("finished");
            standing.indexes_built = row.get("indexes_built");
        }
        None => {
            sqlx::query(
                "INSERT INTO pancake.stream (fingerprint, created_at, source) VALUES ($1, $2, $3)",
            )
            .bind(&stream.fingerprint)
            .bind(&stream.created_at)
            .bind(&stream.source)
            .execute(&mut *tx)
            .await
            .map_err(|e| fail("recording the stream", e))?;
        }
    }
    let rows = sqlx::query("SELECT stream_table, part FROM pancake.parts")
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| fail("reading the loaded parts", e))?;
    standing.had_rows = !rows.is_empty();
    standing.done = rows
        .into_iter()
        .map(|r| (r.get::<String, _>(0), r.get::<i32, _>(1) as u32))
        .collect();
    tx.commit()
        .await
        .map_err(|e| fail("committing the schema", e))?;
    Ok(standing)
}

/// Whether the database `conn` is connected to holds tables that pancake
/// did not create: tables, but not pancake's bookkeeping. A load refuses
/// such a database, and `--reset` does not drop it.
pub async fn foreign(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT to_regclass('pancake.schema_version') IS NULL
            AND EXISTS (SELECT FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema'))",
    )
    .fetch_one(conn)
    .await
}

/// The module's tables have the columns the projection copies into.
async fn check_columns(
    server: &Server,
    database: &str,
    conn: &mut PgConnection,
    module: &ModuleSpec,
) -> Result<(), PgError> {
    for table in module.postgres.tables {
        let present: Vec<String> = sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name = $1",
        )
        .bind(table.name)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| server.error(database, "reading the columns", e))?;
        let missing: Vec<&str> = table
            .columns
            .iter()
            .filter(|c| !present.iter().any(|p| p == *c))
            .copied()
            .collect();
        if !missing.is_empty() {
            return Err(PgError::SchemaMismatch {
                database: server.shown_with(database),
                table: table.name,
                missing: missing.join(", "),
            });
        }
    }
    Ok(())
}

/// Builds the module's keys and indexes, once.
pub async fn build_indexes(
    server: &Server,
    database: &str,
    conn: &mut PgConnection,
    module: &ModuleSpec,
) -> Result<(), PgError> {
    let fail = |action: &str, e: sqlx::Error| server.error(database, action, e);
    let mut tx = begin_with_memory(server, database, conn).await?;
    let built: bool = sqlx::query_scalar("SELECT indexes_built FROM pancake.stream FOR UPDATE")
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| fail("reading the stream record", e))?;
    if !built {
        exec(
            server,
            database,
            &mut tx,
            module.postgres.indexes,
            "building keys and indexes",
        )
        .await?;
        exec(
            server,
            database,
            &mut tx,
            "UPDATE pancake.stream SET indexes_built = true",
            "recording the indexes",
        )
        .await?;
    }
    tx.commit()
        .await
        .map_err(|e| fail("committing the indexes", e))
}

/// What the finishing steps did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Finished {
    /// Changes applied to rows from earlier parts.
    pub changes_applied: u64,
    /// Changes whose row is in no loaded part (kept in `pancake.pending`).
    pub changes_waiting: u64,
    /// The news feeds, for the module that has them.
    pub feeds: Option<FeedsBuilt>,
}

/// Whether a module's computed tables were built with `feed_size`: `None`
/// for a module without any, or one whose were never built.
pub async fn computed_with(
    server: &Server,
    database: &str,
    conn: &mut PgConnection,
    module: &ModuleSpec,
    feed_size: u32,
) -> Result<Option<bool>, PgError> {
    if module.postgres.computed != Computed::NewsFeeds {
        return Ok(None);
    }
    let built: Option<i32> = sqlx::query_scalar("SELECT feed_size FROM feeds LIMIT 1")
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| server.error(database, "reading the feed size", e))?;
    Ok(built.map(|b| i64::from(b) == i64::from(feed_size)))
}

/// After every part is loaded and the keys and indexes are built
/// ([`build_indexes`]): the changes that waited for their rows, the
/// module's own set-based steps (derived tables, retroactive blocks), all
/// in one transaction, then statistics.
pub async fn finish(
    server: &Server,
    database: &str,
    conn: &mut PgConnection,
    module: &ModuleSpec,
    feed_size: u32,
) -> Result<Finished, PgError> {
    let fail = |action: &str, e: sqlx::Error| server.error(database, action, e);
    let mut tx = begin_with_memory(server, database, conn).await?;
    let mut finished = Finished::default();
    for table in module.postgres.tables {
        let key = table.key();
        for column in table.changes {
            let set_updated = if table.columns.contains(&"updated_at") {
                ", updated_at = greatest(t.updated_at, p.at)"
            } else {
                ""
            };
            let sql = format!(
                "UPDATE {name} t SET {column} = p.at{set_updated}
                 FROM pancake.pending p
                 WHERE p.tbl = '{name}' AND p.col = '{column}' AND t.{key} = p.key",
                name = table.name
            );
            let action = format!("applying changes to {}", table.name);
            finished.changes_applied += exec(server, database, &mut tx, &sql, &action).await?;
        }
        if !table.changes.is_empty() {
            let sql = format!(
                "DELETE FROM pancake.pending p USING {name} t
                 WHERE p.tbl = '{name}' AND t.{key} = p.key",
                name = table.name
            );
            exec(server, database, &mut tx, &sql, "clearing applied changes").await?;
        }
    }
    finished.changes_waiting = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM pancake.pending")
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| fail("counting waiting changes", e))? as u64;
    if !module.postgres.finish.is_empty() {
        exec(
            server,
            database,
            &mut tx,
            module.postgres.finish,
            "running the module's finishing steps",
        )
        .await?;
    }
    if module.postgres.computed == Computed::NewsFeeds {
        finished.feeds = Some(news::feeds::rebuild(&mut tx, feed_size).await.map_err(
            |e| match e {
                FeedsError::Query { action, source } => server.error(database, action, source),
                FeedsError::BadRow { table, problem } => PgError::ChangedByHand {
                    database: server.shown_with(database),
                    table,
                    problem,
                },
            },
        )?);
    }
    exec(
        server,
        database,
        &mut tx,
        "UPDATE pancake.stream SET finished_at = now()",
        "recording the finished load",
    )
    .await?;
    tx.commit()
        .await
        .map_err(|e| fail("committing the finishing steps", e))?;
    exec(
        server,
        database,
        &mut *conn,
        "ANALYZE",
        "updating statistics",
    )
    .await?;
    Ok(finished)
}

/// Rows per table copied by every loaded part (the derived tables counted
/// as they are).
pub async fn table_rows(
    server: &Server,
    database: &str,
    conn: &mut PgConnection,
    module: &ModuleSpec,
) -> Result<Vec<(String, u64)>, PgError> {
    let fail = |e| server.error(database, "counting rows", e);
    let mut out = Vec::new();
    let sums = sqlx::query(
        "SELECT key, sum(value::bigint)::bigint FROM pancake.parts, jsonb_each_text(rows) GROUP BY key",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(fail)?;
    for table in module.postgres.tables {
        let n = sums
            .iter()
            .find(|r| r.get::<String, _>(0) == table.name)
            .map_or(0, |r| r.get::<i64, _>(1));
        out.push((table.name.to_owned(), n as u64));
    }
    for derived in module.postgres.derived {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {derived}"
        )))
        .fetch_one(&mut *conn)
        .await
        .map_err(fail)?;
        out.push(((*derived).to_owned(), n as u64));
    }
    Ok(out)
}
