//! Golden mapping: a legacy dump written by hand, row by row, transformed,
//! and every event and reject compared field by field with what the design
//! says it must be.
//!
//! Ids are computed here from the documented naming scheme (UUIDv5 under
//! UUIDv5(URL, "pancake:legacy:v1")), not through `pancake_transform::ids`,
//! and a few are pinned as literals, so a change to the scheme fails here.

#[path = "../common/mod.rs"]
mod common;
mod dump;
mod expected;
mod search_profiles;

use common::{assert_sorted, read_part, verified, write_part};
use dump::{SNAPSHOT, at, member, members_part0, photo_likes, write_dump};
use expected::{counts, expected_accounts, expected_events, expected_rejects};
use pancake_proto::dump::DumpKind;
use pancake_proto::events::{Event, Reject, RejectReason};
use pancake_proto::legacy;
use pancake_proto::manifest::DumpKindName;
use pancake_proto::record::event_order;
use pancake_proto::{LegacyTable, Manifest, ManifestWriter, Record, TableEntry};
use pancake_transform::TransformReport;
use std::collections::BTreeMap;
use std::path::Path;
use uuid::Uuid;

// ---------------------------------------------------------------------------
// Ids, from the documented scheme.

fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"pancake:legacy:v1")
}

/// The UUID as the 16 bytes events carry.
fn v5(name: &str) -> Vec<u8> {
    Uuid::new_v5(&namespace(), name.as_bytes())
        .as_bytes()
        .to_vec()
}

fn member_id(id: i32) -> Vec<u8> {
    v5(&format!("member:{id}"))
}

fn entity_id(entity: &str, key: i64) -> Vec<u8> {
    v5(&format!("{entity}:{key}"))
}

fn thread_id(a: i32, b: i32) -> Vec<u8> {
    v5(&format!("thread:{}:{}", a.min(b), a.max(b)))
}

fn event_id(kind: &str, table: &str, key: i64) -> Vec<u8> {
    v5(&format!("event:{kind}:{table}:{key}"))
}

fn text(id: &[u8]) -> String {
    pancake_proto::events::uuid_text(id)
}

#[test]
fn the_naming_scheme_is_pinned() {
    // Computed once with Python's uuid.uuid5, independently of Rust: a
    // change here breaks every idempotent load downstream.
    assert_eq!(
        namespace().to_string(),
        "0ebdabf3-2b25-508f-820d-313ee6f46862"
    );
    assert_eq!(text(&member_id(1)), "ac8e1bbd-5808-5258-856f-54636029b91e");
    assert_eq!(text(&member_id(2)), "60b49658-1da0-51a8-a79d-a709012353d0");
    assert_eq!(
        text(&thread_id(2, 1)),
        "cd8317fe-4f96-53bf-ba17-8d2bf7f96a15"
    );
    assert_eq!(
        text(&entity_id("message", 100)),
        "697c4276-4779-5ff1-a57b-807e2cdc7df9"
    );
    assert_eq!(
        text(&entity_id("photo", 50)),
        "5c38c70e-4c1d-53c4-8852-2f82e4719108"
    );
    assert_eq!(
        text(&entity_id("photo-like", 60)),
        "595d5d5d-f23f-5e87-b9a7-4539ca822be0"
    );
    assert_eq!(
        text(&event_id("member-registered", "members", 1)),
        "6cb163d3-25d6-5af1-94c8-7402dc091bcd"
    );
    assert_eq!(
        text(&event_id("message-sent", "messages", 100)),
        "78dc23da-5328-59a0-b93b-c3932e3e743f"
    );
    assert_eq!(
        text(&event_id("message-read", "messages", 100)),
        "a188588f-1fed-5baf-8729-ecb7cb4513c6"
    );
    // And the transform's own functions agree with the scheme.
    use pancake_transform::ids;
    assert_eq!(ids::member(3).to_vec(), member_id(3));
    assert_eq!(ids::thread(2, 1).to_vec(), thread_id(1, 2));
    assert_eq!(
        ids::entity("photo-like", 60).to_vec(),
        entity_id("photo-like", 60)
    );
    assert_eq!(
        text(&ids::event("photo-liked", "photo_likes", 60)),
        "c7b807b0-0cab-5d21-8103-a667b2904f15"
    );
}

// ---------------------------------------------------------------------------
// Reading the output.

/// Per table, the records of each part in order, read as `R`.
fn output<R: Record>(dir: &Path, tables: &[TableEntry]) -> BTreeMap<String, Vec<Vec<R>>> {
    tables
        .iter()
        .map(|t| {
            assert_eq!(t.record_type, R::TYPE_NAME, "{}", t.name);
            let parts = t
                .parts
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    assert_eq!(p.number as usize, i, "{}", p.file);
                    read_part::<R>(dir, DumpKind::EventStream, &t.name, p)
                })
                .collect();
            (t.name.clone(), parts)
        })
        .collect()
}

