//! Damaged, forged and mislabelled parts and manifests: each is refused with
//! the specific error, naming the file (and the record where there is one),
//! and nothing panics or reads garbage as data.

use flate2::Compression;
use flate2::write::GzEncoder;
use pancake_proto::dump::{DumpKind, PartHeader, PartTrailer};
use pancake_proto::legacy;
use pancake_proto::manifest::{DumpKindName, MANIFEST_FILE};
use pancake_proto::record::schema_fingerprint;
use pancake_proto::verify::{Problem, VerifyReport, verify_dump};
use pancake_proto::{
    Manifest, ManifestError, ManifestWriter, PartEntry, PartError, PartReader, PartSpec,
    PartWriter, ReadOptions, Record, WriteOptions,
};
use prost::Message as _;
use prost_types::Timestamp;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
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
    let spec = PartSpec::of::<legacy::Message>(DumpKind::LegacyDump, TABLE, number);
    let mut writer = PartWriter::create(dir, spec, &WriteOptions::default()).unwrap();
    for r in records {
        writer.write(r).unwrap();
    }
    let entry = writer.finish().unwrap();
    (dir.join(&entry.file), entry)
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

    // Every offset in the first and last 64 bytes, a stride in between.
    let stride = (len / 700).max(1);
    let mut cuts: Vec<usize> = (0..64).chain((64..len).step_by(stride)).collect();
    cuts.extend(len.saturating_sub(64)..len);
    cuts.sort();
    cuts.dedup();

    let cut_path = tmp.path().join("cut").join(TABLE).join("part-000000.pb.gz");
    std::fs::create_dir_all(cut_path.parent().unwrap()).unwrap();
    let mut last_record = 0;
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    for &cut in &cuts {
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

    let stride = (len / 700).max(1);
    let mut positions: Vec<usize> = (0..64).chain((64..len).step_by(stride)).collect();
    positions.extend(len.saturating_sub(64)..len);
    positions.sort();
    positions.dedup();

    let flip_path = tmp
        .path()
        .join("flip")
        .join(TABLE)
        .join("part-000000.pb.gz");
    std::fs::create_dir_all(flip_path.parent().unwrap()).unwrap();
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    for &at in &positions {
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

// ---------------------------------------------------------------------------
// Forged parts
// ---------------------------------------------------------------------------

fn gzip(content: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(content).unwrap();
    encoder.finish().unwrap()
}

fn header() -> PartHeader {
    PartHeader {
        format_version: pancake_proto::FORMAT_VERSION,
        kind: DumpKind::LegacyDump as i32,
        table: TABLE.into(),
        record_type: legacy::Message::TYPE_NAME.into(),
        schema_fingerprint: schema_fingerprint(legacy::Message::TYPE_NAME).unwrap(),
        part_number: 0,
    }
}

fn frames(records: &[legacy::Message]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        r.encode_length_delimited(&mut out).unwrap();
    }
    out
}

fn trailer(records: &[legacy::Message]) -> PartTrailer {
    let frames = frames(records);
    PartTrailer {
        record_count: records.len() as u64,
        checksum: xxhash_rust::xxh3::xxh3_64(&frames),
        record_bytes: frames.len() as u64,
    }
}

/// The uncompressed content of a part.
fn content(header: &PartHeader, records: &[u8], trailer: Option<&PartTrailer>) -> Vec<u8> {
    let mut out = header.encode_length_delimited_to_vec();
    out.extend_from_slice(records);
    if let Some(t) = trailer {
        t.encode_length_delimited(&mut out).unwrap();
    }
    out
}

struct Forge {
    _tmp: tempfile::TempDir,
    path: PathBuf,
    records: Vec<legacy::Message>,
}

impl Forge {
    fn new() -> Forge {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join(TABLE).join("part-000000.pb.gz");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        Forge {
            _tmp: tmp,
            path,
            records: messages(20),
        }
    }

    fn valid_content(&self) -> Vec<u8> {
        content(
            &header(),
            &frames(&self.records),
            Some(&trailer(&self.records)),
        )
    }

    /// Writes `file` and reads it with `options`, which must fail.
    fn fails_with(&self, file: &[u8], options: &ReadOptions) -> PartError {
        std::fs::write(&self.path, file).unwrap();
        let err = read_all(&self.path, options).expect_err("a forged part read Ok");
        assert_names_file(&err, &self.path);
        err
    }

    fn fails(&self, file: &[u8]) -> PartError {
        self.fails_with(file, &options())
    }

    fn with_header(&self, header: &PartHeader) -> PartError {
        let records = &self.records;
        self.fails(&gzip(&content(
            header,
            &frames(records),
            Some(&trailer(records)),
        )))
    }
}

fn bad_header_detail(err: PartError) -> String {
    match err {
        PartError::BadHeader { detail, .. } => detail,
        other => panic!("expected BadHeader, got {other:?}"),
    }
}

#[test]
fn a_forged_part_written_by_hand_reads_like_a_written_one() {
    // The forging below is right: the same content reads back, and matches
    // what PartWriter writes byte for byte once uncompressed.
    let forge = Forge::new();
    std::fs::write(&forge.path, gzip(&forge.valid_content())).unwrap();
    assert_eq!(read_all(&forge.path, &options()).unwrap(), forge.records);

    let tmp = tempfile::tempdir().unwrap();
    let (written, _) = write_part(tmp.path(), 0, &forge.records);
    let mut plain = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(written).unwrap()),
        &mut plain,
    )
    .unwrap();
    assert!(plain == forge.valid_content());
}

