//! Counts from the input's manifest never size memory: a dump whose manifest
//! claims far more rows than its parts hold (within what a part may hold, so
//! the manifest itself loads) stops the transform with an error naming the
//! part, having allocated nothing for the rows that are not there.
//!
//! This binary's global allocator refuses any single allocation over
//! [`REFUSED_OVER`] (the process then aborts with "memory allocation of N
//! bytes failed") and remembers the largest it saw, so a count that sizes a
//! buffer shows as an abort instead of taking the machine's memory.

mod common;

use common::write_part;
use pancake_proto::manifest::DumpKindName;
use pancake_proto::{LegacyTable, Manifest, ManifestWriter, PartLimits, legacy};
use pancake_transform::TransformError;
use pancake_transform::index::DenseFill;
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// No test here needs a single allocation near this.
const REFUSED_OVER: usize = 256 << 20;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

/// [`System`], refusing allocations over [`REFUSED_OVER`].
struct Bounded;

#[global_allocator]
static ALLOCATOR: Bounded = Bounded;

fn admit(size: usize) -> bool {
    LARGEST.fetch_max(size, Ordering::Relaxed);
    size <= REFUSED_OVER
}

unsafe impl GlobalAlloc for Bounded {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !admit(layout.size()) {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !admit(layout.size()) {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !admit(new_size) {
            return std::ptr::null_mut();
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// The largest allocation of the whole binary so far.
fn largest() -> usize {
    LARGEST.load(Ordering::Relaxed)
}

/// No allocation so far took 64 MiB or more at once.
fn assert_no_large_allocation() {
    assert!(largest() < 64 << 20, "{} bytes at once", largest());
}

const SNAPSHOT: &str = "2024-01-01T00:00:00Z";

fn at(seconds: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds, nanos: 0 })
}

fn members() -> Vec<legacy::Member> {
    (1..=4)
        .map(|id| legacy::Member {
            member_id: id,
            nickname: Some(format!("member{id}")),
            email: Some(format!("m{id}@example.fi")),
            gender: Some(1),
            birth_date: Some(legacy::Date {
                year: 1980,
                month: 1,
                day: 1,
            }),
            registered_at: at(1_300_000_000 + i64::from(id)),
            ..legacy::Member::default()
        })
        .collect()
}

fn message(id: i64) -> legacy::Message {
    legacy::Message {
        message_id: id,
        sender_id: Some(1),
        recipient_id: Some(2),
        body: Some("hej".into()),
        sent_at: at(1_400_000_000 + id),
        ..legacy::Message::default()
    }
}

/// A complete dump of four members and `message_parts` parts of messages,
/// one message each.
fn dump(dir: &Path, message_parts: i64) -> PathBuf {
    let out = dir.join("dump");
    let mut manifest = Manifest::new(DumpKindName::LegacyDump, "counts test");
    manifest.snapshot_at = Some(SNAPSHOT.into());
    let writer = ManifestWriter::create(&out, manifest).unwrap();
    write_part(&writer, &out, LegacyTable::Members, &members());
    for id in 0..message_parts {
        write_part(&writer, &out, LegacyTable::Messages, &[message(id)]);
    }
    writer.finish().unwrap();
    out
}

/// Claims `records` rows for part `part` of `table` (record bytes to match,
/// so that the manifest still loads), and maybe changes more.
fn claim(dir: &Path, table: &str, part: usize, records: u64, more: impl FnOnce(&mut Manifest)) {
    let mut m = Manifest::load(dir).unwrap();
    let t = m.tables.iter_mut().find(|t| t.name == table).unwrap();
    let p = &mut t.parts[part];
    p.records = records;
    p.record_bytes = p.record_bytes.max(records);
    more(&mut m);
    m.save(dir).unwrap();
}

fn run(input: &Path, out: &Path, part_events: u64) -> Result<(), TransformError> {
    common::run(input, out, 1, part_events).map(|_| ())
}

/// An input part claiming 100 million rows, the most a part may hold, with
/// one output part per row: the transform used to allocate a slot for each
/// of the hundred million output parts before reading a row.
#[test]
fn a_part_claiming_rows_it_lacks_sizes_nothing_by_them() {
    let tmp = tempfile::tempdir().unwrap();
    let input = dump(tmp.path(), 1);
    claim(&input, "messages", 0, PartLimits::MAX_RECORDS, |_| {});
    let err = run(&input, &tmp.path().join("events"), 1).unwrap_err();
    match &err {
        TransformError::RowCount {
            file,
            manifest,
            found: 1,
        } => {
            assert!(file.ends_with("messages/part-000000.pb.gz"), "{err}");
            assert_eq!(*manifest, PartLimits::MAX_RECORDS);
        }
        other => panic!("expected RowCount, got {other}"),
    }
    assert!(
        err.to_string().contains("re-create it"),
        "says what to do: {err}"
    );
    assert_no_large_allocation();
}

/// Output parts are numbered with a u32: counts that would need more are
/// refused, never wrapped (which numbered parts twice, or panicked).
#[test]
fn output_part_numbers_never_wrap() {
    let tmp = tempfile::tempdir().unwrap();
    let input = dump(tmp.path(), 43);
    let mut m = Manifest::load(&input).unwrap();
    for p in &mut m.tables[1].parts {
        p.records = PartLimits::MAX_RECORDS;
        p.record_bytes = PartLimits::MAX_RECORDS;
    }
    m.save(&input).unwrap();
    // 43 parts of 100 million rows, a row an output part: 4.3 billion.
    let err = run(&input, &tmp.path().join("events"), 1).unwrap_err();
    match &err {
        TransformError::TooManyOutputParts {
            table: "messages",
            part: 42,
            part_events: 1,
        } => {}
        other => panic!("expected TooManyOutputParts, got {other}"),
    }
    let text = err.to_string();
    assert!(text.contains("raise --part-records"), "{text}");
    assert!(text.contains("`pancake verify` the input"), "{text}");
    assert_no_large_allocation();
}

/// The members index is filled in place when the manifest's key ranges and
/// row count say members are dense: a members part claiming 100 million
/// rows and keys up to 400 million used to get 1.6 GB of slots up front.
#[test]
fn a_members_part_overstating_its_rows_gets_slots_only_for_the_members_read() {
    let tmp = tempfile::tempdir().unwrap();
    let input = dump(tmp.path(), 1);
    claim(&input, "members", 0, PartLimits::MAX_RECORDS, |m| {
        m.tables[0].parts[0].key_range = Some([1, 400_000_000]);
    });
    let err = run(&input, &tmp.path().join("events"), 250_000).unwrap_err();
    match &err {
        TransformError::RowCount { file, found: 4, .. } => {
            assert!(file.ends_with("members/part-000000.pb.gz"), "{err}")
        }
        other => panic!("expected RowCount, got {other}"),
    }
    assert_no_large_allocation();
}

#[test]
fn a_dense_fill_allocates_pages_for_the_members_added() {
    // The whole id range, claimed dense by 600 million rows.
    let fill = DenseFill::new(0, 0, i64::from(i32::MAX), 600_000_000).unwrap();
    for id in 0..1000 {
        fill.add(id, 10 + i64::from(id));
    }
    assert_eq!(fill.allocated_bytes(), 16 << 10, "one page");
    let index = fill.finish().unwrap();
    assert_eq!(index.len(), 1000);
    assert_eq!(index.registered_at(999), Some(1009));
    assert_eq!(index.registered_at(1000), None);
    assert_eq!(index.registered_at(i32::MAX), None);
    assert_no_large_allocation();

    // Members one a page: the fill gives up (the index is then collected)
    // once its pages hold too few members, having allocated a few MiB.
    let fill = DenseFill::new(0, 0, i64::from(i32::MAX), 600_000_000).unwrap();
    for i in 0..100_000 {
        fill.add(i * 4096, 10);
    }
    assert!(
        fill.allocated_bytes() < 5 << 20,
        "{} bytes of pages",
        fill.allocated_bytes()
    );
    assert!(fill.finish().is_none());
}