/// Per table, the events of each output part.
pub(crate) fn output_events(dir: &Path) -> BTreeMap<String, Vec<Vec<Event>>> {
    output(dir, &Manifest::load(dir).unwrap().tables)
}

/// Per table (without `_rejects`), the rejects of each sidecar part.
pub(crate) fn output_rejects(dir: &Path) -> BTreeMap<String, Vec<Vec<Reject>>> {
    output(dir, &Manifest::load(dir).unwrap().sidecars)
        .into_iter()
        .map(|(sidecar, parts)| {
            let table = sidecar.strip_suffix("_rejects").expect("a rejects sidecar");
            (table.to_owned(), parts)
        })
        .collect()
}

pub(crate) fn run(input: &Path, out: &Path, part_events: u64, threads: usize) -> TransformReport {
    common::run(input, out, threads, part_events).unwrap()
}

// ---------------------------------------------------------------------------

#[test]
fn a_hand_written_dump_becomes_exactly_the_designed_events_and_rejects() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, out) = (tmp.path().join("dump"), tmp.path().join("events"));
    write_dump(&input);
    let report = run(&input, &out, 250_000, 2);
    assert!(!report.up_to_date && !report.resumed);

    // The manifest: an event stream, complete, one table and one sidecar per
    // legacy table.
    let m = Manifest::load(&out).unwrap();
    assert_eq!(m.kind, DumpKindName::EventStream);
    assert!(m.complete);
    assert_eq!(m.snapshot_at.as_deref(), Some(SNAPSHOT));
    let names: Vec<_> = m.tables.iter().map(|t| t.name.as_str()).collect();
    let legacy: Vec<_> = LegacyTable::ALL.iter().map(|t| t.name()).collect();
    assert_eq!(names, legacy);
    let sidecars: Vec<_> = m.sidecars.iter().map(|t| t.name.clone()).collect();
    let wanted: Vec<_> = legacy.iter().map(|t| format!("{t}_rejects")).collect();
    assert_eq!(sidecars, wanted);

    // Every event, field by field, part by part, in order.
    let got = output_events(&out);
    let expected = expected_events();
    let tables: Vec<String> = expected.keys().map(|k| k.to_string()).collect();
    assert_eq!(got.keys().cloned().collect::<Vec<_>>(), tables);
    for (table, parts) in &expected {
        let got_parts = &got[*table];
        assert_eq!(got_parts.len(), parts.len(), "{table}: output parts");
        for (i, (g, e)) in got_parts.iter().zip(parts).enumerate() {
            assert_sorted(g, &format!("{table} part {i}"));
            assert_eq!(g.len(), e.len(), "{table} part {i}: {g:#?}");
            for (g, e) in g.iter().zip(e) {
                assert_eq!(g, e, "{table} part {i}");
            }
        }
    }
    // The manifest's part entries agree with the parts.
    for t in &m.tables {
        for (p, events) in t.parts.iter().zip(&got[&t.name]) {
            assert_eq!(p.records, events.len() as u64, "{}", p.file);
        }
    }

    // Every reject, with where it was and why.
    let got = output_rejects(&out);
    let expected = expected_rejects();
    assert_eq!(got.len(), expected.len());
    for (table, parts) in &expected {
        let got_parts = &got[*table];
        assert_eq!(got_parts.len(), parts.len(), "{table}_rejects: parts");
        for (i, (g, e)) in got_parts.iter().zip(parts).enumerate() {
            assert_eq!(g.len(), e.len(), "{table}_rejects part {i}: {g:#?}");
            for (g, (key, reason, column, part, record, row, detail)) in g.iter().zip(e) {
                let what = format!("{table} key {key}");
                assert_eq!(g.table, *table, "{what}");
                assert_eq!(g.key, *key, "{what}");
                assert_eq!(g.reason(), *reason, "{what}");
                assert_eq!(g.column, *column, "{what}");
                assert_eq!((g.part, g.record), (*part, *record), "{what}");
                assert_eq!(&g.row, row, "{what}: the legacy row, as it was");
                assert!(g.detail.contains(detail), "{what}: {}", g.detail);
                if *reason != RejectReason::DuplicateKey {
                    assert!(
                        g.detail.contains(column),
                        "{what}: the detail names the column: {}",
                        g.detail
                    );
                }
            }
        }
    }
    // The sidecar part N holds the rejects of input part N.
    let members_rejects = m.any_table("members_rejects").unwrap();
    assert_eq!(members_rejects.parts.len(), 2);
    assert_eq!(members_rejects.parts[0].records, 0);
    assert_eq!(members_rejects.parts[1].records, 2);

    // The accounting.
    let s = &report.section;
    assert_eq!(s.tables, expected_accounts());
    assert_eq!(
        s.kinds,
        counts(&[
            ("member-registered", 3),
            ("registration-approved", 1),
            ("member-deleted", 1),
            ("flirt-sent", 1),
            ("message-sent", 3),
            ("message-read", 1),
            ("member-blocked", 1),
            ("member-unblocked", 1),
            ("favorite-added", 1),
            ("favorite-removed", 1),
            ("profile-visited", 1),
            ("photo-uploaded", 1),
            ("photo-liked", 1),
            ("search-profile-set", 2),
        ])
    );
    assert_eq!(
        s.rejects,
        counts(&[
            ("orphan", 3),
            ("duplicate_key", 2),
            ("null_required", 2),
            ("bad_date", 1),
            ("self_reference", 1),
            ("bad_range", 1),
        ])
    );
    assert_eq!(s.part_events, 250_000);
    assert_eq!(s.site_start, "2000-01-01T00:00:00Z");
    assert_eq!(report.rows_this_run, 24);
    assert_eq!(report.events_this_run, 19);
    // The manifest holds the same section the report gives.
    let stored: pancake_transform::TransformSection =
        serde_json::from_value(m.sections["transform"].clone()).unwrap();
    assert_eq!(&stored, s);

    // `pancake verify` accepts it, accounting included.
    let report = verified(&out);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);

    // And a second run has nothing to do.
    let again = run(&input, &out, 250_000, 1);
    assert!(again.up_to_date);
    assert_eq!(&again.section, s);
}

