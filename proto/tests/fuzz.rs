//! Random and mutated parts and manifests, fed to the part reader, the
//! manifest parser and verify: whatever the bytes, they return (a value or
//! an error naming the file), never panic, never abort, and never hold much
//! memory.
//!
//! Memory is measured by this binary's global allocator, which counts every
//! allocation: the largest single one and the peak of live bytes must stay
//! under [`BOUND`] in every case. An allocation over [`REFUSED_OVER`] is
//! refused outright (the process aborts with "memory allocation of N bytes
//! failed"), so a regression cannot take the machine's memory with it.
//!
//! Besides pure random bytes the cases start from valid parts (written with
//! [`PartWriter`]) and valid manifests and mutate them: flipped, inserted and
//! removed bytes, cuts, length prefixes set to huge values (2^40, u64::MAX,
//! just over the 16 MiB limit), trailers and headers that lie, frames dropped
//! or repeated, and counts in the manifest set to huge values, so the cases
//! get past the gzip and header checks into the record decoding and the
//! comparisons.

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use pancake_proto::dump::{DumpKind, PartHeader, PartTrailer};
use pancake_proto::events::{Event, EventKind, Reject, RejectReason};
use pancake_proto::legacy::{self, DirtyKind, DirtyRow};
use pancake_proto::manifest::{DumpKindName, MANIFEST_FILE};
use pancake_proto::part::{MAX_RECORD_BYTES, part_file_name};
use pancake_proto::verify::{read_counts, verify_dump};
use pancake_proto::{
    Manifest, ManifestError, ManifestWriter, PartEntry, PartError, PartLimits, PartReader,
    PartSpec, PartWriter, ReadOptions, Record, WriteOptions,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use prost::Message as _;
use serde_json::{Value, json};
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

// ---------------------------------------------------------------------------
// Counting memory
// ---------------------------------------------------------------------------

/// The most memory one case may take: its largest allocation and its peak
/// of live bytes above what was live when it started.
const BOUND: usize = 64 << 20;

/// Allocations larger than this are refused (and the process aborts).
const REFUSED_OVER: usize = 256 << 20;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static LARGEST: AtomicUsize = AtomicUsize::new(0);

/// [`System`], counting.
struct Counting;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn admit(size: usize) -> bool {
    LARGEST.fetch_max(size, Ordering::Relaxed);
    size <= REFUSED_OVER
}

fn grew(by: usize) {
    let live = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

fn shrank(by: usize) {
    LIVE.fetch_sub(by, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !admit(layout.size()) {
            return std::ptr::null_mut();
        }
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !admit(layout.size()) {
            return std::ptr::null_mut();
        }
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !admit(new_size) {
            return std::ptr::null_mut();
        }
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                shrank(layout.size() - new_size);
            }
        }
        p
    }
}

/// One case at a time in this binary, so that what the counters see is
/// the case's.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `case` and fails if it took more than [`BOUND`] bytes.
fn bounded<T>(what: &str, case: impl FnOnce() -> T) -> Result<T, TestCaseError> {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    LARGEST.store(0, Ordering::Relaxed);
    let out = case();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    let largest = LARGEST.load(Ordering::Relaxed);
    prop_assert!(largest < BOUND, "{what}: one allocation of {largest} bytes");
    prop_assert!(peak < BOUND, "{what}: {peak} bytes live at the peak");
    Ok(out)
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn the_counter_sees_allocations() {
    let _serial = serial();
    let big = || std::hint::black_box(Vec::<u8>::with_capacity(2 * BOUND));
    let err = bounded("a big vector", big).unwrap_err();
    assert!(err.to_string().contains("one allocation of"), "{err}");
    assert!(bounded("a small vector", || vec![1u8; 1 << 20]).is_ok());
}

// ---------------------------------------------------------------------------
// Valid parts to start from
// ---------------------------------------------------------------------------

/// A valid part as written, and what its header says.
#[derive(Debug)]
struct Base {
    spec: PartSpec,
    /// Its manifest entry, as the writer made it.
    entry: PartEntry,
    gz: Vec<u8>,
    /// The decompressed stream: header, records, trailer, each framed.
    plain: Vec<u8>,
}

fn write_base<R: Record>(kind: DumpKind, table: &str, records: &[R]) -> Base {
    let tmp = tempfile::tempdir().unwrap();
    let spec = PartSpec::of::<R>(kind, table, 0);
    let mut writer =
        PartWriter::create(tmp.path(), spec.clone(), &WriteOptions::default()).unwrap();
    for r in records {
        writer.write(r).unwrap();
    }
    let entry = writer.finish().unwrap();
    let gz = std::fs::read(tmp.path().join(&entry.file)).unwrap();
    let mut plain = Vec::new();
    GzDecoder::new(gz.as_slice())
        .read_to_end(&mut plain)
        .unwrap();
    Base {
        spec,
        entry,
        gz,
        plain,
    }
}

fn at(seconds: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds, nanos: 0 })
}

