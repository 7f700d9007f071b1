//! `pancake inspect` and `pancake verify` on event streams built by hand
//! through pancake_proto (as a transform writes them): `verify` checks the
//! transform's accounting, `inspect` shows events per kind and rejects per
//! reason.

mod common;

use common::{pancake, pancake_ok, text};
use pancake_proto::dump::DumpKind;
use pancake_proto::events::{Event, EventKind, Reject, RejectReason};
use pancake_proto::manifest::DumpKindName;
use pancake_proto::names::{EVENT_KINDS, REJECT_REASONS, kind_name, reason_name};
use pancake_proto::record::micros_timestamp;
use pancake_proto::{
    Manifest, ManifestWriter, PartEntry, PartSpec, PartWriter, Record, WriteOptions,
};
use serde_json::{Value, json};
use std::path::Path;

/// Part 0 of `table`, of a dump of `kind` in `dir`, holding `records`.
fn part<R: Record>(dir: &Path, kind: DumpKind, table: &str, records: &[R]) -> PartEntry {
    let spec = PartSpec::of::<R>(kind, table, 0);
    let mut writer = PartWriter::create(dir, spec, &WriteOptions::default()).unwrap();
    for r in records {
        writer.write(r).unwrap();
    }
    writer.finish().unwrap()
}

fn event(key: i64, kind: EventKind) -> Event {
    Event {
        event_id: format!("e-{key}-{}", kind as i32).into(),
        kind: kind as i32,
        occurred_at: Some(micros_timestamp(1_000_000_000_000_000 + key)),
        member_id: format!("m-{key}").into(),
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
        ManifestWriter::create(dir, Manifest::new(DumpKindName::EventStream, "by hand")).unwrap();
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
        let entry = part(dir, DumpKind::EventStream, table, events);
        writer
            .commit_part(table, Event::TYPE_NAME, false, entry)
            .unwrap();
        let sidecar = format!("{table}_rejects");
        let entry = part(dir, DumpKind::EventStream, &sidecar, &rejects);
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

    let stdout = pancake_ok(&["inspect", dir, "--json"]);
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["kind"], "event-stream");
    assert_eq!(summary["records"], 5);
    let kinds = summary["kinds"].as_object().unwrap();
    assert_eq!(kinds.len(), 14, "{kinds:?}");
    assert_eq!(kinds["member-registered"], 2);
    assert_eq!(kinds["registration-approved"], 1);
    assert_eq!(kinds["message-sent"], 2);
    assert_eq!(kinds["photo-liked"], 0);
    assert_eq!(kinds["search-profile-set"], 0);
    let rejects = summary["rejects"].as_object().unwrap();
    assert_eq!(rejects.len(), 6, "{rejects:?}");
    assert_eq!(rejects["null_required"], 1);
    assert_eq!(rejects["orphan"], 1);
    assert_eq!(rejects["self_reference"], 0);
    assert_eq!(rejects["bad_range"], 0);
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
    let stdout = pancake_ok(&["inspect", dir, "--table", "messages", "--json"]);
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["kinds"]["message-sent"], 2);
    assert_eq!(summary["kinds"]["member-registered"], 0);
    assert_eq!(summary["rejects"]["orphan"], 1);
    assert_eq!(summary["rejects"]["null_required"], 0);

    // For people.
    let human = pancake_ok(&["inspect", dir]);
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
    assert_eq!(line("bad_range"), ["bad_range", "0"]);
    assert_eq!(line("search-profile-set"), ["search-profile-set", "0"]);
    assert!(human.contains("members_rejects"), "{human}");

    // Rejects as JSON lines, through the sidecar's name.
    let lines: Vec<Value> = pancake_ok(&[
        "inspect",
        dir,
        "--table",
        "members_rejects",
        "--records",
        "5",
    ])
    .lines()
    .map(|l| serde_json::from_str(l).unwrap())
    .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["table"], "members_rejects");
    assert_eq!(lines[0]["data"]["table"], "members");
    assert_eq!(lines[0]["data"]["key"], 3);
    assert_eq!(lines[0]["data"]["reason"], "REJECT_REASON_NULL_REQUIRED");
    assert_eq!(lines[0]["data"]["column"], "nickname");

    let stdout = pancake_ok(&["verify", dir]);
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
    let stdout = pancake_ok(&["inspect", dir]);
    assert!(stdout.contains("no transform section"), "{stdout}");
    let out = pancake(&["inspect", dir, "--json"]);
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["kinds"], Value::Null);
    assert!(summary.as_object().unwrap().contains_key("kinds"));
    let stdout = pancake_ok(&["verify", dir]);
    assert!(stdout.contains("no transform section"), "{stdout}");

    // A legacy dump: no kinds, no rejects.
    let legacy = tmp.path().join("legacy");
    let writer =
        ManifestWriter::create(&legacy, Manifest::new(DumpKindName::LegacyDump, "by hand"))
            .unwrap();
    let member = pancake_proto::legacy::Member {
        member_id: 1,
        ..Default::default()
    };
    let entry = part(&legacy, DumpKind::LegacyDump, "members", &[member]);
    writer
        .commit_part(
            "members",
            pancake_proto::legacy::Member::TYPE_NAME,
            false,
            entry,
        )
        .unwrap();
    writer.finish().unwrap();
    let stdout = pancake_ok(&["inspect", legacy.to_str().unwrap(), "--json"]);
    let summary: Value = serde_json::from_str(&stdout).unwrap();
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
