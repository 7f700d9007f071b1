//! Extract: the legacy SQL Server, read gently into a pancake dump.
//!
//! [`extract`] connects with tiberius, checks the [`Mapping`] against the
//! server's catalog before reading a row, fixes each table's key bounds,
//! then reads the tables over at most `connections` sessions, shared by
//! every table: several tables at once, and a large table's key range in
//! chunks read side by side, each as short keyset-paged queries, into parts
//! that are committed to the manifest one by one, in key order (the dump
//! is the same whatever `connections` is). A re-run of the same command after
//! any crash continues after each table's last committed part.
//!
//! # Layout
//!
//! The modules are private; what callers need is re-exported here.
//!
//! - this file: [`extract`] and its [`ExtractOptions`], [`Progress`] and
//!   [`ExtractReport`]; the run itself (plan every table, prepare the
//!   folder, hand the tables to the workers, report).
//! - `source/`: where to connect, a URL or an ADO.NET connection string
//!   ([`Source`], [`SourceError`]).
//! - `mapping`: where each legacy table and column lives on the server
//!   ([`Mapping`], [`MappingError`]).
//! - `connect`: opening a session ([`Isolation`]) and turning tiberius'
//!   errors into [`ExtractError`]s.
//! - `catalog`: the mapping checked against the server's catalog, into a
//!   plan of queries per table.
//! - `fields`: the fields of each legacy record and how a row fills them.
//! - `value`: SQL Server types into record fields, and the values that did
//!   not fit ([`AnomalyKind`]).
//! - `sessions`: the run's pool of at most `connections` sessions.
//! - `metered`: a session's TCP stream, counting the bytes the server sent
//!   (what [`Progress::bytes_read`] reports per page).
//! - `read/`: one table, chunks of its key range read side by side, pages
//!   in, parts out in key order, with retries and throttling.
//! - `section`: the manifest's `extract` section ([`ExtractSection`]), which
//!   makes resuming exact.
//! - `error`: [`ExtractError`] (and its boxed [`ColumnError`]), every way a
//!   run can fail, in the words of the person at the terminal.

mod catalog;
mod connect;
mod error;
mod fields;
mod mapping;
mod metered;
mod read;
mod section;
mod sessions;
mod source;
mod value;

pub use connect::Isolation;
pub use error::{ColumnError, ExtractError};
pub use mapping::{Mapping, MappingError, TableMapping};
pub use section::{AnomalyExample, ExtractSection, TableState};
pub use source::{Encrypt, Form, Part, Password, Source, SourceError};
pub use value::AnomalyKind;

/// Opens one session as the extractor does; for tests that check how a
/// failure to connect is classified.
#[doc(hidden)]
pub use connect::connect;

use catalog::{TablePlan, estimate_rows, fetch_all, plan_table, session_info};
use connect::Connection;
use pancake_proto::folder::{OutputFolder, Stage, Start};
use pancake_proto::manifest::DumpKindName;
use pancake_proto::{LegacyTable, Manifest, ManifestWriter, WriteOptions, legacy};
use read::{Range, TableRun, Throttle, read_table};
use sessions::Sessions;
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Everything `pancake extract` can be told.
#[derive(Debug, Clone)]
pub struct ExtractOptions {
    pub source: Source,
    pub out: PathBuf,
    /// The tables to read; empty means every legacy table.
    pub tables: Vec<LegacyTable>,
    pub mapping: Mapping,
    /// Rows per query.
    pub page_rows: u32,
    /// Compression level and part size limits.
    pub write: WriteOptions,
    /// Sessions open at once, shared by the tables and by the key ranges
    /// of a large table.
    pub connections: usize,
    /// A ceiling on rows read per second, all tables together.
    pub max_rows_per_sec: Option<u64>,
    pub isolation: Isolation,
    /// How long one page query may take before it counts as failed.
    pub query_timeout: Duration,
    /// How many times a lost connection or timed-out page is retried before
    /// the run gives up.
    pub retries: u32,
    /// Start over even if `out` holds an extraction.
    pub force: bool,
}

