//! What the PostgreSQL loader is measured against: the exact rows it copies,
//! pre-rendered as files that plain tools load.
//!
//!     cargo run --release -p pancake-load --example pg_ceiling -- EVENTS OUT_DIR [--parts]
//!
//! writes, for every module and every table its projection fills,
//!
//! - `OUT_DIR/<module>/<table>.bin`: one binary COPY body (what
//!   `\copy <table> (<columns>) FROM '<file>' WITH (FORMAT binary)` reads),
//! - `OUT_DIR/<module>/<table>.csv`: the same values as CSV without a header
//!   line (uuid as text, timestamps as RFC 3339 with microseconds in UTC,
//!   dates as YYYY-MM-DD, NULL as an empty unquoted field, text and jsonb
//!   quoted with `""` for a quote),
//! - `OUT_DIR/tables.tsv`: module, table, rows, the columns, and the
//!   nullable columns (comma-separated), one table a line;
//! - with `--parts`, also `OUT_DIR/<module>/<table>.parts/<stream
//!   table>-<part>.bin`: each a complete COPY body of one stream part's
//!   rows, the unit the loader copies in one go.
//!
//! The rows are the loader's own: each part goes through the same
//! projection and `PartRows::into_copies`, so changes whose row is in the
//! same part (a message read, a block lifted) are folded into the row
//! exactly as the loader copies it. The changes for rows of other parts
//! (`pancake.pending`, applied by key after the bulk load) are left out:
//! they are the loader's finishing work, not rows. Memory stays bounded:
//! each part's rows are written out before the next part is read.
//!
//!     cargo run --release -p pancake-load --example pg_ceiling -- --load PREFIX EVENTS [--indexes-first] [--jobs N] [--modules M,...]
//!
//! runs the real loader (`pancake_load::postgres::load`, what `pancake load
//! postgres --reset` runs) into `<PREFIX><module>` from scratch and splits
//! its time into setup, the COPY phase (until the last part commits) and
//! the finishing phase (keys and indexes, waiting changes, the modules'
//! steps, ANALYZE).

use pancake_load::MODULES;
use pancake_load::postgres::project::{PartRows, TableSpec};
use pancake_load::postgres::{self, DEFAULT_DATABASE_URL, PgOptions, Progress};
use pancake_proto::dump::DumpKind;
use pancake_proto::events::Event;
use pancake_proto::{Manifest, PartReader, ReadOptions};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The binary COPY header: signature, flags, header extension length.
const HEADER_LEN: usize = 19;
/// The binary COPY trailer: a field count of -1.
const TRAILER: [u8; 2] = [0xff, 0xff];
/// Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01 UTC.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
/// Days from 1970-01-01 to 2000-01-01.
const PG_EPOCH_DAYS: i32 = 10_957;

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--load") {
        return timed_load(&args[1..]);
    }
    let (input, out, parts) = match args.as_slice() {
        [input, out] => (input, out, false),
        [input, out, flag] if flag == "--parts" => (input, out, true),
        _ => return Err("usage: pg_ceiling EVENTS OUT_DIR [--parts] | pg_ceiling --load PREFIX EVENTS [--indexes-first] [--jobs N] [--modules M,...]".into()),
    };
    render(Path::new(input), Path::new(out), parts)
}

/// A column's type, as the module's schema declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    Uuid,
    BigInt,
    Text,
    Timestamptz,
    Date,
    Jsonb,
}