fn message(id: i64) -> legacy::Message {
    legacy::Message {
        message_id: id,
        sender_id: Some(id as i32 % 7),
        recipient_id: Some(3),
        body: Some("Hej! Mår du bra? 😀 ".repeat(id as usize % 5 + 1)),
        sent_at: at(1_300_000_000 + id),
        read_at: None,
        raw_texts: vec![legacy::RawText {
            column: "body".into(),
            utf16le: vec![0x00, 0xd8],
        }],
    }
}

/// Valid parts of several record types, made once.
fn bases() -> &'static [Base] {
    static BASES: OnceLock<Vec<Base>> = OnceLock::new();
    BASES.get_or_init(|| {
        let messages: Vec<_> = (1..=6).map(message).collect();
        let members: Vec<_> = (1..=4)
            .map(|id| legacy::Member {
                member_id: id,
                nickname: Some(format!("member{id}")),
                registered_at: at(1_200_000_000 + i64::from(id)),
                ..legacy::Member::default()
            })
            .collect();
        let events: Vec<_> = (1..=5)
            .map(|i| Event {
                event_id: format!("{i:032x}"),
                kind: EventKind::MessageSent as i32,
                occurred_at: at(1_400_000_000 + i),
                member_id: "m".into(),
                ..Event::default()
            })
            .collect();
        let rejects: Vec<_> = (1..=3)
            .map(|i| Reject {
                table: "messages".into(),
                key: i,
                reason: RejectReason::Orphan as i32,
                column: "sender_id".into(),
                part: 0,
                record: i as u64,
                row: message(i).encode_to_vec(),
                detail: "no such member".into(),
            })
            .collect();
        let dirty: Vec<_> = (1..=3)
            .map(|i| DirtyRow {
                table: "messages".into(),
                key: i,
                kind: DirtyKind::Orphan as i32,
                column: "sender_id".into(),
                part: 0,
                record: i as u64,
            })
            .collect();
        vec![
            write_base(DumpKind::LegacyDump, "messages", &messages),
            write_base(DumpKind::LegacyDump, "members", &members),
            write_base(DumpKind::EventStream, "messages", &events),
            write_base(DumpKind::EventStream, "messages_rejects", &rejects),
            write_base(DumpKind::LegacyDump, "dirty_rows", &dirty),
            write_base::<legacy::Flirt>(DumpKind::LegacyDump, "flirts", &[]),
        ]
    })
}

fn gzip(plain: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(plain).unwrap();
    encoder.finish().unwrap()
}

fn varint(value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    prost::encoding::encode_varint(value, &mut out);
    out
}

/// The frames of a stream: (start, prefix length, body length), as far as
/// they parse.
fn frames(plain: &[u8]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < plain.len() {
        let mut rest = &plain[at..];
        let before = rest.len();
        let Ok(len) = prost::encoding::decode_varint(&mut rest) else {
            break;
        };
        let prefix = before - rest.len();
        let Ok(len) = usize::try_from(len) else { break };
        if len > rest.len() {
            break;
        }
        out.push((at, prefix, len));
        at += prefix + len;
    }
    out
}

// ---------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------

/// A change to a part's bytes. Positions and frame numbers are taken modulo
/// what there is.
#[derive(Debug, Clone)]
enum Mutation {
    Flip {
        at: usize,
        mask: u8,
    },
    Truncate {
        at: usize,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    Remove {
        at: usize,
        len: usize,
    },
    /// Sets the length prefix of a frame, keeping its body.
    Prefix {
        frame: usize,
        length: u64,
    },
    /// Inserts a frame that claims `length` bytes, followed by a few.
    HugeFrame {
        frame: usize,
        length: u64,
    },
    /// Rewrites the trailer (the last frame) with other counts.
    Trailer {
        count: Option<u64>,
        bytes: Option<u64>,
        checksum: Option<u64>,
    },
    /// Rewrites the header (the first frame).
    Header {
        version: Option<u32>,
        kind: Option<i32>,
        part: Option<u32>,
        table: Option<String>,
        record_type: Option<String>,
    },
    DropFrame {
        frame: usize,
    },
    RepeatFrame {
        frame: usize,
    },
}

/// Lengths a hostile prefix might claim.
fn length() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..300,
        Just(1 << 40),
        Just(u64::MAX),
        (MAX_RECORD_BYTES - 2)..(MAX_RECORD_BYTES + 3),
        Just(64 * 1024 + 1),
        any::<u64>(),
    ]
}

