//! The `news` module of `pancake load postgres`, checked against its rules
//! (`load/sql/news/README.md`) by an independent oracle: every feed is
//! computed again from the **legacy rows of the dump** with a plain, slow
//! loop that follows the rules line by line, and compared row by row with
//! the `feed_items` view and the `feeds` table the loader built. Nothing of
//! the loader's code is used; the only shared contract is the id derivation
//! (`pancake_transform::ids`).
//!
//! Rows the transform rejects are left out: on generated data they are
//! exactly the rows the generator marked in its `dirty_rows` sidecar, lone
//! surrogates aside (repaired, not rejected). The test checks that count
//! against the stream's rejects before trusting it.

mod common;

use common::{command, database_url, kill_when, psql, succeeded, text, tiny_stream, url_of};
use pancake_proto::dump::DumpKind;
use pancake_proto::events::{Event, EventKind as K, uuid_text};
use pancake_proto::legacy::{Block, DirtyKind, DirtyRow, Flirt, Member, Photo, ProfileVisit};
use pancake_proto::names::kind_name;
use pancake_proto::record::{format_micros, timestamp_micros};
use pancake_proto::{LegacyTable as T, Manifest, PartEntry, PartReader, ReadOptions, Record};
use pancake_transform::ids;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// `--news-feed-size`: small, so that the cut to N matters on `tiny`.
const FEED_SIZE: usize = 20;

/// `pancake.legacy.v1.SearchProfile` field for field (`raw_texts`, 15, is
/// skipped: `city` holds the repaired text), so that this test builds
/// before branch `search-profiles` is merged; then it becomes
/// `pancake_proto::legacy::SearchProfile`.
#[derive(Clone, PartialEq, prost::Message)]
struct SearchProfile {
    #[prost(int32, tag = "1")]
    member_id: i32,
    #[prost(uint32, optional, tag = "2")]
    seeking_gender: Option<u32>,
    #[prost(uint32, optional, tag = "3")]
    age_min: Option<u32>,
    #[prost(uint32, optional, tag = "4")]
    age_max: Option<u32>,
    #[prost(string, optional, tag = "5")]
    city: Option<String>,
}

impl Record for SearchProfile {
    const TYPE_NAME: &'static str = "pancake.legacy.v1.SearchProfile";
}

/// A calendar day: year, month, day.
type Day = (i32, u32, u32);

/// Full years from `birth` to `day`: a year is full on its anniversary's
/// month and day (someone born on 29 February turns one on 1 March of a
/// common year).
fn age(birth: Day, day: Day) -> i32 {
    let before_anniversary = (day.1, day.2) < (birth.1, birth.2);
    day.0 - birth.0 - i32::from(before_anniversary)
}

/// The UTC calendar day of an instant in microseconds.
fn utc_day(micros: i64) -> Day {
    use chrono::Datelike;
    let d = chrono::DateTime::from_timestamp_micros(micros)
        .unwrap()
        .date_naive();
    (d.year(), d.month(), d.day())
}

/// What the rules need of a member.
struct Person {
    gender: Option<u32>,
    birth: Day,
    city: Option<String>,
    deleted: bool,
}

/// Whether `profile` is interested in an interest item of `x` dated `day`
/// (the rules' "Interest"; that X is not M is checked by the caller).
fn interested(profile: &SearchProfile, x: &Person, day: Day) -> bool {
    let (min, max) = (profile.age_min.unwrap(), profile.age_max.unwrap());
    let age = i64::from(age(x.birth, day));
    profile.seeking_gender.is_none_or(|g| x.gender == Some(g))
        && (i64::from(min)..=i64::from(max)).contains(&age)
        && (profile.city.is_none() || profile.city == x.city)
}

/// A block of `blocked` by its blocker, in microseconds.
struct Span {
    id: ids::Id,
    from: i64,
    until: Option<i64>,
}

/// A block covers from its `blocked_at`, included, to its `unblocked_at`,
/// excluded, or for ever while it holds.
fn covers(block: &Span, at: i64) -> bool {
    block.from <= at && block.until.is_none_or(|until| at < until)
}

