//! The `pancake` binary end to end: what a person at the terminal sees.

mod common;

use common::{pancake, text};
use std::path::Path;
use std::process::Command;

fn generate_tiny(dir: &Path) {
    let out = pancake(&[
        "generate",
        "--preset",
        "tiny",
        "--seed",
        "1",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "generate failed: {}",
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains("generated tiny"), "{stdout}");
    assert!(stdout.contains("dirty rows:"), "{stdout}");
}

#[test]
fn generate_then_verify_passes_and_a_second_generate_has_nothing_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    generate_tiny(&dir);
    let out = pancake(&["verify", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("ok: "),
        "{}",
        text(&out.stdout)
    );

    let again = pancake(&[
        "generate",
        "--preset",
        "tiny",
        "--seed",
        "1",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(again.status.success());
    assert!(
        text(&again.stdout).contains("nothing to do"),
        "{}",
        text(&again.stdout)
    );
}

#[test]
fn a_damaged_part_fails_verify_naming_the_part_and_the_cause() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    generate_tiny(&dir);
    let part = dir.join("messages/part-000000.pb.gz");
    let mut bytes = std::fs::read(&part).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&part, &bytes).unwrap();

    let out = pancake(&["verify", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("messages/part-000000.pb.gz"), "{stderr}");
    assert!(
        stderr.contains("corrupt") || stderr.contains("truncated"),
        "{stderr}"
    );
    assert!(stderr.contains("failed verification"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // Cut short: says truncated.
    std::fs::write(&part, &bytes[..middle]).unwrap();
    let out = pancake(&["verify", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("truncated"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn inspect_summarises_as_json_and_prints_records() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    generate_tiny(&dir);
    let out = pancake(&["inspect", dir.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["kind"], "legacy-dump");
    assert_eq!(summary["complete"], true);
    let tables = summary["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 8);
    let messages = tables.iter().find(|t| t["name"] == "messages").unwrap();
    assert!(messages["records"].as_u64().unwrap() >= 3_000);
    assert!(messages["parts"].as_u64().unwrap() >= 1);
    assert!(messages["bytes"].as_u64().unwrap() > 0);
    assert_eq!(messages["key_range"][0], 5_000_000_001u64);
    assert_eq!(summary["generator"]["preset"], "tiny");
    let total: u64 = tables.iter().map(|t| t["records"].as_u64().unwrap()).sum();
    assert_eq!(summary["records"], total);

    let out = pancake(&[
        "inspect",
        dir.to_str().unwrap(),
        "--table",
        "messages",
        "--records",
        "3",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["table"], "messages");
    assert_eq!(lines[2]["record"], 2);
    assert!(lines[0]["data"]["body"].is_string());
    assert!(lines[0]["data"]["sent_at"].as_str().unwrap().ends_with('Z'));

    let human = pancake(&["inspect", dir.to_str().unwrap()]);
    let human = text(&human.stdout);
    assert!(human.contains("legacy-dump, complete"), "{human}");
    assert!(human.contains("photo_likes"), "{human}");
}

#[test]
fn mistakes_get_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let out = pancake(&[
        "generate",
        "--preset",
        "norway",
        "--out",
        tmp.path().to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("tiny, finland, sweden"),
        "{}",
        text(&out.stderr)
    );

    let foreign = tmp.path().join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let out = pancake(&["generate", "--out", foreign.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not empty"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(foreign.join("notes.txt")).unwrap(),
        "mine"
    );

    let out = pancake(&["verify", tmp.path().join("nowhere").to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no manifest.json"),
        "{}",
        text(&out.stderr)
    );

    let dir = tmp.path().join("d");
    generate_tiny(&dir);
    let out = pancake(&["inspect", dir.to_str().unwrap(), "--table", "nope"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("members"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    generate_tiny(&dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_pancake"))
        .args(["inspect", dir.to_str().unwrap(), "--records", "1000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout); // what `| head` does
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    child.wait().unwrap();
    assert!(stderr.is_empty(), "a closed pipe is no error: {stderr}");
}

#[test]
fn a_broken_manifest_is_named_once_with_its_cause() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("manifest.json"), "{").unwrap();
    let out = pancake(&["inspect", tmp.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("not a valid manifest"), "{stderr}");
    assert_eq!(stderr.matches("EOF while parsing").count(), 1, "{stderr}");
}

// ---------------------------------------------------------------------------
// Event streams, built by hand through pancake_proto (as a transform writes
// them): `verify` checks the transform's accounting, `inspect` shows events
// per kind and rejects per reason.
// ---------------------------------------------------------------------------

mod event_stream {
    use super::{pancake, text};
    use pancake_proto::dump::DumpKind;
    use pancake_proto::events::{Event, EventKind, Reject, RejectReason};
    use pancake_proto::manifest::DumpKindName;
    use pancake_proto::names::{EVENT_KINDS, REJECT_REASONS, kind_name, reason_name};
    use pancake_proto::record::micros_timestamp;
    use pancake_proto::{Manifest, ManifestWriter, PartSpec, PartWriter, Record, WriteOptions};
    use serde_json::{Value, json};
    use std::path::Path;

    fn part<R: Record>(dir: &Path, table: &str, records: &[R]) -> pancake_proto::PartEntry {
        let spec = PartSpec::of::<R>(DumpKind::EventStream, table, 0);
        let mut writer = PartWriter::create(dir, spec, &WriteOptions::default()).unwrap();
        for r in records {
            writer.write(r).unwrap();
        }
        writer.finish().unwrap()
    }

    fn event(key: i64, kind: EventKind) -> Event {
        Event {
            event_id: format!("e-{key}-{}", kind as i32),
            kind: kind as i32,
            occurred_at: Some(micros_timestamp(1_000_000_000_000_000 + key)),
            member_id: format!("m-{key}"),
            ..Event::default()
        }
    }

    fn reject(table: &str, key: i64, reason: RejectReason) -> Reject {
        Reject {
            table: table.into(),
            key,
            reason: reason as i32,
            column: "nickname".into(),
            detail: format!("row {key} rejected"),
            ..Reject::default()
        }
    }

    /// members: 3 rows, 2 with events (2 registered, 1 approved), 1 rejected
    /// (null_required); messages: 3 rows, 2 with events (message-sent), 1
    /// rejected (orphan). `section` is stored as the transform section.
    fn write_stream(dir: &Path, section: Option<Value>) {
        let writer =
            ManifestWriter::create(dir, Manifest::new(DumpKindName::EventStream, "by hand"))
                .unwrap();
        let members = [
            event(1, EventKind::MemberRegistered),
            event(1, EventKind::RegistrationApproved),
            event(2, EventKind::MemberRegistered),
        ];
        let messages = [
            event(10, EventKind::MessageSent),
            event(11, EventKind::MessageSent),
        ];
        for (table, events, rejects) in [
            (
                "members",
                &members[..],
                vec![reject("members", 3, RejectReason::NullRequired)],
            ),
            (
                "messages",
                &messages[..],
                vec![reject("messages", 12, RejectReason::Orphan)],
            ),
        ] {
            let entry = part(dir, table, events);
            writer
                .commit_part(table, Event::TYPE_NAME, false, entry)
                .unwrap();
            let sidecar = format!("{table}_rejects");
            let entry = part(dir, &sidecar, &rejects);
            writer
                .commit_part(&sidecar, Reject::TYPE_NAME, true, entry)
                .unwrap();
        }
        if let Some(section) = section {
            writer
                .update(|m| {
                    m.sections.insert("transform".into(), section);
                })
                .unwrap();
        }
        writer.finish().unwrap();
    }

    fn balanced() -> Value {
        json!({
            "input": "dumps/hand",
            "input_source": "by hand",
            "site_start": "2000-01-01T00:00:00Z",
            "part_events": 250000,
            "tables": {
                "members": {
                    "input_parts": 1, "parts_done": 1, "rows": 3, "rows_with_events": 2,
                    "rejected": 1, "repaired": 0,
                    "events": {"member-registered": 2, "registration-approved": 1},
                    "rejects": {"null_required": 1}
                },
                "messages": {
                    "input_parts": 1, "parts_done": 1, "rows": 3, "rows_with_events": 2,
                    "rejected": 1, "repaired": 0,
                    "events": {"message-sent": 2},
                    "rejects": {"orphan": 1, "bad_date": 0}
                }
            },
            "kinds": {"member-registered": 2, "registration-approved": 1, "message-sent": 2},
            "rejects": {"null_required": 1, "orphan": 1}
        })
    }

    /// The keys of the JSON object that follows `"name": {` in `text`, in
    /// the order they are written.
    fn keys_in_order(text: &str, name: &str) -> Vec<String> {
        let start = text.find(&format!("\"{name}\": {{")).expect(name);
        let body = &text[start..];
        let body = &body[body.find('{').unwrap() + 1..body.find('}').unwrap()];
        body.lines()
            .filter_map(|l| l.trim().strip_prefix('"'))
            .map(|l| l[..l.find('"').unwrap()].to_owned())
            .collect()
    }

    #[test]
    fn inspect_shows_events_per_kind_and_rejects_per_reason() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("events");
        write_stream(&dir, Some(balanced()));
        let dir = dir.to_str().unwrap();

        let out = pancake(&["inspect", dir, "--json"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let summary: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(summary["kind"], "event-stream");
        assert_eq!(summary["records"], 5);
        let kinds = summary["kinds"].as_object().unwrap();
        assert_eq!(kinds.len(), 13, "{kinds:?}");
        assert_eq!(kinds["member-registered"], 2);
        assert_eq!(kinds["registration-approved"], 1);
        assert_eq!(kinds["message-sent"], 2);
        assert_eq!(kinds["photo-liked"], 0);
        let rejects = summary["rejects"].as_object().unwrap();
        assert_eq!(rejects.len(), 5, "{rejects:?}");
        assert_eq!(rejects["null_required"], 1);
        assert_eq!(rejects["orphan"], 1);
        assert_eq!(rejects["self_reference"], 0);
        // In the order summaries list them, not alphabetically.
        let kind_order: Vec<String> = EVENT_KINDS.iter().map(|&k| kind_name(k).into()).collect();
        let reason_order: Vec<String> = REJECT_REASONS
            .iter()
            .map(|&r| reason_name(r).into())
            .collect();
        assert_eq!(keys_in_order(&stdout, "kinds"), kind_order, "{stdout}");
        assert_eq!(keys_in_order(&stdout, "rejects"), reason_order, "{stdout}");
        // The section itself is there as the transform wrote it.
        assert_eq!(summary["transform"]["tables"]["members"]["rows"], 3);
        let sidecars: Vec<&str> = summary["sidecars"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(sidecars, ["members_rejects", "messages_rejects"]);

        // One table: its own counts.
        let out = pancake(&["inspect", dir, "--table", "messages", "--json"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(summary["kinds"]["message-sent"], 2);
        assert_eq!(summary["kinds"]["member-registered"], 0);
        assert_eq!(summary["rejects"]["orphan"], 1);
        assert_eq!(summary["rejects"]["null_required"], 0);

        // For people.
        let out = pancake(&["inspect", dir]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let human = text(&out.stdout);
        assert!(human.contains("event-stream, complete"), "{human}");
        assert!(
            human.contains("transform of dumps/hand (by hand)"),
            "{human}"
        );
        assert!(
            human.contains("6 read = 4 with events + 2 rejected"),
            "{human}"
        );
        let line = |name: &str| {
            human
                .lines()
                .find(|l| l.split_whitespace().next() == Some(name))
                .unwrap_or_else(|| panic!("no line for {name}: {human}"))
                .split_whitespace()
                .collect::<Vec<_>>()
        };
        assert_eq!(line("member-registered"), ["member-registered", "2"]);
        assert_eq!(line("photo-liked"), ["photo-liked", "0"]);
        assert_eq!(line("null_required"), ["null_required", "1"]);
        assert_eq!(line("self_reference"), ["self_reference", "0"]);
        assert!(human.contains("members_rejects"), "{human}");

        // Rejects as JSON lines, through the sidecar's name.
        let out = pancake(&[
            "inspect",
            dir,
            "--table",
            "members_rejects",
            "--records",
            "5",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let lines: Vec<Value> = text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["table"], "members_rejects");
        assert_eq!(lines[0]["data"]["table"], "members");
        assert_eq!(lines[0]["data"]["key"], 3);
        assert_eq!(lines[0]["data"]["reason"], "REJECT_REASON_NULL_REQUIRED");
        assert_eq!(lines[0]["data"]["column"], "nickname");

        let out = pancake(&["verify", dir]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(stdout.starts_with("ok: "), "{stdout}");
        assert!(
            stdout.contains("accounting balances: 6 rows read = 4 with events + 2 rejected"),
            "{stdout}"
        );
    }

    #[test]
    fn inspect_without_a_transform_section_says_so_and_a_legacy_dump_has_no_counts() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("events");
        write_stream(&dir, None);
        let dir = dir.to_str().unwrap();
        let out = pancake(&["inspect", dir]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("no transform section"),
            "{}",
            text(&out.stdout)
        );
        let out = pancake(&["inspect", dir, "--json"]);
        let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(summary["kinds"], Value::Null);
        assert!(summary.as_object().unwrap().contains_key("kinds"));
        let out = pancake(&["verify", dir]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("no transform section"),
            "{}",
            text(&out.stdout)
        );

        // A legacy dump: no kinds, no rejects.
        let legacy = tmp.path().join("legacy");
        let writer =
            ManifestWriter::create(&legacy, Manifest::new(DumpKindName::LegacyDump, "by hand"))
                .unwrap();
        let member = pancake_proto::legacy::Member {
            member_id: 1,
            ..Default::default()
        };
        let spec =
            PartSpec::of::<pancake_proto::legacy::Member>(DumpKind::LegacyDump, "members", 0);
        let mut part = PartWriter::create(&legacy, spec, &WriteOptions::default()).unwrap();
        part.write(&member).unwrap();
        let entry = part.finish().unwrap();
        writer
            .commit_part(
                "members",
                pancake_proto::legacy::Member::TYPE_NAME,
                false,
                entry,
            )
            .unwrap();
        writer.finish().unwrap();
        let out = pancake(&["inspect", legacy.to_str().unwrap(), "--json"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(summary["kind"], "legacy-dump");
        assert!(summary.get("kinds").is_none(), "{summary}");
        assert!(summary.get("rejects").is_none(), "{summary}");
        let out = pancake(&["inspect", legacy.to_str().unwrap()]);
        assert!(
            !text(&out.stdout).contains("transform"),
            "{}",
            text(&out.stdout)
        );
    }

    #[test]
    fn verify_names_the_table_whose_accounting_does_not_balance() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("events");
        let mut section = balanced();
        section["tables"]["members"]["rows"] = json!(4);
        section["tables"]["messages"]["rejects"]["orphan"] = json!(0);
        section["tables"]["messages"]["rejects"]["bad_date"] = json!(1);
        section["rejects"] = json!({"null_required": 1, "bad_date": 1});
        write_stream(&dir, Some(section));
        let out = pancake(&["verify", dir.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(
                "bad: members: 4 rows read but 2 with events + 1 rejected = 3; the transform's accounting does not balance: re-run the transform"
            ),
            "{stderr}"
        );
        assert!(
            stderr.contains("bad: messages: the sidecar messages_rejects holds the 1 reject the transform counts, but not for the reasons it counts: orphan: 0 counted, 1 in messages_rejects; bad_date: 1 counted, 0 in messages_rejects"),
            "{stderr}"
        );
        assert!(stderr.contains("2 problem(s)"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn generate_and_transform_refuse_a_folder_another_process_holds_naming_its_pid() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    generate_tiny(&dump);
    let events = tmp.path().join("events");
    let pid = std::process::id();
    for (dir, args) in [
        (
            &dump,
            vec!["generate", "--preset", "tiny", "--seed", "2", "--force"],
        ),
        (&events, vec!["transform", "--in", dump.to_str().unwrap()]),
    ] {
        let held = pancake_proto::OutputFolder::lock(dir).unwrap();
        let mut args = args.clone();
        args.extend(["--out", dir.to_str().unwrap()]);
        let out = pancake(&args);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(&format!(
                "{} is being written by another pancake process (pid {pid})",
                dir.display()
            )),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        drop(held);
    }
    // The dump was left as it was; the stream was never begun.
    let verify = pancake(&["verify", dump.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", text(&verify.stderr));
    let out = pancake(&["inspect", dump.to_str().unwrap(), "--json"]);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["generator"]["seed"], 1);
    assert!(
        !events.exists(),
        "{:?}",
        events.read_dir().map(|d| d.count())
    );
}

#[test]
fn a_lock_file_left_by_a_killed_run_is_ignored_by_every_reader_and_writer() {
    let tmp = tempfile::tempdir().unwrap();
    let events = common::tiny_stream(tmp.path(), "1", &[]);
    let dump = tmp.path().join("dump");
    let lock = pancake_proto::folder::LOCK_FILE;
    // What kill -9 leaves: the lock file with a dead pid (the kernel has
    // released the lock itself).
    for dir in [&dump, &events] {
        std::fs::write(dir.join(lock), "4194304\n").unwrap();
        let verify = pancake(&["verify", dir.to_str().unwrap()]);
        assert!(verify.status.success(), "{}", text(&verify.stderr));
        assert!(
            !text(&verify.stderr).contains("warning"),
            "{}",
            text(&verify.stderr)
        );
        let inspect = pancake(&["inspect", dir.to_str().unwrap(), "--json"]);
        assert!(inspect.status.success(), "{}", text(&inspect.stderr));
        let records = pancake(&["inspect", dir.to_str().unwrap(), "--records", "1"]);
        assert!(records.status.success(), "{}", text(&records.stderr));
    }

    // The loaders' reader: every event of the stream.
    let merge = pancake_load::EventMerge::open(&events).unwrap();
    let total = merge.total_events();
    assert!(total > 0);
    let read = merge.collect::<Result<Vec<_>, _>>().unwrap();
    assert_eq!(read.len() as u64, total);

    // A transform from the dump, into a folder holding only a leftover lock
    // file: it counts as empty.
    let again = tmp.path().join("again");
    std::fs::create_dir(&again).unwrap();
    std::fs::write(again.join(lock), "4194304\n").unwrap();
    let out = pancake(&[
        "transform",
        "--in",
        dump.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !again.join(lock).exists(),
        "the lock file goes with the run"
    );
    let verify = pancake(&["verify", again.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", text(&verify.stderr));
}

// ---------------------------------------------------------------------------
// The flags: one name per idea, the old spellings still accepted, each
// default shown once.
// ---------------------------------------------------------------------------

/// Runs `pancake` with `args` and `env` set, and no server URL from the
/// environment of the test run.
fn pancake_with(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut c = common::command(args);
    for var in ["DATABASE_URL", "AMQP_URL", "MSSQL_URL"] {
        c.env_remove(var);
    }
    c.envs(env.iter().copied());
    c.output().unwrap()
}

#[test]
fn the_old_flag_spellings_are_still_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    generate_tiny(&dump);
    // The part size is --part-records everywhere; transform's --part-events
    // names the same setting.
    for (flag, n) in [("--part-records", 2000), ("--part-events", 1000)] {
        let events = tmp.path().join(flag.trim_start_matches('-'));
        let n = n.to_string();
        let out = pancake(&[
            "transform",
            "--in",
            dump.to_str().unwrap(),
            "--out",
            events.to_str().unwrap(),
            flag,
            &n,
        ]);
        assert!(out.status.success(), "{flag}: {}", text(&out.stderr));
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(events.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(
            manifest["transform"]["part_events"].to_string(),
            n,
            "{flag}"
        );
    }
    // extract's --part-rows (here only parsed: --print-mapping needs no
    // server).
    for flag in ["--part-records", "--part-rows"] {
        let out = pancake_with(&["extract", "--print-mapping", flag, "5"], &[]);
        assert!(out.status.success(), "{flag}: {}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("[members]"),
            "{}",
            text(&out.stdout)
        );
    }
    // The module prefix is --prefix; --db-prefix and --queue-prefix are
    // taken for it. Each command gets as far as its first check of another
    // argument: the flag itself was accepted (a flag clap does not know
    // exits 2).
    let missing = tmp.path().join("missing");
    let missing = missing.to_str().unwrap();
    for (args, says) in [
        (
            vec![
                "load",
                "postgres",
                "--in",
                missing,
                "--database-url",
                "postgres://",
            ],
            "--database-url",
        ),
        (
            vec!["load", "rabbitmq", "--in", missing, "--amqp-url", "amqp://"],
            "amqp://",
        ),
        (vec!["seed", "--preset", "norway"], "unknown preset"),
        (vec!["bench", "--stages", "nope"], "unknown stage"),
    ] {
        let spellings: &[&str] = match args[0] {
            "load" if args[1] == "rabbitmq" => &["--prefix", "--queue-prefix"],
            "load" => &["--prefix", "--db-prefix", "--queue-prefix"],
            "seed" => &["--prefix", "--db-prefix"],
            _ => &["--prefix", "--db-prefix"],
        };
        for flag in spellings {
            let mut args = args.clone();
            args.extend([*flag, "nc_"]);
            let out = pancake_with(&args, &[]);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
            assert!(stderr.contains(says), "{args:?}: {stderr}");
        }
    }
    // Accepted, but not shown: help names each idea once.
    for args in [
        &["extract", "--help"][..],
        &["transform", "--help"],
        &["load", "postgres", "--help"],
        &["load", "rabbitmq", "--help"],
        &["seed", "--help"],
        &["bench", "--help"],
    ] {
        let help = text(&pancake_with(args, &[]).stdout);
        for old in [
            "--part-rows",
            "--part-events",
            "--db-prefix",
            "--queue-prefix",
        ] {
            assert!(!help.contains(old), "{args:?} shows {old}: {help}");
        }
    }
}

/// The help of every subcommand, long and short.
fn every_help(env: &[(&str, &str)]) -> Vec<(String, String)> {
    let commands: [&[&str]; 9] = [
        &["generate"],
        &["extract"],
        &["transform"],
        &["load", "rabbitmq"],
        &["load", "postgres"],
        &["seed"],
        &["bench"],
        &["verify"],
        &["inspect"],
    ];
    let mut helps = Vec::new();
    for command in commands {
        for flag in ["--help", "-h"] {
            let mut args = command.to_vec();
            args.push(flag);
            let out = pancake_with(&args, env);
            assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
            helps.push((args.join(" "), text(&out.stdout)));
        }
    }
    helps
}

#[test]
fn help_shows_each_default_once_and_the_default_urls_but_never_the_environment() {
    let secrets = [
        ("DATABASE_URL", "postgres://u:pg-secret-4711@h/db"),
        ("AMQP_URL", "amqp://u:amqp-secret-4711@h/%2f"),
        ("MSSQL_URL", "mssql://u:mssql-secret-4711@h/db"),
    ];
    for (command, help) in every_help(&secrets) {
        assert!(!help.contains("secret-4711"), "{command}: {help}");
        // One block per option: its first line starts with - after at most
        // six spaces; description lines are indented further.
        let mut blocks: Vec<String> = Vec::new();
        for line in help.lines() {
            let indent = line.len() - line.trim_start().len();
            if line.trim_start().starts_with('-') && indent <= 6 {
                blocks.push(String::new());
            }
            if let Some(block) = blocks.last_mut() {
                block.push(' ');
                block.push_str(line.trim());
            }
        }
        for block in &blocks {
            assert!(
                block.matches("[default:").count() <= 1,
                "{command}: a default shown twice: {block}"
            );
        }
        let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
        if command.starts_with("generate") || command.starts_with("transform") {
            assert!(
                flat.contains("[default: one per core]"),
                "{command}: {flat}"
            );
            assert!(!flat.contains("[default: 0]"), "{command}: {flat}");
        }
        if command.starts_with("load postgres")
            || command.starts_with("seed")
            || command.starts_with("bench")
        {
            assert!(
                flat.contains("[default: postgres://postgres:postgres@127.0.0.1:5432/postgres]"),
                "{command}: {flat}"
            );
        }
        if command.starts_with("load rabbitmq") || command.starts_with("bench") {
            assert!(
                flat.contains("[default: amqp://guest:guest@127.0.0.1:5672/%2f]"),
                "{command}: {flat}"
            );
        }
        if command.starts_with("load rabbitmq") {
            assert!(flat.contains("<prefix>_<module>"), "{command}: {flat}");
            assert!(!flat.contains("pancake.<module>"), "{command}: {flat}");
        }
        if command.starts_with("load") || command.starts_with("seed") {
            assert!(flat.contains("--prefix <NAME>"), "{command}: {flat}");
            assert!(flat.contains("[default: pancake]"), "{command}: {flat}");
        }
        if command.starts_with("extract") {
            assert!(
                flat.contains("MSSQL_URL environment variable"),
                "{command}: {flat}"
            );
        }
    }
}

#[test]
fn extract_without_a_server_says_mssql_url_works_too() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("dump");
    let out = pancake_with(&["extract", "--out", out_dir.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("no server to extract from: give --mssql-url or set MSSQL_URL"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!out_dir.exists(), "nothing written");
}

#[test]
fn bench_runs_tiny_unless_told_otherwise() {
    let tmp = tempfile::tempdir().unwrap();
    let out = common::command(&["bench", "--stages", "generate"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The report goes to bench/<preset>-x<scale>.
    let report = tmp.path().join("bench").join("tiny-x1");
    assert!(report.join("report.json").exists(), "{}", text(&out.stdout));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.join("report.json")).unwrap()).unwrap();
    // tiny's rows.
    assert_eq!(json["stages"][0]["count"], 6005, "{json}");
}