/// Counts a hostile trailer or manifest might claim.
fn count() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..500,
        Just(1_000_000_000_000_000),
        Just(PartLimits::MAX_RECORDS),
        Just(PartLimits::MAX_RECORDS + 1),
        Just(u64::MAX),
        any::<u64>(),
    ]
}

fn record_type() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(legacy::Message::TYPE_NAME.to_owned()),
        Just(legacy::Member::TYPE_NAME.to_owned()),
        Just(Event::TYPE_NAME.to_owned()),
        Just(Reject::TYPE_NAME.to_owned()),
        Just(DirtyRow::TYPE_NAME.to_owned()),
        "[a-zA-Z.]{0,20}",
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 1..64usize).prop_map(|(at, len)| Mutation::Remove { at, len }),
        (any::<usize>(), length()).prop_map(|(frame, length)| Mutation::Prefix { frame, length }),
        (any::<usize>(), length())
            .prop_map(|(frame, length)| Mutation::HugeFrame { frame, length }),
        (
            prop::option::of(count()),
            prop::option::of(count()),
            prop::option::of(any::<u64>())
        )
            .prop_map(|(count, bytes, checksum)| Mutation::Trailer {
                count,
                bytes,
                checksum
            }),
        (
            prop::option::of(prop_oneof![Just(1u32), any::<u32>()]),
            prop::option::of(-1..4i32),
            prop::option::of(prop_oneof![Just(0u32), any::<u32>()]),
            prop::option::of("[a-z_]{0,12}"),
            prop::option::of(record_type()),
        )
            .prop_map(
                |(version, kind, part, table, record_type)| Mutation::Header {
                    version,
                    kind,
                    part,
                    table,
                    record_type,
                }
            ),
        any::<usize>().prop_map(|frame| Mutation::DropFrame { frame }),
        any::<usize>().prop_map(|frame| Mutation::RepeatFrame { frame }),
    ]
}

