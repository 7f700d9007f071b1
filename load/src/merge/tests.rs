//! The merge's unit tests: order, resume, and every way a stream can be damaged.

use super::run::parse_time;
use super::*;
use pancake_proto::dump::DumpKind;
use pancake_proto::events::{EventKind, Reject};
use pancake_proto::record::{event_order, format_micros, micros_timestamp};
use pancake_proto::{ManifestError, ManifestWriter, PartEntry, PartSpec, PartWriter, WriteOptions};
use prost::Message as _;

const SECOND: i64 = 1_000_000;
/// 2020-01-01T00:00:00Z.
const T0: i64 = 1_577_836_800 * SECOND;

fn ev(id: &str, kind: EventKind, micros: i64) -> Event {
    Event {
        event_id: id.into(),
        kind: kind as i32,
        occurred_at: Some(micros_timestamp(micros)),
        member_id: format!("member-of-{id}").into(),
        ..Event::default()
    }
}

fn msg(id: &str, micros: i64) -> Event {
    ev(id, EventKind::MessageSent, micros)
}

fn reg(id: &str, micros: i64) -> Event {
    ev(id, EventKind::MemberRegistered, micros)
}

fn sorted(mut events: Vec<Event>) -> Vec<Event> {
    events.sort_by(|a, b| event_order(a).cmp(&event_order(b)));
    events
}

/// Writes `events` as they are (sorted or not) as part `number` of
/// `table`.
fn write_part<R: pancake_proto::Record>(
    dir: &Path,
    table: &str,
    number: u32,
    records: &[R],
) -> PartEntry {
    let spec = PartSpec::of::<R>(DumpKind::EventStream, table, number);
    let mut writer = PartWriter::create(dir, spec, &WriteOptions::default()).unwrap();
    for record in records {
        writer.write(record).unwrap();
    }
    writer.finish().unwrap()
}

/// An event stream of `tables`, each a list of runs written as given;
/// not finished, so that a test can add sidecars first.
fn start_stream(dir: &Path, tables: &[(&str, Vec<Vec<Event>>)]) -> ManifestWriter {
    let writer =
        ManifestWriter::create(dir, Manifest::new(DumpKindName::EventStream, "merge tests"))
            .unwrap();
    for (table, runs) in tables {
        writer
            .declare_table(table, Event::TYPE_NAME, false)
            .unwrap();
        for (number, run) in runs.iter().enumerate() {
            let entry = write_part(dir, table, number as u32, run);
            writer
                .commit_part(table, Event::TYPE_NAME, false, entry)
                .unwrap();
        }
    }
    writer
}

fn stream(dir: &Path, tables: &[(&str, Vec<Vec<Event>>)]) {
    start_stream(dir, tables).finish().unwrap();
}

fn ids(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| String::from_utf8(e.event_id.clone()).unwrap())
        .collect()
}

fn merge_all(merge: EventMerge) -> Vec<Event> {
    merge.map(|e| e.unwrap()).collect()
}

/// A small deterministic generator (no `rand` here).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Runs of `count` events each with times in `[from, from + span)`
/// seconds after T0, coarse enough that many share an instant; every id
/// is unique (`prefix` + counter).
fn random_run(rng: &mut Lcg, prefix: &str, from: i64, span: i64, count: usize) -> Vec<Event> {
    let kinds = [
        EventKind::MemberRegistered,
        EventKind::MessageSent,
        EventKind::FlirtSent,
        EventKind::ProfileVisited,
    ];
    let events = (0..count)
        .map(|i| {
            let time = T0 + (from + rng.below(span as u64) as i64) * SECOND;
            let kind = kinds[rng.below(kinds.len() as u64) as usize];
            // Ids not in time order, so that ties are decided by id.
            ev(
                &format!("{prefix}-{:03}", rng.below(900) * 1000 + i as u64),
                kind,
                time,
            )
        })
        .collect();
    sorted(events)
}

