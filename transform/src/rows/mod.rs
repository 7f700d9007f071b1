//! Each legacy table's rules (when a row is rejected, and why) and its
//! mapping (the events a valid row becomes).
//!
//! Checks run in one order for every table: the duplicate key first (a
//! duplicate is otherwise a perfect copy), then required columns, dates,
//! references, self-references, and last that nobody acts before they
//! registered, which is what lets the loader promise that a member's
//! registration comes before anything else of theirs.

mod contacts;
mod members;
mod photos;
mod relations;
mod search_profiles;

use crate::ids;
use crate::index::{MemberIndex, PhotoIndex};
use pancake_proto::events::{self, Event, EventKind, RejectReason, event::Payload};
use pancake_proto::names::kind_name;
use pancake_proto::{LegacyTable, Record};
use prost_types::Timestamp;

/// What every check may consult.
pub struct Context<'a> {
    pub members: &'a MemberIndex,
    pub photos: &'a PhotoIndex,
    /// The first second a valid date may have (Unix seconds).
    pub site_start: i64,
    /// The last: the dump's snapshot time.
    pub snapshot: i64,
}

/// Why a row was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub reason: RejectReason,
    pub column: &'static str,
    pub detail: String,
}

type Check<T> = Result<T, Rejection>;

fn reject(reason: RejectReason, column: &'static str, detail: String) -> Rejection {
    Rejection {
        reason,
        column,
        detail,
    }
}

fn need<'v, T>(value: &'v Option<T>, column: &'static str) -> Check<&'v T> {
    value.as_ref().ok_or_else(|| {
        reject(
            RejectReason::NullRequired,
            column,
            format!("{column} is NULL"),
        )
    })
}

impl Context<'_> {
    fn date(&self, t: &Timestamp, column: &'static str) -> Check<i64> {
        let s = t.seconds;
        if s < self.site_start || s > self.snapshot {
            return Err(reject(
                RejectReason::BadDate,
                column,
                format!(
                    "{column} {} is outside the site's life ({} to the snapshot {})",
                    show(s),
                    show(self.site_start),
                    show(self.snapshot)
                ),
            ));
        }
        Ok(s)
    }

    /// A later time of the same row (approved, read, removed): in the
    /// site's life and not before the row's own time.
    fn later(&self, t: &Option<Timestamp>, first: i64, column: &'static str) -> Check<()> {
        if let Some(t) = t {
            let s = self.date(t, column)?;
            if s < first {
                return Err(reject(
                    RejectReason::BadDate,
                    column,
                    format!(
                        "{column} {} is before the row's own time {}",
                        show(s),
                        show(first)
                    ),
                ));
            }
        }
        Ok(())
    }

    fn member(&self, id: i32, column: &'static str) -> Check<i64> {
        self.members.registered_at(id).ok_or_else(|| {
            reject(
                RejectReason::Orphan,
                column,
                format!("{column} {id} is not a valid member"),
            )
        })
    }

    fn registered_by(&self, registered: i64, t: i64, id: i32, column: &'static str) -> Check<()> {
        if t < registered {
            return Err(reject(
                RejectReason::BadDate,
                column,
                format!(
                    "{} is before member {id} ({column}) registered at {}",
                    show(t),
                    show(registered)
                ),
            ));
        }
        Ok(())
    }

    /// Both members exist and were registered at `t`.
    fn pair(&self, a: (i32, &'static str), b: (i32, &'static str), t: i64) -> Check<()> {
        let ra = self.member(a.0, a.1)?;
        let rb = self.member(b.0, b.1)?;
        self.registered_by(ra, t, a.0, a.1)?;
        self.registered_by(rb, t, b.0, b.1)
    }
}

fn show(seconds: i64) -> String {
    pancake_proto::record::format_micros(seconds.saturating_mul(1_000_000))
}

fn not_self(a: i32, b: i32, column: &'static str) -> Check<()> {
    if a == b {
        return Err(reject(
            RejectReason::SelfReference,
            column,
            format!("{column} {b} is the member themselves"),
        ));
    }
    Ok(())
}

/// A legacy record the transform knows how to check and map.
pub trait Row: Record + Send + 'static {
    const TABLE: LegacyTable;
    /// The key's field name, for duplicate-key rejects.
    const KEY_FIELD: &'static str;
    /// Most events one row becomes.
    const MAX_EVENTS: u64;
    /// The checks, in order; `Ok` means the row becomes events.
    fn check(&self, cx: &Context) -> Check<()>;
    /// The events of a row that passed [`Row::check`]. Takes the row: its
    /// texts move into the events rather than being copied.
    fn events(self, cx: &Context, out: &mut Vec<Event>);
    /// Whether text of the row had lone surrogates, repaired as U+FFFD.
    fn repaired(&self) -> bool {
        false
    }
}

fn event(
    kind: EventKind,
    table: LegacyTable,
    key: i64,
    at: Timestamp,
    member: i32,
    payload: Payload,
) -> Event {
    Event {
        event_id: ids::event(kind_name(kind), table.name(), key).to_vec(),
        kind: kind as i32,
        occurred_at: Some(at),
        member_id: ids::member(member).to_vec(),
        source: Some(events::LegacySource {
            table: table.name().into(),
            key,
        }),
        payload: Some(payload),
    }
}

/// Fields a valid row is known to have; `check` made sure.
fn has<T: Copy>(v: Option<T>) -> T {
    v.expect("checked before mapping")
}

/// A legacy gender code as the events carry it; `None` for a code that
/// stands for nothing.
fn gender(code: u32) -> Option<events::Gender> {
    match code {
        1 => Some(events::Gender::Woman),
        2 => Some(events::Gender::Man),
        3 => Some(events::Gender::Other),
        _ => None,
    }
}
