//! The news module's tables read back for computing the feeds, into
//! compact arrays: a member is a `u32` from here on, an item 32 bytes.
//! Interest items are sorted into buckets by what their sender is on the
//! item's day (gender, age, city), direct items by recipient, each newest
//! first.

use super::feeds::FeedsError;
use super::rules::{BlockSpan, Interest, ItemKind, OLDEST, Sender, age_on, day_of};
use futures_util::TryStreamExt as _;
use sqlx::{PgConnection, Row as _};
use std::cmp::Reverse;
use std::collections::HashMap;

/// A member as the feeds need them.
pub(super) struct Member {
    pub(super) id: [u8; 16],
    pub(super) gender: u8,
    /// Days since 1970-01-01.
    pub(super) birth: Option<i32>,
    pub(super) city: Option<u32>,
    pub(super) deleted: bool,
    pub(super) registered_at: i64,
}

/// An item in a bucket or a member's direct list.
#[derive(Clone, Copy)]
pub(super) struct Item {
    pub(super) at: i64,
    pub(super) id: [u8; 16],
    pub(super) sender: u32,
}

impl Item {
    /// Sorts newest first, then by id (the rules' order).
    pub(super) fn order(&self) -> (Reverse<i64>, [u8; 16]) {
        (Reverse(self.at), self.id)
    }
}

/// Ranges of a sorted item list, by what was sorted on.
pub(super) type Ranges<K> = HashMap<K, (u32, u32)>;

fn bad(table: &'static str, problem: impl Into<String>) -> FeedsError {
    FeedsError::BadRow {
        table,
        problem: problem.into(),
    }
}

pub(super) fn query(action: &'static str) -> impl FnOnce(sqlx::Error) -> FeedsError {
    move |source| FeedsError::Query { action, source }
}

fn id16(table: &'static str, bytes: Vec<u8>) -> Result<[u8; 16], FeedsError> {
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| bad(table, format!("an id of {} bytes", b.len())))
}

/// The tables, read.
pub(super) struct Facts {
    pub(super) members: Vec<Member>,
    pub(super) by_id: HashMap<[u8; 16], u32>,
    pub(super) interests: Vec<Option<Interest>>,
    /// Blocks by blocker: `block_of[m]..block_of[m + 1]` in `blocks`.
    pub(super) blocks: Vec<BlockSpan>,
    pub(super) block_of: Vec<u32>,
}

const MICROS: &str = "(extract(epoch FROM {}) * 1000000)::int8";

fn micros(column: &str) -> String {
    MICROS.replace("{}", column)
}

pub(super) async fn read_facts(conn: &mut PgConnection) -> Result<Facts, FeedsError> {
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
pub(super) struct Items {
    /// Interest items by (sender's gender, age, city), newest first.
    pub(super) by_city: Vec<Item>,
    pub(super) city_ranges: Ranges<Sender>,
    /// The same items by (gender, age) alone, for profiles that name no city.
    pub(super) by_age: Vec<Item>,
    pub(super) age_ranges: Ranges<(u8, u8)>,
    /// Direct items by recipient, newest first: `direct_of[m]..direct_of[m + 1]`.
    pub(super) direct: Vec<Item>,
    pub(super) direct_of: Vec<u32>,
}

pub(super) async fn read_items(
    conn: &mut PgConnection,
    facts: &Facts,
) -> Result<Items, FeedsError> {
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
