//! The part reader: random bytes, and valid parts of every record type
//! mutated, read every way a stage reads them.

use crate::common::{gzip, manifest_kind, write_part};
use crate::mutations::{Mutation, apply, mutated, mutation, raw_mutation};
use crate::{LARGEST, bounded, names, runner, serial};
use flate2::read::GzDecoder;
use pancake_proto::dump::DumpKind;
use pancake_proto::events::{Event, EventKind, Reject, RejectReason};
use pancake_proto::legacy::{self, DirtyKind, DirtyRow};
use pancake_proto::part::MAX_RECORD_BYTES;
use pancake_proto::verify::{read_counts, verify_dump};
use pancake_proto::{
    Manifest, ManifestWriter, PartEntry, PartError, PartReader, PartSpec, ReadOptions, Record,
};
use proptest::prelude::*;
use prost::Message as _;
use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::Ordering;

// Valid parts to start from

/// A valid part as written, and what its header says.
#[derive(Debug)]
pub struct Base {
    pub spec: PartSpec,
    /// Its manifest entry, as the writer made it.
    pub entry: PartEntry,
    pub gz: Vec<u8>,
    /// The decompressed stream: header, records, trailer, each framed.
    pub plain: Vec<u8>,
}

pub fn write_base<R: Record>(kind: DumpKind, table: &str, records: &[R]) -> Base {
    let tmp = tempfile::tempdir().unwrap();
    let spec = PartSpec::of::<R>(kind, table, 0);
    let entry = write_part(tmp.path(), kind, table, 0, records);
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

pub fn at(seconds: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds, nanos: 0 })
}

pub fn message(id: i64) -> legacy::Message {
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
        ..legacy::Message::default()
    }
}

/// Valid parts of several record types, made once.
pub fn bases() -> &'static [Base] {
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
                event_id: (i as u128).to_be_bytes().to_vec(),
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

// ---------------------------------------------------------------------------
// Reading whatever came out
// ---------------------------------------------------------------------------

pub fn expectations(spec: &PartSpec) -> ReadOptions {
    ReadOptions {
        kind: Some(spec.kind),
        table: Some(spec.table.clone()),
        record_type: Some(spec.record_type.clone()),
        part_number: Some(spec.part_number),
        max_record_bytes: None,
    }
}

/// Reads the part every way a stage does; an error must name the file.
pub fn read_every_way(path: &Path, spec: &PartSpec) -> Result<(), TestCaseError> {
    let names_file = |e: &PartError| -> Result<(), TestCaseError> {
        prop_assert_eq!(e.path(), path);
        names(&e.to_string(), path)
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
pub fn verify_with(dir: &Path, base: &Base) -> Result<(), TestCaseError> {
    let writer =
        ManifestWriter::create(dir, Manifest::new(manifest_kind(base.spec.kind), "fuzz")).unwrap();
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

pub fn write_part_file(dir: &Path, base: &Base, bytes: &[u8]) -> std::path::PathBuf {
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
            let file = mutated(&gzip(&mutated(&base.plain, &mutations)), &raw);
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
            let file = mutated(&base.gz, &raw);
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