impl ExtractOptions {
    /// The defaults for everything but where to read and write.
    pub fn new(source: Source, out: PathBuf) -> ExtractOptions {
        ExtractOptions {
            source,
            out,
            tables: Vec::new(),
            mapping: Mapping::default(),
            page_rows: 10_000,
            write: WriteOptions::default(),
            connections: 2,
            max_rows_per_sec: None,
            isolation: Isolation::default(),
            query_timeout: Duration::from_secs(60),
            retries: 5,
            force: false,
        }
    }
}

/// What the run is doing, for progress bars. Table names are the dump's.
pub trait Progress: Send + Sync + 'static {
    /// A table starts: the server's estimate of its rows, and the rows
    /// earlier runs already extracted.
    fn table_started(&self, _table: &str, _estimate: Option<u64>, _already: u64) {}
    fn rows(&self, _table: &str, _rows: u64) {}
    /// Bytes the server sent for a page of `table` (as they came off the
    /// wire), told with the page's rows.
    fn bytes_read(&self, _table: &str, _bytes: u64) {}
    fn part_done(&self, _table: &str, _parts: u32) {}
    /// The same commit: the part, its rows and bytes, and the seconds
    /// from opening it to committing it.
    fn part_committed(&self, _part: &CommittedPart) {}
    fn retrying(&self, _table: &str, _attempt: u32, _reason: &str) {}
    fn table_done(&self, _table: &str) {}
    fn warning(&self, _message: &str) {}
}

impl Progress for () {}

/// A part just committed, for [`Progress::part_committed`].
#[derive(Debug, Clone)]
pub struct CommittedPart {
    pub table: &'static str,
    pub part: u32,
    pub rows: u64,
    /// Size of the part file.
    pub bytes: u64,
    pub seconds: f64,
}

/// How one table ended up.
#[derive(Debug, Clone)]
pub struct TableReport {
    pub name: &'static str,
    pub source_table: String,
    /// Rows in the dump, from every run.
    pub rows: u64,
    /// Rows this run read.
    pub rows_this_run: u64,
    /// How long this run spent on the table.
    pub seconds: f64,
    pub parts: usize,
    pub bytes: u64,
    /// The server's count of rows up to the high-water key.
    pub source_rows: Option<u64>,
    pub retries: u64,
    pub anomalies: BTreeMap<AnomalyKind, u64>,
}

#[derive(Debug, Clone)]
pub struct ExtractReport {
    /// The dump was already complete with these settings; nothing was read.
    pub up_to_date: bool,
    /// This run continued an earlier one.
    pub resumed: bool,
    pub snapshot_at: Option<String>,
    pub tables: Vec<TableReport>,
    pub elapsed: Duration,
}

impl ExtractReport {
    pub fn rows_this_run(&self) -> u64 {
        self.tables.iter().map(|t| t.rows_this_run).sum()
    }
}

/// What the tables being read share.
#[derive(Clone)]
pub(crate) struct Shared {
    pub options: Arc<ExtractOptions>,
    pub writer: Arc<ManifestWriter>,
    pub progress: Arc<dyn Progress>,
    pub throttle: Option<Arc<Throttle>>,
    /// At most `connections` sessions, shared by every table and chunk.
    pub sessions: Arc<Sessions>,
    pub cancelled: Arc<AtomicBool>,
}

