//! `--log-format json` as a log pipeline reads it: stderr not a terminal,
//! every line one JSON object with a timestamp, a level and the stage; one
//! "part committed" line per output part of a transform, with its fields;
//! the start and the end; no progress bar in between; and no password from
//! a URL anywhere.

mod common;

use common::{command, pancake_ok, text};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

/// Every line of `stderr` as a JSON object (fails naming a line that is not
/// one).
fn json_lines(stderr: &str) -> Vec<Value> {
    stderr
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}\n{stderr}"));
            assert!(value.is_object(), "{line}");
            for key in ["timestamp", "level", "message"] {
                assert!(value[key].is_string(), "no {key} in {line}");
            }
            value
        })
        .collect()
}

/// `pancake ARGS --log-format json` with stderr piped and PANCAKE_LOG unset.
fn pancake_json(args: &[&str]) -> Output {
    command(args)
        .args(["--log-format", "json"])
        .env_remove("PANCAKE_LOG")
        .output()
        .expect("pancake runs")
}

/// `pancake generate --preset tiny --out DUMP`.
fn generate_tiny(dump: &Path) {
    pancake_ok(&[
        "generate",
        "--preset",
        "tiny",
        "--out",
        dump.to_str().unwrap(),
    ]);
}

fn with_message<'a>(lines: &'a [Value], message: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["message"] == message).collect()
}

#[test]
fn a_json_transform_log_has_one_line_per_committed_part_between_its_start_and_end() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    let events = tmp.path().join("events");
    generate_tiny(&dump);
    let out = pancake_json(&[
        "transform",
        "--in",
        dump.to_str().unwrap(),
        "--out",
        events.to_str().unwrap(),
        "--part-records",
        "400",
    ]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        !stderr.contains('\r') && !stderr.contains('\x1b'),
        "a progress bar reached a log: {stderr:?}"
    );
    let lines = json_lines(&stderr);
    for line in &lines {
        assert_eq!(line["stage"], "transform", "{line}");
    }
    let started = with_message(&lines, "stage started");
    let ended = with_message(&lines, "stage ended");
    assert_eq!(started.len(), 1, "{stderr}");
    assert_eq!(ended.len(), 1, "{stderr}");
    assert_eq!(started[0]["input"], dump.to_str().unwrap());
    assert_eq!(started[0]["output"], events.to_str().unwrap());
    let first = lines.iter().position(|l| l["message"] == "stage started");
    let last = lines.iter().position(|l| l["message"] == "stage ended");

    // Each output part of the manifest, logged once with its numbers.
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(events.join("manifest.json")).unwrap()).unwrap();
    let mut expected = BTreeMap::new();
    let mut total = 0;
    for table in manifest["tables"].as_array().unwrap() {
        for part in table["parts"].as_array().unwrap() {
            let key = (
                table["name"].as_str().unwrap().to_owned(),
                part["number"].as_u64().unwrap(),
            );
            total += part["records"].as_u64().unwrap();
            expected.insert(key, (part["records"].clone(), part["bytes"].clone()));
        }
    }
    assert!(expected.len() > 9, "several parts per table: {expected:?}");
    let mut logged = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        if line["message"] != "part committed" {
            continue;
        }
        assert!(
            Some(i) > first && Some(i) < last,
            "outside start..end: {line}"
        );
        assert_eq!(line["level"], "INFO");
        assert!(line["seconds"].as_f64().is_some_and(|s| s >= 0.0), "{line}");
        let key = (
            line["table"].as_str().unwrap().to_owned(),
            line["part"].as_u64().unwrap(),
        );
        let numbers = (line["records"].clone(), line["bytes"].clone());
        assert!(logged.insert(key, numbers).is_none(), "twice: {line}");
    }
    assert_eq!(logged, expected);
    assert_eq!(ended[0]["done"].as_u64(), Some(total), "{}", ended[0]);
    assert_eq!(ended[0]["unit"], "events");
    // The transform of tiny rejects rows: a summary line per table and reason.
    let rejects = with_message(&lines, "rejects");
    assert!(!rejects.is_empty(), "{stderr}");
    for r in rejects {
        assert!(r["table"].is_string() && r["reason"].is_string() && r["rows"].as_u64() > Some(0));
    }
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `pancake ARGS` failing, with every log level on: its stderr, checked to
/// be JSON lines that never hold `secret`.
fn fails_without_telling(args: &[&str], secret: &str, out_dir: &Path) -> Vec<Value> {
    let out = command(args)
        .args(["--log-format", "json"])
        .env("PANCAKE_LOG", "trace")
        .env_remove("DATABASE_URL")
        .env_remove("AMQP_URL")
        .env_remove("MSSQL_URL")
        .current_dir(out_dir)
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(!out.status.success(), "{stdout}{stderr}");
    assert!(
        !stderr.contains(secret),
        "the password reached the log: {stderr}"
    );
    assert!(
        !stdout.contains(secret),
        "the password reached stdout: {stdout}"
    );
    let lines = json_lines(&stderr);
    let failed = with_message(&lines, "failed");
    assert_eq!(failed.len(), 1, "{stderr}");
    assert_eq!(failed[0]["level"], "ERROR");
    lines
}