/// The byte-level mutations, for the compressed file.
fn raw_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 1..64usize).prop_map(|(at, len)| Mutation::Remove { at, len }),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let pick = |n: usize, len: usize| if len == 0 { 0 } else { n % len };
    let len = bytes.len();
    let frames = frames(bytes);
    let frame = |n: usize| (!frames.is_empty()).then(|| frames[n % frames.len()]);
    match mutation {
        Mutation::Flip { at, mask } => {
            if len > 0 {
                bytes[at % len] ^= mask;
            }
        }
        Mutation::Truncate { at } => bytes.truncate(pick(*at, len + 1)),
        Mutation::Insert { at, bytes: new } => {
            let at = pick(*at, len + 1);
            bytes.splice(at..at, new.iter().copied());
        }
        Mutation::Remove { at, len: n } => {
            let at = pick(*at, len + 1);
            bytes.drain(at..(at + n).min(len));
        }
        Mutation::Prefix { frame: n, length } => {
            if let Some((start, prefix, _)) = frame(*n) {
                bytes.splice(start..start + prefix, varint(*length));
            }
        }
        Mutation::HugeFrame { frame: n, length } => {
            let at = frame(*n).map_or(len, |(start, _, _)| start);
            let mut new = varint(*length);
            new.extend_from_slice(&[0x08, 0x01, 0x12, 0x00]);
            bytes.splice(at..at, new);
        }
        Mutation::Trailer {
            count,
            bytes: record_bytes,
            checksum,
        } => {
            if let Some((start, prefix, body)) = frames.last().copied() {
                let old = &bytes[start + prefix..start + prefix + body];
                let mut trailer = PartTrailer::decode(old).unwrap_or_default();
                trailer.record_count = count.unwrap_or(trailer.record_count);
                trailer.record_bytes = record_bytes.unwrap_or(trailer.record_bytes);
                trailer.checksum = checksum.unwrap_or(trailer.checksum);
                bytes.splice(
                    start..start + prefix + body,
                    trailer.encode_length_delimited_to_vec(),
                );
            }
        }
        Mutation::Header {
            version,
            kind,
            part,
            table,
            record_type,
        } => {
            if let Some((start, prefix, body)) = frames.first().copied() {
                let old = &bytes[start + prefix..start + prefix + body];
                let mut header = PartHeader::decode(old).unwrap_or_default();
                header.format_version = version.unwrap_or(header.format_version);
                header.kind = kind.unwrap_or(header.kind);
                header.part_number = part.unwrap_or(header.part_number);
                if let Some(table) = table {
                    header.table = table.clone();
                }
                if let Some(record_type) = record_type {
                    header.record_type = record_type.clone();
                }
                bytes.splice(
                    start..start + prefix + body,
                    header.encode_length_delimited_to_vec(),
                );
            }
        }
        Mutation::DropFrame { frame: n } => {
            if let Some((start, prefix, body)) = frame(*n) {
                bytes.drain(start..start + prefix + body);
            }
        }
        Mutation::RepeatFrame { frame: n } => {
            if let Some((start, prefix, body)) = frame(*n) {
                let copy = bytes[start..start + prefix + body].to_vec();
                bytes.splice(start..start, copy);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Reading whatever came out
// ---------------------------------------------------------------------------

fn expectations(spec: &PartSpec) -> ReadOptions {
    ReadOptions {
        kind: Some(spec.kind),
        table: Some(spec.table.clone()),
        record_type: Some(spec.record_type.clone()),
        part_number: Some(spec.part_number),
        max_record_bytes: None,
    }
}

/// Reads the part every way a stage does; an error must name the file.
fn read_every_way(path: &Path, spec: &PartSpec) -> Result<(), TestCaseError> {
    let names_file = |e: &PartError| -> Result<(), TestCaseError> {
        prop_assert_eq!(e.path(), path);
        let text = e.to_string();
        prop_assert!(
            text.starts_with(&path.display().to_string()),
            "the error names the file: {}",
            text
        );
        Ok(())
    };
    // Decoding every record by the type the header names (verify, inspect).
    if let Err(e) = read_counts(path, &ReadOptions::default()) {
        names_file(&e)?;
    }
    // As a stage expecting this part: frames only, then decoded.
    match PartReader::open(path, &expectations(spec)) {
        Ok(mut reader) => {
            if let Err(e) = reader.check_to_end() {
                names_file(&e)?;
            }
        }
        Err(e) => names_file(&e)?,
    }
    if let Ok(reader) = PartReader::open(path, &expectations(spec)) {
        for record in reader.records::<legacy::Message>() {
            if let Err(e) = record {
                names_file(&e)?;
            }
        }
    }
    Ok(())
}

/// Verifies `dir`, holding a part in place of `base`, with a manifest that
/// lists `base`: verify compares the two.
fn verify_with(dir: &Path, base: &Base) -> Result<(), TestCaseError> {
    let writer = ManifestWriter::create(
        dir,
        Manifest::new(
            match base.spec.kind {
                DumpKind::EventStream => DumpKindName::EventStream,
                _ => DumpKindName::LegacyDump,
            },
            "fuzz",
        ),
    )
    .unwrap();
    writer
        .commit_part(
            &base.spec.table,
            &base.spec.record_type,
            false,
            base.entry.clone(),
        )
        .unwrap();
    writer.finish().unwrap();
    match verify_dump(dir, |_| {}) {
        Ok(report) => {
            for problem in &report.problems {
                prop_assert!(!problem.reason.is_empty());
            }
        }
        Err(e) => prop_assert!(false, "the manifest was valid: {}", e),
    }
    Ok(())
}

fn write_part_file(dir: &Path, base: &Base, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(base.spec.relative_path());
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    path
}

// ---------------------------------------------------------------------------
// The part reader
// ---------------------------------------------------------------------------

#[test]
fn random_bytes_never_read_as_a_part() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let base = &bases()[0];
    let path = tmp.path().join("part.pb.gz");
    let strategy = (prop::collection::vec(any::<u8>(), 0..4096), any::<bool>());
    runner(192)
        .run(&strategy, |(bytes, gzipped)| {
            let file = if gzipped { gzip(&bytes) } else { bytes };
            std::fs::write(&path, &file).unwrap();
            bounded("random bytes", || read_every_way(&path, &base.spec))?
        })
        .unwrap();
}

#[test]
fn mutated_parts_fail_cleanly_in_bounded_memory() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let strategy = (
        0..bases().len(),
        prop::collection::vec(mutation(), 1..4),
        prop::collection::vec(raw_mutation(), 0..2),
    );
    let case = std::cell::Cell::new(0u32);
    runner(384)
        .run(&strategy, |(which, mutations, raw)| {
            let base = &bases()[which];
            let mut plain = base.plain.clone();
            for m in &mutations {
                apply(&mut plain, m);
            }
            let mut file = gzip(&plain);
            for m in &raw {
                apply(&mut file, m);
            }
            case.set(case.get() + 1);
            let dir = tmp.path().join(case.get().to_string());
            let path = write_part_file(&dir, base, &file);
            bounded("a mutated part", || read_every_way(&path, &base.spec))??;
            bounded("verify of a mutated part", || verify_with(&dir, base))??;
            std::fs::remove_dir_all(&dir).unwrap();
            Ok(())
        })
        .unwrap();
}

#[test]
fn mutated_compressed_parts_fail_cleanly_in_bounded_memory() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let strategy = (
        0..bases().len(),
        prop::collection::vec(raw_mutation(), 1..4),
    );
    runner(256)
        .run(&strategy, |(which, raw)| {
            let base = &bases()[which];
            let mut file = base.gz.clone();
            for m in &raw {
                apply(&mut file, m);
            }
            let path = write_part_file(tmp.path(), base, &file);
            bounded("a damaged gzip member", || {
                read_every_way(&path, &base.spec)
            })?
        })
        .unwrap();
}