#[test]
fn small_runs_split_each_input_part_and_hold_the_same_events() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, out) = (tmp.path().join("dump"), tmp.path().join("events"));
    write_dump(&input);
    // Members make at most 3 events a row: 7 / 3 = 2 rows per run; messages
    // and the other two-event tables 3 rows, one-event tables 7.
    run(&input, &out, 7, 1);
    let m = Manifest::load(&out).unwrap();
    let input_manifest = Manifest::load(&input).unwrap();
    let got = output_events(&out);
    let expected = expected_events();
    for (table, parts) in &got {
        let rows_per_run = match table.as_str() {
            "members" => 2,
            "messages" | "blocks" | "favorites" => 3,
            _ => 7,
        };
        let runs: u64 = input_manifest
            .table(table)
            .unwrap()
            .parts
            .iter()
            .map(|p| p.records.div_ceil(rows_per_run))
            .sum();
        assert_eq!(parts.len() as u64, runs, "{table}: output parts");
        for (i, run) in parts.iter().enumerate() {
            assert!(run.len() <= 7, "{table} part {i}");
            assert_sorted(run, &format!("{table} part {i}"));
        }
        let mut all: Vec<Event> = parts.iter().flatten().cloned().collect();
        let mut want: Vec<Event> = expected[table.as_str()].iter().flatten().cloned().collect();
        all.sort_by(|a, b| event_order(a).cmp(&event_order(b)));
        want.sort_by(|a, b| event_order(a).cmp(&event_order(b)));
        assert_eq!(all, want, "{table}");
    }
    // Members: rows 1-2 | row 3 of part 0, rows 4-5 of part 1 (no events).
    let members: Vec<usize> = got["members"].iter().map(Vec::len).collect();
    assert_eq!(members, vec![4, 1, 0]);
    // Messages: rows 100, 101, 102 | 103, 103.
    let messages: Vec<usize> = got["messages"].iter().map(Vec::len).collect();
    assert_eq!(messages, vec![3, 1]);
    // The rejects sidecars still have one part per input part.
    assert_eq!(m.any_table("members_rejects").unwrap().parts.len(), 2);
    verified(&out);
}

#[test]
fn the_mapping_is_the_same_through_row_check_and_events() {
    // The public per-row API gives what the whole transform wrote.
    use pancake_transform::index::{MemberIndex, PhotoIndex};
    use pancake_transform::rows::{Context, Row};
    let site_start = pancake_transform::DEFAULT_SITE_START;
    let snapshot = chrono::DateTime::parse_from_rfc3339(SNAPSHOT)
        .unwrap()
        .timestamp();
    let members = MemberIndex::new(
        site_start,
        members_part0()
            .iter()
            .map(|m| (m.member_id, m.registered_at.unwrap().seconds))
            .collect(),
    );
    // Photo 50 of member 3, uploaded before any like of it.
    let photos = PhotoIndex::new(vec![(50, (3, site_start))]);
    let cx = Context {
        members: &members,
        photos: &photos,
        site_start,
        snapshot,
    };
    let mut out = Vec::new();
    for like in photo_likes() {
        if like.check(&cx).is_ok() {
            like.events(&cx, &mut out);
        }
    }
    assert_eq!(out, expected_events()["photo_likes"][0]);
    let rejected = photo_likes()[1].check(&cx).unwrap_err();
    assert_eq!(rejected.reason, RejectReason::Orphan);
    assert_eq!(rejected.column, "photo_id");
}