/// The block `hidden_by_block_id` names among those that still hold: the
/// latest, then the smallest id (as `current_blocks` picks in alerts).
fn hiding_block(blocks: &[Span]) -> Option<ids::Id> {
    let holding = blocks.iter().filter(|b| b.until.is_none());
    holding
        .min_by_key(|b| (std::cmp::Reverse(b.from), b.id))
        .map(|b| b.id)
}

/// The N most recent: given the candidates newest first (`true` for a
/// hidden one), the indices kept: a visible one while fewer than N visible
/// are kept, a hidden one while fewer than N hidden are; stop at N visible.
fn walk(hidden: &[bool], n: usize) -> Vec<usize> {
    let (mut visible, mut kept_hidden, mut kept) = (0, 0, Vec::new());
    for (i, &h) in hidden.iter().enumerate() {
        if visible == n {
            break;
        }
        if !h {
            visible += 1;
            kept.push(i);
        } else if kept_hidden < n {
            kept_hidden += 1;
            kept.push(i);
        }
    }
    kept
}

/// An item: one event of the stream, from the legacy row it comes from.
struct Item {
    id: ids::Id,
    /// The legacy row's key.
    key: i64,
    kind: &'static str,
    from: i32,
    /// The recipient of a direct item; `None` for an interest item.
    to: Option<i32>,
    subject: ids::Id,
    at: i64,
    /// The UTC calendar day of `at`, at which ages are taken.
    day: Day,
}

/// One row of `feed_items` (its position is its index plus one), ids as
/// UUID text, the time in microseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    item: String,
    kind: String,
    from: String,
    subject: String,
    at: i64,
    hidden: Option<String>,
}

/// What the oracle computed: each feed by member UUID, a legacy name for
/// every UUID (for readable differences), and how many members have each
/// feature that makes the data set a real test of the rules.
struct Expected {
    feeds: BTreeMap<String, Vec<Row>>,
    names: HashMap<String, String>,
    coverage: BTreeMap<&'static str, usize>,
    /// Every item: its id, time and sender.
    items: Items,
}

/// Items by id: their time and their sender's id.
type Items = BTreeMap<ids::Id, (i64, ids::Id)>;

/// A legacy dump: its manifest and the rows the transform rejects, as
/// (table, part, record).
struct Dump {
    dir: PathBuf,
    manifest: Manifest,
    rejected: HashSet<(String, u32, u64)>,
}

/// The records of one part.
fn read_part<R: Record>(dir: &Path, kind: DumpKind, table: &str, part: &PartEntry) -> Vec<R> {
    let options = ReadOptions {
        part_number: Some(part.number),
        ..ReadOptions::expect::<R>(kind, table)
    };
    let reader = PartReader::open(&dir.join(&part.file), &options).unwrap();
    reader.records::<R>().map(Result::unwrap).collect()
}

impl Dump {
    fn open(dir: &Path) -> Dump {
        let manifest = Manifest::load(dir).unwrap();
        let marks = manifest.sidecars.iter().find(|s| s.name == "dirty_rows");
        let marks = marks.expect("the dump has its dirty_rows sidecar");
        let rejected = marks
            .parts
            .iter()
            .flat_map(|p| read_part::<DirtyRow>(dir, DumpKind::LegacyDump, &marks.name, p))
            .filter(|d| d.kind != DirtyKind::LoneSurrogate as i32)
            .map(|d| (d.table, d.part, d.record))
            .collect();
        Dump {
            dir: dir.to_path_buf(),
            manifest,
            rejected,
        }
    }

    /// The rows of `table` the transform turns into events (none when the
    /// dump lacks the table).
    fn rows<R: Record>(&self, table: &str) -> Vec<R> {
        let Some(entry) = self.manifest.table(table) else {
            return Vec::new();
        };
        let mut rows = Vec::new();
        for part in &entry.parts {
            let part_rows =
                read_part::<R>(&self.dir, DumpKind::LegacyDump, table, part).into_iter();
            for (i, row) in part_rows.enumerate() {
                let at = (table.to_owned(), part.number, i as u64);
                if !self.rejected.contains(&at) {
                    rows.push(row);
                }
            }
        }
        rows
    }
}

fn uuid(id: ids::Id) -> String {
    uuid_text(&id)
}

