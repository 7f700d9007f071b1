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

use super::rules::{BlockSpan, Interest, ItemKind, OLDEST, Sender, Walk, age_on, arrival, day_of};
use crate::postgres::copy::{CopyData, Value};
use futures_util::TryStreamExt as _;
use sqlx::{PgConnection, Row as _};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

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

/// A member as the feeds need them.
struct Member {
    id: [u8; 16],
    gender: u8,
    /// Days since 1970-01-01.
    birth: Option<i32>,
    city: Option<u32>,
    deleted: bool,
    registered_at: i64,
}

/// An item in a bucket or a member's direct list.
#[derive(Clone, Copy)]
struct Item {
    at: i64,
    id: [u8; 16],
    sender: u32,
}

impl Item {
    /// Sorts newest first, then by id (the rules' order).
    fn order(&self) -> (Reverse<i64>, [u8; 16]) {
        (Reverse(self.at), self.id)
    }
}

/// Ranges of a sorted item list, by what was sorted on.
type Ranges<K> = HashMap<K, (u32, u32)>;

fn bad(table: &'static str, problem: impl Into<String>) -> FeedsError {
    FeedsError::BadRow {
        table,
        problem: problem.into(),
    }
}

fn query(action: &'static str) -> impl FnOnce(sqlx::Error) -> FeedsError {
    move |source| FeedsError::Query { action, source }
}

fn id16(table: &'static str, bytes: Vec<u8>) -> Result<[u8; 16], FeedsError> {
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| bad(table, format!("an id of {} bytes", b.len())))
}

/// The tables, read.
struct Facts {
    members: Vec<Member>,
    by_id: HashMap<[u8; 16], u32>,
    interests: Vec<Option<Interest>>,
    /// Blocks by blocker: `block_of[m]..block_of[m + 1]` in `blocks`.
    blocks: Vec<BlockSpan>,
    block_of: Vec<u32>,
}

const MICROS: &str = "(extract(epoch FROM {}) * 1000000)::int8";

fn micros(column: &str) -> String {
    MICROS.replace("{}", column)
}

async fn read_facts(conn: &mut PgConnection) -> Result<Facts, FeedsError> {
    let mut members = Vec::new();
    let mut by_id = HashMap::new();
    let mut cities: HashMap<String, u32> = HashMap::new();
    let sql = format!(
        "SELECT uuid_send(member_id), gender, birth_date - DATE '1970-01-01', city, deleted_at IS NOT NULL, {}
         FROM members",
        micros("registered_at")
    );
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *conn);
    while let Some(row) = rows.try_next().await.map_err(query("reading members"))? {
        let id = id16("members", row.get(0))?;
        let gender = u8::try_from(row.get::<i32, _>(1))
            .map_err(|_| bad("members", format!("gender {}", row.get::<i32, _>(1))))?;
        let city = row.get::<Option<String>, _>(3).map(|c| {
            let n = cities.len() as u32;
            *cities.entry(c).or_insert(n)
        });
        if by_id.insert(id, members.len() as u32).is_some() {
            return Err(bad(
                "members",
                format!("member {} twice", uuid::Uuid::from_bytes(id)),
            ));
        }
        members.push(Member {
            id,
            gender,
            birth: row.get(2),
            city,
            deleted: row.get(4),
            registered_at: row.get(5),
        });
    }
    drop(rows);

    let mut interests = vec![None; members.len()];
    let sql = "SELECT DISTINCT ON (member_id) uuid_send(member_id), seeking_gender, age_min, age_max, city
               FROM search_profiles ORDER BY member_id, set_at DESC, search_profile_id DESC";
    let mut rows = sqlx::query(sql).fetch(&mut *conn);
    while let Some(row) = rows
        .try_next()
        .await
        .map_err(query("reading search profiles"))?
    {
        let Some(&m) = by_id.get(&id16("search_profiles", row.get(0))?) else {
            continue; // a profile of no registered member: interests nobody
        };
        let age = |i: usize| row.get::<i32, _>(i).clamp(0, i32::from(OLDEST)) as u8;
        interests[m as usize] = Some(Interest {
            gender: row
                .get::<Option<i32>, _>(1)
                .map(|g| u8::try_from(g).unwrap_or(u8::MAX)),
            age_min: age(2),
            age_max: age(3),
            city: row
                .get::<Option<String>, _>(4)
                .map(|c| cities.get(&c).copied().unwrap_or(u32::MAX)),
        });
    }
    drop(rows);

    let mut spans: Vec<(u32, BlockSpan)> = Vec::new();
    let sql = format!(
        "SELECT uuid_send(blocker_id), uuid_send(blocked_id), {}, {} FROM blocks",
        micros("blocked_at"),
        micros("unblocked_at")
    );
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *conn);
    while let Some(row) = rows.try_next().await.map_err(query("reading blocks"))? {
        let blocker = by_id.get(&id16("blocks", row.get(0))?);
        let blocked = by_id.get(&id16("blocks", row.get(1))?);
        if let (Some(&blocker), Some(&blocked)) = (blocker, blocked) {
            spans.push((
                blocker,
                BlockSpan {
                    blocked,
                    from: row.get(2),
                    until: row.get(3),
                },
            ));
        }
    }
    drop(rows);
    spans.sort_unstable_by_key(|(blocker, b)| (*blocker, b.blocked, b.from));
    let mut block_of = vec![0u32; members.len() + 1];
    for (blocker, _) in &spans {
        block_of[*blocker as usize + 1] += 1;
    }
    for i in 1..block_of.len() {
        block_of[i] += block_of[i - 1];
    }
    Ok(Facts {
        members,
        by_id,
        interests,
        blocks: spans.into_iter().map(|(_, b)| b).collect(),
        block_of,
    })
}

