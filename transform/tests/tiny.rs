//! `tiny` transformed: the generator's marked dirty rows come out as exactly
//! the rejects, every row is accounted for, and the output is the same bytes
//! whatever the thread count.

mod common;

use common::{assert_sorted, generate_tiny, parts, read_part, verified};
use pancake_datasets::{GenerateOptions, GeneratorSection, Preset, generate};
use pancake_proto::Manifest;
use pancake_proto::events::uuid_text;
use pancake_transform::{TransformOptions, transform};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn tiny() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("tiny");
        generate_tiny(&out);
        (tmp, out)
    })
    .1
}

fn run(out: &Path, threads: usize, part_events: u64) -> pancake_transform::TransformReport {
    common::run(tiny(), out, threads, part_events).unwrap()
}

#[test]
fn every_row_is_accounted_for_and_the_marked_dirty_rows_are_the_rejects() {
    let out = tempfile::tempdir().unwrap();
    let report = run(out.path(), 2, 500);
    let s = &report.section;
    let generated = Manifest::load(tiny()).unwrap();
    let marks = GeneratorSection::of(&generated).unwrap();
    for (table, account) in &s.tables {
        assert_eq!(
            account.rows,
            generated.table(table).unwrap().records(),
            "{table}"
        );
        assert_eq!(
            account.rows,
            account.rows_with_events + account.rejected,
            "{table}"
        );
        let mut expected = marks.dirty.get(table).cloned().unwrap_or_default();
        let repaired = expected.remove("lone_surrogate").unwrap_or(0);
        assert_eq!(account.repaired, repaired, "{table} repaired");
        expected.retain(|_, n| *n > 0);
        assert_eq!(account.rejects, expected, "{table} rejects");
    }
    let _ = std::fs::remove_dir_all("/tmp/tiny-events");
}

/// Every record of `table`, part after part.
fn records<R: pancake_proto::Record>(
    dir: &Path,
    table: &pancake_proto::TableEntry,
    kind: pancake_proto::dump::DumpKind,
) -> Vec<R> {
    table
        .parts
        .iter()
        .flat_map(|p| read_part::<R>(dir, kind, &table.name, p))
        .collect()
}

#[test]
fn the_rejects_are_the_marked_rows_row_for_row() {
    use pancake_proto::dump::DumpKind;
    use pancake_proto::events::Reject;
    use pancake_proto::legacy::{DirtyKind, DirtyRow};
    let out = tempfile::tempdir().unwrap();
    run(out.path(), 2, 250_000);
    let generated = Manifest::load(tiny()).unwrap();
    let marks = generated
        .sidecars
        .iter()
        .find(|s| s.name == "dirty_rows")
        .unwrap();
    let mut expected: Vec<(String, i64, i32, String, u32, u64)> =
        records::<DirtyRow>(tiny(), marks, DumpKind::LegacyDump)
            .into_iter()
            .filter(|d| d.kind != DirtyKind::LoneSurrogate as i32)
            .map(|d| (d.table, d.key, d.kind, d.column, d.part, d.record))
            .collect();
    let events = Manifest::load(out.path()).unwrap();
    let mut got: Vec<_> = events
        .sidecars
        .iter()
        .flat_map(|s| records::<Reject>(out.path(), s, DumpKind::EventStream))
        .map(|r| (r.table, r.key, r.reason, r.column, r.part, r.record))
        .collect();
    expected.sort();
    got.sort();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);
}

#[test]
fn the_output_is_the_same_bytes_with_one_thread_or_two() {
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    run(one.path(), 1, 300);
    run(two.path(), 2, 300);
    let (a, b) = (parts(one.path()), parts(two.path()));
    assert!(a.len() > 16, "several parts per table: {}", a.len());
    assert_eq!(a, b);
    for (file, ..) in &a {
        let x = std::fs::read(one.path().join(file)).unwrap();
        let y = std::fs::read(two.path().join(file)).unwrap();
        assert!(x == y, "{file} differs");
    }
}

#[test]
fn runs_are_sorted_and_a_registration_comes_before_everything_of_its_member() {
    use pancake_proto::dump::DumpKind;
    use pancake_proto::events::{Event, EventKind, event::Payload};
    use pancake_proto::record::{event_order, timestamp_micros};
    use std::collections::HashMap;
    let out = tempfile::tempdir().unwrap();
    run(out.path(), 2, 400);
    let m = Manifest::load(out.path()).unwrap();
    let mut all: Vec<Event> = Vec::new();
    for table in &m.tables {
        for p in &table.parts {
            let run = read_part::<Event>(out.path(), DumpKind::EventStream, &table.name, p);
            assert_sorted(&run, &p.file);
            all.extend(run);
        }
    }
    // The loader's merge: one global order.
    all.sort_by(|a, b| event_order(a).cmp(&event_order(b)));
    let mut registered: HashMap<Vec<u8>, i64> = HashMap::new();
    let mut checked = 0;
    for e in &all {
        let t = timestamp_micros(e.occurred_at.as_ref().unwrap());
        if e.kind == EventKind::MemberRegistered as i32 {
            registered.insert(e.member_id.clone(), t);
            continue;
        }
        let others: Vec<&Vec<u8>> = match e.payload.as_ref().unwrap() {
            Payload::FlirtSent(p) => vec![&p.recipient_id],
            Payload::MessageSent(p) => vec![&p.recipient_id],
            Payload::MessageRead(p) => vec![&p.sender_id],
            Payload::MemberBlocked(p) => vec![&p.blocked_id],
            Payload::MemberUnblocked(p) => vec![&p.blocked_id],
            Payload::FavoriteAdded(p) => vec![&p.favorite_member_id],
            Payload::FavoriteRemoved(p) => vec![&p.favorite_member_id],
            Payload::ProfileVisited(p) => vec![&p.visited_id],
            Payload::PhotoLiked(p) => vec![&p.owner_id],
            _ => vec![],
        };
        for member in std::iter::once(&e.member_id).chain(others) {
            assert!(
                registered.contains_key(member),
                "{} of {} comes before its registration",
                uuid_text(&e.event_id),
                uuid_text(member)
            );
            checked += 1;
        }
    }
    assert!(checked > 5_000, "{checked}");
}

#[test]
fn a_complete_stream_is_kept_and_other_settings_or_another_stages_output_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("events");
    assert!(!run(&out, 2, 500).up_to_date);
    assert!(run(&out, 2, 500).up_to_date, "nothing to do");

    // Complete, so the message must not call it unfinished, and it names
    // the setting that differs.
    let mut o = TransformOptions::new(tiny().to_path_buf(), out.clone());
    o.part_events = 700;
    let e = transform(&o, &()).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!(
            "{} holds a complete transform made with other settings (--part-records was 500, now 700).",
            out.display()
        )),
        "{e}"
    );
    o.force = true;
    assert!(!transform(&o, &()).unwrap().up_to_date, "--force redoes it");

    // --in and --out swapped by mistake, with --force: the dump is another
    // stage's output and stays whole.
    let dump = tmp.path().join("dump");
    let mut generate_options = GenerateOptions::new(Preset::TINY, 1.0);
    generate_options.threads = 2;
    generate(&dump, &generate_options, false, &()).unwrap();
    let mut o = TransformOptions::new(tiny().to_path_buf(), dump.clone());
    o.force = true;
    let e = transform(&o, &()).unwrap_err().to_string();
    assert!(
        e.contains("holds a legacy dump (pancake generate --preset tiny"),
        "{e}"
    );
    assert!(e.contains("not a pancake event stream"), "{e}");
    verified(&dump);
}
