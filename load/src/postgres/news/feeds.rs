//! Every member's feed, computed from the news module's tables by the rules
//! of [`super::rules`], in one pass that grows with the data:
//!
//! 1. members, search profiles and blocks are read into compact arrays (a
//!    member is a `u32` from here on);
//! 2. items are read once: an interest item (new member, photo) goes into
//!    the bucket of what its sender is on its day (gender, age, city), a
//!    direct one (flirt, visit) to its recipient; each bucket is sorted
//!    newest first;
//! 3. each member's feed is a lazy merge, newest first, of the buckets
//!    their search profile names (by gender and age, and city when it names
//!    one) and of their direct items, stopped when the feed is full;
//! 4. the feeds are copied into `feeds`, replacing what it held.
//!
//! Memory is the items and members themselves (about 40 bytes an item, 40
//! a member), never members times items.

use super::rules::{Sender, Walk, arrival};
use super::tables::{Facts, Item, Items, query, read_facts, read_items};
use crate::postgres::copy::{CopyData, Value};
use sqlx::PgConnection;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// What went wrong computing the feeds.
#[derive(Debug, thiserror::Error)]
pub enum FeedsError {
    /// A query failed while doing `action`.
    #[error("{action}: {source}")]
    Query {
        action: &'static str,
        #[source]
        source: sqlx::Error,
    },
    /// A row that the loader did not write so (a table changed by hand).
    #[error("table {table}: {problem}")]
    BadRow {
        table: &'static str,
        problem: String,
    },
}

/// What [`rebuild`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedsBuilt {
    /// Feed rows: one per registered, never deleted member.
    pub feeds: u64,
    /// Items kept in them, shown and hidden.
    pub shown: u64,
    pub hidden: u64,
    /// The feed size they were built with.
    pub size: u32,
    /// Reading the tables, computing and copying the feeds.
    pub elapsed: std::time::Duration,
}

/// A lazy merge of item lists, newest first (then by id), reused from one
/// member to the next.
#[derive(Default)]
struct Merge<'a> {
    lists: Vec<&'a [Item]>,
    next: Vec<usize>,
    heap: BinaryHeap<(i64, Reverse<[u8; 16]>, u32)>,
}

impl<'a> Merge<'a> {
    fn clear(&mut self) {
        self.lists.clear();
        self.next.clear();
        self.heap.clear();
    }

    fn push(&mut self, list: &'a [Item]) {
        if let Some(first) = list.first() {
            self.heap
                .push((first.at, Reverse(first.id), self.lists.len() as u32));
            self.lists.push(list);
            self.next.push(1);
        }
    }

    fn pop(&mut self) -> Option<Item> {
        let (_, _, list) = self.heap.pop()?;
        let (l, n) = (list as usize, self.next[list as usize]);
        let item = self.lists[l][n - 1];
        if let Some(next) = self.lists[l].get(n) {
            self.heap.push((next.at, Reverse(next.id), list));
            self.next[l] += 1;
        }
        Some(item)
    }
}

/// One member's feed, the rules' walk over their candidates newest first:
/// the ids kept go to `kept`; returns the walk (its counts) and the time
/// of the newest item kept.
fn feed<'a>(
    member: u32,
    facts: &Facts,
    items: &'a Items,
    size: u32,
    merge: &mut Merge<'a>,
    kept: &mut Vec<[u8; 16]>,
) -> (Walk, Option<i64>) {
    merge.clear();
    kept.clear();
    let m = member as usize;
    if let Some(interest) = facts.interests[m] {
        let genders = interest.gender.map_or(0..=3, |g| g..=g);
        for gender in genders {
            for age in interest.age_min..=interest.age_max {
                let list = match interest.city {
                    None => items
                        .age_ranges
                        .get(&(gender, age))
                        .map(|&(a, b)| &items.by_age[a as usize..b as usize]),
                    Some(city) => items
                        .city_ranges
                        .get(&Sender {
                            gender,
                            age,
                            city: Some(city),
                        })
                        .map(|&(a, b)| &items.by_city[a as usize..b as usize]),
                };
                merge.push(list.unwrap_or_default());
            }
        }
    }
    let span = |of: &[u32]| of[m] as usize..of[m + 1] as usize;
    merge.push(&items.direct[span(&items.direct_of)]);
    let blocks = &facts.blocks[span(&facts.block_of)];
    let mut walk = Walk::new(size);
    let mut newest = None;
    while !walk.full() {
        let Some(item) = merge.pop() else { break };
        if item.sender != member && walk.keeps(arrival(blocks, item.sender, item.at)) {
            newest.get_or_insert(item.at);
            kept.push(item.id);
        }
    }
    (walk, newest)
}

/// The columns of `feeds`, in COPY order.
const COPY_FEEDS: &str = "COPY feeds (member_id, item_ids, visible, hidden, feed_size, created_at, updated_at) FROM STDIN (FORMAT binary)";

/// Computes every feed and sends the COPY data for `feeds` in chunks of
/// about a megabyte down `chunks`; runs on a thread of its own.
fn compute(
    facts: Facts,
    items: Items,
    size: u32,
    chunks: tokio::sync::mpsc::Sender<Vec<u8>>,
) -> FeedsBuilt {
    let mut built = FeedsBuilt::default();
    let mut merge = Merge::default();
    let mut kept = Vec::with_capacity(size as usize * 2);
    let mut data = CopyData::new();
    for (m, member) in facts.members.iter().enumerate() {
        if member.deleted {
            continue; // a deleted member has no feed
        }
        let (walk, newest) = feed(m as u32, &facts, &items, size, &mut merge, &mut kept);
        data.row(&[
            Value::Uuid(member.id),
            Value::UuidArray(std::mem::take(&mut kept)),
            Value::Int(walk.shown as i32),
            Value::Int(walk.hidden as i32),
            Value::Int(size as i32),
            Value::Timestamp(member.registered_at),
            Value::Timestamp(newest.map_or(member.registered_at, |n| n.max(member.registered_at))),
        ]);
        built.feeds += 1;
        built.shown += u64::from(walk.shown);
        built.hidden += u64::from(walk.hidden);
        if data.len() >= 1 << 20 && chunks.blocking_send(data.take()).is_err() {
            return built; // the receiver failed and says why
        }
    }
    let _ = chunks.blocking_send(data.finish());
    built
}

/// Replaces `feeds` with every member's feed of `size` items, computed
/// from the module's tables on `conn` (the finishing transaction).
pub async fn rebuild(conn: &mut PgConnection, size: u32) -> Result<FeedsBuilt, FeedsError> {
    let began = std::time::Instant::now();
    let facts = read_facts(conn).await?;
    let items = read_items(conn, &facts).await?;
    sqlx::query("TRUNCATE feeds")
        .execute(&mut *conn)
        .await
        .map_err(query("emptying feeds"))?;
    let (send, mut receive) = tokio::sync::mpsc::channel(4);
    let computing = tokio::task::spawn_blocking(move || compute(facts, items, size, send));
    let mut copy = conn
        .copy_in_raw(COPY_FEEDS)
        .await
        .map_err(query("copying into feeds"))?;
    while let Some(chunk) = receive.recv().await {
        if let Err(e) = copy.send(chunk).await {
            let _ = copy.abort("pancake: sending failed").await;
            return Err(FeedsError::Query {
                action: "copying into feeds",
                source: e,
            });
        }
    }
    let built = computing.await.expect("computing the feeds does not panic");
    copy.finish().await.map_err(query("copying into feeds"))?;
    Ok(FeedsBuilt {
        size,
        elapsed: began.elapsed(),
        ..built
    })
}