/// Three tables: members with overlapping runs, messages with disjoint
/// runs, flirts with wide runs overlapping everything, and an empty run.
fn mixed_tables(scale: usize) -> Vec<(&'static str, Vec<Vec<Event>>)> {
    let mut rng = Lcg(7);
    let members = (0..3)
        .map(|r| random_run(&mut rng, &format!("mem{r}"), r * 100, 150, 4 * scale))
        .collect();
    let mut messages: Vec<Vec<Event>> = (0..4)
        .map(|r| random_run(&mut rng, &format!("msg{r}"), r * 80, 80, 5 * scale))
        .collect();
    messages.insert(2, Vec::new());
    let flirts = (0..2)
        .map(|r| random_run(&mut rng, &format!("fl{r}"), 0, 400, 6 * scale))
        .collect();
    vec![
        ("members", members),
        ("messages", messages),
        ("flirts", flirts),
    ]
}

fn all_events(tables: &[(&str, Vec<Vec<Event>>)]) -> Vec<Event> {
    sorted(
        tables
            .iter()
            .flat_map(|(_, runs)| runs.iter().flatten().cloned())
            .collect(),
    )
}

#[test]
fn manifest_times_parse_back_to_the_microsecond() {
    for micros in [
        T0,
        T0 + 1,
        T0 + 123_456,
        0,
        -1,
        -2_208_988_800_000_001,
        i64::MAX,
    ] {
        assert_eq!(parse_time(&format_micros(micros)), Some(micros), "{micros}");
    }
    assert_eq!(parse_time("yesterday"), None);
}

#[test]
fn merges_every_event_exactly_once_in_global_order() {
    let dir = tempfile::tempdir().unwrap();
    let tables = mixed_tables(5);
    stream(dir.path(), &tables);
    let expected = all_events(&tables);
    // The ids are unique, so the expected order is the only right one.
    let mut unique = ids(&expected);
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), expected.len());

    let mut merge = EventMerge::open(dir.path()).unwrap();
    assert_eq!(merge.total_events(), expected.len() as u64);
    assert_eq!(merge.run_count(), 3 + 5 + 2);
    assert_eq!(
        merge.open_runs(),
        0,
        "nothing is opened before the first event"
    );
    let mut got = Vec::new();
    for event in merge.by_ref() {
        got.push(event.unwrap());
    }
    assert_eq!(ids(&got), ids(&expected));
    assert_eq!(merge.open_runs(), 0);
    assert!(merge.next().is_none());
    let position = merge.position();
    let per_run: Vec<u64> = tables
        .iter()
        .flat_map(|(_, runs)| runs.iter().map(|r| r.len() as u64))
        .collect();
    assert_eq!(position.consumed, per_run);
    assert_eq!(position.total(), expected.len() as u64);
}

#[test]
fn each_event_comes_as_the_bytes_its_part_holds_with_its_head() {
    let dir = tempfile::tempdir().unwrap();
    let tables = mixed_tables(3);
    stream(dir.path(), &tables);
    let expected = all_events(&tables);
    let mut merge = EventMerge::open(dir.path()).unwrap();
    let mut seen = 0;
    while let Some(framed) = merge.next_framed().unwrap() {
        let event = &expected[seen];
        // The part writer encodes with prost, as this does.
        assert_eq!(framed.frame(), event.encode_to_vec().as_slice());
        assert_eq!(framed.head().event_id, event.event_id);
        assert_eq!(framed.head().member_id, event.member_id);
        assert_eq!(framed.head().kind, event.kind);
        assert_eq!(framed.head().occurred_at, event.occurred_at);
        assert_eq!(framed.event().unwrap(), *event);
        seen += 1;
    }
    assert_eq!(seen, expected.len());
    assert!(merge.next_framed().unwrap().is_none());
}

