//! The PostgreSQL COPY path, in events/s of `finland` x0.1 (about 154,000
//! events) as an event stream with default parts:
//!
//! - `postgres_project`, no database: the stream's events, decoded
//!   beforehand, through each module's projection (`PartRows::new`,
//!   `project`, `PartRows::into_copies`) part by part into binary COPY
//!   bodies, for every module and for `audit` alone: the loader's own CPU
//!   per event;
//! - `load_postgres/pancake load postgres, ...`: the whole
//!   `pancake_load::postgres::load` (databases created, schema, decoding,
//!   COPY with 4 writers, keys and indexes, waiting changes, finishing
//!   steps, ANALYZE) into fresh databases `bench<pid>_<n>_<module>`, for
//!   `audit` alone and for every module, timed around the call; the
//!   databases are dropped afterwards, outside the timing;
//! - `load_postgres/plain COPY, audit`: the ceiling for `audit`: its rows,
//!   rendered beforehand by the projection into one binary COPY body, sent
//!   by one `COPY events (...) FROM STDIN (FORMAT binary)` into a bare
//!   `events` table (load/sql/audit/v1.sql, no keys or indexes) of a
//!   scratch database `bench_copy_<pid>`, emptied with TRUNCATE between
//!   iterations outside the timing. `audit` has one row per event, so its
//!   rows/s are its events/s.
//!
//!     cargo bench -p pancake-benches --bench load_postgres
//!
//! Ten samples per benchmark, the loads and the plain COPY one iteration a
//! sample; warm-up and measurement times are criterion's defaults, so
//! `-- --warm-up-time 1 --measurement-time 3` shortens a run.
//!
//! The `load_postgres` group needs PostgreSQL on 127.0.0.1:5432
//! (scripts/services.sh starts one) or at DATABASE_URL; without it that
//! group says so on stderr and measures nothing (`postgres_project` still
//! runs). The server runs on the same machine: on 2 cores it shares the
//! CPU with the loader.

mod common;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use pancake_load::postgres::payload::{PayloadCodec, SAMPLE_BYTES, payload_bytes};
use pancake_load::postgres::project::{AUDIT, PartRows};
use pancake_load::postgres::server::Server;
use pancake_load::postgres::{DEFAULT_DATABASE_URL, PgOptions, PgReport, drop_databases, load};
use pancake_load::{MODULES, ModuleSpec};
use pancake_proto::dump::DumpKind;
use pancake_proto::events::Event;
use pancake_proto::{Manifest, PartReader, ReadOptions};
use sqlx::Connection as _;
use sqlx::postgres::PgConnection;
use std::hint::black_box;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

fn database_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.into())
}

/// The server at `url` when it answers: a TCP connection within a second,
/// then a login. Says why not on stderr.
fn server_up(url: &str, runtime: &Runtime) -> Option<Server> {
    let server = match Server::parse(url) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("load_postgres: skipped: {e}");
            return None;
        }
    };
    let reachable = server
        .addr()
        .to_socket_addrs()
        .ok()
        .into_iter()
        .flatten()
        .any(|a| TcpStream::connect_timeout(&a, Duration::from_secs(1)).is_ok());
    if !reachable {
        eprintln!(
            "load_postgres: skipped: no PostgreSQL at {} (scripts/services.sh starts one)",
            server.addr()
        );
        return None;
    }
    let login = runtime.block_on(async {
        let admin = server.admin_database().to_owned();
        let conn = tokio::time::timeout(Duration::from_secs(10), server.connect(&admin)).await;
        match conn {
            Ok(Ok(conn)) => {
                let _ = conn.close().await;
                Ok(())
            }
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!(
                "PostgreSQL at {} accepted a connection but no login within 10 s",
                server.addr()
            )),
        }
    });
    match login {
        Ok(()) => Some(server),
        Err(e) => {
            eprintln!("load_postgres: skipped: {e}");
            None
        }
    }
}

/// Every part of the stream, decoded, in the order the loader reads them.
fn decode(input: &Path) -> Vec<Vec<Event>> {
    let manifest = Manifest::load(input).expect("the stream's manifest");
    let mut parts = Vec::new();
    for table in &manifest.tables {
        for part in &table.parts {
            let options = ReadOptions {
                part_number: Some(part.number),
                ..ReadOptions::expect::<Event>(DumpKind::EventStream, &table.name)
            };
            let mut reader =
                PartReader::open(&input.join(&part.file), &options).expect("a whole part");
            let mut events = Vec::new();
            while let Some(event) = reader.next_record::<Event>().expect("a whole part") {
                events.push(event);
            }
            parts.push(events);
        }
    }
    parts
}

/// The parts' events through the projections of `modules` and into COPY
/// bodies, part by part as the loader does it; returns the bytes made.
fn project(
    parts: &[Vec<Event>],
    modules: &[&'static ModuleSpec],
    codec: &Arc<PayloadCodec>,
) -> usize {
    let mut bytes = 0;
    for part in parts {
        let mut rows: Vec<PartRows> = modules
            .iter()
            .map(|m| {
                PartRows::with_payloads(m.postgres, m.postgres.payload_dictionary.then_some(codec))
            })
            .collect();
        for event in part {
            for (module, rows) in modules.iter().zip(&mut rows) {
                if module.consumes(event.kind()) {
                    (module.postgres.project)(event, rows).expect("a valid event");
                }
            }
        }
        for (module, rows) in modules.iter().zip(rows) {
            let copies = rows.into_copies(module.postgres);
            bytes += copies.tables.iter().map(|(_, c)| c.len()).sum::<usize>();
            bytes += copies.pending.len();
        }
    }
    black_box(bytes)
}

/// A database that is dropped when this is, also when a benchmark panics.
struct Scratch<'a> {
    runtime: &'a Runtime,
    server: &'a Server,
    name: String,
}

