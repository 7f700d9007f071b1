//! The generator's dirt, checked from the outside: a validator written here,
//! independent of the generator, finds exactly the marked rows, and the
//! counts the manifest reports are what is in the dump.

mod common;

use common::*;
use pancake_datasets::world::{EARLIEST_VALID, SNAPSHOT};
use pancake_datasets::{DIRTY_ROWS, GeneratorSection, Preset, dirty_kind_name};
use pancake_proto::legacy::{self, DirtyKind, DirtyRow, RawText};
use pancake_proto::names::DIRTY_KINDS;
use pancake_proto::{Manifest, Record};
use prost_types::Timestamp;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// What the validator found wrong with one row.
type Finding = (String, DirtyKind, u32, u64);

fn bad_time(t: Option<Timestamp>) -> bool {
    t.is_some_and(|t| t.seconds < EARLIEST_VALID || t.seconds > SNAPSHOT)
}

/// Whether the row carries raw texts: each invalid UTF-16 whose repair is
/// the text of the column it names.
fn surrogate<'a>(raw: &[RawText], text: impl Fn(&str) -> Option<&'a str>) -> bool {
    if raw.is_empty() {
        return false;
    }
    for r in raw {
        let units: Vec<u16> = r
            .utf16le
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert!(
            String::from_utf16(&units).is_err(),
            "raw text is valid UTF-16"
        );
        assert_eq!(
            Some(String::from_utf16_lossy(&units).as_str()),
            text(&r.column),
            "{}",
            r.column
        );
    }
    true
}

struct Checker {
    findings: Vec<Finding>,
    members: HashSet<i32>,
    photos: HashSet<i32>,
}

impl Checker {
    /// Walks a table in dump order; `check` returns the row's problem, if any.
    fn table<R: Record>(
        &mut self,
        dir: &Path,
        name: &str,
        check: impl Fn(&Self, &R) -> Option<DirtyKind>,
    ) {
        let mut previous_key = None;
        for (part, index, row) in read_table::<R>(dir, name) {
            let key = row.key();
            let kind = if key == previous_key {
                Some(DirtyKind::DuplicateKey)
            } else {
                check(self, &row)
            };
            previous_key = key;
            if let Some(kind) = kind {
                self.findings.push((name.to_owned(), kind, part, index));
            }
        }
    }

    fn member(&self, id: Option<i32>) -> Option<DirtyKind> {
        match id {
            None => Some(DirtyKind::NullRequired),
            Some(id) if !self.members.contains(&id) => Some(DirtyKind::Orphan),
            Some(_) => None,
        }
    }

    /// A row of member `from` about member `to` at time `at`: the first
    /// problem with the two members or the time.
    fn between(
        &self,
        from: Option<i32>,
        to: Option<i32>,
        at: Option<Timestamp>,
    ) -> Option<DirtyKind> {
        first(&[self.member(from), self.member(to), time(at)])
    }
}

/// A member's row about themselves.
fn self_reference(from: Option<i32>, to: Option<i32>) -> Option<DirtyKind> {
    (from == to).then_some(DirtyKind::SelfReference)
}

fn first<T: Copy>(checks: &[Option<T>]) -> Option<T> {
    checks.iter().flatten().next().copied()
}

fn time(t: Option<Timestamp>) -> Option<DirtyKind> {
    match t {
        None => Some(DirtyKind::NullRequired),
        t if bad_time(t) => Some(DirtyKind::BadDate),
        _ => None,
    }
}