#[test]
fn at_one_instant_registrations_come_first_then_by_event_id() {
    let dir = tempfile::tempdir().unwrap();
    let t = T0 + 10 * SECOND;
    let tables = vec![
        (
            "messages",
            vec![
                vec![msg("a", t - SECOND), msg("m", t), msg("q", t)],
                vec![msg("c", t + SECOND)],
            ],
        ),
        // Starts exactly at the instant an open run is at: its
        // registration must still come first.
        ("members", vec![vec![reg("z", t), reg("zz", t + SECOND)]]),
        (
            "flirts",
            vec![vec![
                ev("b", EventKind::FlirtSent, t),
                reg("y", t + SECOND),
                ev("d", EventKind::FlirtSent, t + SECOND),
            ]],
        ),
    ];
    stream(dir.path(), &tables);
    let got = merge_all(EventMerge::open(dir.path()).unwrap());
    assert_eq!(
        ids(&got),
        ["a", "z", "b", "m", "q", "y", "zz", "c", "d"],
        "by time; at one instant registrations first, then by id"
    );
}

#[test]
fn equal_keys_in_different_runs_go_in_run_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = msg("same", T0);
    first.member_id = "first".into();
    let mut second = msg("same", T0);
    second.member_id = "second".into();
    stream(
        dir.path(),
        &[
            ("messages", vec![vec![first]]),
            ("flirts", vec![vec![second]]),
        ],
    );
    let got = merge_all(EventMerge::open(dir.path()).unwrap());
    let members: Vec<&str> = got
        .iter()
        .map(|e| std::str::from_utf8(&e.member_id).unwrap())
        .collect();
    assert_eq!(members, ["first", "second"]);
}

#[test]
fn opens_runs_only_when_the_merge_reaches_them() {
    let dir = tempfile::tempdir().unwrap();
    let runs: Vec<Vec<Event>> = (0..50)
        .map(|r| {
            (0..10)
                .map(|i| msg(&format!("{r:02}-{i}"), T0 + (r * 100 + i) * SECOND))
                .collect()
        })
        .collect();
    stream(dir.path(), &[("messages", runs)]);
    let mut merge = EventMerge::open(dir.path()).unwrap();
    let mut seen_open = 0;
    let mut count = 0;
    while let Some(event) = merge.next() {
        event.unwrap();
        count += 1;
        seen_open = seen_open.max(merge.open_runs());
    }
    assert_eq!(count, 500);
    assert_eq!(seen_open, 1);
    assert_eq!(merge.max_open_runs(), 1, "disjoint runs open one at a time");

    // Runs that touch (one ends at the instant the next starts): two.
    let dir = tempfile::tempdir().unwrap();
    let runs: Vec<Vec<Event>> = (0..50)
        .map(|r| {
            (0..=10)
                .map(|i| msg(&format!("{r:02}-{i:02}"), T0 + (r * 10 + i) * SECOND))
                .collect()
        })
        .collect();
    stream(dir.path(), &[("messages", runs)]);
    let mut merge = EventMerge::open(dir.path()).unwrap();
    merge.next().unwrap().unwrap();
    assert_eq!(merge.open_runs(), 1);
    let rest = merge.by_ref().count();
    assert_eq!(rest, 549);
    assert_eq!(merge.max_open_runs(), 2);

    // The counter does count: runs that all overlap are all open.
    let dir = tempfile::tempdir().unwrap();
    let runs: Vec<Vec<Event>> = (0..5)
        .map(|r| {
            vec![
                msg(&format!("{r}-a"), T0),
                msg(&format!("{r}-b"), T0 + SECOND),
            ]
        })
        .collect();
    stream(dir.path(), &[("messages", runs)]);
    let mut merge = EventMerge::open(dir.path()).unwrap();
    merge.next().unwrap().unwrap();
    assert_eq!(merge.open_runs(), 5);
    assert_eq!(merge.by_ref().count(), 9);
    assert_eq!(merge.max_open_runs(), 5);
}