#[test]
fn a_length_prefix_of_2_40_allocates_nothing_for_it() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let base = &bases()[0];
    for (frame, what) in [(0, "the header"), (1, "the first record"), (3, "a record")] {
        let mut plain = base.plain.clone();
        apply(
            &mut plain,
            &Mutation::Prefix {
                frame,
                length: 1 << 40,
            },
        );
        // A megabyte follows, so that a reader trusting the prefix would
        // find something to read.
        plain.extend(std::iter::repeat_n(0x08, 1 << 20));
        let path = write_part_file(tmp.path(), base, &gzip(&plain));
        let err = bounded(what, || {
            PartReader::open(&path, &expectations(&base.spec))
                .and_then(|mut r| r.check_to_end())
                .unwrap_err()
        })
        .unwrap();
        match (frame, &err) {
            (0, PartError::BadHeader { detail, .. }) => {
                assert!(detail.contains("1099511627776 bytes"), "{detail}")
            }
            (
                _,
                PartError::RecordTooLarge {
                    length: 1_099_511_627_776,
                    record,
                    ..
                },
            ) => assert_eq!(*record, frame as u64 - 1),
            _ => panic!("{what}: {err}"),
        }
        assert!(LARGEST.load(Ordering::Relaxed) < 1 << 20, "{what}");
    }

    // A caller asking for a higher limit still gets 16 MiB at most, so the
    // zeros behind the prefix are not read into memory.
    let mut plain = base.plain.clone();
    apply(
        &mut plain,
        &Mutation::Prefix {
            frame: 1,
            length: 1 << 40,
        },
    );
    plain.extend(std::iter::repeat_n(0, 4 << 20));
    let path = write_part_file(tmp.path(), base, &gzip(&plain));
    let unlimited = ReadOptions {
        max_record_bytes: Some(u64::MAX),
        ..expectations(&base.spec)
    };
    let err = bounded("a caller's higher limit", || {
        PartReader::open(&path, &unlimited)
            .and_then(|mut r| r.check_to_end())
            .unwrap_err()
    })
    .unwrap();
    assert!(
        matches!(
            err,
            PartError::RecordTooLarge {
                record: 0,
                limit: MAX_RECORD_BYTES,
                ..
            }
        ),
        "{err}"
    );
    assert!(LARGEST.load(Ordering::Relaxed) < 1 << 20);
}

// ---------------------------------------------------------------------------
// The manifest parser (and verify behind it)
// ---------------------------------------------------------------------------

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("messages".to_owned()),
        Just("members".to_owned()),
        Just("dirty_rows".to_owned()),
        Just("messages_rejects".to_owned()),
        Just("../up".to_owned()),
        "[a-z_/.]{0,12}",
    ]
}