fn validate(dir: &Path) -> Vec<Finding> {
    let members = read_table::<legacy::Member>(dir, "members");
    let photos = read_table::<legacy::Photo>(dir, "photos");
    let mut checker = Checker {
        findings: Vec::new(),
        members: members.iter().map(|(_, _, m)| m.member_id).collect(),
        photos: photos.iter().map(|(_, _, p)| p.photo_id).collect(),
    };
    use DirtyKind::*;
    checker.table::<legacy::Member>(dir, "members", |_, m| {
        let null = m.nickname.is_none()
            || m.email.is_none()
            || m.gender.is_none()
            || m.birth_date.is_none()
            || m.registered_at.is_none();
        if null {
            Some(NullRequired)
        } else if bad_time(m.registered_at) {
            Some(BadDate)
        } else if surrogate(&m.raw_texts, |column| match column {
            "nickname" => m.nickname.as_deref(),
            "profile_text" => m.profile_text.as_deref(),
            _ => None,
        }) {
            Some(LoneSurrogate)
        } else {
            None
        }
    });
    checker.table::<legacy::Flirt>(dir, "flirts", |c, f| {
        c.between(f.sender_id, f.recipient_id, f.sent_at)
            .or(self_reference(f.sender_id, f.recipient_id))
    });
    checker.table::<legacy::Message>(dir, "messages", |c, m| {
        first(&[
            c.member(m.sender_id),
            c.member(m.recipient_id),
            m.body.is_none().then_some(NullRequired),
            time(m.sent_at),
        ])
        .or(surrogate(&m.raw_texts, |column| {
            m.body.as_deref().filter(|_| column == "body")
        })
        .then_some(LoneSurrogate))
    });
    checker.table::<legacy::Block>(dir, "blocks", |c, b| {
        c.between(b.blocker_id, b.blocked_id, b.created_at)
            .or(self_reference(b.blocker_id, b.blocked_id))
    });
    checker.table::<legacy::Favorite>(dir, "favorites", |c, f| {
        c.between(f.member_id, f.favorite_member_id, f.created_at)
    });
    checker.table::<legacy::ProfileVisit>(dir, "profile_visits", |c, v| {
        c.between(v.visitor_id, v.visited_id, v.visited_at)
    });
    checker.table::<legacy::Photo>(dir, "photos", |c, p| {
        first(&[
            c.member(p.member_id),
            p.url.is_none().then_some(NullRequired),
            time(p.uploaded_at),
        ])
    });
    checker.table::<legacy::PhotoLike>(dir, "photo_likes", |c, l| {
        let photo = match l.photo_id {
            None => Some(NullRequired),
            Some(id) if !c.photos.contains(&id) => Some(Orphan),
            Some(_) => None,
        };
        first(&[photo, c.member(l.member_id), time(l.liked_at)])
    });
    checker.table::<legacy::SearchProfile>(dir, "search_profiles", |c, p| {
        let range = match (p.age_min, p.age_max) {
            (Some(min), Some(max)) => (min > max).then_some(BadRange),
            _ => Some(NullRequired),
        };
        // A gender code that stands for nothing is an orphan too.
        let gender = p.seeking_gender.filter(|g| !(1..=3).contains(g));
        first(&[c.member(Some(p.member_id)), gender.map(|_| Orphan), range]).or(surrogate(
            &p.raw_texts,
            |column| p.city.as_deref().filter(|_| column == "city"),
        )
        .then_some(LoneSurrogate))
    });
    checker.findings
}

#[test]
fn the_marks_are_exactly_the_dirty_rows_and_the_counts_match() {
    let dir = tempfile::tempdir().unwrap();
    let report = generate_into(dir.path(), &small_parts(options(Preset::TINY, 1.0, 1, 2)));

    let mut found = validate(dir.path());
    let mut marked: Vec<Finding> = read_table::<DirtyRow>(dir.path(), DIRTY_ROWS)
        .into_iter()
        .map(|(_, _, m)| {
            let kind = DirtyKind::try_from(m.kind).unwrap();
            (m.table, kind, m.part, m.record)
        })
        .collect();
    found.sort_by_key(|f| (f.0.clone(), f.2, f.3));
    marked.sort_by_key(|f| (f.0.clone(), f.2, f.3));
    assert_eq!(
        found, marked,
        "validator findings differ from the generator's marks"
    );

    // Every kind of dirt is there, in about the promised share.
    let kinds: HashSet<DirtyKind> = found.iter().map(|f| f.1).collect();
    for kind in DIRTY_KINDS {
        assert!(kinds.contains(&kind), "no {kind:?} rows in tiny");
    }
    let section = report.section;
    let share = found.len() as f64 / section.total_rows() as f64;
    assert!((0.005..0.02).contains(&share), "dirty share {share}");

    // The reported counts are the counts in the dump.
    let mut counted: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for (table, kind, _, _) in &found {
        *counted
            .entry(table.clone())
            .or_default()
            .entry(dirty_kind_name(*kind).to_owned())
            .or_default() += 1;
    }
    assert_eq!(counted, section.dirty);
    let manifest = Manifest::load(dir.path()).unwrap();
    assert_eq!(GeneratorSection::of(&manifest), Some(section.clone()));
    for table in &manifest.tables {
        assert_eq!(section.rows[&table.name], table.records(), "{}", table.name);
    }
}