#[test]
fn tells_each_part_read_to_its_trailer_once_with_its_file_size() {
    let dir = tempfile::tempdir().unwrap();
    // Two disjoint runs of messages, then one of registrations.
    let messages: Vec<Vec<Event>> = (0..2)
        .map(|r| {
            (0..3)
                .map(|i| msg(&format!("{r}-{i}"), T0 + (r * 10 + i) * SECOND))
                .collect()
        })
        .collect();
    let members = vec![vec![reg("m", T0 + 100 * SECOND)]];
    stream(dir.path(), &[("messages", messages), ("members", members)]);
    let manifest = Manifest::load(dir.path()).unwrap();
    let size = |table: &str, part: u32| {
        let file = &manifest.table(table).unwrap().parts[part as usize].file;
        std::fs::metadata(dir.path().join(file)).unwrap().len()
    };
    let mut merge = EventMerge::open(dir.path()).unwrap();
    let mut told: Vec<(String, u32, u64, usize)> = Vec::new();
    let mut yielded = 0;
    while let Some(event) = merge.next() {
        event.unwrap();
        yielded += 1;
        told.extend(
            merge
                .take_parts_read()
                .map(|p| (p.table.to_owned(), p.part, p.bytes, yielded)),
        );
    }
    assert_eq!(merge.take_parts_read().count(), 0, "each part is told once");
    // A run is read to its trailer when its last event is queued: the
    // first run with the first event of the second, which opens then.
    assert_eq!(
        told,
        vec![
            ("messages".to_owned(), 0, size("messages", 0), 3),
            ("messages".to_owned(), 1, size("messages", 1), 6),
            ("members".to_owned(), 0, size("members", 0), 7),
        ]
    );
    assert!(told.iter().all(|t| t.2 > 0));
}

#[test]
fn resuming_at_every_event_gives_exactly_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let tables = mixed_tables(1);
    stream(dir.path(), &tables);
    let full = merge_all(EventMerge::open(dir.path()).unwrap());
    assert_eq!(full.len(), 12 + 20 + 12);
    let mut positions = Vec::new();
    for k in 0..=full.len() {
        let mut merge = EventMerge::open(dir.path()).unwrap();
        let head: Vec<Event> = merge.by_ref().take(k).map(|e| e.unwrap()).collect();
        assert_eq!(head, full[..k]);
        let at = merge.position();
        assert_eq!(at.total(), k as u64);
        let resumed = EventMerge::resume(dir.path(), &at).unwrap();
        assert_eq!(resumed.position(), at, "resume starts where it was");
        let rest = merge_all(resumed);
        assert_eq!(ids(&rest), ids(&full[k..]), "resumed after {k} events");
        assert_eq!(rest, full[k..]);
        positions.push(at);
    }
    // Resuming a resumed merge: positions agree with the uninterrupted one.
    let mut merge = EventMerge::resume(dir.path(), &positions[10]).unwrap();
    merge.by_ref().take(7).for_each(|e| {
        e.unwrap();
    });
    assert_eq!(merge.position(), positions[17]);
    let rest = merge_all(EventMerge::resume(dir.path(), &merge.position()).unwrap());
    assert_eq!(rest, full[17..]);
}

#[test]
fn refuses_a_position_of_another_stream() {
    let dir = tempfile::tempdir().unwrap();
    stream(
        dir.path(),
        &[("messages", vec![vec![msg("a", T0)], vec![msg("b", T0)]])],
    );
    let short = Position { consumed: vec![1] };
    let err = EventMerge::resume(dir.path(), &short).unwrap_err();
    assert!(matches!(err, MergeError::BadPosition { .. }), "{err}");
    let too_far = Position {
        consumed: vec![1, 2],
    };
    let err = EventMerge::resume(dir.path(), &too_far).unwrap_err();
    assert!(matches!(err, MergeError::BadPosition { .. }), "{err}");
    assert!(err.to_string().contains("run 1"), "{err}");
}

#[test]
fn refuses_an_incomplete_stream_a_legacy_dump_and_no_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let writer = start_stream(dir.path(), &[("messages", vec![vec![msg("a", T0)]])]);
    let err = EventMerge::open(dir.path()).unwrap_err();
    assert!(matches!(err, MergeError::Incomplete { .. }), "{err}");
    assert!(
        err.to_string().contains(&dir.path().display().to_string()),
        "{err}"
    );
    writer.finish().unwrap();
    assert_eq!(merge_all(EventMerge::open(dir.path()).unwrap()).len(), 1);

    let legacy = tempfile::tempdir().unwrap();
    ManifestWriter::create(
        legacy.path(),
        Manifest::new(DumpKindName::LegacyDump, "merge tests"),
    )
    .unwrap()
    .finish()
    .unwrap();
    let err = EventMerge::open(legacy.path()).unwrap_err();
    assert!(
        matches!(
            err,
            MergeError::NotEventStream {
                found: "legacy-dump",
                ..
            }
        ),
        "{err}"
    );

    let empty = tempfile::tempdir().unwrap();
    let err = EventMerge::open(empty.path()).unwrap_err();
    assert!(
        matches!(err, MergeError::Manifest(ManifestError::Missing { .. })),
        "{err}"
    );
}

