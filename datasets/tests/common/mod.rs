//! Helpers shared by the datasets tests.
#![allow(dead_code)]

use pancake_datasets::{GenerateOptions, GenerateReport, Preset, generate};
use pancake_proto::dump::DumpKind;
use pancake_proto::part::{PartReader, ReadOptions};
use pancake_proto::{Manifest, PartLimits, Record, WriteOptions};
use std::path::Path;

pub fn options(preset: Preset, scale: f64, seed: u64, threads: usize) -> GenerateOptions {
    GenerateOptions {
        preset,
        scale,
        seed,
        threads,
        write: WriteOptions::default(),
    }
}

/// Small parts, so that tiny data sets span several parts per table.
pub fn small_parts(mut options: GenerateOptions) -> GenerateOptions {
    options.write.limits = PartLimits {
        max_records: 700,
        max_bytes: 64 * 1024,
    };
    options
}

pub fn generate_into(dir: &Path, options: &GenerateOptions) -> GenerateReport {
    generate(dir, options, false, &()).expect("generation succeeds")
}

/// Every record of a table with its part number and index, in dump order.
pub fn read_table<R: Record>(dir: &Path, table: &str) -> Vec<(u32, u64, R)> {
    let manifest = Manifest::load(dir).unwrap();
    let entry = manifest.any_table(table).expect("table listed");
    let mut out = Vec::new();
    for part in &entry.parts {
        let reader = PartReader::open(
            &dir.join(&part.file),
            &ReadOptions::expect::<R>(DumpKind::LegacyDump, table),
        )
        .unwrap();
        for (i, record) in reader.records::<R>().enumerate() {
            out.push((part.number, i as u64, record.unwrap()));
        }
    }
    out
}
