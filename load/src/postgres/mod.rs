//! An event stream into one PostgreSQL database per module, exactly once.
//!
//! The flow:
//!
//! 1. Each selected module's database is created when missing and brought
//!    to the module's schema version ([`schema::prepare`]); a database that
//!    holds another stream, a newer schema or someone else's tables is
//!    refused before anything is written.
//! 2. Decoder threads read the stream's parts. Each part is decoded once;
//!    every module that has not loaded it yet gets its rows from it
//!    ([`project`]), encoded for binary COPY.
//! 3. `--jobs` writers take those (module, part) units and load each in one
//!    transaction: the COPYs, the changes waiting for rows of other parts,
//!    and the row in `pancake.parts` that marks the part as loaded. A crash
//!    rolls the part back whole; a re-run skips what committed.
//! 4. Per module, once every part is in: keys and indexes (built after the
//!    bulk load), the waiting changes, the module's set-based steps (derived
//!    tables, retroactive blocks), then ANALYZE.

pub mod ceiling;
pub mod copy;
pub mod payload;
pub mod project;
pub mod schema;
pub mod server;

use crate::merge::MergeError;
use crate::modules::{MODULES, ModuleSpec};
use pancake_proto::dump::DumpKind;
use pancake_proto::events::Event;
use pancake_proto::manifest::DumpKindName;
use pancake_proto::{Manifest, PartReader, ReadOptions};
use project::{PartCopies, PartRows, ProjectError};
use server::Server;
use sqlx::Connection as _;
use sqlx::postgres::PgPool;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The server `pancake seed` and the tests use by default (the one
/// scripts/services.sh starts).
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres:postgres@127.0.0.1:5432/postgres";

#[derive(Debug, Clone)]
pub struct PgOptions {
    pub input: PathBuf,
    /// The server module databases are created on; its path names the
    /// database connected to for creating them.
    pub database_url: String,
    /// Modules on other servers: (module, URL).
    pub module_urls: Vec<(String, String)>,
    /// The modules to load; empty is all.
    pub modules: Vec<String>,
    /// Module databases are named `<prefix><module>`.
    pub db_prefix: String,
    /// Most connections writing at once.
    pub jobs: usize,
    /// Drop the module databases first.
    pub reset: bool,
    /// Build keys and indexes before the bulk load instead of after (to
    /// measure what building them afterwards saves).
    pub indexes_first: bool,
}

impl PgOptions {
    pub fn new(input: PathBuf, database_url: String) -> PgOptions {
        PgOptions {
            input,
            database_url,
            module_urls: Vec::new(),
            modules: Vec::new(),
            db_prefix: String::new(),
            jobs: 4,
            reset: false,
            indexes_first: false,
        }
    }
}

/// What can stop a load. Each names the server, database, part or event,
/// and says what to do; none shows a password.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("--database-url is not a valid PostgreSQL URL: {0}")]
    Url(String),

    #[error(
        "cannot connect to PostgreSQL at {addr}: connection refused. Is it running? (scripts/services.sh starts one locally) Check the host and port of --database-url"
    )]
    Refused { addr: String },

    #[error(
        "PostgreSQL at {addr} refused user '{user}': check the user name and password in --database-url (or DATABASE_URL)"
    )]
    Login { addr: String, user: String },

    #[error("{server}: database '{database}' does not exist: check the database in the URL")]
    NoDatabase { server: String, database: String },

    #[error(
        "{server}: user '{user}' may not create database '{database}': run `ALTER ROLE {user} CREATEDB` as a superuser, or create it yourself (`CREATE DATABASE {database} OWNER {user}`) and run again"
    )]
    CannotCreate {
        server: String,
        user: String,
        database: String,
    },

    #[error("{server}: user '{user}' lacks a permission for {action}: {message}")]
    Permission {
        server: String,
        user: String,
        action: String,
        message: String,
    },

    #[error(
        "{server}: the server went away ({message}). The part in flight was rolled back; run the same command again to continue after the parts that committed"
    )]
    Gone { server: String, message: String },

    #[error("{server}: {action} failed: {message}")]
    Server {
        server: String,
        action: String,
        message: String,
    },

    #[error(
        "{database} has schema version {found} of module {module}, but this pancake knows versions up to {expected}: load with the pancake that wrote it, or drop the database (pancake seed --reset, or --reset) to start over"
    )]
    SchemaVersion {
        database: String,
        module: &'static str,
        found: i32,
        expected: i32,
    },

    #[error(
        "{database}: table {table} lacks the columns {missing} that its schema version has: someone changed it by hand; drop the database (--reset) to start over"
    )]
    SchemaMismatch {
        database: String,
        table: &'static str,
        missing: String,
    },

    #[error(
        "{database} already holds tables that pancake did not create: choose another --db-prefix, or drop that database"
    )]
    NotPancake { database: String },

    #[error(
        "{database} holds another event stream, {holds}; this is {this}. Drop the database (--reset) to load this one, or use another --db-prefix"
    )]
    OtherStream {
        database: String,
        holds: String,
        this: String,
    },

    #[error(
        "{0} is not a finished event stream: run `pancake transform` to the end first (or `pancake verify {0}`)"
    )]
    Unfinished(PathBuf),

    #[error(transparent)]
    Stream(#[from] MergeError),

    #[error("{file}: record {record}: {source}; the stream is damaged: transform it again")]
    Event {
        file: PathBuf,
        record: u64,
        source: ProjectError,
    },

    #[error("unknown module '{0}': the modules are {known}", known = module_names())]
    UnknownModule(String),

    #[error("loading part {part} into {database}: {source}")]
    Part {
        database: String,
        part: String,
        #[source]
        source: Box<PgError>,
    },
}

