//! An event stream into one PostgreSQL database per module, exactly once.
//!
//! The flow:
//!
//! 1. Each selected module's database is created when missing and locked
//!    for this load ([`lock`]: one loader per database; a second is refused
//!    at once), then brought to the module's schema version
//!    (`schema::prepare`); a database that holds another stream, a newer
//!    schema or someone else's tables is refused before anything is
//!    written. Every connection is made within `connect_timeout`.
//! 2. A decoder thread reads the stream's parts. Each part is decoded once
//!    and checked against its trailer and the manifest (`part`); every
//!    module that has not loaded it yet gets its rows from it
//!    ([`project`]), encoded for binary COPY.
//! 3. `--jobs` writers take those (module, part) units and load each in one
//!    transaction: the COPYs, the changes waiting for rows of other parts,
//!    and the row in `pancake.parts` that marks the part as loaded. A crash
//!    rolls the part back whole; a re-run skips what committed.
//! 4. Per module, once every part is in: keys and indexes (built after the
//!    bulk load), the waiting changes, the module's set-based steps (derived
//!    tables, retroactive blocks), then ANALYZE.

pub mod ceiling;
#[doc(hidden)]
pub mod copy;
mod dictionary;
mod errors;
#[doc(hidden)]
pub mod lock;
pub mod news;
mod part;
#[doc(hidden)]
pub mod payload;
#[doc(hidden)]
pub mod project;
mod report;
mod schema;
pub mod server;
pub mod standing;
mod url;
mod write;

pub use errors::PgError;
pub use report::{ModuleReport, PgReport};
pub use server::DEFAULT_CONNECT_TIMEOUT;

use crate::merge::MergeError;
use crate::modules::{MODULES, ModuleSpec};
use pancake_proto::Manifest;
use pancake_proto::manifest::DumpKindName;
use part::PartWork;
use server::Server;
use sqlx::Connection as _;
use std::path::PathBuf;
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
    /// Module databases are named `<prefix>_<module>` ([`prefixed`](crate::prefixed), the one joiner queues use too).
    pub prefix: String,
    /// Most connections writing at once.
    pub jobs: usize,
    /// Drop the module databases first (never one that holds tables
    /// pancake did not create).
    pub reset: bool,
    /// Build keys and indexes before the bulk load instead of after (to
    /// measure what building them afterwards saves).
    pub indexes_first: bool,
    /// How long each connection may take: TCP connect, handshake, login.
    pub connect_timeout: Duration,
    /// The items each member's news feed keeps (`--news-feed-size`).
    pub news_feed_size: u32,
}

impl PgOptions {
    pub fn new(input: PathBuf, database_url: String) -> PgOptions {
        PgOptions {
            input,
            database_url,
            module_urls: Vec::new(),
            modules: Vec::new(),
            prefix: "pancake".into(),
            jobs: 4,
            reset: false,
            indexes_first: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            news_feed_size: news::rules::DEFAULT_FEED_SIZE,
        }
    }

    /// The database of `module` under these options' prefix.
    pub fn database(&self, module: &str) -> String {
        crate::modules::prefixed(&self.prefix, module)
    }
}

