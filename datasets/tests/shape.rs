//! The data looks like a dating site: a few members do most of the talking,
//! bodies have realistic lengths and alphabets, activity spans years, and
//! some members are deleted or never approved.

mod common;

use common::*;
use pancake_datasets::Preset;
use pancake_proto::legacy;
use std::collections::{BTreeSet, HashMap};

#[test]
fn the_generated_site_has_a_dating_sites_shape() {
    let dir = tempfile::tempdir().unwrap();
    generate_into(dir.path(), &options(Preset::TINY, 5.0, 3, 2));

    let messages: Vec<legacy::Message> = read_table(dir.path(), "messages")
        .into_iter()
        .map(|(_, _, m)| m)
        .collect();
    // Heavy-tailed: the busiest 5% of senders send a large share.
    let mut per_sender: HashMap<i32, usize> = HashMap::new();
    for m in &messages {
        if let Some(sender) = m.sender_id {
            *per_sender.entry(sender).or_default() += 1;
        }
    }
    let mut counts: Vec<usize> = per_sender.values().copied().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let top = counts.len().div_ceil(20);
    let top_share = counts[..top].iter().sum::<usize>() as f64 / messages.len() as f64;
    assert!(
        top_share > 0.3,
        "top 5% of senders send only {top_share:.2}"
    );

    // Bodies: up to the column's 2000 UTF-16 units, emoji and Nordic letters.
    let bodies: Vec<&str> = messages.iter().filter_map(|m| m.body.as_deref()).collect();
    let longest = bodies
        .iter()
        .map(|b| b.encode_utf16().count())
        .max()
        .unwrap();
    assert_eq!(longest, 2000);
    let with_emoji = bodies
        .iter()
        .filter(|b| b.chars().any(|c| c as u32 > 0xffff))
        .count();
    assert!(
        with_emoji * 10 > bodies.len(),
        "{with_emoji} of {} bodies have emoji",
        bodies.len()
    );
    assert!(
        bodies
            .iter()
            .any(|b| b.contains('ä') || b.contains('ö') || b.contains('å'))
    );
    let short = bodies
        .iter()
        .filter(|b| b.encode_utf16().count() < 200)
        .count();
    assert!(short * 2 > bodies.len(), "most messages are short");

    // Activity spreads over many years; read receipts only in the last one.
    let years: BTreeSet<i64> = messages
        .iter()
        .filter_map(|m| m.sent_at)
        .map(|t| 1970 + t.seconds / 31_556_952)
        .filter(|y| (2000..=2026).contains(y))
        .collect();
    assert!(years.len() >= 10, "activity in years {years:?}");
    assert!(messages.iter().any(|m| m.read_at.is_some()));

    // Some members deleted their account, some were never approved.
    let members: Vec<legacy::Member> = read_table(dir.path(), "members")
        .into_iter()
        .map(|(_, _, m)| m)
        .collect();
    let deleted = members.iter().filter(|m| m.deleted_at.is_some()).count();
    let unapproved = members.iter().filter(|m| m.approved_at.is_none()).count();
    assert!(
        deleted * 50 > members.len(),
        "{deleted} deleted of {}",
        members.len()
    );
    assert!(
        unapproved * 10 > members.len(),
        "{unapproved} unapproved of {}",
        members.len()
    );
}
