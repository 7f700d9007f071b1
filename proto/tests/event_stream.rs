//! An event stream's accounting: `verify` checks the manifest's `transform`
//! section against itself and against the events and rejects the parts hold,
//! and names the table and the numbers when they do not balance.
//!
//! The stream is built by hand here (events with kinds, rejects with
//! reasons), balanced, and then unbalanced one way at a time.

mod common;

use common::{problems, verify, write_part};
use pancake_proto::dump::DumpKind;
use pancake_proto::events::{Event, EventKind, Reject, RejectReason};
use pancake_proto::manifest::DumpKindName;
use pancake_proto::names::{kind_name, reason_name};
use pancake_proto::verify::{Problem, TableAccount, TransformSection, VerifyReport};
use pancake_proto::{Manifest, ManifestWriter, Record};
use prost_types::Timestamp;
use std::collections::BTreeMap;
use std::path::Path;

use EventKind::*;
use RejectReason::*;

/// Table name, event parts, rejects parts (one per input part).
type TableParts = (&'static str, Vec<Vec<Event>>, Vec<Vec<Reject>>);

/// What the stream holds: per table, its event parts and its rejects parts,
/// and the section the transform would write.
struct Fixture {
    tables: Vec<TableParts>,
    section: TransformSection,
    /// Store no section at all.
    no_section: bool,
    /// Mark the manifest complete.
    complete: bool,
}

fn event(table: &str, key: i64, kind: EventKind) -> Event {
    Event {
        event_id: format!("{table}-{key}-{}", kind as i32).into(),
        kind: kind as i32,
        occurred_at: Some(Timestamp {
            seconds: 1_000_000_000 + key,
            nanos: 0,
        }),
        member_id: format!("member-{key}").into(),
        ..Event::default()
    }
}

fn reject(table: &str, key: i64, reason: RejectReason, part: u32) -> Reject {
    Reject {
        table: table.into(),
        key,
        reason: reason as i32,
        column: "member_id".into(),
        part,
        record: key as u64,
        row: vec![8, key as u8],
        detail: format!("row {key} of {table} rejected"),
    }
}

fn counts<const N: usize>(pairs: [(&str, u64); N]) -> BTreeMap<String, u64> {
    pairs.into_iter().map(|(k, n)| (k.to_owned(), n)).collect()
}

impl Fixture {
    /// Balanced: members (one input part) and messages (two input parts).
    fn balanced() -> Fixture {
        let members = vec![vec![
            event("members", 1, MemberRegistered),
            event("members", 1, RegistrationApproved),
            event("members", 2, MemberRegistered),
            event("members", 2, RegistrationApproved),
            event("members", 3, MemberRegistered),
            event("members", 3, MemberDeleted),
        ]];
        let members_rejects = vec![vec![reject("members", 4, NullRequired, 0)]];
        let messages = vec![
            vec![
                event("messages", 10, MessageSent),
                event("messages", 10, MessageRead),
                event("messages", 11, MessageSent),
            ],
            vec![
                event("messages", 12, MessageSent),
                event("messages", 13, MessageSent),
                event("messages", 13, MessageRead),
            ],
        ];
        let messages_rejects = vec![
            vec![reject("messages", 14, Orphan, 0)],
            vec![reject("messages", 15, BadDate, 1)],
        ];
        let mut section = TransformSection {
            input: Some("dumps/test".into()),
            input_source: Some("by hand".into()),
            ..TransformSection::default()
        };
        section.tables.insert(
            "members".into(),
            TableAccount {
                input_parts: 1,
                parts_done: 1,
                rows: 4,
                rows_with_events: 3,
                rejected: 1,
                repaired: 1,
                events: counts([
                    ("member-registered", 3),
                    ("registration-approved", 2),
                    ("member-deleted", 1),
                ]),
                rejects: counts([("null_required", 1)]),
            },
        );
        section.tables.insert(
            "messages".into(),
            TableAccount {
                input_parts: 2,
                parts_done: 2,
                rows: 6,
                rows_with_events: 4,
                rejected: 2,
                repaired: 0,
                events: counts([("message-sent", 4), ("message-read", 2), ("flirt-sent", 0)]),
                rejects: counts([("orphan", 1), ("bad_date", 1)]),
            },
        );
        let mut fixture = Fixture {
            tables: vec![
                ("members", members, members_rejects),
                ("messages", messages, messages_rejects),
            ],
            section,
            no_section: false,
            complete: true,
        };
        fixture.section.total();
        fixture
    }

    fn account(&mut self, table: &str) -> &mut TableAccount {
        self.section.tables.get_mut(table).unwrap()
    }

    fn events(&mut self, table: &str, part: usize) -> &mut Vec<Event> {
        let t = self.tables.iter_mut().find(|t| t.0 == table).unwrap();
        &mut t.1[part]
    }

    fn rejects(&mut self, table: &str, part: usize) -> &mut Vec<Reject> {
        let t = self.tables.iter_mut().find(|t| t.0 == table).unwrap();
        &mut t.2[part]
    }

    /// Writes the stream into `dir` the way a transform would.
    fn write(&self, dir: &Path) {
        let writer =
            ManifestWriter::create(dir, Manifest::new(DumpKindName::EventStream, "test")).unwrap();
        for (table, event_parts, reject_parts) in &self.tables {
            let sidecar = format!("{table}_rejects");
            writer
                .declare_table(table, Event::TYPE_NAME, false)
                .unwrap();
            writer
                .declare_table(&sidecar, Reject::TYPE_NAME, true)
                .unwrap();
            for (n, events) in event_parts.iter().enumerate() {
                let entry = write_part(dir, DumpKind::EventStream, table, n as u32, events);
                writer
                    .commit_part(table, Event::TYPE_NAME, false, entry)
                    .unwrap();
            }
            for (n, rejects) in reject_parts.iter().enumerate() {
                let entry = write_part(dir, DumpKind::EventStream, &sidecar, n as u32, rejects);
                writer
                    .commit_part(&sidecar, Reject::TYPE_NAME, true, entry)
                    .unwrap();
            }
        }
        if !self.no_section {
            let section = serde_json::to_value(&self.section).unwrap();
            writer
                .update(|m| {
                    m.sections.insert(TransformSection::NAME.into(), section);
                })
                .unwrap();
        }
        if self.complete {
            writer.finish().unwrap();
        }
    }
}

/// Builds the balanced stream, changes it with `edit`, writes and verifies it.
fn verify_with(edit: impl FnOnce(&mut Fixture)) -> VerifyReport {
    let mut fixture = Fixture::balanced();
    edit(&mut fixture);
    let tmp = tempfile::tempdir().unwrap();
    fixture.write(tmp.path());
    verify(tmp.path())
}

/// The report's problems as text, which must be `n`.
fn problem_texts(report: &VerifyReport, n: usize) -> Vec<String> {
    let problems = problems(report, n, "problems");
    problems.iter().map(Problem::to_string).collect()
}

/// Some text of `texts` says `says`.
fn assert_one_says(texts: &[String], says: &str) {
    assert!(
        texts.iter().any(|t| t.contains(says)),
        "{says:?}: {texts:#?}"
    );
}

/// The report must hold exactly one problem, about `table` (or about no
/// table), naming it first and saying each of `says`.
fn one_problem(report: &VerifyReport, table: Option<&str>, says: &[&str]) -> Problem {
    let problem = problems(report, 1, "one problem")[0].clone();
    assert_eq!(problem.table.as_deref(), table, "{problem}");
    assert_eq!(problem.file, None, "{problem}");
    let text = problem.to_string();
    if let Some(table) = table {
        assert!(text.starts_with(&format!("{table}: ")), "{text}");
    }
    for s in says {
        assert!(text.contains(s), "says {s:?}: {text}");
    }
    assert!(
        text.contains("re-run the transform"),
        "says what to do: {text}"
    );
    problem
}

#[test]
fn a_balanced_stream_verifies_and_its_section_is_reported() {
    let report = verify_with(|_| {});
    assert!(report.is_ok(), "{:#?}", report.problems);
    assert!(report.warnings.is_empty(), "{:#?}", report.warnings);
    assert_eq!(report.parts_checked, 3 + 3);
    assert_eq!(report.records_checked, 6 + 6 + 1 + 2);
    let section = report.transform.expect("the section was checked");
    assert_eq!(section, Fixture::balanced().section);
    assert_eq!(section.kinds["message-sent"], 4);
    assert_eq!(section.rejects["null_required"], 1);
}

#[test]
fn the_section_written_by_hand_as_json_reads_with_absent_zeros() {
    // As the contract shows it, with extra fields the check does not read.
    let json = serde_json::json!({
        "input": "dumps/tiny",
        "input_source": "generator preset tiny, seed 1",
        "site_start": "2000-01-01T00:00:00Z",
        "part_events": 250000,
        "tables": {"members": {
            "input_parts": 3, "parts_done": 3, "rows": 597, "rows_with_events": 590,
            "rejected": 7, "repaired": 1,
            "events": {"member-registered": 590},
            "rejects": {"null_required": 5, "bad_date": 1, "duplicate_key": 1}
        }},
        "kinds": {"member-registered": 590, "message-sent": 0},
        "rejects": {"null_required": 5, "bad_date": 1, "duplicate_key": 1}
    });
    let section = TransformSection::from_json(&json).unwrap();
    assert_eq!(section.tables["members"].rows, 597);
    assert_eq!(section.tables["members"].rejects["duplicate_key"], 1);
    assert_eq!(
        section.input_source.as_deref(),
        Some("generator preset tiny, seed 1")
    );
    let mut broken = json.clone();
    broken["tables"]["members"]["rows"] = "many".into();
    assert!(TransformSection::from_json(&broken).is_err());
}

#[test]
fn rows_that_are_neither_events_nor_rejects_are_named() {
    let report = verify_with(|f| f.account("members").rows = 5);
    one_problem(
        &report,
        Some("members"),
        &[
            "members: 5 rows read but 3 with events + 1 rejected = 4",
            "the transform's accounting does not balance",
        ],
    );
}

#[test]
fn events_of_another_kind_than_counted_are_named_by_kind() {
    // Same number of events, one of them of another kind.
    let report = verify_with(|f| f.events("members", 0)[1].kind = MemberDeleted as i32);
    one_problem(
        &report,
        Some("members"),
        &[
            "not of the kinds it counts",
            "registration-approved: 2 counted, 1 in the parts",
            "member-deleted: 1 counted, 2 in the parts",
        ],
    );
}

#[test]
fn more_events_counted_than_held_is_named_with_the_kind() {
    let report = verify_with(|f| {
        *f.account("messages")
            .events
            .get_mut("message-read")
            .unwrap() = 3;
        f.section.total();
    });
    one_problem(
        &report,
        Some("messages"),
        &[
            "the transform counts 7 events but its parts hold 6",
            "message-read: 3 counted, 2 in the parts",
            "does not hold what the transform counted",
        ],
    );
}

#[test]
fn an_event_of_no_known_kind_is_named_by_number() {
    let report = verify_with(|f| f.events("messages", 1)[0].kind = 99);
    one_problem(
        &report,
        Some("messages"),
        &[
            "message-sent: 4 counted, 3 in the parts",
            "kind 99 (unknown): 0 counted, 1 in the parts",
        ],
    );
}

#[test]
fn a_reject_missing_from_the_sidecar_is_named() {
    let report = verify_with(|f| {
        f.rejects("messages", 1).clear();
    });
    one_problem(
        &report,
        Some("messages"),
        &[
            "2 rows rejected but the sidecar messages_rejects holds 1 reject (",
            "bad_date: 1 counted, 0 in messages_rejects",
        ],
    );
}

#[test]
fn a_missing_sidecar_is_named() {
    let report = verify_with(|f| {
        let t = f.tables.iter_mut().find(|t| t.0 == "members").unwrap();
        t.2.clear();
    });
    // The sidecar is declared but empty.
    one_problem(
        &report,
        Some("members"),
        &["1 row rejected but the sidecar members_rejects holds 0 rejects"],
    );
}

#[test]
fn rejects_for_other_reasons_than_counted_are_named_by_reason() {
    let report = verify_with(|f| f.rejects("messages", 0)[0].reason = SelfReference as i32);
    one_problem(
        &report,
        Some("messages"),
        &[
            "the sidecar messages_rejects holds the 2 rejects the transform counts, but not for the reasons it counts",
            "orphan: 1 counted, 0 in messages_rejects",
            "self_reference: 0 counted, 1 in messages_rejects",
        ],
    );
}

#[test]
fn reasons_that_do_not_add_up_to_the_rejected_rows_are_named() {
    let report = verify_with(|f| {
        f.account("messages").rejects.insert("bad_date".into(), 2);
        f.section.total();
    });
    let texts = problem_texts(&report, 2);
    assert!(
        report
            .problems
            .iter()
            .all(|p| p.table.as_deref() == Some("messages"))
    );
    assert_one_says(
        &texts,
        "messages: 2 rows rejected but its rejects by reason add up to 3 (orphan 1, bad_date 2)",
    );
    assert_one_says(&texts, "bad_date: 2 counted, 1 in messages_rejects");
}

#[test]
fn totals_that_are_not_the_sums_over_the_tables_are_named_by_kind_and_reason() {
    let report = verify_with(|f| {
        f.section.kinds.insert("message-sent".into(), 5);
    });
    one_problem(
        &report,
        None,
        &[
            "event totals are not the sums over its tables",
            "message-sent: 5 counted, 4 over the tables",
        ],
    );

    let report = verify_with(|f| {
        f.section.rejects.remove("orphan");
    });
    one_problem(
        &report,
        None,
        &[
            "reject totals are not the sums over its tables",
            "orphan: 0 counted, 1 over the tables",
        ],
    );

    // A count in a table that the totals miss.
    let report = verify_with(|f| {
        f.account("members")
            .events
            .insert("member-deleted".into(), 2);
    });
    problems(&report, 2, "problems");
    assert_eq!(report.problems[0].table.as_deref(), Some("members"));
    assert!(
        report.problems[1]
            .to_string()
            .contains("member-deleted: 1 counted, 2 over the tables"),
        "{:#?}",
        report.problems
    );
}

#[test]
fn a_complete_stream_with_input_parts_left_is_named() {
    let report = verify_with(|f| f.account("messages").parts_done = 1);
    one_problem(
        &report,
        Some("messages"),
        &["marked complete but only 1 of its 2 input parts were transformed"],
    );

    // Unfinished, parts left are expected: only the manifest's own problem.
    let report = verify_with(|f| {
        f.account("messages").parts_done = 1;
        f.complete = false;
    });
    problems(&report, 1, "problems");
    assert!(
        report.problems[0].reason.contains("not marked complete"),
        "{:#?}",
        report.problems
    );

    // More parts done than there are is never right.
    let report = verify_with(|f| {
        f.account("members").parts_done = 2;
        f.complete = false;
    });
    problems(&report, 2, "problems");
    assert_eq!(report.problems[1].table.as_deref(), Some("members"));
    assert!(
        report.problems[1]
            .reason
            .contains("2 input parts done but the input has only 1"),
        "{:#?}",
        report.problems
    );
}

#[test]
fn a_table_the_section_does_not_account_for_is_named() {
    let report = verify_with(|f| {
        f.section.tables.remove("messages");
        f.section.total();
    });
    let texts = problem_texts(&report, 2);
    assert!(
        texts.contains(&format!(
            "messages: holds 6 events that the transform section does not account for; {}",
            "the event stream does not hold what the transform counted (altered after writing, or a transform bug): re-run the transform"
        )),
        "{texts:#?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("messages_rejects: holds 2 rejects")),
        "{texts:#?}"
    );

    // And a section table the stream does not have.
    let report = verify_with(|f| {
        let mut photos = TableAccount {
            input_parts: 1,
            parts_done: 1,
            rows: 2,
            rows_with_events: 2,
            ..TableAccount::default()
        };
        photos.events.insert(kind_name(PhotoUploaded).into(), 2);
        f.section.tables.insert("photos".into(), photos);
        f.section.total();
    });
    one_problem(
        &report,
        Some("photos"),
        &["the transform counts 2 events but the event stream has no such table"],
    );
}

#[test]
fn an_unreadable_section_is_a_problem_and_no_section_is_none() {
    let tmp = tempfile::tempdir().unwrap();
    Fixture::balanced().write(tmp.path());
    let mut manifest = Manifest::load(tmp.path()).unwrap();
    manifest.sections[TransformSection::NAME]["tables"]["members"]["rows"] = "597".into();
    manifest.save(tmp.path()).unwrap();
    let report = verify(tmp.path());
    problems(&report, 1, "problems");
    assert!(
        report.problems[0]
            .reason
            .starts_with("the manifest's transform section cannot be read"),
        "{:#?}",
        report.problems
    );
    assert!(report.transform.is_none());

    // Without a section nothing is checked beyond the parts.
    let report = verify_with(|f| {
        f.no_section = true;
        f.account("members").rows = 1000;
    });
    assert!(report.is_ok(), "{:#?}", report.problems);
    assert!(report.transform.is_none());
}

#[test]
fn a_damaged_part_is_reported_once_not_again_as_accounting() {
    let tmp = tempfile::tempdir().unwrap();
    Fixture::balanced().write(tmp.path());
    let part = tmp.path().join("messages/part-000001.pb.gz");
    let bytes = std::fs::read(&part).unwrap();
    std::fs::write(&part, &bytes[..bytes.len() / 2]).unwrap();
    let report = verify(tmp.path());
    problems(&report, 1, "problems");
    assert_eq!(
        report.problems[0].file.as_deref(),
        Some("messages/part-000001.pb.gz")
    );
    // The section itself still balances and is reported.
    assert!(report.transform.is_some());
}

#[test]
fn every_kind_and_reason_is_counted_by_its_own_name() {
    // One event of every kind and one reject of every reason in one table.
    let report = verify_with(|f| {
        let kinds = pancake_proto::names::EVENT_KINDS;
        let reasons = pancake_proto::names::REJECT_REASONS;
        *f.events("members", 0) = kinds
            .iter()
            .enumerate()
            .map(|(i, &k)| event("members", i as i64, k))
            .collect();
        *f.rejects("members", 0) = reasons
            .iter()
            .enumerate()
            .map(|(i, &r)| reject("members", 100 + i as i64, r, 0))
            .collect();
        let account = f.account("members");
        account.events = kinds
            .iter()
            .map(|&k| (kind_name(k).to_owned(), 1))
            .collect();
        account.rejects = reasons
            .iter()
            .map(|&r| (reason_name(r).to_owned(), 1))
            .collect();
        account.rows = (kinds.len() + reasons.len()) as u64;
        account.rows_with_events = kinds.len() as u64;
        account.rejected = reasons.len() as u64;
        f.section.total();
    });
    assert!(report.is_ok(), "{:#?}", report.problems);

    // Swap two kinds' counts: the totals still match, the kinds do not.
    let report = verify_with(|f| {
        *f.events("members", 0) = vec![
            event("members", 1, PhotoLiked),
            event("members", 2, PhotoLiked),
            event("members", 3, FavoriteRemoved),
            event("members", 4, MemberUnblocked),
            event("members", 5, MemberBlocked),
            event("members", 6, ProfileVisited),
        ];
    });
    let problem = one_problem(&report, Some("members"), &["not of the kinds it counts"]);
    for name in [
        "member-registered: 3 counted, 0",
        "photo-liked: 0 counted, 2",
        "favorite-removed: 0 counted, 1",
        "profile-visited: 0 counted, 1",
    ] {
        assert!(problem.reason.contains(name), "{name}: {problem}");
    }
    // Known kinds are listed in the names' order, not alphabetically.
    let at = |s: &str| problem.reason.find(s).unwrap();
    assert!(at("member-registered") < at("member-blocked"));
    assert!(at("member-blocked") < at("photo-liked"));
}

#[test]
fn a_summary_takes_its_sums_from_the_manifest_and_the_section() {
    use pancake_proto::manifest::Totals;
    use pancake_proto::names::NamedCounts;
    let report = verify_with(|_| {});
    let manifest = &report.manifest;

    // The data tables, sidecars left out: 1 + 2 parts of 6 + 6 events.
    let totals = manifest.totals();
    assert_eq!((totals.parts, totals.records), (3, 12));
    let messages = manifest.table("messages").unwrap();
    assert_eq!(messages.totals().parts, 2);
    assert_eq!(messages.totals().records, messages.records());
    assert_eq!(messages.totals().bytes, messages.bytes());
    assert_eq!(Totals::of(&manifest.sidecars).records, 1 + 2);
    assert_eq!(manifest.all_tables().count(), 4);
    let json = serde_json::to_value(messages.summary()).unwrap();
    assert_eq!(json["name"], "messages");
    assert_eq!(json["parts"], 2);
    assert_eq!(json["records"], 6);
    assert_eq!(json["bytes"], messages.bytes());
    assert_eq!(json["key_range"], serde_json::Value::Null);
    assert!(json["time_range"].is_array(), "{json}");

    let section = report.transform.as_ref().unwrap();
    let all = section.overall();
    assert_eq!((all.input_parts, all.parts_done), (3, 3));
    assert_eq!((all.rows, all.rows_with_events, all.rejected), (10, 7, 3));
    assert_eq!(all.repaired, 1);
    assert_eq!(all.events, section.kinds);
    assert_eq!(all.rejects, section.rejects);
    assert_eq!(section.tables_done(), 2);
    let (table, account) = section.account_of("messages_rejects").unwrap();
    assert_eq!((table, account.rows), ("messages", 6));
    assert_eq!(section.account_of("members").unwrap().1.rows, 4);
    assert!(section.account_of("photos").is_none());
    assert!(section.account_of("members_rejects_rejects").is_none());

    let rejects = NamedCounts::rejects(&all.rejects);
    assert_eq!(rejects.total(), all.rejected);
    assert_eq!(rejects.0[0], ("orphan".to_owned(), 1));
}