/// (type, nullable) of `column` of `table`, from the module's first
/// migration (`load/sql/<module>/v1.sql`).
fn column_type(sql: &str, table: &str, column: &str) -> Result<(Type, bool), Error> {
    let opening = format!("CREATE TABLE {table} (");
    let start = sql
        .find(&opening)
        .ok_or_else(|| format!("no CREATE TABLE {table} in the schema"))?
        + opening.len();
    let body = &sql[start..];
    let body = &body[..body.find(");").unwrap_or(body.len())];
    for line in body.lines() {
        let mut words = line.split_whitespace();
        if words.next() != Some(column) {
            continue;
        }
        let ty = match words.next().map(|t| t.trim_end_matches(',')) {
            Some("uuid") => Type::Uuid,
            Some("bigint") => Type::BigInt,
            Some("text") => Type::Text,
            Some("timestamptz") => Type::Timestamptz,
            Some("date") => Type::Date,
            Some("jsonb") => Type::Jsonb,
            other => return Err(format!("{table}.{column}: type {other:?} not handled").into()),
        };
        return Ok((ty, !line.contains("NOT NULL")));
    }
    Err(format!("{table}.{column} not in the schema").into())
}

/// One table's two files.
struct Output {
    module: &'static str,
    spec: &'static TableSpec,
    types: Vec<Type>,
    nullable: Vec<&'static str>,
    bin: BufWriter<File>,
    csv: BufWriter<File>,
    rows: u64,
}

fn render(input: &Path, out: &Path, parts: bool) -> Result<(), Error> {
    let started = Instant::now();
    let manifest = Manifest::load(input)?;
    // outputs[m][t]: module m's table t.
    let mut outputs: Vec<Vec<Output>> = Vec::new();
    for module in MODULES {
        let dir = out.join(module.name);
        std::fs::create_dir_all(&dir)?;
        let sql = module.postgres.migrations[0];
        let mut tables = Vec::new();
        for spec in module.postgres.tables {
            if parts {
                std::fs::create_dir_all(dir.join(format!("{}.parts", spec.name)))?;
            }
            let mut types = Vec::new();
            let mut nullable = Vec::new();
            for column in spec.columns {
                let (ty, null) = column_type(sql, spec.name, column)?;
                types.push(ty);
                if null {
                    nullable.push(*column);
                }
            }
            let mut bin = BufWriter::with_capacity(
                1 << 20,
                File::create(dir.join(format!("{}.bin", spec.name)))?,
            );
            // The header of an empty body is the header of every body.
            bin.write_all(&pancake_load::postgres::copy::CopyData::new().finish()[..HEADER_LEN])?;
            let csv = BufWriter::with_capacity(
                1 << 20,
                File::create(dir.join(format!("{}.csv", spec.name)))?,
            );
            tables.push(Output {
                module: module.name,
                spec,
                types,
                nullable,
                bin,
                csv,
                rows: 0,
            });
        }
        outputs.push(tables);
    }

    let mut events = 0u64;
    // Per module: changes for rows of other parts, left out.
    let mut pending = vec![0u64; MODULES.len()];
    let (mut project_time, mut csv_time) = (Duration::ZERO, Duration::ZERO);
    for table in &manifest.tables {
        for part in &table.parts {
            let begun = Instant::now();
            let options = ReadOptions {
                part_number: Some(part.number),
                ..ReadOptions::expect::<Event>(DumpKind::EventStream, &table.name)
            };
            let mut reader = PartReader::open(&input.join(&part.file), &options)?;
            let mut rows: Vec<PartRows> =
                MODULES.iter().map(|m| PartRows::new(m.postgres)).collect();
            while let Some(event) = reader.next_record::<Event>()? {
                events += 1;
                for (module, rows) in MODULES.iter().zip(&mut rows) {
                    if module.consumes(event.kind()) {
                        (module.postgres.project)(&event, rows)?;
                    }
                }
            }
            let copies: Vec<_> = MODULES
                .iter()
                .zip(rows)
                .map(|(module, rows)| rows.into_copies(module.postgres))
                .collect();
            project_time += begun.elapsed();
            let begun = Instant::now();
            // The pending changes (copies.pending) are left out: see the top.
            for (m, copies) in copies.into_iter().enumerate() {
                pending[m] += copies.pending.rows();
                for (t, data) in copies.tables {
                    let output = &mut outputs[m][t];
                    let rows = data.rows();
                    let body = data.finish();
                    if parts {
                        std::fs::write(
                            out.join(output.module).join(format!(
                                "{}.parts/{}-{:06}.bin",
                                output.spec.name, table.name, part.number
                            )),
                            &body,
                        )?;
                    }
                    let rows_bytes = &body[HEADER_LEN..body.len() - TRAILER.len()];
                    output.bin.write_all(rows_bytes)?;
                    let decoded = write_csv(rows_bytes, &output.types, &mut output.csv)?;
                    if decoded != rows {
                        return Err(format!(
                            "{}.{}: decoded {decoded} rows of {rows}",
                            output.module, output.spec.name
                        )
                        .into());
                    }
                    output.rows += rows;
                }
            }
            csv_time += begun.elapsed();
        }
    }

    let mut list = BufWriter::new(File::create(out.join("tables.tsv"))?);
    let mut total = 0;
    println!("{events} events read");
    for output in outputs.into_iter().flatten() {
        let Output {
            module,
            spec,
            nullable,
            mut bin,
            mut csv,
            rows,
            ..
        } = output;
        bin.write_all(&TRAILER)?;
        bin.flush()?;
        csv.flush()?;
        total += rows;
        println!("{module:<9} {:<15} {rows:>9} rows", spec.name);
        writeln!(
            list,
            "{module}\t{}\t{rows}\t{}\t{}",
            spec.name,
            spec.columns.join(","),
            nullable.join(",")
        )?;
    }
    list.flush()?;
    for (module, pending) in MODULES.iter().zip(pending) {
        if pending > 0 {
            println!(
                "{:<9} {pending} change(s) for rows of other parts left out (the loader applies them after the bulk load)",
                module.name
            );
        }
    }
    println!(
        "{total} rows in {:.1} s (reading and projecting {:.1} s, CSV and writing {:.1} s) into {}",
        started.elapsed().as_secs_f64(),
        project_time.as_secs_f64(),
        csv_time.as_secs_f64(),
        out.display()
    );
    Ok(())
}