/// Clean rows must be clean in every way a later stage checks: the members
/// they name exist, are clean and are registered (and not yet deleted) when
/// the row happens; secondary times follow the main one.
#[test]
fn clean_rows_refer_only_to_clean_members_in_time() {
    let dir = tempfile::tempdir().unwrap();
    generate_into(dir.path(), &options(Preset::TINY, 1.0, 7, 2));
    let dirty: HashSet<(String, i64)> = read_table::<DirtyRow>(dir.path(), DIRTY_ROWS)
        .into_iter()
        .filter(|(_, _, m)| {
            m.kind != DirtyKind::LoneSurrogate as i32 && m.kind != DirtyKind::DuplicateKey as i32
        })
        .map(|(_, _, m)| (m.table, m.key))
        .collect();
    let members: HashMap<i32, legacy::Member> = read_table::<legacy::Member>(dir.path(), "members")
        .into_iter()
        .filter(|(_, _, m)| !dirty.contains(&("members".to_owned(), i64::from(m.member_id))))
        .map(|(_, _, m)| (m.member_id, m))
        .collect();
    let active = |id: Option<i32>, at: Option<Timestamp>| {
        let member = &members[&id.unwrap()];
        let at = at.unwrap().seconds;
        assert!(
            member.registered_at.unwrap().seconds <= at,
            "member {} acts before registering",
            member.member_id
        );
        if let Some(deleted) = member.deleted_at {
            assert!(
                at < deleted.seconds,
                "member {} acts after deletion",
                member.member_id
            );
        }
    };
    for member in members.values() {
        let registered = member.registered_at.unwrap().seconds;
        for later in [member.approved_at, member.deleted_at]
            .into_iter()
            .flatten()
        {
            assert!(registered <= later.seconds && later.seconds <= SNAPSHOT);
        }
    }
    let clean = |table: &str, key: Option<i64>| !dirty.contains(&(table.to_owned(), key.unwrap()));
    for (_, _, m) in read_table::<legacy::Message>(dir.path(), "messages") {
        if clean("messages", m.key()) {
            active(m.sender_id, m.sent_at);
            active(m.recipient_id, m.sent_at);
            assert_ne!(m.sender_id, m.recipient_id);
            if let Some(read) = m.read_at {
                assert!(m.sent_at.unwrap().seconds <= read.seconds && read.seconds <= SNAPSHOT);
            }
        }
    }
    for (_, _, f) in read_table::<legacy::Flirt>(dir.path(), "flirts") {
        if clean("flirts", f.key()) {
            active(f.sender_id, f.sent_at);
            active(f.recipient_id, f.sent_at);
        }
    }
    for (_, _, b) in read_table::<legacy::Block>(dir.path(), "blocks") {
        if clean("blocks", b.key()) {
            active(b.blocker_id, b.created_at);
            active(b.blocked_id, b.created_at);
            if let Some(removed) = b.removed_at {
                assert!(b.created_at.unwrap().seconds < removed.seconds);
            }
        }
    }
    let photos: HashMap<i32, legacy::Photo> = read_table::<legacy::Photo>(dir.path(), "photos")
        .into_iter()
        .filter(|(_, _, p)| clean("photos", p.key()))
        .map(|(_, _, p)| (p.photo_id, p))
        .collect();
    for photo in photos.values() {
        active(photo.member_id, photo.uploaded_at);
    }
    for (_, _, like) in read_table::<legacy::PhotoLike>(dir.path(), "photo_likes") {
        if clean("photo_likes", like.key()) {
            let photo = &photos[&like.photo_id.unwrap()];
            assert!(photo.uploaded_at.unwrap().seconds <= like.liked_at.unwrap().seconds);
            assert_ne!(
                photo.member_id, like.member_id,
                "a member likes their own photo"
            );
            active(like.member_id, like.liked_at);
        }
    }
}