/// What a load is doing, for progress displays.
pub trait Progress: Send + Sync {
    /// The modules being loaded, each with the events it consumes.
    fn started(&self, _modules: &[(&'static str, u64)]) {}
    /// A part of the stream read and checked, its file `bytes` long,
    /// before its rows go to the writers.
    fn part_read(&self, _table: &str, _part: u32, _bytes: u64) {}
    /// A module's part committed.
    fn part_loaded(&self, _module: &'static str, _events: u64, _rows: u64) {}
    /// The same commit, with its part, bytes written and seconds.
    fn part_committed(&self, _part: &LoadedPart) {}
    /// A module's keys, indexes and set-based steps are running.
    fn finishing(&self, _module: &'static str) {}
    /// A module's keys and indexes are built; its waiting changes and
    /// set-based steps run next.
    fn indexes_built(&self, _module: &'static str) {}
}

impl Progress for () {}

/// A module's part just committed, for [`Progress::part_committed`].
#[derive(Debug, Clone)]
pub struct LoadedPart<'a> {
    pub module: &'static str,
    /// The stream's table the part belongs to.
    pub table: &'a str,
    pub part: u32,
    /// The part's events this module consumes.
    pub events: u64,
    /// Rows written into the module's tables.
    pub rows: u64,
    /// Bytes of COPY data sent.
    pub bytes: u64,
    /// How long the transaction took.
    pub seconds: f64,
}

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

/// A module being loaded.
struct Target {
    spec: &'static ModuleSpec,
    server: Server,
    database: String,
    standing: schema::Standing,
    /// How its payloads are compressed, for a module that does.
    codec: Option<Arc<payload::PayloadCodec>>,
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
    let parse = |module: &str, url: &str| {
        Server::parse_from(url, &format!("--module-url {module}="))
            .map(|s| s.with_connect_timeout(options.connect_timeout))
    };
    for (module, url) in &options.module_urls {
        parse(module, url)?;
    }
    let default = default.with_connect_timeout(options.connect_timeout);
    specs
        .into_iter()
        .map(|spec| {
            let server = match options.module_urls.iter().find(|(m, _)| m == spec.name) {
                Some((module, url)) => parse(module, url)?,
                None => default.clone(),
            };
            Ok((spec, server, options.database(spec.name)))
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
    // The flags first: a bad URL is told before the stream is read.
    let targets = targets(options)?;
    let manifest = Manifest::load(&options.input).map_err(MergeError::from)?;
    if manifest.kind != DumpKindName::EventStream {
        return Err(MergeError::NotEventStream {
            dir: options.input.clone(),
            found: manifest.kind.as_str(),
        }
        .into());
    }
    manifest
        .check_contract(&options.input)
        .map_err(MergeError::from)?;
    if !manifest.complete {
        return Err(PgError::Unfinished(options.input.clone()));
    }
    if options.reset {
        lock::reset(&targets).await?;
    }
    let (locks, created) = lock::lock_all(&targets).await?;
    let result = load_locked(options, &manifest, targets, created, progress, started).await;
    lock::release_all(locks).await;
    result
}

/// [`load`] once every module database is locked for it.
async fn load_locked(
    options: &PgOptions,
    manifest: &Manifest,
    targets: Vec<(&'static ModuleSpec, Server, String)>,
    created: Vec<bool>,
    progress: Arc<dyn Progress>,
    started: Instant,
) -> Result<PgReport, PgError> {
    let stream = StreamId::of(manifest);
    let jobs = options.jobs.max(1);
    let mut modules = Vec::new();
    for ((spec, server, database), created) in targets.into_iter().zip(created) {
        let mut conn = server.connect(&database).await?;
        let standing = schema::prepare(&server, &database, &mut conn, spec, &stream).await?;
        if options.indexes_first && !standing.indexes_built {
            schema::build_indexes(&server, &database, &mut conn, spec).await?;
        }
        let codec = if spec.postgres.payload_dictionary {
            let codec =
                dictionary::codec_for(&server, &database, &mut conn, &options.input, manifest)
                    .await?;
            Some(Arc::new(codec))
        } else {
            None
        };
        let _ = conn.close().await;
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
            standing,
            codec,
        });
    }

    let parts = manifest
        .tables
        .iter()
        .flat_map(|t| t.parts.iter().map(|p| (t.name.clone(), p)));
    let mut work = Vec::new();
    for (table, entry) in parts {
        let key = (table.clone(), entry.number);
        let mut wanted = Vec::new();
        for (i, m) in modules.iter_mut().enumerate() {
            if m.standing.done.contains(&key) {
                m.report.parts_skipped += 1;
            } else {
                wanted.push(i);
            }
        }
        if !wanted.is_empty() {
            work.push(PartWork {
                table,
                entry: entry.clone(),
                wanted,
            });
        }
    }
    progress.started(
        &modules
            .iter()
            .map(|m| (m.spec.name, events_for(manifest, m.spec)))
            .collect::<Vec<_>>(),
    );

    let events_read =
        write::load_parts(&mut modules, &options.input, work, jobs, &progress).await?;

    // Modules finish independently, up to `jobs` at once (on this task:
    // the work is the servers').
    let finishing = modules.iter().enumerate().map(|(i, m)| {
        let mut must = m.report.parts_loaded > 0 || !m.standing.finished;
        let (server, database, spec) = (&m.server, &m.database, m.spec);
        let progress = progress.clone();
        let feed_size = options.news_feed_size;
        async move {
            let begun = Instant::now();
            let mut conn = server.connect(database).await?;
            // Feeds built with another size are built again.
            must = must
                || schema::computed_with(server, database, &mut conn, spec, feed_size).await?
                    == Some(false);
            let finished = if must {
                progress.finishing(spec.name);
                schema::build_indexes(server, database, &mut conn, spec).await?;
                progress.indexes_built(spec.name);
                Some(schema::finish(server, database, &mut conn, spec, feed_size).await?)
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