fn module_names() -> String {
    MODULES
        .iter()
        .map(|m| m.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a load is doing, for progress displays.
pub trait Progress: Send + Sync {
    /// The modules being loaded, each with the events it consumes.
    fn started(&self, _modules: &[(&'static str, u64)]) {}
    /// A module's part committed.
    fn part_loaded(&self, _module: &'static str, _events: u64, _rows: u64) {}
    /// A module's keys, indexes and set-based steps are running.
    fn finishing(&self, _module: &'static str) {}
}

impl Progress for () {}

/// The stream's identity, recorded in every module database.
#[derive(Debug, Clone)]
pub struct StreamId {
    pub fingerprint: String,
    pub created_at: String,
    pub source: String,
}

impl StreamId {
    fn of(manifest: &Manifest) -> StreamId {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for table in &manifest.tables {
            h.update(table.name.as_bytes());
            for part in &table.parts {
                h.update(&part.number.to_le_bytes());
                h.update(part.checksum.as_bytes());
            }
        }
        StreamId {
            fingerprint: format!("{:016x}", h.digest()),
            created_at: manifest.created_at.clone(),
            source: manifest.source.clone(),
        }
    }
}

/// One module's share of a load.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleReport {
    pub module: &'static str,
    /// `postgres://user@host:port/database`.
    pub database: String,
    /// `psql ...` to look at it.
    pub psql: String,
    pub created: bool,
    /// Everything was loaded and finished before: nothing to do.
    pub up_to_date: bool,
    pub parts_loaded: u64,
    pub parts_skipped: u64,
    /// Events of the kinds it consumes, in the parts loaded now.
    pub events: u64,
    /// Rows copied now.
    pub rows: u64,
    /// Rows per table in the database after the load.
    pub tables: Vec<(String, u64)>,
    pub finished: schema::Finished,
    /// Texts whose NUL characters became U+FFFD.
    pub nul_replaced: u64,
    /// Keys, indexes, waiting changes and the module's own steps.
    pub finish_elapsed: Duration,
    pub elapsed: Duration,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PgReport {
    pub modules: Vec<ModuleReport>,
    /// Events in the stream's parts read now.
    pub events_read: u64,
    pub elapsed: Duration,
}

impl PgReport {
    pub fn up_to_date(&self) -> bool {
        self.modules.iter().all(|m| m.up_to_date)
    }
}

/// A module being loaded.
struct Target {
    spec: &'static ModuleSpec,
    server: Server,
    database: String,
    pool: PgPool,
    standing: schema::Standing,
    report: ModuleReport,
}

/// The modules `options` selects, with their servers.
pub fn targets(options: &PgOptions) -> Result<Vec<(&'static ModuleSpec, Server, String)>, PgError> {
    for (name, _) in &options.module_urls {
        ModuleSpec::by_name(name).ok_or_else(|| PgError::UnknownModule(name.clone()))?;
    }
    let specs: Vec<&'static ModuleSpec> = if options.modules.is_empty() {
        MODULES.iter().collect()
    } else {
        options
            .modules
            .iter()
            .map(|n| ModuleSpec::by_name(n).ok_or_else(|| PgError::UnknownModule(n.clone())))
            .collect::<Result<_, _>>()?
    };
    let default = Server::parse(&options.database_url)?;
    specs
        .into_iter()
        .map(|spec| {
            let server = match options.module_urls.iter().find(|(m, _)| m == spec.name) {
                Some((_, url)) => Server::parse(url)?,
                None => default.clone(),
            };
            Ok((spec, server, format!("{}{}", options.db_prefix, spec.name)))
        })
        .collect()
}

/// Drops the databases of the modules `options` selects.
pub async fn drop_databases(options: &PgOptions) -> Result<(), PgError> {
    for (_, server, database) in targets(options)? {
        server.drop_database(&database).await?;
    }
    Ok(())
}

/// Loads the stream into every selected module's database, skipping parts
/// loaded before.
pub async fn load(options: &PgOptions, progress: Arc<dyn Progress>) -> Result<PgReport, PgError> {
    let started = Instant::now();
    let manifest = Manifest::load(&options.input).map_err(MergeError::from)?;
    if manifest.kind != DumpKindName::EventStream {
        return Err(MergeError::NotEventStream {
            dir: options.input.clone(),
            found: manifest.kind.as_str(),
        }
        .into());
    }
    if !manifest.complete {
        return Err(PgError::Unfinished(options.input.clone()));
    }
    let stream = StreamId::of(&manifest);
    let jobs = options.jobs.max(1);
    if options.reset {
        drop_databases(options).await?;
    }

    let mut modules = Vec::new();
    for (spec, server, database) in targets(options)? {
        let created = server.create_database(&database).await?;
        let mut conn = server.connect(&database).await?;
        let standing = schema::prepare(&server, &database, &mut conn, spec, &stream).await?;
        if options.indexes_first && !standing.indexes_built {
            schema::build_indexes(&server, &database, &mut conn, spec).await?;
        }
        let _ = conn.close().await;
        let pool = server.pool(&database, jobs as u32).await?;
        modules.push(Target {
            report: ModuleReport {
                module: spec.name,
                database: server.shown_with(&database),
                psql: server.psql(&database),
                created,
                ..ModuleReport::default()
            },
            spec,
            server,
            database,
            pool,
            standing,
        });
    }

    let parts: Vec<(String, u32, PathBuf)> = manifest
        .tables
        .iter()
        .flat_map(|t| {
            t.parts
                .iter()
                .map(|p| (t.name.clone(), p.number, options.input.join(&p.file)))
        })
        .collect();
    for m in &mut modules {
        m.report.parts_skipped = parts
            .iter()
            .filter(|(t, n, _)| m.standing.done.contains(&(t.clone(), *n)))
            .count() as u64;
    }
    let mut work = Vec::new();
    for (table, number, path) in &parts {
        let wanted: Vec<usize> = modules
            .iter()
            .enumerate()
            .filter(|(_, m)| !m.standing.done.contains(&(table.clone(), *number)))
            .map(|(i, _)| i)
            .collect();
        if !wanted.is_empty() {
            work.push((table.clone(), *number, path.clone(), wanted));
        }
    }
    progress.started(
        &modules
            .iter()
            .map(|m| (m.spec.name, events_for(&manifest, m.spec)))
            .collect::<Vec<_>>(),
    );

    let events_read = load_parts(&mut modules, work, jobs, &progress).await?;

    // Modules finish independently, up to `jobs` at once (on this task:
    // the work is the servers').
    let finishing = modules.iter().enumerate().map(|(i, m)| {
        let must = m.report.parts_loaded > 0 || !m.standing.finished;
        let (server, database, spec) = (&m.server, &m.database, m.spec);
        let progress = progress.clone();
        async move {
            let begun = Instant::now();
            let mut conn = server.connect(database).await?;
            let finished = if must {
                progress.finishing(spec.name);
                Some(schema::finish(server, database, &mut conn, spec).await?)
            } else {
                None
            };
            let tables = schema::table_rows(server, database, &mut conn, spec).await?;
            let _ = conn.close().await;
            Ok::<_, PgError>((i, finished, tables, begun.elapsed()))
        }
    });
    let results: Vec<Result<_, PgError>> = {
        use futures_util::StreamExt as _;
        futures_util::stream::iter(finishing)
            .buffer_unordered(jobs)
            .collect()
            .await
    };
    for result in results {
        let (i, finished, tables, took) = result?;
        let r = &mut modules[i].report;
        match finished {
            Some(f) => r.finished = f,
            None => r.up_to_date = true,
        }
        r.tables = tables;
        r.finish_elapsed = took;
    }
    for m in &modules {
        m.pool.close().await;
    }
    let elapsed = started.elapsed();
    Ok(PgReport {
        modules: modules
            .into_iter()
            .map(|mut m| {
                m.report.elapsed = elapsed;
                m.report
            })
            .collect(),
        events_read,
        elapsed,
    })
}

/// The events of the kinds `module` consumes, from the transform's
/// accounting when the manifest has it (0 when not).
fn events_for(manifest: &Manifest, module: &ModuleSpec) -> u64 {
    let Some(Ok(section)) = pancake_proto::accounting::TransformSection::of(manifest) else {
        return 0;
    };
    module
        .kinds
        .iter()
        .map(|k| {
            section
                .kinds
                .get(pancake_proto::names::kind_name(*k))
                .copied()
                .unwrap_or(0)
        })
        .sum()
}

/// One module's rows from one part.
struct Unit {
    module: usize,
    table: String,
    part: u32,
    events: u64,
    copies: PartCopies,
}

/// Decodes the parts in `work` on a thread and loads the units with `jobs`
/// writers. Returns the events read.
async fn load_parts(
    modules: &mut [Target],
    work: Vec<(String, u32, PathBuf, Vec<usize>)>,
    jobs: usize,
    progress: &Arc<dyn Progress>,
) -> Result<u64, PgError> {
    if work.is_empty() {
        return Ok(0);
    }
    let specs: Vec<&'static ModuleSpec> = modules.iter().map(|m| m.spec).collect();
    let (tx, rx) = tokio::sync::mpsc::channel::<Unit>(jobs);
    let decoder = tokio::task::spawn_blocking(move || -> Result<u64, PgError> {
        let mut read = 0;
        for (table, number, path, wanted) in work {
            let units = decode_part(&path, &table, number, &wanted, &specs)?;
            read += units.0;
            for unit in units.1 {
                if tx.blocking_send(unit).is_err() {
                    // A writer failed; its error is the one to report.
                    return Ok(read);
                }
            }
        }
        Ok(read)
    });

    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let shared: Arc<Vec<(PgPool, Server, String, &'static ModuleSpec)>> = Arc::new(
        modules
            .iter()
            .map(|m| (m.pool.clone(), m.server.clone(), m.database.clone(), m.spec))
            .collect(),
    );
    let mut writers = tokio::task::JoinSet::new();
    for _ in 0..jobs {
        let rx = rx.clone();
        let shared = shared.clone();
        let progress = progress.clone();
        writers.spawn(async move {
            let mut done: Vec<(usize, u64, u64, u64)> = Vec::new();
            loop {
                let unit = { rx.lock().await.recv().await };
                let Some(unit) = unit else { break };
                let (pool, server, database, spec) = &shared[unit.module];
                let part = format!("{}/part-{:06}", unit.table, unit.part);
                let events = unit.events;
                let module = unit.module;
                let nul: u64 = unit.copies.tables.iter().map(|(_, c)| c.nul_replaced).sum();
                let rows = write_unit(pool, server, database, spec, unit)
                    .await
                    .map_err(|e| PgError::Part {
                        database: server.shown_with(database),
                        part,
                        source: Box::new(e),
                    })?;
                progress.part_loaded(spec.name, events, rows);
                done.push((module, events, rows, nul));
            }
            Ok::<_, PgError>(done)
        });
    }
    let mut first_error = None;
    while let Some(result) = writers.join_next().await {
        let result = match result {
            Ok(result) => result,
            // A writer stopped below, after another one's error.
            Err(e) if e.is_cancelled() => continue,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        match result {
            Ok(done) => {
                for (module, events, rows, nul) in done {
                    let r = &mut modules[module].report;
                    r.parts_loaded += 1;
                    r.events += events;
                    r.rows += rows;
                    r.nul_replaced += nul;
                }
            }
            Err(e) => {
                if first_error.is_none() {
                    first_error = Some(e);
                    // Stop the decoder and the other writers.
                    rx.lock().await.close();
                    writers.abort_all();
                }
            }
        }
    }
    let read = decoder.await.expect("the decoder panicked");
    if let Some(e) = first_error {
        return Err(e);
    }
    read
}

/// Reads one part and builds the rows of every module in `wanted`.
fn decode_part(
    path: &Path,
    table: &str,
    number: u32,
    wanted: &[usize],
    specs: &[&'static ModuleSpec],
) -> Result<(u64, Vec<Unit>), PgError> {
    let options = ReadOptions {
        part_number: Some(number),
        ..ReadOptions::expect::<Event>(DumpKind::EventStream, table)
    };
    let mut reader = PartReader::open(path, &options).map_err(MergeError::from)?;
    let mut rows: Vec<(usize, PartRows, u64)> = wanted
        .iter()
        .map(|&m| (m, PartRows::new(specs[m].postgres), 0))
        .collect();
    let mut read = 0u64;
    while let Some(event) = reader.next_record::<Event>().map_err(MergeError::from)? {
        read += 1;
        for (m, part_rows, events) in &mut rows {
            let spec = specs[*m];
            if spec.consumes(event.kind()) {
                *events += 1;
                (spec.postgres.project)(&event, part_rows).map_err(|source| PgError::Event {
                    file: path.to_owned(),
                    record: read,
                    source,
                })?;
            }
        }
    }
    let units = rows
        .into_iter()
        .map(|(m, part_rows, events)| Unit {
            module: m,
            table: table.to_owned(),
            part: number,
            events,
            copies: part_rows.into_copies(specs[m].postgres),
        })
        .collect();
    Ok((read, units))
}

/// Loads one unit in one transaction, marking its part as loaded.
async fn write_unit(
    pool: &PgPool,
    server: &Server,
    database: &str,
    spec: &'static ModuleSpec,
    unit: Unit,
) -> Result<u64, PgError> {
    let fail = |action: &str, e: sqlx::Error| server.error(database, action, e);
    let mut tx = pool
        .begin()
        .await
        .map_err(|e| fail("starting a transaction", e))?;
    let mut counts = BTreeMap::new();
    let mut total = 0;
    for (table, data) in unit.copies.tables {
        let table = &spec.postgres.tables[table];
        let rows = data.rows();
        copy_in(&mut tx, &table.copy_statement(), data.finish())
            .await
            .map_err(|e| fail(&format!("copying into {}", table.name), e))?;
        counts.insert(table.name, rows);
        total += rows;
    }
    if !unit.copies.pending.is_empty() {
        copy_in(
            &mut tx,
            "COPY pancake.pending (tbl, key, col, at) FROM STDIN (FORMAT binary)",
            unit.copies.pending.finish(),
        )
        .await
        .map_err(|e| fail("copying changes for other parts", e))?;
    }
    sqlx::query("INSERT INTO pancake.parts (stream_table, part, events, rows) VALUES ($1, $2, $3, $4::jsonb)")
        .bind(&unit.table)
        .bind(unit.part as i32)
        .bind(unit.events as i64)
        .bind(serde_json::to_string(&counts).expect("counts serialize"))
        .execute(&mut *tx)
        .await
        .map_err(|e| fail("marking the part as loaded", e))?;
    tx.commit()
        .await
        .map_err(|e| fail("committing the part", e))?;
    Ok(total)
}

/// Sends a COPY body in 1 MiB messages, aborting the COPY on a failure so
/// the connection stays usable.
async fn copy_in(
    conn: &mut sqlx::PgConnection,
    statement: &str,
    body: Vec<u8>,
) -> Result<u64, sqlx::Error> {
    let mut copy = conn.copy_in_raw(statement).await?;
    for chunk in body.chunks(1 << 20) {
        if let Err(e) = copy.send(chunk).await {
            let _ = copy.abort("pancake: sending failed").await;
            return Err(e);
        }
    }
    copy.finish().await
}