#[test]
fn another_format_version_is_refused() {
    let forge = Forge::new();
    for version in [0, 2, u32::MAX] {
        let err = forge.with_header(&PartHeader {
            format_version: version,
            ..header()
        });
        match &err {
            PartError::FormatVersion {
                found, supported, ..
            } => {
                assert_eq!(*found, version);
                assert_eq!(*supported, pancake_proto::FORMAT_VERSION);
            }
            other => panic!("expected FormatVersion, got {other:?}"),
        }
        assert!(
            err.to_string().contains(&format!("version {version}")),
            "{err}"
        );
    }
}

#[test]
fn a_header_for_another_table_type_kind_or_part_is_refused() {
    let forge = Forge::new();

    let detail = bad_header_detail(forge.with_header(&PartHeader {
        table: "flirts".into(),
        ..header()
    }));
    assert!(
        detail.contains("table is \"flirts\", expected \"messages\""),
        "{detail}"
    );

    let detail = bad_header_detail(forge.with_header(&PartHeader {
        record_type: legacy::Flirt::TYPE_NAME.into(),
        schema_fingerprint: schema_fingerprint(legacy::Flirt::TYPE_NAME).unwrap(),
        ..header()
    }));
    assert!(
        detail.contains("record type is \"pancake.legacy.v1.Flirt\""),
        "{detail}"
    );

    let detail = bad_header_detail(forge.with_header(&PartHeader {
        kind: DumpKind::EventStream as i32,
        ..header()
    }));
    assert!(detail.contains("DUMP_KIND_EVENT_STREAM"), "{detail}");

    for kind in [0, 3, -1] {
        let detail = bad_header_detail(forge.with_header(&PartHeader { kind, ..header() }));
        assert!(
            detail.contains(&format!("unknown dump kind {kind}")),
            "{detail}"
        );
    }

    let detail = bad_header_detail(forge.with_header(&PartHeader {
        part_number: 5,
        ..header()
    }));
    assert!(
        detail.contains("part number is \"5\", expected \"0\""),
        "{detail}"
    );
    // Without an expected part number, any number is accepted.
    std::fs::write(
        &forge.path,
        gzip(&content(
            &PartHeader {
                part_number: 5,
                ..header()
            },
            &frames(&forge.records),
            Some(&trailer(&forge.records)),
        )),
    )
    .unwrap();
    let mut any_part = options();
    any_part.part_number = None;
    assert_eq!(read_all(&forge.path, &any_part).unwrap(), forge.records);
}

#[test]
fn a_header_with_another_schema_fingerprint_is_refused() {
    let forge = Forge::new();
    for fingerprint in ["0123456789abcdef", ""] {
        let detail = bad_header_detail(forge.with_header(&PartHeader {
            schema_fingerprint: fingerprint.into(),
            ..header()
        }));
        assert!(detail.contains("schema fingerprint"), "{detail}");
        assert!(detail.contains("another version of the schema"), "{detail}");
    }
}

#[test]
fn a_header_naming_an_unknown_record_type_is_refused() {
    let forge = Forge::new();
    let forged = PartHeader {
        record_type: "pancake.legacy.v9.Member".into(),
        ..header()
    };
    let content = content(
        &forged,
        &frames(&forge.records),
        Some(&trailer(&forge.records)),
    );
    let mut no_type = options();
    no_type.record_type = None;
    match forge.fails_with(&gzip(&content), &no_type) {
        PartError::UnknownRecordType { record_type, .. } => {
            assert_eq!(record_type, "pancake.legacy.v9.Member")
        }
        other => panic!("expected UnknownRecordType, got {other:?}"),
    }
}

