//! The transform: the row → event mapping per core (rows/s of `Row::check`
//! and `Row::events`, decoding and writing aside), and whole runs of
//! `finland` x0.1 (default 250,000-record parts) with one and two threads
//! beside the decode-only ceiling. Throughput is in input rows.
//!
//!     cargo bench -p pancake-benches --bench transform

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use pancake_datasets::{GenerateOptions, Preset, generate};
use pancake_proto::dump::DumpKind;
use pancake_proto::events::Event;
use pancake_proto::{LegacyTable, Manifest, PartReader, ReadOptions, legacy};
use pancake_transform::index::{MemberIndex, PhotoIndex};
use pancake_transform::rows::{Context, Row};
use pancake_transform::{DEFAULT_SITE_START, TransformOptions, decode_only, transform};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Rows of each table the mapping is measured on.
const ROWS: usize = 5_000;

fn finland(dir: &Path, scale: f64) -> PathBuf {
    let out = dir.join(format!("finland-{scale}"));
    let options = GenerateOptions::new(Preset::FINLAND, scale);
    generate(&out, &options, false, &()).expect("generate finland");
    out
}

/// Up to `limit` rows of a table, decoded.
fn rows<R: Row>(dir: &Path, manifest: &Manifest, limit: usize) -> Vec<R> {
    let table = R::TABLE.name();
    let mut out = Vec::new();
    for p in &manifest.table(table).expect("generated").parts {
        let options = ReadOptions {
            part_number: Some(p.number),
            ..ReadOptions::expect::<R>(DumpKind::LegacyDump, table)
        };
        let reader = PartReader::open(&dir.join(&p.file), &options).expect("a whole part");
        for row in reader.records::<R>() {
            if out.len() == limit {
                return out;
            }
            out.push(row.expect("a whole part"));
        }
    }
    out
}

/// Rows through `check` and, when valid, `events` (which takes the row, as
/// the transform does); returns the events made.
fn map<R: Row>(rows: Vec<R>, cx: &Context, events: &mut Vec<Event>) -> usize {
    events.clear();
    for row in rows {
        if row.check(cx).is_ok() {
            row.events(cx, events);
        }
    }
    black_box(&events[..]).len()
}

fn map_rows(c: &mut Criterion) {
    let data = tempfile::tempdir().expect("a temp dir");
    // 5,000 members and 60,000 messages between them.
    let dump = finland(data.path(), 0.05);
    let manifest = Manifest::load(&dump).expect("the manifest");
    let snapshot = pancake_datasets::world::SNAPSHOT;
    let site_start = DEFAULT_SITE_START;

    // The indexes as the transform builds them: every valid member and photo.
    let all_members: Vec<legacy::Member> = rows(&dump, &manifest, usize::MAX);
    let (no_members, no_photos) = (MemberIndex::default(), PhotoIndex::default());
    let bare = Context {
        members: &no_members,
        photos: &no_photos,
        site_start,
        snapshot,
    };
    let members = MemberIndex::new(
        site_start,
        all_members
            .iter()
            .filter(|m| m.check(&bare).is_ok())
            .map(|m| (m.member_id, m.registered_at.map_or(0, |t| t.seconds)))
            .collect(),
    );
    let with_members = Context {
        members: &members,
        ..bare
    };
    let photos = PhotoIndex::new(
        rows::<legacy::Photo>(&dump, &manifest, usize::MAX)
            .iter()
            .filter(|p| p.check(&with_members).is_ok())
            .map(|p| {
                let uploaded = p.uploaded_at.map_or(0, |t| t.seconds);
                (p.photo_id, (p.member_id.unwrap_or_default(), uploaded))
            })
            .collect(),
    );
    let cx = Context {
        members: &members,
        photos: &photos,
        site_start,
        snapshot,
    };

    let member_rows: Vec<legacy::Member> = all_members.into_iter().take(ROWS).collect();
    let message_rows: Vec<legacy::Message> = rows(&dump, &manifest, ROWS);
    let mut events = Vec::new();
    // Most rows are valid: the mapping is measured, not the rejects.
    assert!(map(message_rows.clone(), &cx, &mut events) > ROWS * 9 / 10);

    let mut group = c.benchmark_group("map_rows");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(member_rows.len() as u64));
    group.bench_function("members", |b| {
        b.iter_batched(
            || member_rows.clone(),
            |rows| map(rows, &cx, &mut events),
            BatchSize::LargeInput,
        )
    });
    group.throughput(Throughput::Elements(message_rows.len() as u64));
    group.bench_function("messages", |b| {
        b.iter_batched(
            || message_rows.clone(),
            |rows| map(rows, &cx, &mut events),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn end_to_end(c: &mut Criterion) {
    let data = tempfile::tempdir().expect("a temp dir");
    let dump = finland(data.path(), 0.1);
    let manifest = Manifest::load(&dump).expect("the manifest");
    let rows: u64 = LegacyTable::ALL
        .iter()
        .filter_map(|t| manifest.table(t.name()))
        .map(|t| t.records())
        .sum();

    let mut group = c.benchmark_group("end_to_end");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(rows));
    // Default --part-records (250,000) makes messages runs of 125,000 rows:
    // x0.1's one 120,000-row messages part is one chunk, whatever the threads.
    // 50,000 events a part cut it into five, which two threads share.
    for (threads, part_events) in [(1, 250_000), (2, 250_000), (2, 50_000)] {
        let name = if part_events == 250_000 {
            format!("transform/{threads}")
        } else {
            format!("transform_part_events_{part_events}/{threads}")
        };
        group.bench_function(name, |b| {
            b.iter_batched(
                || tempfile::tempdir().expect("a temp dir"),
                |out| {
                    let mut options =
                        TransformOptions::new(dump.clone(), out.path().join("events"));
                    options.threads = threads;
                    options.part_events = part_events;
                    let report = transform(&options, &()).expect("the transform succeeds");
                    assert_eq!(report.rows_this_run, rows);
                    // Dropped (deleted) outside the measurement.
                    out
                },
                BatchSize::PerIteration,
            )
        });
    }
    for threads in [1, 2] {
        group.bench_function(format!("decode_only/{threads}"), |b| {
            b.iter(|| {
                let n = decode_only(&dump, threads).expect("the dump decodes");
                assert_eq!(n, rows);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, map_rows, end_to_end);
criterion_main!(benches);