/// The items, sorted for the merge.
struct Items {
    /// Interest items by (sender's gender, age, city), newest first.
    by_city: Vec<Item>,
    city_ranges: Ranges<Sender>,
    /// The same items by (gender, age) alone, for profiles that name no city.
    by_age: Vec<Item>,
    age_ranges: Ranges<(u8, u8)>,
    /// Direct items by recipient, newest first: `direct_of[m]..direct_of[m + 1]`.
    direct: Vec<Item>,
    direct_of: Vec<u32>,
}

async fn read_items(conn: &mut PgConnection, facts: &Facts) -> Result<Items, FeedsError> {
    let mut interest: Vec<(Sender, Item)> = Vec::new();
    let mut direct: Vec<(u32, Item)> = Vec::new();
    let sql = format!(
        "SELECT uuid_send(item_id), kind, uuid_send(from_member_id), uuid_send(to_member_id), {}
         FROM items",
        micros("occurred_at")
    );
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *conn);
    while let Some(row) = rows.try_next().await.map_err(query("reading items"))? {
        let kind: String = row.get(1);
        let kind =
            ItemKind::by_name(&kind).ok_or_else(|| bad("items", format!("kind {kind:?}")))?;
        let Some(&sender) = facts.by_id.get(&id16("items", row.get(2))?) else {
            continue; // from no registered member
        };
        let from = &facts.members[sender as usize];
        if from.deleted {
            continue; // a deleted member's items leave every feed
        }
        let item = Item {
            at: row.get(4),
            id: id16("items", row.get(0))?,
            sender,
        };
        if kind.is_interest() {
            let Some(age) = from.birth.and_then(|b| age_on(b, day_of(item.at))) else {
                continue; // an age nobody can seek
            };
            interest.push((
                Sender {
                    gender: from.gender,
                    age,
                    city: from.city,
                },
                item,
            ));
        } else {
            let to: Option<Vec<u8>> = row.get(3);
            let to =
                to.ok_or_else(|| bad("items", format!("a {} without to_member_id", kind.name())))?;
            if let Some(&to) = facts.by_id.get(&id16("items", to)?) {
                direct.push((to, item));
            }
        }
    }
    drop(rows);

    interest.sort_unstable_by_key(|(s, i)| (*s, i.order()));
    let city_ranges = ranges(&interest, |s| *s);
    let by_city: Vec<Item> = interest.iter().map(|(_, i)| *i).collect();
    interest.sort_unstable_by_key(|(s, i)| (s.gender, s.age, i.order()));
    let age_ranges = ranges(&interest, |s| (s.gender, s.age));
    let by_age = interest.into_iter().map(|(_, i)| i).collect();

    direct.sort_unstable_by_key(|(to, i)| (*to, i.order()));
    let mut direct_of = vec![0u32; facts.members.len() + 1];
    for (to, _) in &direct {
        direct_of[*to as usize + 1] += 1;
    }
    for i in 1..direct_of.len() {
        direct_of[i] += direct_of[i - 1];
    }
    Ok(Items {
        by_city,
        city_ranges,
        by_age,
        age_ranges,
        direct: direct.into_iter().map(|(_, i)| i).collect(),
        direct_of,
    })
}

/// The range of each run of equal keys in a list sorted by them.
fn ranges<K: std::hash::Hash + Eq + Copy>(
    sorted: &[(Sender, Item)],
    key: impl Fn(&Sender) -> K,
) -> Ranges<K> {
    let mut out: Ranges<K> = HashMap::new();
    for (i, (s, _)) in sorted.iter().enumerate() {
        out.entry(key(s)).or_insert((i as u32, i as u32)).1 = i as u32 + 1;
    }
    out
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
