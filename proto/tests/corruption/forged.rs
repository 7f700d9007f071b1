//! Parts forged by hand, gzip and framing included: each lie (format
//! version, header, trailer, length prefixes, bytes after the end) is refused
//! with its own error.

use crate::common::{frames, gzip};
use crate::{TABLE, assert_names_file, messages, options, part_0_path, read_all, write_part};
use pancake_proto::dump::{DumpKind, PartHeader, PartTrailer};
use pancake_proto::legacy;
use pancake_proto::record::schema_fingerprint;
use pancake_proto::{PartError, PartReader, ReadOptions, Record};
use prost::Message as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

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
        let path = part_0_path(tmp.path());
        Forge {
            _tmp: tmp,
            path,
            records: messages(20),
        }
    }

    /// The content of a valid part of the records, but for `header`.
    fn content_with(&self, header: &PartHeader) -> Vec<u8> {
        content(
            header,
            &frames(&self.records),
            Some(&trailer(&self.records)),
        )
    }

    fn valid_content(&self) -> Vec<u8> {
        self.content_with(&header())
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
        self.fails(&gzip(&self.content_with(header)))
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
    let part_5 = forge.content_with(&PartHeader {
        part_number: 5,
        ..header()
    });
    std::fs::write(&forge.path, gzip(&part_5)).unwrap();
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
    let content = forge.content_with(&forged);
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