/// The item of the row `key` of `table`, from `from` (to `to` for a direct
/// item) at `at`; its id is the event's, as the transform derives it.
fn item(table: T, key: i64, from: i32, to: Option<i32>, at: i64) -> Item {
    let (event, kind, subject) = match table {
        T::Members => (K::RegistrationApproved, "new-member", ids::member(from)),
        T::Photos => (K::PhotoUploaded, "photo", ids::entity("photo", key)),
        T::Flirts => (K::FlirtSent, "flirt", ids::entity("flirt", key)),
        T::ProfileVisits => (K::ProfileVisited, "visit", ids::entity("visit", key)),
        _ => unreachable!("{table:?} makes no item"),
    };
    let id = ids::event(kind_name(event), table.name(), key);
    Item {
        id,
        key,
        kind,
        from,
        to,
        subject,
        at,
        day: utc_day(at),
    }
}

/// Every feed of the dump at `dir`, by the rules, with feeds of `n` items.
fn oracle(dir: &Path, n: usize) -> Expected {
    let dump = Dump::open(dir);
    let at = |t: Option<&_>| timestamp_micros(t.expect("a valid row has its times"));
    let (mut names, mut people, mut items) = (HashMap::new(), BTreeMap::new(), Vec::new());
    for m in dump.rows::<Member>(T::Members.name()) {
        let b = m.birth_date.expect("a valid member has a birth date");
        let birth = (b.year, b.month as u32, b.day as u32);
        let deleted = m.deleted_at.is_some();
        let (gender, city) = (m.gender, m.city.clone());
        people.insert(
            m.member_id,
            Person {
                gender,
                birth,
                city,
                deleted,
            },
        );
        names.insert(
            uuid(ids::member(m.member_id)),
            format!("member {}", m.member_id),
        );
        if let Some(t) = &m.approved_at {
            let key = i64::from(m.member_id);
            items.push(item(T::Members, key, m.member_id, None, at(Some(t))));
        }
    }
    for p in dump.rows::<Photo>(T::Photos.name()) {
        let (key, t) = (i64::from(p.photo_id), at(p.uploaded_at.as_ref()));
        items.push(item(T::Photos, key, p.member_id.unwrap(), None, t));
    }
    for f in dump.rows::<Flirt>(T::Flirts.name()) {
        let (from, t) = (f.sender_id.unwrap(), at(f.sent_at.as_ref()));
        items.push(item(T::Flirts, f.flirt_id, from, f.recipient_id, t));
    }
    for v in dump.rows::<ProfileVisit>(T::ProfileVisits.name()) {
        let (from, t) = (v.visitor_id.unwrap(), at(v.visited_at.as_ref()));
        items.push(item(T::ProfileVisits, v.visit_id, from, v.visited_id, t));
    }
    for item in &items {
        names.insert(uuid(item.id), format!("{} {}", item.kind, item.key));
    }
    // Blocks by (blocker, blocked).
    let mut blocks: HashMap<(i32, i32), Vec<Span>> = HashMap::new();
    for b in dump.rows::<Block>(T::Blocks.name()) {
        let id = ids::entity("block", i64::from(b.block_id));
        let span = Span {
            id,
            from: at(b.created_at.as_ref()),
            until: b.removed_at.as_ref().map(timestamp_micros),
        };
        // Named with its span: several blocks of a pair may hold at once.
        let until = span
            .until
            .map_or("holds".into(), |u| format!("to {}", format_micros(u)));
        let span_text = format!("from {}, {until}", format_micros(span.from));
        names.insert(uuid(id), format!("block {} ({span_text})", b.block_id));
        let pair = (b.blocker_id.unwrap(), b.blocked_id.unwrap());
        blocks.entry(pair).or_default().push(span);
    }
    let listed = dump.rows::<SearchProfile>("search_profiles");
    let count = listed.len();
    let profiles: HashMap<i32, _> = listed.into_iter().map(|p| (p.member_id, p)).collect();
    assert_eq!(profiles.len(), count, "one valid search profile a member");

    let mut feeds = BTreeMap::new();
    let mut coverage = BTreeMap::new();
    for (&m, person) in &people {
        if person.deleted {
            continue; // a deleted member has no feed
        }
        let profile = profiles.get(&m);
        let (mut deleted_senders, mut ended_block) = (false, false);
        // Rules 1 to 3: the candidates, each with whether it is hidden.
        let mut candidates: Vec<(&Item, Option<ids::Id>)> = Vec::new();
        for item in &items {
            let x = &people[&item.from];
            let reaches = match item.to {
                Some(to) => to == m,
                None => profile.is_some_and(|p| interested(p, x, item.day)),
            };
            if item.from == m || !reaches {
                continue;
            }
            if x.deleted {
                deleted_senders = true;
                continue;
            }
            let spans = blocks.get(&(m, item.from)).map_or(&[][..], Vec::as_slice);
            ended_block |= spans.iter().any(|b| b.until.is_some());
            if spans.iter().any(|b| covers(b, item.at)) {
                continue;
            }
            candidates.push((item, hiding_block(spans)));
        }
        // Newest first: by time descending, then item id ascending.
        candidates.sort_by(|a, b| b.0.at.cmp(&a.0.at).then(a.0.id.cmp(&b.0.id)));
        let hidden: Vec<bool> = candidates.iter().map(|c| c.1.is_some()).collect();
        let kept = walk(&hidden, n);
        let rows: Vec<Row> = kept
            .iter()
            .map(|&i| {
                let (item, block) = &candidates[i];
                Row {
                    item: uuid(item.id),
                    kind: item.kind.to_owned(),
                    from: uuid(ids::member(item.from)),
                    subject: uuid(item.subject),
                    at: item.at,
                    hidden: block.map(uuid),
                }
            })
            .collect();
        let interest = rows
            .iter()
            .any(|r| r.kind == "new-member" || r.kind == "photo");
        let hides = rows.iter().any(|r| r.hidden.is_some());
        let cut = hidden.iter().filter(|h| !**h).count() > n;
        let city = profile.is_some_and(|p| p.city.is_some()) && interest;
        let features = [
            ("hidden by a block that holds", hides),
            ("from someone blocked, then unblocked", ended_block),
            ("from deleted senders", deleted_senders),
            ("cut at N visible", cut),
            ("no search profile", profile.is_none()),
            ("a city profile, interest items", city),
        ];
        for (feature, has) in features {
            *coverage.entry(feature).or_default() += usize::from(has);
        }
        feeds.insert(uuid(ids::member(m)), rows);
    }
    let items = items.iter().map(|i| (i.id, (i.at, ids::member(i.from))));
    let items = items.collect();
    Expected {
        feeds,
        names,
        coverage,
        items,
    }
}

