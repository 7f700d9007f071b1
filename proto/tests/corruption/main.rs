//! Damaged, forged and mislabelled parts and manifests: each is refused with
//! the specific error, naming the file (and the record where there is one),
//! and nothing panics or reads garbage as data.

#[path = "../common/mod.rs"]
mod common;
mod forged;
mod manifest;

use common::xorshift;
use pancake_proto::dump::DumpKind;
use pancake_proto::legacy;
use pancake_proto::{PartEntry, PartError, PartReader, ReadOptions};
use prost_types::Timestamp;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------
// A valid part to damage
// ---------------------------------------------------------------------------

const TABLE: &str = "messages";
const RECORDS: usize = 300;

/// Messages with bodies of varied length and script, so the deflate data has
/// literals, matches and several Huffman blocks' worth of variety.
fn messages(n: usize) -> Vec<legacy::Message> {
    let words = [
        "hallo",
        "wie",
        "geht's",
        "😀",
        "Grüße",
        "привет",
        "日本",
        "¿qué?",
        "ça",
        "va",
        "🙈🙉🙊",
        "ok",
        "bis",
        "morgen",
        "øre",
        "Ωmega",
        "",
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..n)
        .map(|i| {
            let state = xorshift(&mut state);
            let len = (state % 40) as usize;
            let body: Vec<&str> = (0..len)
                .map(|j| words[((state >> (j % 50)) as usize + j * 7) % words.len()])
                .collect();
            legacy::Message {
                message_id: 1_000 + i as i64,
                sender_id: Some((state % 997) as i32 + 1),
                recipient_id: if i % 13 == 0 {
                    None
                } else {
                    Some((state % 991) as i32 + 1)
                },
                body: if i % 17 == 0 {
                    None
                } else {
                    Some(format!("{i}: {}", body.join(" ")))
                },
                sent_at: Some(Timestamp {
                    seconds: 1_200_000_000 + (state % 100_000_000) as i64,
                    nanos: 0,
                }),
                read_at: None,
                raw_texts: vec![],
                ..legacy::Message::default()
            }
        })
        .collect()
}

fn options() -> ReadOptions {
    let mut options = ReadOptions::expect::<legacy::Message>(DumpKind::LegacyDump, TABLE);
    options.part_number = Some(0);
    options
}

/// Writes a valid part of `records` into `dir` and returns its path, bytes and
/// manifest entry.
fn write_part(dir: &Path, number: u32, records: &[legacy::Message]) -> (PathBuf, PartEntry) {
    let entry = common::write_part(dir, DumpKind::LegacyDump, TABLE, number, records);
    (dir.join(&entry.file), entry)
}

/// Where part 0 of the table goes in a dump in `dir`, its folder made.
fn part_0_path(dir: &Path) -> PathBuf {
    let path = dir.join(TABLE).join("part-000000.pb.gz");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    path
}

/// Every offset of a file of `len` bytes in its first and last 64 bytes,
/// and a stride of them in between.
fn offsets(len: usize) -> Vec<usize> {
    let stride = (len / 700).max(1);
    let mut offsets: Vec<usize> = (0..64).chain((64..len).step_by(stride)).collect();
    offsets.extend(len.saturating_sub(64)..len);
    offsets.sort();
    offsets.dedup();
    offsets
}

/// Reads every record of the part at `path`.
fn read_all(path: &Path, options: &ReadOptions) -> Result<Vec<legacy::Message>, PartError> {
    let mut reader = PartReader::open(path, options)?;
    let mut out = Vec::new();
    while let Some(r) = reader.next_record::<legacy::Message>()? {
        out.push(r);
        assert!(out.len() <= 100_000, "runaway reader");
    }
    Ok(out)
}

/// The error must name `path`, through `path()` and in its message, and the
/// record index where the variant has one.
fn assert_names_file(err: &PartError, path: &Path) {
    assert_eq!(err.path(), path, "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("{}: ", path.display())),
        "the message starts with the file: {text}"
    );
    let record = match err {
        PartError::Truncated { record, .. }
        | PartError::Corrupt { record, .. }
        | PartError::RecordTooLarge { record, .. }
        | PartError::Decode { record, .. } => Some(*record),
        PartError::MissingTrailer { records, .. } => {
            assert!(text.contains(&format!("after {records} records")), "{text}");
            None
        }
        _ => None,
    };
    if let Some(record) = record {
        assert!(
            text.contains(&format!("record {record}")),
            "names record {record}: {text}"
        );
    }
}

fn variant(err: &PartError) -> &'static str {
    match err {
        PartError::Io(_) => "Io",
        PartError::Truncated { .. } => "Truncated",
        PartError::Corrupt { .. } => "Corrupt",
        PartError::BadHeader { .. } => "BadHeader",
        PartError::FormatVersion { .. } => "FormatVersion",
        PartError::RecordTooLarge { .. } => "RecordTooLarge",
        PartError::MissingTrailer { .. } => "MissingTrailer",
        PartError::TrailerMismatch { .. } => "TrailerMismatch",
        PartError::TrailingData { .. } => "TrailingData",
        PartError::EventContract(_) => "EventContract",
        PartError::Decode { .. } => "Decode",
        PartError::UnknownRecordType { .. } => "UnknownRecordType",
    }
}

/// The gzip header: magic (2), method, flags, mtime (4), extra flags, OS.
const GZIP_HEADER: usize = 10;
/// mtime, extra flags and OS: informational, protected by no checksum.
const UNPROTECTED: std::ops::Range<usize> = 4..10;
/// The gzip trailer: CRC32 and length of the uncompressed data.
const GZIP_TRAILER: usize = 8;