fn first_error(merge: EventMerge) -> (usize, MergeError) {
    let mut yielded = 0;
    for event in merge {
        match event {
            Ok(_) => yielded += 1,
            Err(e) => return (yielded, e),
        }
    }
    panic!("no error after {yielded} events");
}

#[test]
fn a_run_out_of_order_is_an_error_never_a_misordered_merge() {
    let cases: [(Vec<Event>, u64); 3] = [
        // by time
        (
            vec![
                msg("a", T0),
                msg("b", T0 + 3 * SECOND),
                msg("c", T0 + 2 * SECOND),
                msg("d", T0 + 4 * SECOND),
            ],
            2,
        ),
        // by id at one instant
        (
            vec![msg("a", T0), msg("c", T0 + SECOND), msg("b", T0 + SECOND)],
            2,
        ),
        // a registration after another kind at one instant
        (vec![msg("a", T0), reg("b", T0)], 1),
    ];
    for (run, bad) in cases {
        let dir = tempfile::tempdir().unwrap();
        stream(dir.path(), &[("messages", vec![run.clone()])]);
        let mut merge = EventMerge::open(dir.path()).unwrap();
        let mut yielded = Vec::new();
        let err = loop {
            match merge.next().expect("an error before the end") {
                Ok(event) => yielded.push(event),
                Err(e) => break e,
            }
        };
        match &err {
            MergeError::OutOfOrder { file, record, .. } => {
                assert_eq!(*record, bad, "{err}");
                assert!(file.ends_with("messages/part-000000.pb.gz"), "{err}");
            }
            other => panic!("expected OutOfOrder, got {other}"),
        }
        // What was yielded before is in order, and nothing comes after.
        assert_eq!(yielded, run[..bad as usize - 1]);
        assert!(merge.next().is_none());
        assert_eq!(merge.open_runs(), 0);
    }
}

#[test]
fn a_truncated_or_missing_part_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let long: Vec<Event> = (0..3000)
        .map(|i| {
            msg(
                &format!("event-{i:05}-{}", i * 7919 % 10007),
                T0 + i * SECOND,
            )
        })
        .collect();
    stream(
        dir.path(),
        &[("messages", vec![vec![msg("early", T0 - SECOND)], long])],
    );
    let path = dir.path().join("messages/part-000001.pb.gz");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let (yielded, err) = first_error(EventMerge::open(dir.path()).unwrap());
    assert!(yielded < 3001);
    match &err {
        MergeError::Part(e) => assert_eq!(e.path(), path, "{err}"),
        other => panic!("expected a part error, got {other}"),
    }

    std::fs::remove_file(&path).unwrap();
    let (yielded, err) = first_error(EventMerge::open(dir.path()).unwrap());
    assert_eq!(
        yielded, 1,
        "the event before the missing run's start comes out"
    );
    assert!(matches!(err, MergeError::Part(PartError::Io(_))), "{err}");
}

/// Changes the manifest of a finished stream.
fn edit(dir: &Path, change: impl FnOnce(&mut PartEntry)) {
    let mut manifest = Manifest::load(dir).unwrap();
    change(&mut manifest.tables[0].parts[0]);
    manifest.save(dir).unwrap();
}

