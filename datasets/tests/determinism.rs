//! The same seed gives byte-identical dumps whatever the thread count.

mod common;

use common::*;
use pancake_datasets::Preset;
use pancake_proto::Manifest;
use std::path::Path;

fn without_creation_time(dir: &Path) -> Manifest {
    let mut manifest = Manifest::load(dir).unwrap();
    manifest.created_at.clear();
    manifest
}

#[test]
fn one_and_two_threads_write_identical_dumps() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let opts = |threads| small_parts(options(Preset::TINY, 2.0, 42, threads));
    generate_into(a.path(), &opts(1));
    generate_into(b.path(), &opts(2));

    let (ma, mb) = (
        without_creation_time(a.path()),
        without_creation_time(b.path()),
    );
    assert_eq!(ma, mb, "manifests differ between 1 and 2 threads");
    let messages = ma.table("messages").unwrap();
    assert!(
        messages.parts.len() > 3,
        "the test wants several parts per table"
    );
    for table in ma.tables.iter().chain(&ma.sidecars) {
        for part in &table.parts {
            let bytes_a = std::fs::read(a.path().join(&part.file)).unwrap();
            let bytes_b = std::fs::read(b.path().join(&part.file)).unwrap();
            assert!(
                bytes_a == bytes_b,
                "{} differs between thread counts",
                part.file
            );
        }
    }
}

#[test]
fn another_seed_gives_another_dump() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    generate_into(a.path(), &options(Preset::TINY, 1.0, 1, 2));
    generate_into(b.path(), &options(Preset::TINY, 1.0, 2, 2));
    let (ma, mb) = (
        Manifest::load(a.path()).unwrap(),
        Manifest::load(b.path()).unwrap(),
    );
    let checksum = |m: &Manifest| m.table("messages").unwrap().parts[0].checksum.clone();
    assert_ne!(checksum(&ma), checksum(&mb));
}
