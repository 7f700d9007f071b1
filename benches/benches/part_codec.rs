//! Part writing and reading with realistic records: records/s and MB/s (of
//! encoded records, before compression) per compression level.
//!
//!     cargo bench -p pancake-benches --bench part_codec

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pancake_proto::dump::DumpKind;
use pancake_proto::part::{PartReader, ReadOptions};
use pancake_proto::{PartLimits, PartSpec, PartWriter, Record, WriteOptions};
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

const LEVELS: [u32; 3] = [1, 3, 6];

fn write_part<R: Record>(dir: &Path, table: &str, records: &[R], level: u32) -> u64 {
    let options = WriteOptions {
        level,
        limits: PartLimits {
            max_records: u64::MAX,
            max_bytes: u64::MAX,
        },
    };
    let spec = PartSpec::of::<R>(DumpKind::LegacyDump, table, 0);
    let mut writer = PartWriter::create(dir, spec, &options).unwrap();
    for record in records {
        writer.write(record).unwrap();
    }
    writer.finish().unwrap().bytes
}

fn read_part<R: Record>(path: &Path, table: &str) -> u64 {
    let reader =
        PartReader::open(path, &ReadOptions::expect::<R>(DumpKind::LegacyDump, table)).unwrap();
    let mut n = 0;
    for record in reader.records::<R>() {
        black_box(record.unwrap());
        n += 1;
    }
    n
}

fn bench_table<R: Record>(c: &mut Criterion, table: &str, records: Vec<R>) {
    let dir = tempfile::tempdir().unwrap();
    let encoded: u64 = records
        .iter()
        .map(|r| (r.encoded_len() + prost::length_delimiter_len(r.encoded_len())) as u64)
        .sum();
    for (unit, throughput) in [
        ("records", Throughput::Elements(records.len() as u64)),
        ("bytes", Throughput::Bytes(encoded)),
    ] {
        let mut group = c.benchmark_group(format!("part_write_{unit}/{table}"));
        group.throughput(throughput.clone());
        group
            .sample_size(10)
            .measurement_time(Duration::from_secs(4));
        for level in LEVELS {
            group.bench_with_input(BenchmarkId::new("level", level), &level, |b, &level| {
                b.iter(|| write_part(dir.path(), table, &records, level))
            });
        }
        group.finish();

        let mut group = c.benchmark_group(format!("part_read_{unit}/{table}"));
        group.throughput(throughput);
        group
            .sample_size(10)
            .measurement_time(Duration::from_secs(4));
        for level in LEVELS {
            let written = tempfile::tempdir().unwrap();
            let size = write_part(written.path(), table, &records, level);
            eprintln!(
                "{table}: {} records, {encoded} bytes encoded, level {level}: {size} bytes on disk (ratio {:.3})",
                records.len(),
                size as f64 / encoded as f64
            );
            let path = written.path().join(format!("{table}/part-000000.pb.gz"));
            group.bench_with_input(BenchmarkId::new("level", level), &path, |b, path| {
                b.iter(|| read_part::<R>(path, table))
            });
        }
        group.finish();
    }
}

fn part_codec(c: &mut Criterion) {
    bench_table(c, "messages", pancake_benches::messages(50_000));
    bench_table(c, "members", pancake_benches::members(50_000));
    bench_table(c, "flirts", pancake_benches::flirts(100_000));
}

criterion_group!(benches, part_codec);
criterion_main!(benches);