#[test]
fn a_header_that_is_not_a_header_is_refused() {
    let forge = Forge::new();
    // Bytes that are no PartHeader: field 1 as a length-delimited field.
    let mut garbage = Vec::new();
    prost::encoding::encode_varint(3, &mut garbage);
    garbage.extend_from_slice(&[0x0a, 0xff, 0xff]);
    let detail = bad_header_detail(forge.fails(&gzip(&garbage)));
    assert!(detail.contains("does not decode"), "{detail}");

    // A first frame claiming a huge length.
    let mut huge = Vec::new();
    prost::encoding::encode_varint(1 << 40, &mut huge);
    huge.extend_from_slice(&[0; 100]);
    let detail = bad_header_detail(forge.fails(&gzip(&huge)));
    assert!(detail.contains("far more than a header takes"), "{detail}");
}

#[test]
fn an_empty_gzip_member_is_refused() {
    let forge = Forge::new();
    let detail = bad_header_detail(forge.fails(&gzip(&[])));
    assert!(detail.contains("empty"), "{detail}");
}

#[test]
fn a_file_that_is_not_gzip_is_refused() {
    let forge = Forge::new();
    let detail = bad_header_detail(forge.fails(b"member_id,nickname\n1,alice\n2,bob\n"));
    assert!(detail.contains("not a gzip stream"), "{detail}");
    // The uncompressed content of a valid part is not a part either.
    let detail = bad_header_detail(forge.fails(&forge.valid_content()));
    assert!(detail.contains("not a gzip stream"), "{detail}");
    // gzip magic with another compression method.
    let mut other_method = gzip(&forge.valid_content());
    other_method[2] = 7;
    let detail = bad_header_detail(forge.fails(&other_method));
    assert!(detail.contains("not a gzip stream"), "{detail}");
}

#[test]
fn an_empty_or_tiny_file_is_truncated() {
    // Shorter than a gzip header: flate2 cannot tell what it is, only that
    // it ends early.
    let forge = Forge::new();
    for file in [&b""[..], b"\x1f", b"\x1f\x8b\x08\x00", b"hello"] {
        match forge.fails(file) {
            PartError::Truncated { record: 0, .. } => {}
            other => panic!("{file:?}: expected Truncated at record 0, got {other:?}"),
        }
    }
}