#[test]
fn a_password_in_a_url_never_reaches_the_json_log() {
    let tmp = tempfile::tempdir().unwrap();
    let events = common::tiny_stream(tmp.path(), "1", &[]);
    let secret = "s3cret-Pw-7781";
    let port = closed_port();
    let events = events.to_str().unwrap();

    let pg = format!("postgres://pancake:{secret}@127.0.0.1:{port}/postgres");
    let lines = fails_without_telling(
        &["load", "postgres", "--in", events, "--database-url", &pg],
        secret,
        tmp.path(),
    );
    let started = with_message(&lines, "stage started");
    assert_eq!(started.len(), 1, "{lines:?}");
    assert_eq!(
        started[0]["output"],
        format!("postgres://pancake@127.0.0.1:{port}/postgres")
    );

    let amqp = format!("amqp://guest:{secret}@127.0.0.1:{port}/%2f");
    let lines = fails_without_telling(
        &["load", "rabbitmq", "--in", events, "--amqp-url", &amqp],
        secret,
        tmp.path(),
    );
    assert_eq!(with_message(&lines, "stage started").len(), 1, "{lines:?}");

    let mssql = format!("mssql://etl:{secret}@127.0.0.1:{port}/legacy?encrypt=false");
    let dump = tmp.path().join("extracted");
    let lines = fails_without_telling(
        &[
            "extract",
            "--mssql-url",
            &mssql,
            "--out",
            dump.to_str().unwrap(),
        ],
        secret,
        tmp.path(),
    );
    assert_eq!(with_message(&lines, "stage started").len(), 1, "{lines:?}");
}

#[test]
fn a_failed_verify_in_json_keeps_stderr_one_object_per_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    generate_tiny(&dump);
    // A part cut short, as a disk that filled up leaves it.
    let manifest = pancake_proto::Manifest::load(&dump).unwrap();
    let file = &manifest.table("members").unwrap().parts[0].file;
    let path = dump.join(file);
    let len = std::fs::metadata(&path).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len / 2)
        .unwrap();

    let out = pancake_json(&["verify", dump.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    let lines = json_lines(&stderr);
    let bad: Vec<_> = lines.iter().filter(|l| l["kind"] == "bad").collect();
    assert!(
        bad.iter()
            .any(|l| l["message"].as_str().unwrap().contains(file.as_str())),
        "no line names {file}: {stderr}"
    );
    assert!(
        bad.iter()
            .all(|l| l["level"] == "ERROR" && l["stage"] == "verify")
    );
    let last = lines.last().unwrap();
    assert_eq!(last["kind"], "error", "{stderr}");
    assert!(
        last["message"]
            .as_str()
            .unwrap()
            .contains("failed verification"),
        "{stderr}"
    );

    // The same run in text keeps its readable lines.
    let out = command(&["verify", dump.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert!(stderr.lines().any(|l| l.starts_with("bad: ")), "{stderr}");
    assert!(stderr.contains("error: "), "{stderr}");
}