/// The item events of the stream at `dir` (approvals, photos, flirts and
/// visits), as [`Items`].
fn stream_items(dir: &Path) -> Items {
    let kinds = [
        K::RegistrationApproved,
        K::PhotoUploaded,
        K::FlirtSent,
        K::ProfileVisited,
    ];
    let (manifest, mut items) = (Manifest::load(dir).unwrap(), Items::new());
    for table in &manifest.tables {
        for part in &table.parts {
            for e in read_part::<Event>(dir, DumpKind::EventStream, &table.name, part) {
                if kinds.iter().any(|&k| k as i32 == e.kind) {
                    let at = timestamp_micros(e.occurred_at.as_ref().unwrap());
                    let member = e.member_id.try_into().unwrap();
                    items.insert(e.event_id.try_into().unwrap(), (at, member));
                }
            }
        }
    }
    items
}

/// The rows of `sql` in `database`, fields split; fails showing psql's
/// error.
fn query(database: &str, sql: &str) -> Vec<Vec<String>> {
    let out = Command::new("psql")
        .args([&url_of(database), "-X", "-q", "-t", "-A", "-F", "|"])
        .args(["-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql runs (scripts/services.sh installs it)");
    let (said, error) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{sql}: {error}");
    said.lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split('|').map(str::to_owned).collect())
        .collect()
}