/// Extracts the mapped tables into `options.out`.
pub async fn extract(
    options: ExtractOptions,
    progress: Arc<dyn Progress>,
) -> Result<ExtractReport, ExtractError> {
    let started = Instant::now();
    // Claimed before the server is touched: a second run into the same
    // folder is refused at once. Held until the dump is finished.
    let folder = OutputFolder::lock(&options.out)?;
    let addr = connect::addr(&options.source);
    let mut tables = if options.tables.is_empty() {
        LegacyTable::ALL.to_vec()
    } else {
        options.tables.clone()
    };
    tables.sort();
    tables.dedup();

    let mut first = connect(&options.source, options.isolation).await?;
    let session = session_info(&mut first, &addr).await?;
    // Fail fast: every table and column is checked before any row is read.
    let mut plans = Vec::new();
    for &table in &tables {
        let plan = plan_table(&mut first, &addr, options.mapping.table(table)).await?;
        for w in &plan.warnings {
            progress.warning(w);
        }
        plans.push(plan);
    }

    let wanted = wanted_section(&options, &session, &plans);
    let start = folder.prepare(&STAGE, options.force, |m| difference(m, &wanted))?;
    let (manifest, resumed) = match start {
        Start::UpToDate(manifest) => {
            return Ok(report(&manifest, &BTreeMap::new(), true, false, started));
        }
        Start::Resume(manifest) => (manifest, true),
        Start::Fresh => (
            fresh_manifest(&mut first, &options, &session, &plans, wanted).await?,
            false,
        ),
    };
    let writer = Arc::new(ManifestWriter::create(&options.out, manifest)?);
    let workers = options.connections.clamp(1, 64);
    let shared = Shared {
        throttle: options.max_rows_per_sec.map(|r| Arc::new(Throttle::new(r))),
        sessions: Arc::new(Sessions::new(
            options.source.clone(),
            options.isolation,
            workers,
        )),
        options: Arc::new(options),
        writer,
        progress,
        cancelled: Arc::new(AtomicBool::new(false)),
    };

    // Biggest tables first, so that the small ones fill the gaps.
    let section = ExtractSection::of(&shared.writer.snapshot()).expect("written above");
    let mut queue = Vec::new();
    for plan in plans {
        let state = &section.tables[plan.mapping.table.name()];
        if state.done {
            continue;
        }
        let estimate = estimate_rows(&mut first, &addr, &plan).await;
        queue.push((plan, estimate));
    }
    queue.sort_by_key(|(_, estimate)| std::cmp::Reverse(estimate.unwrap_or(0)));
    let queue = Arc::new(Mutex::new(queue.into_iter().collect::<VecDeque<_>>()));

    shared.sessions.give(first);
    let mut handles = Vec::new();
    let runs = Arc::new(Mutex::new(BTreeMap::new()));
    // As many tables at once as sessions; a table with sessions to spare
    // (the last big one) reads several of its chunks at once.
    for _ in 0..workers {
        let (shared, queue, runs) = (shared.clone(), queue.clone(), runs.clone());
        handles.push(tokio::spawn(async move {
            let result = worker(&shared, &queue, &runs).await;
            if result.is_err() {
                shared.cancelled.store(true, Ordering::Relaxed);
            }
            result
        }));
    }
    let mut failure = None;
    for handle in handles {
        match handle.await.expect("an extract worker does not panic") {
            Ok(()) => {}
            // The first real error explains; the others only stopped for it.
            Err(ExtractError::Cancelled) => {}
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    let writer = Arc::try_unwrap(shared.writer).unwrap_or_else(|_| unreachable!("workers ended"));
    let manifest = writer.finish()?;
    drop(folder);
    let runs = runs.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Ok(report(&manifest, &runs, false, resumed, started))
}

type Queue = Mutex<VecDeque<(TablePlan, Option<u64>)>>;

/// Takes tables off the queue until none is left.
async fn worker(
    shared: &Shared,
    queue: &Queue,
    runs: &Mutex<BTreeMap<&'static str, (u64, f64)>>,
) -> Result<(), ExtractError> {
    loop {
        if shared.cancelled.load(Ordering::Relaxed) {
            return Err(ExtractError::Cancelled);
        }
        let Some((plan, estimate)) = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front()
        else {
            return Ok(());
        };
        let name = plan.mapping.table.name();
        let manifest = shared.writer.snapshot();
        let section = ExtractSection::of(&manifest).expect("the run wrote its section");
        let state = &section.tables[name];
        let entry = manifest.table(name);
        let already = entry.map_or(0, |t| t.records());
        shared.progress.table_started(name, estimate, already);
        let table_started = Instant::now();
        let run = match state.key_bounds {
            None => TableRun {
                rows: 0,
                retries: 0,
            },
            Some([lower, upper]) => {
                let range = Range {
                    after: entry
                        .and_then(|t| t.parts.last())
                        .and_then(|p| p.key_range)
                        .map_or(i64::MIN, |r| r[1]),
                    lower,
                    upper,
                    next_part: entry.map_or(0, |t| t.parts.len() as u32),
                    estimate,
                };
                read_any(shared, &Arc::new(plan.clone()), range).await?
            }
        };
        let source_rows = match state.key_bounds {
            None => 0,
            Some([_, upper]) => count_rows(shared, &plan, upper).await?,
        };
        shared.writer.update(|m| {
            if let Some(mut section) = ExtractSection::of(m) {
                if let Some(state) = section.tables.get_mut(name) {
                    state.done = true;
                    state.source_rows = Some(source_rows);
                    state.retries += run.retries;
                }
                section.store(m);
            }
        })?;
        runs.lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name, (run.rows, table_started.elapsed().as_secs_f64()));
        shared.progress.table_done(name);
    }
}

/// [`read_table`] for the record type of the plan's table.
async fn read_any(
    shared: &Shared,
    plan: &Arc<TablePlan>,
    range: Range,
) -> Result<TableRun, ExtractError> {
    use LegacyTable::*;
    match plan.mapping.table {
        Members => read_table::<legacy::Member>(shared, plan, range).await,
        Flirts => read_table::<legacy::Flirt>(shared, plan, range).await,
        Messages => read_table::<legacy::Message>(shared, plan, range).await,
        Blocks => read_table::<legacy::Block>(shared, plan, range).await,
        Favorites => read_table::<legacy::Favorite>(shared, plan, range).await,
        ProfileVisits => read_table::<legacy::ProfileVisit>(shared, plan, range).await,
        Photos => read_table::<legacy::Photo>(shared, plan, range).await,
        PhotoLikes => read_table::<legacy::PhotoLike>(shared, plan, range).await,
        SearchProfiles => read_table::<legacy::SearchProfile>(shared, plan, range).await,
    }
}

/// The server's count of the table's rows up to the high-water key: the
/// number the dump must hold.
async fn count_rows(shared: &Shared, plan: &TablePlan, upper: i64) -> Result<u64, ExtractError> {
    let options = &shared.options;
    let addr = connect::addr(&options.source);
    let mut session = shared.sessions.take().await;
    let client = session.connect().await?;
    let action = format!("counting the rows of {}", plan.mapping.display_name());
    let rows = tokio::time::timeout(
        options.query_timeout,
        fetch_all(client, &plan.count_sql(), &[&upper], &addr, &action),
    )
    .await
    .map_err(|_| ExtractError::QueryTimeout {
        table: plan.mapping.display_name(),
        seconds: options.query_timeout.as_secs(),
        attempts: 1,
    })??;
    session.release();
    Ok(rows
        .into_iter()
        .next()
        .and_then(|r| catalog::int(r.into_iter().next()))
        .unwrap_or(0) as u64)
}

fn wanted_section(
    options: &ExtractOptions,
    session: &catalog::SessionInfo,
    plans: &[TablePlan],
) -> ExtractSection {
    // The mapping as read (an optional column the server lacks shows as
    // none), table by table.
    let mut mapping = serde_json::Map::new();
    for plan in plans {
        let name = plan.mapping.table.name();
        let table = serde_json::to_value(&plan.mapping).expect("a mapping serialises");
        mapping.insert(name.into(), table);
    }
    ExtractSection {
        source: options.source.redacted(),
        database: session.database.clone(),
        server_version: session.version.clone(),
        isolation: options.isolation,
        page_rows: options.page_rows,
        part_rows: options.write.limits.max_records,
        part_bytes: options.write.limits.max_bytes,
        compression_level: options.write.level,
        mapping: mapping.into(),
        tables: plans
            .iter()
            .map(|p| {
                (
                    p.mapping.table.name().to_owned(),
                    TableState {
                        source_table: p.mapping.display_name(),
                        key_column: p.key_column.clone(),
                        key_bounds: None,
                        done: false,
                        source_rows: None,
                        retries: 0,
                        anomalies: BTreeMap::new(),
                        anomaly_examples: Vec::new(),
                    },
                )
            })
            .collect(),
    }
}

/// A new run's manifest: the key bounds of every table fixed now.
async fn fresh_manifest(
    conn: &mut Connection,
    options: &ExtractOptions,
    session: &catalog::SessionInfo,
    plans: &[TablePlan],
    mut section: ExtractSection,
) -> Result<Manifest, ExtractError> {
    let addr = connect::addr(&options.source);
    for plan in plans {
        let table = plan.mapping.display_name();
        let rows = fetch_all(
            conn,
            &plan.bounds_sql(),
            &[],
            &addr,
            &format!("reading the key range of {table}"),
        )
        .await
        .map_err(|e| table_error(e, plan, options))?;
        let bounds = rows.into_iter().next().and_then(|r| {
            let mut c = r.into_iter();
            Some([catalog::int(c.next())?, catalog::int(c.next())?])
        });
        section
            .tables
            .get_mut(plan.mapping.table.name())
            .expect("planned")
            .key_bounds = bounds;
    }
    let mut manifest = Manifest::new(DumpKindName::LegacyDump, options.source.redacted());
    manifest.snapshot_at = Some(pancake_proto::record::format_micros(
        pancake_proto::record::timestamp_micros(&session.now),
    ));
    for plan in plans {
        let t = plan.mapping.table;
        manifest.declare(t.name(), t.record_type());
    }
    section.store(&mut manifest);
    Ok(manifest)
}

/// A server error about a table, in the table's words.
fn table_error(e: ExtractError, plan: &TablePlan, options: &ExtractOptions) -> ExtractError {
    match e {
        ExtractError::Server {
            code: 229 | 230,
            message,
            ..
        } => ExtractError::PermissionDenied {
            table: plan.mapping.display_name(),
            user: options.source.user.clone(),
            message,
        },
        ExtractError::Server { code: 208, .. } => ExtractError::MissingTable {
            table: plan.mapping.display_name(),
            dump_table: plan.mapping.table.name().into(),
        },
        ExtractError::Server { code: 3952, .. } => ExtractError::SnapshotNotAllowed {
            database: options.source.database.clone(),
        },
        other => other,
    }
}

/// How `extract` treats the folder it is pointed at: an unfinished
/// extraction is continued, one made with other settings is refused (it
/// read a production server; only `--force` replaces it).
const STAGE: Stage = Stage {
    section: section::SECTION,
    output: "pancake extraction",
    run: "extraction",
    resume: true,
    replace_other_settings: false,
};

/// Why the extraction in a manifest cannot be continued with `wanted`.
fn difference(manifest: &Manifest, wanted: &ExtractSection) -> Option<String> {
    match ExtractSection::of(manifest) {
        None => Some("its extract section cannot be read".into()),
        Some(found) => found.difference(wanted),
    }
}

fn report(
    manifest: &Manifest,
    runs: &BTreeMap<&'static str, (u64, f64)>,
    up_to_date: bool,
    resumed: bool,
    started: Instant,
) -> ExtractReport {
    let section = ExtractSection::of(manifest);
    let tables = manifest
        .tables
        .iter()
        .filter_map(|t| {
            let table = LegacyTable::from_name(&t.name)?;
            let state = section.as_ref().and_then(|s| s.tables.get(&t.name));
            Some(TableReport {
                name: table.name(),
                source_table: state.map(|s| s.source_table.clone()).unwrap_or_default(),
                rows: t.records(),
                rows_this_run: runs.get(table.name()).map_or(0, |r| r.0),
                seconds: runs.get(table.name()).map_or(0.0, |r| r.1),
                parts: t.parts.len(),
                bytes: t.bytes(),
                source_rows: state.and_then(|s| s.source_rows),
                retries: state.map_or(0, |s| s.retries),
                anomalies: state.map(|s| s.anomalies.clone()).unwrap_or_default(),
            })
        })
        .collect();
    ExtractReport {
        up_to_date,
        resumed,
        snapshot_at: manifest.snapshot_at.clone(),
        tables,
        elapsed: started.elapsed(),
    }
}