#[test]
fn a_missing_file_is_an_io_error() {
    let forge = Forge::new();
    let missing = forge.path.with_file_name("part-000009.pb.gz");
    let err = PartReader::open(&missing, &options()).err().unwrap();
    match &err {
        PartError::Io(io) => {
            assert_eq!(io.action, "open");
            assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected Io, got {other:?}"),
    }
    assert_names_file(&err, &missing);
    // The operating system's words are in the message, so not also its source().
    assert!(std::error::Error::source(&err).is_none(), "{err:?}");
}

#[test]
fn a_part_without_a_trailer_is_refused() {
    let forge = Forge::new();
    // Only the header.
    match forge.fails(&gzip(&content(&header(), &[], None))) {
        PartError::MissingTrailer { records: 0, .. } => {}
        other => panic!("expected MissingTrailer after 0 records, got {other:?}"),
    }
    // Header and records: the last record is taken for the trailer and
    // does not decode as one (a Message's sender_id, field 2, is a varint
    // where the trailer has a fixed64 checksum).
    let n = forge.records.len() as u64;
    match forge.fails(&gzip(&content(&header(), &frames(&forge.records), None))) {
        PartError::MissingTrailer { records, .. } => assert_eq!(records, n),
        other => panic!("expected MissingTrailer after {n} records, got {other:?}"),
    }
}

#[test]
fn a_last_record_that_parses_as_a_trailer_is_still_caught() {
    // A record with nothing but field 1 is also a valid PartTrailer (field 1
    // is the record count): its count cannot match, so the part is refused.
    let forge = Forge::new();
    let mut records = forge.records.clone();
    records.push(legacy::Message {
        message_id: 7,
        ..legacy::Message::default()
    });
    match forge.fails(&gzip(&content(&header(), &frames(&records), None))) {
        PartError::TrailerMismatch {
            field,
            in_trailer,
            read,
            ..
        } => {
            assert_eq!(field, "the record count");
            assert_eq!(in_trailer, "7");
            assert_eq!(read, forge.records.len().to_string());
        }
        other => panic!("expected TrailerMismatch, got {other:?}"),
    }
}

fn trailer_mismatch(err: PartError) -> (&'static str, String, String, String) {
    let text = err.to_string();
    match err {
        PartError::TrailerMismatch {
            field,
            in_trailer,
            read,
            ..
        } => (field, in_trailer, read, text),
        other => panic!("expected TrailerMismatch, got {other:?}"),
    }
}

#[test]
fn a_trailer_that_disagrees_with_the_records_is_refused() {
    let forge = Forge::new();
    let records = &forge.records;
    let good = trailer(records);
    let forged = |t: PartTrailer| gzip(&content(&header(), &frames(records), Some(&t)));

    let (field, in_trailer, read, text) = trailer_mismatch(forge.fails(&forged(PartTrailer {
        record_count: good.record_count + 1,
        ..good
    })));
    assert_eq!(field, "the record count");
    assert_eq!((in_trailer.as_str(), read.as_str()), ("21", "20"));
    assert!(
        text.contains("record count is 21 in the trailer but 20 in the part"),
        "{text}"
    );

    let (field, in_trailer, read, text) = trailer_mismatch(forge.fails(&forged(PartTrailer {
        checksum: good.checksum ^ 1,
        ..good
    })));
    assert_eq!(field, "the checksum");
    assert_eq!(in_trailer, format!("{:016x}", good.checksum ^ 1));
    assert_eq!(read, format!("{:016x}", good.checksum));
    assert!(text.contains("checksum"), "{text}");

    let (field, _, _, text) = trailer_mismatch(forge.fails(&forged(PartTrailer {
        record_bytes: good.record_bytes - 1,
        ..good
    })));
    assert_eq!(field, "the record bytes");
    assert!(text.contains("record bytes"), "{text}");

    // The checksum covers the order of the records.
    let mut swapped = records.clone();
    swapped.swap(3, 4);
    let file = gzip(&content(&header(), &frames(&swapped), Some(&good)));
    let (field, _, _, _) = trailer_mismatch(forge.fails(&file));
    assert_eq!(field, "the checksum");
}

#[test]
fn a_huge_length_prefix_is_refused_before_allocating() {
    let forge = Forge::new();
    let mut body = frames(&forge.records[..3]);
    prost::encoding::encode_varint(1 << 62, &mut body);
    body.extend_from_slice(&[0x08; 64]);
    let started = Instant::now();
    match forge.fails(&gzip(&content(&header(), &body, None))) {
        PartError::RecordTooLarge {
            record,
            length,
            limit,
            ..
        } => {
            assert_eq!(record, 3);
            assert_eq!(length, 1 << 62);
            assert_eq!(limit, ReadOptions::DEFAULT_MAX_RECORD_BYTES);
        }
        other => panic!("expected RecordTooLarge, got {other:?}"),
    }
    // u64::MAX, ten bytes of varint.
    let mut body = Vec::new();
    prost::encoding::encode_varint(u64::MAX, &mut body);
    match forge.fails(&gzip(&content(&header(), &body, None))) {
        PartError::RecordTooLarge {
            record: 0, length, ..
        } => assert_eq!(length, u64::MAX),
        other => panic!("expected RecordTooLarge, got {other:?}"),
    }
    // A length just over a lowered limit is refused too, an ordinary record
    // under it is not.
    let mut small = options();
    small.max_record_bytes = Some(5);
    match forge.fails_with(&gzip(&forge.valid_content()), &small) {
        PartError::RecordTooLarge {
            record: 0,
            limit: 5,
            ..
        } => {}
        other => panic!("expected RecordTooLarge, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "nothing huge was read or allocated"
    );
}

#[test]
fn a_length_prefix_longer_than_ten_bytes_is_corrupt() {
    let forge = Forge::new();
    let mut body = frames(&forge.records[..2]);
    body.extend_from_slice(&[0xff; 11]);
    body.push(0x01);
    match forge.fails(&gzip(&content(&header(), &body, None))) {
        PartError::Corrupt {
            record: 2, detail, ..
        } => {
            assert!(detail.contains("ten bytes"), "{detail}")
        }
        other => panic!("expected Corrupt at record 2, got {other:?}"),
    }
}

#[test]
fn content_cut_inside_a_clean_gzip_member_is_truncated() {
    let forge = Forge::new();
    let full = frames(&forge.records[..5]);
    // Cut inside the fourth record's body.
    let third = frames(&forge.records[..3]).len();
    let cut = &full[..third + 5];
    match forge.fails(&gzip(&content(&header(), cut, None))) {
        PartError::Truncated { record: 3, .. } => {}
        other => panic!("expected Truncated at record 3, got {other:?}"),
    }
    // Cut inside a length prefix (the first byte of a two-byte varint).
    let mut cut = frames(&forge.records[..2]);
    cut.push(0x80);
    match forge.fails(&gzip(&content(&header(), &cut, None))) {
        PartError::Truncated { record: 2, .. } => {}
        other => panic!("expected Truncated at record 2, got {other:?}"),
    }
    // Cut inside the header.
    let header = header().encode_length_delimited_to_vec();
    match forge.fails(&gzip(&header[..header.len() - 3])) {
        PartError::Truncated { record: 0, .. } => {}
        other => panic!("expected Truncated at record 0, got {other:?}"),
    }
}

#[test]
fn a_record_that_does_not_decode_is_refused() {
    let forge = Forge::new();
    let mut records = frames(&forge.records[..4]);
    // A frame of 3 bytes that are no Message: field 1 with wire type 7.
    let junk = [0x0f, 0xff, 0xff];
    prost::encoding::encode_varint(junk.len() as u64, &mut records);
    records.extend_from_slice(&junk);
    records.extend_from_slice(&frames(&forge.records[4..]));
    let file = gzip(&content(&header(), &records, None));
    let err = forge.fails(&file);
    // The decoder's words are in the message, so not also its source().
    assert!(std::error::Error::source(&err).is_none(), "{err:?}");
    match err {
        PartError::Decode {
            record,
            record_type,
            ..
        } => {
            assert_eq!(record, 4);
            assert_eq!(record_type, legacy::Message::TYPE_NAME);
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[test]
fn bytes_after_the_gzip_member_are_refused() {
    let forge = Forge::new();
    let valid = gzip(&forge.valid_content());

    let mut file = valid.clone();
    file.extend_from_slice(b"\0\0\0\0\n");
    match forge.fails(&file) {
        PartError::TrailingData { extra, .. } => assert_eq!(extra, "5"),
        other => panic!("expected TrailingData, got {other:?}"),
    }

    // A second gzip member: a part is exactly one.
    let mut file = valid.clone();
    let second = gzip(&forge.valid_content());
    file.extend_from_slice(&second);
    match forge.fails(&file) {
        PartError::TrailingData { extra, .. } => assert_eq!(extra, second.len().to_string()),
        other => panic!("expected TrailingData, got {other:?}"),
    }
    // Even an empty one.
    let mut file = valid;
    file.extend_from_slice(&gzip(&[]));
    assert!(matches!(forge.fails(&file), PartError::TrailingData { .. }));
}

// ---------------------------------------------------------------------------
// The manifest against the parts
// ---------------------------------------------------------------------------

const PART_0: &str = "messages/part-000000.pb.gz";
const PART_1: &str = "messages/part-000001.pb.gz";

/// A complete dump of two parts of messages and verifies it.
fn dump() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let manifest =
        ManifestWriter::create(dir, Manifest::new(DumpKindName::LegacyDump, "test")).unwrap();
    let records = messages(200);
    for (n, chunk) in records.chunks(100).enumerate() {
        let (_, entry) = write_part(dir, n as u32, chunk);
        manifest
            .commit_part(TABLE, legacy::Message::TYPE_NAME, false, entry)
            .unwrap();
    }
    manifest.finish().unwrap();
    let report = verify_dump(dir, |_| {}).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    tmp
}

fn edit_manifest(dir: &Path, change: impl FnOnce(&mut Manifest)) {
    let mut manifest = Manifest::load(dir).unwrap();
    change(&mut manifest);
    manifest.save(dir).unwrap();
}

fn part_mut(manifest: &mut Manifest, n: usize) -> &mut PartEntry {
    &mut manifest.tables[0].parts[n]
}

/// The report must hold exactly one problem, about `file`, and say `says`.
fn one_problem(report: &VerifyReport, file: &str, says: &str) -> Problem {
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    let problem = report.problems[0].clone();
    assert_eq!(problem.file.as_deref(), Some(file), "{problem}");
    assert_eq!(problem.table.as_deref(), Some(TABLE), "{problem}");
    let text = problem.to_string();
    assert!(
        text.starts_with(&format!("{file}: ")),
        "names the file: {text}"
    );
    assert_eq!(text.matches(file).count(), 1, "names the file once: {text}");
    assert!(text.contains(says), "says {says:?}: {text}");
    problem
}

fn verify(dir: &Path) -> VerifyReport {
    verify_dump(dir, |_| {}).unwrap()
}

#[test]
fn a_manifest_disagreeing_with_a_part_is_a_problem() {
    type Edit = fn(&mut PartEntry);
    let cases: [(&str, Edit, &str); 7] = [
        (
            "records",
            |p| p.records += 1,
            "the record count is 101 in the manifest but 100 in the part",
        ),
        (
            "checksum",
            |p| p.checksum = "0000000000000000".into(),
            "the checksum is 0000000000000000 in the manifest",
        ),
        ("bytes", |p| p.bytes -= 1, "the size in bytes is"),
        (
            "record bytes",
            |p| p.record_bytes *= 2,
            "the record bytes is",
        ),
        (
            "key range",
            |p| p.key_range = Some([0, 1]),
            "the key range is Some([0, 1]) in the manifest but Some([1100, 1199])",
        ),
        (
            "no key range",
            |p| p.key_range = None,
            "the key range is None in the manifest",
        ),
        (
            "time range",
            |p| p.time_range = Some(["1900-01-01T00:00:00Z".into(), "2000-01-01T00:00:00Z".into()]),
            "the time range is",
        ),
    ];
    for (what, edit, says) in cases {
        let tmp = dump();
        edit_manifest(tmp.path(), |m| edit(part_mut(m, 1)));
        let report = verify(tmp.path());
        let problem = one_problem(&report, PART_1, says);
        assert!(
            problem
                .reason
                .contains("the manifest disagrees with the part"),
            "{what}: {problem}"
        );
        assert_eq!(report.parts_checked, 2, "{what}");
        assert_eq!(
            report.records_checked, 100,
            "{what}: only the good part counts"
        );
    }

    // Several disagreements in one part are listed together.
    let tmp = dump();
    edit_manifest(tmp.path(), |m| {
        let p = part_mut(m, 0);
        p.records = 5;
        p.checksum = "ffffffffffffffff".into();
    });
    let problem = one_problem(&verify(tmp.path()), PART_0, "the record count is 5");
    assert!(
        problem.reason.contains("the checksum is ffffffffffffffff"),
        "{problem}"
    );
}

#[test]
fn a_listed_part_that_is_missing_is_a_problem() {
    let tmp = dump();
    std::fs::remove_file(tmp.path().join(PART_0)).unwrap();
    let report = verify(tmp.path());
    one_problem(
        &report,
        PART_0,
        "missing: the manifest lists it but there is no such file",
    );
    assert_eq!(report.records_checked, 100);
}

#[test]
fn a_damaged_part_is_a_problem_naming_it() {
    let tmp = dump();
    let path = tmp.path().join(PART_1);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let problem = one_problem(&verify(tmp.path()), PART_1, "truncated at record");
    assert!(
        problem.reason.starts_with("truncated at record"),
        "{problem}"
    );

    let tmp = dump();
    let path = tmp.path().join(PART_0);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01; // the length in the gzip trailer
    std::fs::write(&path, &bytes).unwrap();
    one_problem(&verify(tmp.path()), PART_0, "corrupt at record");
}

#[test]
fn parts_swapped_on_disk_are_a_problem() {
    let tmp = dump();
    let (a, b) = (tmp.path().join(PART_0), tmp.path().join(PART_1));
    let c = tmp.path().join("swap");
    std::fs::rename(&a, &c).unwrap();
    std::fs::rename(&b, &a).unwrap();
    std::fs::rename(&c, &b).unwrap();
    let report = verify(tmp.path());
    assert_eq!(report.problems.len(), 2, "{:#?}", report.problems);
    for (problem, file) in report.problems.iter().zip([PART_0, PART_1]) {
        assert_eq!(problem.file.as_deref(), Some(file));
        assert!(
            problem.reason.contains("bad header: part number"),
            "{problem}"
        );
    }
}

#[test]
fn a_manifest_pointing_outside_the_table_folder_is_a_problem() {
    for file in [
        "../x",
        "../messages/part-000000.pb.gz",
        "/etc/passwd",
        "messages/part-000001.pb.gz",
        "flirts/part-000000.pb.gz",
    ] {
        let tmp = dump();
        edit_manifest(tmp.path(), |m| part_mut(m, 0).file = file.into());
        let report = verify(tmp.path());
        assert_eq!(report.problems.len(), 1, "{file}: {:#?}", report.problems);
        let problem = &report.problems[0];
        assert_eq!(problem.file.as_deref(), Some(file));
        assert!(
            problem.to_string().starts_with(&format!("{file}: ")),
            "{problem}"
        );
        assert!(
            problem
                .reason
                .contains("expected part 0 in \"messages/part-000000.pb.gz\""),
            "{problem}"
        );
    }
    // A part number out of place.
    let tmp = dump();
    edit_manifest(tmp.path(), |m| part_mut(m, 1).number = 7);
    let report = verify(tmp.path());
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    let problem = &report.problems[0];
    assert_eq!(problem.file.as_deref(), Some(PART_1));
    assert!(problem.reason.contains("lists part 7 as"), "{problem}");
}

#[test]
fn a_table_name_leading_outside_the_dump_is_a_problem() {
    // A table named "../elsewhere" whose part is where that name leads:
    // outside the dump. Verify must not read it.
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("dump");
    let table = "../elsewhere";
    let manifest =
        ManifestWriter::create(&dir, Manifest::new(DumpKindName::LegacyDump, "test")).unwrap();
    let spec = PartSpec::of::<legacy::Message>(DumpKind::LegacyDump, table, 0);
    let mut writer = PartWriter::create(&dir, spec, &WriteOptions::default()).unwrap();
    writer.write(&messages(1)[0]).unwrap();
    let entry = writer.finish().unwrap();
    assert!(root.path().join("elsewhere/part-000000.pb.gz").exists());
    std::fs::write(root.path().join("elsewhere/secret.txt"), b"not the dump's").unwrap();
    manifest
        .commit_part(table, legacy::Message::TYPE_NAME, false, entry)
        .unwrap();
    manifest.finish().unwrap();

    let report = verify(&dir);
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    let problem = &report.problems[0];
    assert_eq!(problem.table.as_deref(), Some(table));
    assert_eq!(
        problem.file.as_deref(),
        Some("../elsewhere/part-000000.pb.gz")
    );
    assert!(
        problem.reason.contains("not a folder name inside the dump"),
        "{problem}"
    );
    assert_eq!(report.records_checked, 0);
    assert!(
        report.warnings.is_empty(),
        "files outside the dump are not listed: {:#?}",
        report.warnings
    );

    for name in ["", ".", "..", "/abs", "a/b", "./messages"] {
        let tmp = dump();
        edit_manifest(tmp.path(), |m| m.tables[0].name = name.into());
        let report = verify(tmp.path());
        assert_eq!(report.problems.len(), 2, "{name:?}: {:#?}", report.problems);
        assert!(
            report.problems[0].reason.contains("not a folder name"),
            "{name:?}: {}",
            report.problems[0]
        );
    }
}

#[test]
fn a_manifest_of_another_kind_is_a_problem_for_every_part() {
    let tmp = dump();
    edit_manifest(tmp.path(), |m| m.kind = DumpKindName::EventStream);
    let report = verify(tmp.path());
    assert_eq!(report.problems.len(), 2, "{:#?}", report.problems);
    for problem in &report.problems {
        assert!(
            problem.reason.contains("expected a DUMP_KIND_EVENT_STREAM"),
            "{problem}"
        );
    }
}

#[test]
fn a_manifest_not_marked_complete_is_a_problem() {
    let tmp = dump();
    edit_manifest(tmp.path(), |m| m.complete = false);
    let report = verify(tmp.path());
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    let problem = &report.problems[0];
    assert_eq!(
        (problem.file.as_deref(), problem.table.as_deref()),
        (None, None)
    );
    assert!(problem.reason.contains("not marked complete"), "{problem}");
    // The parts themselves still verified.
    assert_eq!(report.records_checked, 200);
}

#[test]
fn an_invalid_or_missing_manifest_is_an_error() {
    let tmp = dump();
    let path = tmp.path().join(MANIFEST_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    for broken in [
        &text[..text.len() / 2],
        "",
        "null",
        "[]",
        "{\"format_version\": 1}",
        &text.replace("\"records\"", "\"rows\""),
        &text.replace("\"legacy-dump\"", "\"spreadsheet\""),
    ] {
        std::fs::write(&path, broken).unwrap();
        match verify_dump(tmp.path(), |_| {}) {
            Err(ManifestError::Invalid { path: p, .. }) => assert_eq!(p, path),
            other => panic!("{broken:?}: expected Invalid, got {other:?}"),
        }
    }
    let err = verify_dump(tmp.path(), |_| {}).err().unwrap();
    assert!(
        err.to_string()
            .starts_with(&format!("{}: not a valid manifest", path.display())),
        "{err}"
    );
    // The parser's words are in the message, so not also its source().
    assert!(std::error::Error::source(&err).is_none(), "{err:?}");

    std::fs::write(
        &path,
        text.replace("\"format_version\": 1", "\"format_version\": 2"),
    )
    .unwrap();
    match verify_dump(tmp.path(), |_| {}) {
        Err(ManifestError::FormatVersion {
            found: 2,
            supported: 1,
            ..
        }) => {}
        other => panic!("expected FormatVersion, got {other:?}"),
    }

    std::fs::remove_file(&path).unwrap();
    match verify_dump(tmp.path(), |_| {}) {
        Err(ManifestError::Missing { dir }) => assert_eq!(dir, tmp.path()),
        other => panic!("expected Missing, got {other:?}"),
    }
    match verify_dump(&tmp.path().join("nowhere"), |_| {}) {
        Err(ManifestError::Missing { .. }) => {}
        other => panic!("expected Missing, got {other:?}"),
    }
}

#[test]
fn a_manifest_claiming_counts_no_part_can_have_is_refused_when_read() {
    use pancake_proto::PartLimits;
    type Edit = fn(&mut PartEntry);
    let max = PartLimits::MAX_RECORDS;
    let cases: [(&str, Edit, String); 5] = [
        (
            "a quadrillion records",
            |p| p.records = 1_000_000_000_000_000,
            format!("it claims 1000000000000000 records, more than the {max} a part can hold"),
        ),
        (
            "one record over the limit",
            |p| {
                p.records = PartLimits::MAX_RECORDS + 1;
                p.record_bytes = u64::MAX;
            },
            format!(
                "it claims {} records, more than the {max} a part can hold",
                max + 1
            ),
        ),
        (
            "u64::MAX records",
            |p| p.records = u64::MAX,
            format!("it claims {} records", u64::MAX),
        ),
        (
            "more records than bytes",
            |p| p.records = p.record_bytes + 1,
            "bytes, but every record takes at least one byte".to_owned(),
        ),
        (
            "more bytes than records can take",
            |p| p.record_bytes = p.records * (17 << 20),
            "more than a record can take (16777216 bytes)".to_owned(),
        ),
    ];
    for (what, edit, says) in cases {
        let tmp = dump();
        edit_manifest_unchecked(tmp.path(), |m| edit(part_mut(m, 1)));
        let path = tmp.path().join(MANIFEST_FILE);
        let err = match Manifest::load(tmp.path()) {
            Err(e @ ManifestError::BadCount { .. }) => e,
            other => panic!("{what}: expected BadCount, got {other:?}"),
        };
        let text = err.to_string();
        assert!(
            text.starts_with(&format!(
                "{}: table \"messages\", part 1 (\"{PART_1}\"): ",
                path.display()
            )),
            "{what}: names the manifest, table and part: {text}"
        );
        assert!(text.contains(&says), "{what}: says {says:?}: {text}");
        assert!(
            text.ends_with("edited by hand: re-run the stage that wrote it"),
            "{what}: says what to do: {text}"
        );
        // Verify reads the manifest the same way.
        assert!(
            matches!(
                verify_dump(tmp.path(), |_| {}),
                Err(ManifestError::BadCount { part: 1, .. })
            ),
            "{what}"
        );
    }

    // A sidecar is checked like a table.
    let tmp = dump();
    edit_manifest_unchecked(tmp.path(), |m| {
        let mut sidecar = m.tables[0].clone();
        sidecar.name = "dirty_rows".into();
        sidecar.parts[0].records = u64::MAX;
        m.sidecars.push(sidecar);
    });
    match Manifest::load(tmp.path()) {
        Err(ManifestError::BadCount { table, part: 0, .. }) => assert_eq!(table, "dirty_rows"),
        other => panic!("expected BadCount, got {other:?}"),
    }

    // The limits themselves are fine: a part of that many records, of one
    // byte or of 16 MiB each, is one a writer can make.
    for record_bytes in [max, max * ((16 << 20) + 4)] {
        let tmp = dump();
        edit_manifest_unchecked(tmp.path(), |m| {
            let p = part_mut(m, 1);
            p.records = max;
            p.record_bytes = record_bytes;
        });
        let manifest = Manifest::load(tmp.path()).unwrap();
        assert_eq!(manifest.tables[0].records(), max + 100);
        // Only the part's own check finds the count is not the part's.
        let report = verify(tmp.path());
        one_problem(&report, PART_1, &format!("the record count is {max}"));
    }
}

/// Edits the manifest as text, so that what `Manifest::load` refuses can be
/// written too.
fn edit_manifest_unchecked(dir: &Path, change: impl FnOnce(&mut Manifest)) {
    let path = dir.join(MANIFEST_FILE);
    let mut manifest: Manifest = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    change(&mut manifest);
    manifest.save(dir).unwrap();
}

#[test]
fn stray_files_are_warnings_not_problems() {
    let tmp = dump();
    let dir = tmp.path();
    std::fs::write(dir.join("messages/part-000002.pb.gz.tmp"), b"half a part").unwrap();
    std::fs::copy(dir.join(PART_1), dir.join("messages/part-000002.pb.gz")).unwrap();
    let report = verify(dir);
    assert!(report.is_ok(), "{:#?}", report.problems);
    assert_eq!(report.warnings.len(), 2, "{:#?}", report.warnings);
    let tmp_warning = &report.warnings[1];
    assert_eq!(
        tmp_warning.file.as_deref(),
        Some("messages/part-000002.pb.gz.tmp")
    );
    assert!(
        tmp_warning.reason.contains("unfinished part"),
        "{tmp_warning}"
    );
    let unlisted = &report.warnings[0];
    assert_eq!(unlisted.file.as_deref(), Some("messages/part-000002.pb.gz"));
    assert!(
        unlisted.reason.contains("not listed in the manifest"),
        "{unlisted}"
    );
}