/// The feeds the loader built in `database`: `feed_items` by member, in
/// position order (checked to run 1, 2, ...), and `feeds.item_ids`.
fn found(database: &str) -> (BTreeMap<String, Vec<Row>>, BTreeMap<String, Vec<String>>) {
    let mut items: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    let sql = "SELECT member_id, position, item_id, kind, from_member_id, subject_id, \
               (extract(epoch FROM occurred_at) * 1000000)::bigint, hidden_by_block_id \
               FROM feed_items ORDER BY member_id, position";
    for f in query(database, sql) {
        let feed = items.entry(f[0].clone()).or_default();
        let position: usize = f[1].parse().unwrap();
        assert_eq!(
            position,
            feed.len() + 1,
            "member {}: positions run 1, 2, ...",
            f[0]
        );
        feed.push(Row {
            item: f[2].clone(),
            kind: f[3].clone(),
            from: f[4].clone(),
            subject: f[5].clone(),
            at: f[6].parse().unwrap(),
            hidden: (!f[7].is_empty()).then(|| f[7].clone()),
        });
    }
    let mut feeds = BTreeMap::new();
    let sql = "SELECT member_id, array_to_string(item_ids, ' ') FROM feeds";
    for f in query(database, sql) {
        let ids: Vec<String> = f[1].split_whitespace().map(str::to_owned).collect();
        feeds.insert(f[0].clone(), ids);
    }
    (items, feeds)
}

/// The first difference of every member whose feed differs, readably.
fn differences(expected: &Expected, database: &str) -> Vec<String> {
    let (items, feeds) = found(database);
    let name = |id: &str| {
        expected
            .names
            .get(id)
            .map_or_else(|| id.to_owned(), String::clone)
    };
    let seen = |block: Option<&String>| {
        block.map_or("visible".into(), |b| format!("hidden by {}", name(b)))
    };
    let show = |r: Option<&Row>| match r {
        None => "nothing".to_owned(),
        Some(r) => format!(
            "{} from {} at {}, {} (item {})",
            name(&r.item),
            name(&r.from),
            format_micros(r.at),
            seen(r.hidden.as_ref()),
            r.item,
        ),
    };
    let mut out = Vec::new();
    let members: BTreeSet<&String> = expected.feeds.keys().chain(feeds.keys()).collect();
    for m in members {
        let who = format!("{} ({m})", name(m));
        let (Some(want), Some(ids)) = (expected.feeds.get(m), feeds.get(m)) else {
            let why = match feeds.contains_key(m) {
                true => "has a feeds row but is not a registered, never deleted member",
                false => "has no feeds row",
            };
            out.push(format!("{who}: {why}"));
            continue;
        };
        let got = items.get(m).map_or(&[][..], Vec::as_slice);
        if let Some(i) = (0..want.len().max(got.len())).find(|&i| want.get(i) != got.get(i)) {
            out.push(format!(
                "{who} position {}: expected {}, found {}",
                i + 1,
                show(want.get(i)),
                show(got.get(i))
            ));
        } else if got.iter().map(|r| &r.item).ne(ids.iter()) {
            out.push(format!("{who}: feeds.item_ids is not feed_items in order"));
        }
    }
    let strays = items.keys().filter(|m| !feeds.contains_key(*m));
    out.extend(strays.map(|m| format!("{}: feed_items rows without a feeds row", name(m))));
    out
}

/// The news database of a prefix unique to this process, dropped at the
/// start (left over from a killed run) and at the end.
struct NewsDb {
    prefix: String,
    name: String,
}

impl NewsDb {
    fn new(tag: &str) -> NewsDb {
        let prefix = format!("{tag}{}_", std::process::id());
        let name = format!("{prefix}news");
        let db = NewsDb { prefix, name };
        db.drop_database();
        db
    }

    fn drop_database(&self) {
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        psql("postgres", &sql).expect("the test server answers");
    }

    /// `pancake load postgres` of `events`, the news module only.
    fn load(&self, events: &Path, extra: &[&str]) -> Command {
        let mut c = command(&["load", "postgres", "--in", events.to_str().unwrap()]);
        c.args(["--db-prefix", &self.prefix, "--modules", "news"])
            .args(["--news-feed-size", &FEED_SIZE.to_string()])
            .args(extra)
            .env("DATABASE_URL", database_url());
        c
    }