// ---------------------------------------------------------------------------
// Truncation
// ---------------------------------------------------------------------------

#[test]
fn a_part_cut_anywhere_is_truncated_never_half_read() {
    let tmp = tempfile::tempdir().unwrap();
    let records = messages(RECORDS);
    let (path, _) = write_part(&tmp.path().join("valid"), 0, &records);
    let bytes = std::fs::read(&path).unwrap();
    let len = bytes.len();
    assert!(len > 2_000, "the part has real deflate data ({len} bytes)");
    assert_eq!(read_all(&path, &options()).unwrap(), records);

    let cut_path = part_0_path(&tmp.path().join("cut"));
    let mut last_record = 0;
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    for cut in offsets(len) {
        std::fs::write(&cut_path, &bytes[..cut]).unwrap();
        let err = read_all(&cut_path, &options())
            .expect_err(&format!("a part cut at {cut} of {len} bytes read Ok"));
        assert_names_file(&err, &cut_path);
        *outcomes.entry(variant(&err)).or_default() += 1;
        match err {
            // Inside the gzip header too: flate2 reports the missing bytes as
            // an early end, which is what it is.
            PartError::Truncated { record, .. } => {
                // The more of the file is there, the further the reader gets,
                // but never past the trailer.
                assert!(
                    record >= last_record,
                    "cut at {cut}: record {record} after {last_record}"
                );
                last_record = record;
                if cut <= GZIP_HEADER {
                    assert_eq!(record, 0, "cut at {cut}");
                }
                // A break found right after the trailer frame (frame
                // RECORDS) is reported at the index after it, RECORDS + 1:
                // the reader cannot tell whether that frame was the trailer
                // or a record until the stream ends cleanly.
                if cut >= len - GZIP_TRAILER {
                    // Every frame was decompressed.
                    assert_eq!(record, RECORDS as u64 + 1, "cut at {cut}");
                } else {
                    assert!(
                        record <= RECORDS as u64 + 1,
                        "cut at {cut}: record {record}"
                    );
                }
            }
            other => panic!("cut at {cut} of {len}: expected Truncated, got {other:?}"),
        }
    }
    assert!(
        last_record > RECORDS as u64 / 2,
        "cuts reached far into the records"
    );
    // A cut anywhere in the deflate data is always Truncated, never Corrupt:
    // a prefix of a valid stream is not a damaged one.
    assert_eq!(
        outcomes.keys().copied().collect::<Vec<_>>(),
        ["Truncated"],
        "{outcomes:?}"
    );
}

#[test]
fn a_part_with_only_its_gzip_trailer_cut_is_truncated() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, _) = write_part(tmp.path(), 0, &messages(10));
    let bytes = std::fs::read(&path).unwrap();
    for missing in 1..=GZIP_TRAILER {
        std::fs::write(&path, &bytes[..bytes.len() - missing]).unwrap();
        let err = read_all(&path, &options()).unwrap_err();
        assert!(
            matches!(err, PartError::Truncated { .. }),
            "{missing}: {err:?}"
        );
        assert!(err.to_string().contains("truncated"), "{err}");
    }
}

// ---------------------------------------------------------------------------
// Flipped bytes
// ---------------------------------------------------------------------------

#[test]
fn a_flipped_byte_anywhere_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let records = messages(RECORDS);
    let (path, _) = write_part(&tmp.path().join("valid"), 0, &records);
    let mut bytes = std::fs::read(&path).unwrap();
    let len = bytes.len();

    let flip_path = part_0_path(&tmp.path().join("flip"));
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    for at in offsets(len) {
        bytes[at] ^= 0xff;
        std::fs::write(&flip_path, &bytes).unwrap();
        bytes[at] ^= 0xff;
        let result = read_all(&flip_path, &options());
        if UNPROTECTED.contains(&at) {
            // Only the gzip header's mtime, extra flags and OS byte are
            // covered by no checksum; they do not touch the data, which
            // reads back whole.
            assert_eq!(result.unwrap(), records, "flip at {at}");
            continue;
        }
        let err = result.expect_err(&format!("a flip at byte {at} of {len} read Ok"));
        assert_names_file(&err, &flip_path);
        *outcomes.entry(variant(&err)).or_default() += 1;
        match &err {
            PartError::Corrupt { .. }
            | PartError::Truncated { .. }
            | PartError::BadHeader { .. }
            | PartError::FormatVersion { .. }
            | PartError::RecordTooLarge { .. }
            | PartError::MissingTrailer { .. }
            | PartError::TrailerMismatch { .. }
            | PartError::Decode { .. } => {}
            other => panic!("flip at {at}: unexpected {other:?}"),
        }
        // "Not a gzip stream" only for damage to the gzip header itself:
        // the magic, the method and the flags (reserved bits set).
        let not_gzip = err.to_string().contains("not a gzip stream");
        assert_eq!(not_gzip, at < 4, "flip at {at}: {err}");
        if at >= len - GZIP_TRAILER {
            // The CRC32 or the length in the gzip trailer.
            assert!(
                matches!(err, PartError::Corrupt { .. }),
                "flip at {at}: {err:?}"
            );
        }
    }
    // Records are checked as they stream, so altered data is mostly caught
    // by a record that no longer decodes before the gzip CRC32 at the end.
    // Either way, the deflate decoder and the CRC32 catch some of it.
    assert!(
        outcomes.get("Corrupt").copied().unwrap_or(0) > 0,
        "{outcomes:?}"
    );
    assert!(
        outcomes.get("Decode").copied().unwrap_or(0) > 0,
        "{outcomes:?}"
    );
}