/// A like must not come before the people it names exist: the loader merges
/// by time and promises that a member's registration comes before anything
/// that refers to them. Here Anna (registered 2010) likes, in 2012, a photo
/// that Bertil (registered 2015) uploads in 2016.
#[test]
fn a_like_before_the_photo_or_its_owner_existed_is_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, out) = (tmp.path().join("dump"), tmp.path().join("events"));
    let mut manifest = Manifest::new(DumpKindName::LegacyDump, "like before owner");
    manifest.snapshot_at = Some(SNAPSHOT.into());
    let writer = ManifestWriter::create(&input, manifest).unwrap();
    let members = vec![
        member(1, "anna", Some("a@x.fi"), 1, at(2010, 1, 1, 0, 0)),
        member(2, "bertil", Some("b@x.fi"), 2, at(2015, 1, 1, 0, 0)),
    ];
    write_part(&writer, &input, LegacyTable::Members, &members);
    let photo = legacy::Photo {
        photo_id: 50,
        member_id: Some(2),
        url: Some("u".into()),
        uploaded_at: Some(at(2016, 1, 1, 0, 0)),
        raw_texts: vec![],
    };
    write_part(&writer, &input, LegacyTable::Photos, &[photo]);
    let like = legacy::PhotoLike {
        like_id: 60,
        photo_id: Some(50),
        member_id: Some(1),
        liked_at: Some(at(2012, 1, 1, 0, 0)),
    };
    write_part(&writer, &input, LegacyTable::PhotoLikes, &[like]);
    writer.finish().unwrap();
    let report = run(&input, &out, 250_000, 1);
    let likes = &report.section.tables["photo_likes"];
    assert_eq!(likes.rejects, counts(&[("bad_date", 1)]), "{likes:?}");
}

/// A flirt's kind travels by name; a code that stands for no kind is
/// rejected as an orphan (a reference to the legacy site's list of kinds)
/// with the column and the code, and a NULL kind (a dump from before the
/// column existed) leaves the kind out rather than losing the flirt.
#[test]
fn flirt_kinds_travel_by_name_and_an_unknown_kind_is_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, out) = (tmp.path().join("dump"), tmp.path().join("events"));
    let mut manifest = Manifest::new(DumpKindName::LegacyDump, "flirt kinds");
    manifest.snapshot_at = Some(SNAPSHOT.into());
    let writer = ManifestWriter::create(&input, manifest).unwrap();
    let members = vec![
        member(1, "anna", Some("a@x.fi"), 1, at(2010, 1, 1, 0, 0)),
        member(2, "bertil", Some("b@x.fi"), 2, at(2010, 1, 1, 0, 0)),
    ];
    write_part(&writer, &input, LegacyTable::Members, &members);
    let kinds = [Some(1), Some(2), Some(3), Some(4), None, Some(9), Some(0)];
    let flirts: Vec<legacy::Flirt> = kinds
        .iter()
        .enumerate()
        .map(|(i, &kind)| legacy::Flirt {
            kind,
            ..dump::flirt(i as i64 + 1, 1, 2, at(2012, 1, 1, i as u32, 0))
        })
        .collect();
    write_part(&writer, &input, LegacyTable::Flirts, &flirts);
    writer.finish().unwrap();
    let report = run(&input, &out, 250_000, 1);

    let got: Vec<Option<String>> = output_events(&out)["flirts"]
        .iter()
        .flatten()
        .map(|e| match &e.payload {
            Some(pancake_proto::events::event::Payload::FlirtSent(f)) => f.kind.clone(),
            other => panic!("not a flirt: {other:?}"),
        })
        .collect();
    let named = |s: &str| Some(s.to_owned());
    assert_eq!(
        got,
        [
            named("wink"),
            named("smile"),
            named("kiss"),
            named("rose"),
            None
        ]
    );
    let rejects = &output_rejects(&out)["flirts"][0];
    let seen: Vec<_> = rejects
        .iter()
        .map(|r| (r.key, r.reason(), r.column.as_str(), r.record))
        .collect();
    assert_eq!(
        seen,
        [
            (6, RejectReason::Orphan, "kind", 5),
            (7, RejectReason::Orphan, "kind", 6)
        ]
    );
    assert!(
        rejects[0].detail.contains("kind 9 is not a flirt kind"),
        "{}",
        rejects[0].detail
    );
    let account = &report.section.tables["flirts"];
    assert_eq!(account.rejects, counts(&[("orphan", 2)]), "{account:?}");
    verified(&out);
}
