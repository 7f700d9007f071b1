//! The merge over a transformed `tiny`: one global order, every event
//! once, with fewer runs open at once than there are.

mod common;

use common::tiny_stream;
use pancake_load::EventMerge;
use pancake_proto::events::{Event, EventKind};
use pancake_proto::record::event_order;

#[test]
fn merges_a_transformed_data_set() {
    let tmp = tempfile::tempdir().unwrap();
    let events = tiny_stream(tmp.path(), 300);

    let mut merge = EventMerge::open(&events).unwrap();
    let total = merge.total_events();
    let runs = merge.run_count();
    let mut previous: Option<Event> = None;
    let mut count = 0u64;
    let mut member_seen = std::collections::HashSet::new();
    for event in merge.by_ref() {
        let event = event.unwrap();
        if let Some(previous) = &previous {
            assert!(event_order(previous) <= event_order(&event));
        }
        if event.kind == EventKind::MemberRegistered as i32 {
            member_seen.insert(event.member_id.clone());
        }
        count += 1;
        previous = Some(event);
    }
    assert_eq!(count, total);
    assert!(!member_seen.is_empty());
    eprintln!(
        "tiny: {total} events in {runs} runs, at most {} open",
        merge.max_open_runs()
    );
    assert!(runs > 10, "{runs}");
    assert!(
        merge.max_open_runs() < runs,
        "{} of {runs}",
        merge.max_open_runs()
    );
}