fn time() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("2011-03-04T05:06:07Z".to_owned()),
        Just("1900-01-01T00:00:00Z".to_owned()),
        Just("-62135596800000000us".to_owned()),
        ".{0,12}",
    ]
}

fn part_entry(index: usize, table: String) -> impl Strategy<Value = Value> {
    (
        prop_oneof![4 => Just(index as u32), 1 => any::<u32>()],
        prop_oneof![4 => Just(part_file_name(&table, index as u32)), 1 => ".{0,20}"],
        // Mostly counts a part can have, so that the entry gets past the
        // checks on loading to verify.
        prop_oneof![
            3 => (0..500u64, 1..200u64).prop_map(|(n, size)| (n, n * size)),
            1 => (count(), count()),
        ],
        count(),
        prop_oneof![Just("0000000000000000".to_owned()), "[0-9a-g]{0,17}"],
        prop::option::of(any::<[i64; 2]>()),
        prop::option::of(prop::array::uniform2(time())),
    )
        .prop_map(
            |(number, file, (records, record_bytes), bytes, checksum, keys, times)| {
                let mut part = json!({
                    "number": number,
                    "file": file,
                    "records": records,
                    "bytes": bytes,
                    "record_bytes": record_bytes,
                    "checksum": checksum,
                });
                if let Some(keys) = keys {
                    part["key_range"] = json!(keys);
                }
                if let Some(times) = times {
                    part["time_range"] = json!(times);
                }
                part
            },
        )
}

fn table_entry() -> impl Strategy<Value = Value> {
    (name(), record_type(), 0..4usize).prop_flat_map(|(name, record_type, parts)| {
        let entries: Vec<_> = (0..parts).map(|i| part_entry(i, name.clone())).collect();
        entries.prop_map(move |parts| {
            json!({"name": name.clone(), "record_type": record_type.clone(), "parts": parts})
        })
    })
}

fn counts_by_name() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(
        prop_oneof![
            Just("message-sent".to_owned()),
            Just("orphan".to_owned()),
            ".{0,8}"
        ],
        count(),
        0..3,
    )
    .prop_map(|m| json!(m))
}

fn transform_section() -> impl Strategy<Value = Value> {
    let account = (
        prop::collection::vec(count(), 6),
        counts_by_name(),
        counts_by_name(),
    )
        .prop_map(|(n, events, rejects)| {
            json!({
                "input_parts": n[0], "parts_done": n[1], "rows": n[2],
                "rows_with_events": n[3], "rejected": n[4], "repaired": n[5],
                "events": events, "rejects": rejects,
            })
        });
    (
        prop::collection::btree_map(name(), account, 0..3),
        counts_by_name(),
        counts_by_name(),
        count(),
    )
        .prop_map(|(tables, kinds, rejects, part_events)| {
            json!({
                "input_fingerprint": "0", "part_events": part_events,
                "tables": tables, "kinds": kinds, "rejects": rejects,
            })
        })
}

fn manifest_json() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            8 => Just(json!(1)),
            1 => any::<u64>().prop_map(|v| json!(v)),
            1 => Just(json!("1"))
        ],
        prop_oneof![
            4 => Just("legacy-dump".to_owned()),
            4 => Just("event-stream".to_owned()),
            1 => ".{0,8}"
        ],
        any::<bool>(),
        prop::collection::vec(table_entry(), 0..3),
        prop::collection::vec(table_entry(), 0..2),
        prop::option::of(transform_section()),
    )
        .prop_map(|(version, kind, complete, tables, sidecars, transform)| {
            let mut m = json!({
                "format_version": version,
                "kind": kind,
                "source": "fuzz",
                "created_at": "2024-01-01T00:00:00Z",
                "complete": complete,
                "tables": tables,
                "sidecars": sidecars,
            });
            if let Some(t) = transform {
                m["transform"] = t;
            }
            m
        })
}