    /// Every row of every table, and of the `feed_items` view, digested.
    fn digest(&self) -> Vec<(String, String)> {
        let sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1";
        let mut tables: Vec<String> = query(&self.name, sql)
            .into_iter()
            .map(|r| r[0].clone())
            .collect();
        tables.push("feed_items".into());
        let digest = |t: &String| {
            let sql = format!(
                "SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {t} t"
            );
            (t.clone(), query(&self.name, &sql)[0][0].clone())
        };
        tables.iter().map(digest).collect()
    }
}

impl Drop for NewsDb {
    fn drop(&mut self) {
        self.drop_database();
    }
}

/// `tiny` as it is: 600 members have every feature the test asks for.
const SCALE: &str = "1";

#[test]
fn every_feed_is_the_rules_applied_to_the_legacy_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let events = tiny_stream(tmp.path(), SCALE, &[]);
    let expected = oracle(&tmp.path().join("dump"), FEED_SIZE);

    // The oracle's rows are the transform's: its rejects are the marks.
    let dump = Dump::open(&tmp.path().join("dump"));
    let stream = Manifest::load(&events).unwrap();
    let rejects = stream
        .sidecars
        .iter()
        .filter(|s| s.name.ends_with("_rejects"));
    let rejects: u64 = rejects.map(|s| s.records()).sum();
    assert_eq!(rejects, dump.rejected.len() as u64, "rejects = marked rows");
    // And its items are the stream's, ids, times and senders.
    let stream = stream_items(&events);
    let only = |a: &Items, b: &Items| {
        let only_a = a.iter().filter(|(k, v)| b.get(*k) != Some(v));
        only_a.map(|(k, _)| uuid(*k)).take(5).collect::<Vec<_>>()
    };
    let (ours, theirs) = (
        only(&expected.items, &stream),
        only(&stream, &expected.items),
    );
    assert!(
        ours.is_empty() && theirs.is_empty(),
        "items the oracle made that the stream lacks: {ours:?}; the reverse: {theirs:?}"
    );

    let db = NewsDb::new("n");
    succeeded(&db.load(&events, &[]).output().unwrap());
    let diffs = differences(&expected, &db.name);
    assert!(
        diffs.is_empty(),
        "{} of {} members' feeds differ from the rules; the first:\n{}",
        diffs.len(),
        expected.feeds.len(),
        diffs[..diffs.len().min(20)].join("\n")
    );

    // A real test: every rule had something to act on.
    let c = &expected.coverage;
    let missing: Vec<_> = c.iter().filter(|(_, n)| **n == 0).map(|(f, _)| f).collect();
    assert!(
        missing.is_empty(),
        "no compared member has: {missing:?} ({c:?})"
    );
}

#[test]
fn a_second_load_changes_nothing_and_a_killed_load_run_again_gives_the_same_feeds() {
    let tmp = tempfile::tempdir().unwrap();
    // Many small parts, loaded one at a time: the kill lands mid-load.
    let events = tiny_stream(tmp.path(), "3", &["--part-records", "300"]);
    let whole = NewsDb::new("w");
    succeeded(&whole.load(&events, &[]).output().unwrap());
    let first = whole.digest();
    let feeds = first.iter().find(|(t, _)| t == "feed_items").unwrap();
    assert!(!feeds.1.starts_with("0:"), "feeds were built");
    succeeded(&whole.load(&events, &[]).output().unwrap());
    assert_eq!(whole.digest(), first, "a second load changed the database");

    let killed = NewsDb::new("k");
    let parts = || {
        let sql = "SELECT count(*) FROM pancake.parts";
        psql(&killed.name, sql)
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
    };
    kill_when(
        &mut killed.load(&events, &["--jobs", "1"]),
        "the load never got going",
        "the load finished before it could be killed: make the stream bigger",
        || parts() >= 5,
    );
    succeeded(&killed.load(&events, &[]).output().unwrap());
    let again = killed.digest();
    for ((t, a), (_, b)) in first.iter().zip(&again) {
        assert_eq!(
            a, b,
            "{t}: the killed and re-run load differs from an uninterrupted one"
        );
    }
    assert_eq!(first.len(), again.len());
}

/// The oracle's pure rules, on their edges.
mod rules {
    use super::*;