/// Reads the rows of a binary COPY body (no header, no trailer) and writes
/// them as CSV lines. Returns the rows read.
fn write_csv(mut body: &[u8], types: &[Type], out: &mut impl Write) -> Result<u64, Error> {
    fn take<'a>(body: &mut &'a [u8], n: usize) -> Result<&'a [u8], Error> {
        if body.len() < n {
            return Err("COPY body ends inside a row".into());
        }
        let (head, rest) = body.split_at(n);
        *body = rest;
        Ok(head)
    }
    let mut rows = 0;
    while !body.is_empty() {
        let fields = i16::from_be_bytes(take(&mut body, 2)?.try_into()?);
        if fields as usize != types.len() {
            return Err(format!("a row of {fields} fields, the table has {}", types.len()).into());
        }
        for (i, ty) in types.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            let len = i32::from_be_bytes(take(&mut body, 4)?.try_into()?);
            if len < 0 {
                continue; // NULL: an empty unquoted field.
            }
            let value = take(&mut body, len as usize)?;
            match ty {
                Type::Uuid => {
                    let uuid = uuid::Uuid::from_slice(value)?;
                    out.write_all(
                        uuid.hyphenated()
                            .encode_lower(&mut uuid::Uuid::encode_buffer())
                            .as_bytes(),
                    )?;
                }
                Type::BigInt => write!(out, "{}", i64::from_be_bytes(value.try_into()?))?,
                Type::Timestamptz => {
                    let micros = i64::from_be_bytes(value.try_into()?) + PG_EPOCH_MICROS;
                    let at = chrono::DateTime::from_timestamp_micros(micros)
                        .ok_or("a timestamp out of range")?;
                    write!(out, "{}", at.format("%Y-%m-%dT%H:%M:%S%.6fZ"))?;
                }
                Type::Date => {
                    let days = i32::from_be_bytes(value.try_into()?) + PG_EPOCH_DAYS;
                    let date = chrono::NaiveDate::from_num_days_from_ce_opt(days + 719_163)
                        .ok_or("a date out of range")?;
                    write!(out, "{}", date.format("%Y-%m-%d"))?;
                }
                Type::Text => quoted(value, out)?,
                // jsonb's binary form: a version byte (1), then the text.
                Type::Jsonb => quoted(&value[1..], out)?,
            }
        }
        out.write_all(b"\n")?;
        rows += 1;
    }
    Ok(rows)
}