#[test]
fn a_manifest_that_disagrees_with_its_parts_is_an_error() {
    let run = vec![
        msg("a", T0),
        msg("b", T0 + SECOND),
        msg("c", T0 + 2 * SECOND),
    ];
    let other = vec![msg("x", T0 - SECOND), msg("y", T0 + SECOND)];
    let fresh = || {
        let dir = tempfile::tempdir().unwrap();
        stream(
            dir.path(),
            &[
                ("messages", vec![run.clone()]),
                ("flirts", vec![other.clone()]),
            ],
        );
        dir
    };

    // A start later than the first event would open the run too late.
    let dir = fresh();
    edit(dir.path(), |p| {
        p.time_range.as_mut().unwrap()[0] = format_micros(T0 + SECOND)
    });
    let (_, err) = first_error(EventMerge::open(dir.path()).unwrap());
    assert!(
        matches!(err, MergeError::BadTimeRange { part: 0, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("first event"), "{err}");

    // An end that is not the last event's time.
    let dir = fresh();
    edit(dir.path(), |p| {
        p.time_range.as_mut().unwrap()[1] = format_micros(T0 + 5 * SECOND)
    });
    let (_, err) = first_error(EventMerge::open(dir.path()).unwrap());
    assert!(matches!(err, MergeError::BadTimeRange { .. }), "{err}");
    assert!(err.to_string().contains("ends at"), "{err}");

    // Not a time at all, or backwards: refused before reading a part.
    let dir = fresh();
    edit(dir.path(), |p| {
        p.time_range.as_mut().unwrap()[0] = "soon".into()
    });
    let err = EventMerge::open(dir.path()).unwrap_err();
    assert!(matches!(err, MergeError::BadTimeRange { .. }), "{err}");
    let dir = fresh();
    edit(dir.path(), |p| {
        p.time_range = Some([format_micros(T0 + SECOND), format_micros(T0)])
    });
    let err = EventMerge::open(dir.path()).unwrap_err();
    assert!(matches!(err, MergeError::BadTimeRange { .. }), "{err}");

    // A count that is not the part's.
    for records in [2, 4] {
        let dir = fresh();
        edit(dir.path(), |p| p.records = records);
        let (_, err) = first_error(EventMerge::open(dir.path()).unwrap());
        assert!(
            matches!(err, MergeError::RecordCount { manifest, read: 3, .. } if manifest == records),
            "{err}"
        );
    }
}

#[test]
fn sidecars_are_not_events() {
    let dir = tempfile::tempdir().unwrap();
    let events = vec![msg("a", T0), msg("b", T0 + SECOND)];
    let writer = start_stream(dir.path(), &[("messages", vec![events.clone()])]);
    let reject = Reject {
        table: "messages".into(),
        key: 7,
        ..Reject::default()
    };
    let entry = write_part(dir.path(), "messages_rejects", 0, &[reject]);
    writer
        .commit_part("messages_rejects", Reject::TYPE_NAME, true, entry)
        .unwrap();
    // Even a sidecar of events is left out.
    let entry = write_part(dir.path(), "extra", 0, &[msg("sidecar", T0)]);
    writer
        .commit_part("extra", Event::TYPE_NAME, true, entry)
        .unwrap();
    writer.finish().unwrap();
    assert_eq!(Manifest::load(dir.path()).unwrap().sidecars.len(), 2);

    let merge = EventMerge::open(dir.path()).unwrap();
    assert_eq!(merge.total_events(), 2);
    assert_eq!(merge.run_count(), 1);
    assert_eq!(merge_all(merge), events);
}

#[test]
fn empty_runs_and_tables_are_fine() {
    let dir = tempfile::tempdir().unwrap();
    stream(
        dir.path(),
        &[
            ("members", vec![]),
            ("messages", vec![vec![], vec![msg("a", T0)], vec![]]),
        ],
    );
    let mut merge = EventMerge::open(dir.path()).unwrap();
    assert_eq!(merge.run_count(), 3);
    assert_eq!(
        ids(&merge.by_ref().map(|e| e.unwrap()).collect::<Vec<_>>()),
        ["a"]
    );
    assert_eq!(merge.position().consumed, [0, 1, 0]);
    let rest = merge_all(EventMerge::resume(dir.path(), &merge.position()).unwrap());
    assert!(rest.is_empty());
}