    #[test]
    fn age_is_full_years_to_the_calendar_day() {
        assert_eq!(age((2000, 5, 10), (2020, 5, 9)), 19);
        assert_eq!(age((2000, 5, 10), (2020, 5, 10)), 20);
        assert_eq!(age((2000, 5, 10), (2000, 5, 10)), 0);
        // Born on a leap day: one year old on 1 March of a common year.
        assert_eq!(age((2004, 2, 29), (2005, 2, 28)), 0);
        assert_eq!(age((2004, 2, 29), (2005, 3, 1)), 1);
        assert_eq!(age((2004, 2, 29), (2008, 2, 28)), 3);
        assert_eq!(age((2004, 2, 29), (2008, 2, 29)), 4);
        // The item's UTC day: the last microsecond of 29 February 2020.
        let march = 1_583_020_800_000_000; // 2020-03-01T00:00:00Z
        assert_eq!(utc_day(march - 1), (2020, 2, 29));
        assert_eq!(utc_day(march), (2020, 3, 1));
    }

    #[test]
    fn interest_is_gender_age_and_city_each_unset_meaning_any() {
        let x = |gender, city: Option<&str>| Person {
            gender: Some(gender),
            birth: (1990, 6, 15),
            city: city.map(str::to_owned),
            deleted: false,
        };
        let p = |gender, min, max, city: Option<&str>| SearchProfile {
            member_id: 1,
            seeking_gender: gender,
            age_min: Some(min),
            age_max: Some(max),
            city: city.map(str::to_owned),
        };
        // Profile (gender, ages, city) and X (gender, city) on a day.
        let yes = |(g, min, max, city), (xg, xcity), day| {
            interested(&p(g, min, max, city), &x(xg, xcity), day)
        };
        let (day, oulu) = ((2020, 6, 15), Some("Oulu")); // X turns 30 that day
        assert!(yes((None, 30, 30, None), (1, None), day));
        assert!(!yes((None, 31, 40, None), (1, None), day));
        assert!(!yes((None, 20, 29, None), (1, None), day));
        assert!(yes((None, 20, 29, None), (1, None), (2020, 6, 14)));
        assert!(yes((Some(2), 18, 99, None), (2, None), day));
        assert!(!yes((Some(2), 18, 99, None), (1, None), day));
        assert!(yes((None, 18, 99, None), (1, oulu), day));
        assert!(yes((None, 18, 99, oulu), (1, oulu), day));
        assert!(!yes((None, 18, 99, oulu), (1, Some("oulu")), day));
        assert!(!yes((None, 18, 99, oulu), (1, None), day));
    }

    #[test]
    fn a_block_covers_from_blocked_at_to_unblocked_at_excluded() {
        let b = |id: u8, from, until| Span {
            id: [id; 16],
            from,
            until,
        };
        let ended = b(0, 100, Some(200));
        assert!(!covers(&ended, 99));
        assert!(covers(&ended, 100));
        assert!(covers(&ended, 199));
        assert!(!covers(&ended, 200));
        let holds = b(0, 100, None);
        assert!(!covers(&holds, 99));
        assert!(covers(&holds, i64::MAX));
        // The hiding block: one that holds, the latest, then the lowest id.
        assert_eq!(hiding_block(&[b(1, 5, Some(9))]), None);
        assert_eq!(
            hiding_block(&[b(1, 5, None), b(2, 7, None), b(3, 9, Some(10))]),
            Some([2; 16])
        );
        assert_eq!(hiding_block(&[b(4, 7, None), b(2, 7, None)]), Some([2; 16]));
    }

    #[test]
    fn the_walk_stops_at_n_visible_and_keeps_at_most_n_hidden() {
        let (v, h) = (false, true);
        assert_eq!(walk(&[v, v, v, v], 3), [0, 1, 2]);
        assert_eq!(walk(&[v, h, h, h, v, v, v], 2), [0, 1, 2, 4]);
        assert_eq!(walk(&[h, h, h], 2), [0, 1]);
        assert_eq!(walk(&[h, v, h], 1), [0, 1]);
        assert_eq!(walk(&[v, h], 0), [] as [usize; 0]);
        assert_eq!(walk(&[], 5), [] as [usize; 0]);
    }
}