/// `text` in double quotes, each quote doubled.
fn quoted(text: &[u8], out: &mut impl Write) -> std::io::Result<()> {
    out.write_all(b"\"")?;
    for (i, piece) in text.split(|&b| b == b'"').enumerate() {
        if i > 0 {
            out.write_all(b"\"\"")?;
        }
        out.write_all(piece)?;
    }
    out.write_all(b"\"")
}

/// When the phases of a load began and ended, from the loader's progress.
struct Timing {
    begun: Instant,
    state: Mutex<TimingState>,
}

#[derive(Default)]
struct TimingState {
    /// Databases dropped, created, schemas applied (and indexes built with
    /// --indexes-first): the parts start loading.
    started: Option<Duration>,
    last_part: Option<Duration>,
    finishing: Vec<(&'static str, Duration)>,
}

impl Progress for Timing {
    fn started(&self, _modules: &[(&'static str, u64)]) {
        self.state.lock().expect("timing").started = Some(self.begun.elapsed());
    }
    fn part_loaded(&self, _module: &'static str, _events: u64, _rows: u64) {
        self.state.lock().expect("timing").last_part = Some(self.begun.elapsed());
    }
    fn finishing(&self, module: &'static str) {
        let at = self.begun.elapsed();
        self.state
            .lock()
            .expect("timing")
            .finishing
            .push((module, at));
    }
}

fn timed_load(args: &[String]) -> Result<(), Error> {
    let usage =
        "usage: pg_ceiling --load PREFIX EVENTS [--indexes-first] [--jobs N] [--modules M,...]";
    let [prefix, input, rest @ ..] = args else {
        return Err(usage.into());
    };
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.into());
    let mut options = PgOptions::new(PathBuf::from(input), url);
    options.prefix = prefix.clone();
    options.reset = true;
    let mut rest = rest.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--indexes-first" => options.indexes_first = true,
            "--jobs" => options.jobs = rest.next().ok_or(usage)?.parse()?,
            "--modules" => {
                options.modules = rest
                    .next()
                    .ok_or(usage)?
                    .split(',')
                    .map(str::to_owned)
                    .collect()
            }
            _ => return Err(usage.into()),
        }
    }
    let timing = Arc::new(Timing {
        begun: Instant::now(),
        state: Mutex::default(),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(postgres::load(&options, timing.clone()))?;
    let total = timing.begun.elapsed().as_secs_f64();
    let state = timing.state.lock().expect("timing");
    let started = state.started.unwrap_or_default().as_secs_f64();
    let last_part = state.last_part.unwrap_or_default().as_secs_f64();
    let rows: u64 = report.modules.iter().map(|m| m.rows).sum();
    let copy = last_part - started;
    println!(
        "indexes {}; {} stream events, {rows} rows",
        if options.indexes_first {
            "first"
        } else {
            "after the load"
        },
        report.events_read
    );
    println!(
        "total {total:.2} s: setup (drop, create, schema{}) {started:.2} s, COPY phase {copy:.2} s ({:.0} rows/s), finishing phase {:.2} s",
        if options.indexes_first {
            ", indexes"
        } else {
            ""
        },
        rows as f64 / copy,
        total - last_part
    );
    for m in &report.modules {
        let began = state
            .finishing
            .iter()
            .find(|(name, _)| *name == m.module)
            .map_or(f64::NAN, |(_, at)| at.as_secs_f64());
        println!(
            "{:<9} {:>9} events {:>9} rows; finishing began at {began:.2} s, took {:.2} s",
            m.module,
            m.events,
            m.rows,
            m.finish_elapsed.as_secs_f64()
        );
    }
    Ok(())
}
