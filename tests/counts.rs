//! A count read from a file never sizes memory: a manifest claiming more
//! records for a part than a part can hold is refused by every command that
//! reads it, with an error naming the manifest, table and part and saying
//! what to do, never an abort.

mod common;

use common::{pancake, pancake_ok, text};
use std::path::Path;

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn a_manifest_claiming_a_quadrillion_rows_is_refused_by_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("tiny");
    pancake_ok(&["generate", "--preset", "tiny", "--out", s(&dump)]);

    // Edited by hand: the first part of messages claims 10^15 records.
    let path = dump.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let messages = manifest["tables"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|t| t["name"] == "messages")
        .unwrap();
    messages["parts"][0]["records"] = serde_json::json!(1_000_000_000_000_000u64);
    std::fs::write(&path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();

    let events = tmp.path().join("events");
    for args in [
        vec!["transform", "--in", s(&dump), "--out", s(&events)],
        vec!["transform", "--in", s(&dump), "--decode-only"],
        vec!["verify", s(&dump)],
        vec!["inspect", s(&dump)],
        vec!["inspect", s(&dump), "--json"],
    ] {
        let out = pancake(&args);
        let stderr = text(&out.stderr);
        // An abort (SIGABRT, exit 134) has no code here.
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        let error = stderr
            .lines()
            .find(|l| l.starts_with("error:"))
            .unwrap_or_else(|| panic!("{args:?}: no error line: {stderr}"));
        for says in [
            &format!("{}: table \"messages\", part 0", path.display()),
            "(\"messages/part-000000.pb.gz\")",
            "it claims 1000000000000000 records, more than the 100000000 a part can hold",
            "edited by hand: re-run the stage that wrote it",
        ] {
            assert!(error.contains(says), "{args:?}: says {says:?}: {error}");
        }
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    assert!(!events.exists(), "nothing written");
}

#[test]
fn parts_larger_than_the_format_allows_cannot_be_asked_for() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("tiny");
    for flag in ["--part-records", "--part-rows"] {
        let args: Vec<&str> = if flag == "--part-records" {
            vec!["generate", "--preset", "tiny", "--out", s(&dump)]
        } else {
            vec!["extract", "--out", s(&dump)]
        };
        let mut args = args;
        args.extend([flag, "100000001"]);
        let out = pancake(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("100000001 is not in 1..=100000000"),
            "{stderr}"
        );
        assert!(!dump.exists(), "{args:?}: nothing written");
    }
}
