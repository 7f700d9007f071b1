//! The manifest parser, and verify behind it: random manifests and mutated
//! real ones load or fail naming the manifest, and what loads verifies.

use crate::common::legacy_dump;
use crate::mutations::{Mutation, apply, count, raw_mutation, record_type};
use crate::parts::{bases, message, write_part_file};
use crate::{bounded, names, runner, serial};
use pancake_proto::legacy;
use pancake_proto::manifest::MANIFEST_FILE;
use pancake_proto::part::part_file_name;
use pancake_proto::verify::verify_dump;
use pancake_proto::{Manifest, ManifestError, PartLimits};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::path::Path;

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
        Err(e) => names(&e.to_string(), &path)?,
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
    let parts: Vec<Vec<legacy::Message>> = (0..2)
        .map(|number| (0..20).map(|id| message(number * 100 + id)).collect())
        .collect();
    legacy_dump(&src, "messages", &[&parts[0], &parts[1]]);
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