/// Loads whatever is in `dir`, checks what loaded keeps to the limits, and
/// verifies it.
fn load_and_verify(dir: &Path) -> Result<(), TestCaseError> {
    let path = dir.join(MANIFEST_FILE);
    match Manifest::load(dir) {
        Ok(manifest) => {
            for table in manifest.tables.iter().chain(&manifest.sidecars) {
                for p in &table.parts {
                    prop_assert!(p.records <= PartLimits::MAX_RECORDS, "{:?}", p);
                    prop_assert!(p.records <= p.record_bytes, "{:?}", p);
                }
                let _ = (table.records(), table.bytes(), table.record_bytes());
                let _ = (table.key_range(), table.time_range());
            }
            match verify_dump(dir, |_| {}) {
                Ok(report) => {
                    for problem in report.problems.iter().chain(&report.warnings) {
                        let _ = problem.to_string();
                    }
                }
                Err(e) => prop_assert!(false, "loaded once, refused after: {}", e),
            }
        }
        Err(ManifestError::Missing { .. }) => prop_assert!(false, "the manifest is there"),
        Err(e) => {
            let text = e.to_string();
            prop_assert!(
                text.starts_with(&path.display().to_string()),
                "the error names the manifest: {}",
                text
            );
        }
    }
    Ok(())
}

/// A dump with one valid part of messages beside the manifest, so that
/// verify has a real part to compare a manifest entry with.
fn dump_dir(tmp: &Path) -> std::path::PathBuf {
    let dir = tmp.join("dump");
    std::fs::create_dir_all(&dir).unwrap();
    write_part_file(&dir, &bases()[0], &bases()[0].gz);
    dir
}

#[test]
fn random_manifests_load_or_fail_cleanly_in_bounded_memory() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let dir = dump_dir(tmp.path());
    runner(384)
        .run(&manifest_json(), |manifest| {
            let text = serde_json::to_vec_pretty(&manifest).unwrap();
            std::fs::write(dir.join(MANIFEST_FILE), &text).unwrap();
            bounded("a random manifest", || load_and_verify(&dir))?
        })
        .unwrap();
}

/// A change to a manifest's text.
#[derive(Debug, Clone)]
enum TextMutation {
    Raw(Mutation),
    /// Replaces the `nth` number in the text.
    Number {
        nth: usize,
        with: &'static str,
    },
}

fn text_mutation() -> impl Strategy<Value = TextMutation> {
    prop_oneof![
        raw_mutation().prop_map(TextMutation::Raw),
        (
            any::<usize>(),
            prop::sample::select(vec![
                "1000000000000000",
                "100000001",
                "18446744073709551615",
                "18446744073709551616",
                "-1",
                "1e300",
                "0",
                "4294967296",
            ])
        )
            .prop_map(|(nth, with)| TextMutation::Number { nth, with }),
    ]
}

fn apply_text(text: &mut Vec<u8>, mutation: &TextMutation) {
    match mutation {
        TextMutation::Raw(m) => apply(text, m),
        TextMutation::Number { nth, with } => {
            let mut numbers = Vec::new();
            let mut i = 0;
            while i < text.len() {
                if text[i].is_ascii_digit() && (i == 0 || !text[i - 1].is_ascii_alphanumeric()) {
                    let start = i;
                    while i < text.len() && text[i].is_ascii_digit() {
                        i += 1;
                    }
                    numbers.push(start..i);
                } else {
                    i += 1;
                }
            }
            if !numbers.is_empty() {
                let range = numbers[nth % numbers.len()].clone();
                text.splice(range, with.bytes());
            }
        }
    }
}

#[test]
fn mutated_manifests_load_or_fail_cleanly_in_bounded_memory() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    // A real dump of two parts of messages, and its manifest.
    let src = tmp.path().join("src");
    let writer =
        ManifestWriter::create(&src, Manifest::new(DumpKindName::LegacyDump, "fuzz")).unwrap();
    for number in 0..2 {
        let spec = PartSpec::of::<legacy::Message>(DumpKind::LegacyDump, "messages", number);
        let mut part = PartWriter::create(&src, spec, &WriteOptions::default()).unwrap();
        for id in 0..20 {
            part.write(&message(i64::from(number) * 100 + id)).unwrap();
        }
        let entry = part.finish().unwrap();
        writer
            .commit_part("messages", legacy::Message::TYPE_NAME, false, entry)
            .unwrap();
    }
    writer.finish().unwrap();
    let original = std::fs::read(src.join(MANIFEST_FILE)).unwrap();
    runner(256)
        .run(&prop::collection::vec(text_mutation(), 1..4), |mutations| {
            let mut text = original.clone();
            for m in &mutations {
                apply_text(&mut text, m);
            }
            std::fs::write(src.join(MANIFEST_FILE), &text).unwrap();
            bounded("a mutated manifest", || load_and_verify(&src))?
        })
        .unwrap();
}