impl Drop for Scratch<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.runtime.block_on(self.server.drop_database(&self.name)) {
            eprintln!("load_postgres: could not drop {}: {e}", self.name);
        }
    }
}

/// One run of the loader into fresh databases; they are dropped afterwards
/// (also when it failed). Returns its report and the time of the load.
fn timed_load(runtime: &Runtime, options: &PgOptions) -> (PgReport, Duration) {
    let started = Instant::now();
    let result = runtime.block_on(load(options, Arc::new(())));
    let took = started.elapsed();
    let dropped = runtime.block_on(drop_databases(options));
    let report = result.expect("the load succeeds");
    dropped.expect("the module databases are dropped");
    (report, took)
}

fn load_postgres(c: &mut Criterion) {
    let data = tempfile::tempdir().expect("a temp dir");
    let input = common::finland_stream(data.path());
    let parts = decode(&input);
    let events: u64 = parts.iter().map(|p| p.len() as u64).sum();
    let all: Vec<&'static ModuleSpec> = MODULES.iter().collect();
    let audit = ModuleSpec::by_name("audit").expect("the audit module");
    // The audit payloads' dictionary, trained as the loader trains it: on
    // the first payloads of each part, SAMPLE_BYTES in all.
    let codec = {
        let share = SAMPLE_BYTES / parts.len().max(1);
        let mut samples = Vec::new();
        for part in &parts {
            let mut taken = 0;
            for event in part {
                if taken >= share {
                    break;
                }
                let payload = payload_bytes(event);
                taken += payload.len();
                samples.push(payload);
            }
        }
        Arc::new(PayloadCodec::train(&samples))
    };
    eprintln!(
        "load_postgres: finland x0.1: {events} events in {} parts",
        parts.len()
    );

    let mut group = c.benchmark_group("postgres_project");
    group.sample_size(10);
    group.throughput(Throughput::Elements(events));
    group.bench_function("project+encode, all modules", |b| {
        b.iter(|| project(&parts, &all, &codec))
    });
    group.bench_function("project+encode, audit", |b| {
        b.iter(|| project(&parts, &[audit], &codec))
    });
    group.finish();

    let runtime = Runtime::new().expect("a runtime");
    let url = database_url();
    let Some(server) = server_up(&url, &runtime) else {
        return;
    };

    // The audit rows as one COPY body, and a bare table to copy them into.
    let body = {
        let mut rows = PartRows::with_payloads(&AUDIT, Some(&codec));
        for event in parts.iter().flatten() {
            (AUDIT.project)(event, &mut rows).expect("a valid event");
        }
        let mut copies = rows.into_copies(&AUDIT);
        assert_eq!(copies.tables.len(), 1);
        let (_, copy) = copies.tables.pop().expect("the events table");
        assert_eq!(copy.rows(), events, "one audit row per event");
        copy.finish()
    };
    drop(parts);
    let scratch = Scratch {
        runtime: &runtime,
        server: &server,
        name: format!("bench_copy_{}", std::process::id()),
    };
    let mut conn: PgConnection = runtime.block_on(async {
        scratch
            .server
            .create_database(&scratch.name)
            .await
            .expect("the scratch database is created");
        let mut conn = server
            .connect(&scratch.name)
            .await
            .expect("a connection to the scratch database");
        sqlx::raw_sql(AUDIT.migrations[0])
            .execute(&mut conn)
            .await
            .expect("the audit table is created");
        conn
    });
    let copy_statement = AUDIT.tables[0].copy_statement();

    let mut n = 0u32;
    let mut fresh = |modules: &[&str]| {
        n += 1;
        let mut options = PgOptions::new(input.clone(), url.clone());
        options.prefix = format!("bench{}_{n}", std::process::id());
        options.modules = modules.iter().map(|m| m.to_string()).collect();
        options
    };

    let mut group = c.benchmark_group("load_postgres");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(events));
    for (name, modules) in [("audit", &["audit"][..]), ("all modules", &[][..])] {
        group.bench_function(format!("pancake load postgres, {name}"), |b| {
            b.iter_custom(|iters| {
                let mut took = Duration::ZERO;
                for _ in 0..iters {
                    let (report, t) = timed_load(&runtime, &fresh(modules));
                    took += t;
                    assert_eq!(report.events_read, events);
                }
                took
            })
        });
    }
    group.bench_function("plain COPY, audit", |b| {
        b.iter_custom(|iters| {
            let mut took = Duration::ZERO;
            for _ in 0..iters {
                runtime.block_on(async {
                    sqlx::raw_sql("TRUNCATE events")
                        .execute(&mut conn)
                        .await
                        .expect("the table is emptied");
                    let started = Instant::now();
                    let mut copy = conn.copy_in_raw(&copy_statement).await.expect("COPY");
                    // In 1 MiB messages, as the loader sends them.
                    for chunk in body.chunks(1 << 20) {
                        copy.send(chunk).await.expect("COPY data");
                    }
                    let rows = copy.finish().await.expect("COPY ends");
                    took += started.elapsed();
                    assert_eq!(rows, events);
                });
            }
            took
        })
    });
    group.finish();
    runtime.block_on(async {
        let _ = conn.close().await;
    });
    drop(scratch);
}

criterion_group!(benches, load_postgres);
criterion_main!(benches);
