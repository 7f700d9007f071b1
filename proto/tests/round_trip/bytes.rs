//! Byte-identical output: the same records make the same file, however
//! they are written, and the writer's limits and levels.

use crate::common::{self, write_part, xorshift};
use crate::long_body;
use pancake_proto::dump::DumpKind;
use pancake_proto::legacy;
use pancake_proto::part::FrameBuffer;
use pancake_proto::{PartReader, PartSpec, PartWriter, ReadOptions, WriteOptions};
use prost_types::Timestamp;

/// Enough varied messages for several deflate blocks.
fn many_messages(n: i64) -> Vec<legacy::Message> {
    let body = long_body();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..n)
        .map(|i| {
            let state = xorshift(&mut state);
            let len = (state % 400) as usize;
            let text: String = body
                .chars()
                .skip((state >> 20) as usize % 1000)
                .take(len)
                .collect();
            legacy::Message {
                message_id: i,
                sender_id: Some((state % 5000) as i32),
                recipient_id: if i % 11 == 0 {
                    None
                } else {
                    Some((state >> 32) as i32 % 5000)
                },
                body: Some(format!("{i} {state:x} {text}")),
                sent_at: Some(Timestamp {
                    seconds: 1_000_000_000 + i * 37,
                    nanos: 0,
                }),
                read_at: None,
                raw_texts: vec![],
                ..legacy::Message::default()
            }
        })
        .collect()
}

#[test]
fn frame_buffers_write_the_same_bytes_as_records_one_by_one() {
    let records = many_messages(3000);
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    let spec = PartSpec::of::<legacy::Message>(DumpKind::LegacyDump, "messages", 3);

    // One by one.
    let one_by_one = write_part(&a, DumpKind::LegacyDump, "messages", 3, &records);

    // One big frame buffer.
    let mut frames = FrameBuffer::new();
    assert!(frames.is_empty());
    for r in &records {
        frames.push(r);
    }
    assert_eq!(frames.stats().records, records.len() as u64);
    assert_eq!(
        frames.stats().record_bytes,
        common::frames(&records).len() as u64
    );
    let mut writer = PartWriter::create(&b, spec.clone(), &WriteOptions::default()).unwrap();
    writer.write_frames(&frames).unwrap();
    let buffered = writer.finish().unwrap();

    // Uneven frame buffers mixed with single writes, one buffer reused.
    let mut writer = PartWriter::create(&c, spec.clone(), &WriteOptions::default()).unwrap();
    let mut frames = FrameBuffer::new();
    let mut rest = records.as_slice();
    let mut size = 1;
    while !rest.is_empty() {
        let (now, later) = rest.split_at(size.min(rest.len()));
        if size % 3 == 0 {
            for r in now {
                writer.write(r).unwrap();
            }
        } else {
            frames.clear();
            for r in now {
                frames.push(r);
            }
            writer.write_frames(&frames).unwrap();
        }
        rest = later;
        size = size * 2 + 1;
    }
    let mixed = writer.finish().unwrap();

    assert_eq!(one_by_one, buffered);
    assert_eq!(one_by_one, mixed);
    let file = spec.relative_path();
    let bytes_a = std::fs::read(a.join(&file)).unwrap();
    assert!(
        bytes_a == std::fs::read(b.join(&file)).unwrap(),
        "write_frames output differs"
    );
    assert!(
        bytes_a == std::fs::read(c.join(&file)).unwrap(),
        "mixed output differs"
    );
}

#[test]
fn writing_the_same_records_twice_gives_identical_files() {
    let records = many_messages(500);
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let first = write_part(&a, DumpKind::LegacyDump, "messages", 0, &records);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = write_part(&b, DumpKind::LegacyDump, "messages", 0, &records);
    assert_eq!(first, second);
    let bytes = std::fs::read(a.join(&first.file)).unwrap();
    assert!(
        bytes == std::fs::read(b.join(&second.file)).unwrap(),
        "two writes differ"
    );
    // gzip: magic, deflate, no flags, mtime 0.
    assert_eq!(&bytes[..4], &[0x1f, 0x8b, 8, 0]);
    assert_eq!(&bytes[4..8], &[0, 0, 0, 0], "gzip mtime is 0");
}

#[test]
fn every_level_round_trips_and_store_is_larger() {
    let records = many_messages(200);
    let tmp = tempfile::tempdir().unwrap();
    let mut sizes = Vec::new();
    for level in [0, 1, 6, 9, 42] {
        let dir = tmp.path().join(level.to_string());
        let spec = PartSpec::of::<legacy::Message>(DumpKind::LegacyDump, "messages", 0);
        let options = WriteOptions {
            level,
            ..WriteOptions::default()
        };
        let mut writer = PartWriter::create(&dir, spec, &options).unwrap();
        for r in &records {
            writer.write(r).unwrap();
        }
        let entry = writer.finish().unwrap();
        let reader = PartReader::open(
            &dir.join(&entry.file),
            &ReadOptions::expect::<legacy::Message>(DumpKind::LegacyDump, "messages"),
        )
        .unwrap();
        let back: Vec<legacy::Message> = reader.records().collect::<Result<_, _>>().unwrap();
        assert_eq!(back, records, "level {level}");
        sizes.push(entry.bytes);
    }
    assert!(
        sizes[0] > sizes[1],
        "store is larger than level 1: {sizes:?}"
    );
    assert_eq!(sizes[3], sizes[4], "levels above 9 are 9");
}

#[test]
fn a_dropped_writer_leaves_no_file() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = PartSpec::of::<legacy::Message>(DumpKind::LegacyDump, "messages", 0);
    let path = tmp.path().join(spec.relative_path());
    let mut writer = PartWriter::create(tmp.path(), spec, &WriteOptions::default()).unwrap();
    writer.write(&many_messages(1)[0]).unwrap();
    drop(writer);
    assert!(!path.exists());
    let folder: Vec<_> = std::fs::read_dir(tmp.path().join("messages"))
        .unwrap()
        .collect();
    assert!(folder.is_empty(), "no .tmp left: {folder:?}");
}

#[test]
fn part_limits_are_reached_by_records_or_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = PartSpec::of::<legacy::Message>(DumpKind::LegacyDump, "messages", 0);
    let options = WriteOptions {
        limits: pancake_proto::PartLimits {
            max_records: 3,
            max_bytes: u64::MAX,
        },
        ..WriteOptions::default()
    };
    let mut writer = PartWriter::create(tmp.path(), spec.clone(), &options).unwrap();
    let records = many_messages(3);
    for (i, r) in records.iter().enumerate() {
        assert!(!writer.is_full(), "full after {i}");
        writer.write(r).unwrap();
    }
    assert!(writer.is_full());
    drop(writer);

    let frame = common::frames(&records[..1]).len() as u64;
    let options = WriteOptions {
        limits: pancake_proto::PartLimits {
            max_records: u64::MAX,
            max_bytes: frame,
        },
        ..WriteOptions::default()
    };
    let mut writer = PartWriter::create(tmp.path(), spec, &options).unwrap();
    assert!(!writer.is_full());
    writer.write(&records[0]).unwrap();
    assert!(writer.is_full());
}
