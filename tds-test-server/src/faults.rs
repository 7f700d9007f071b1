//! Faults a test arms while the server runs, and the log of every statement
//! it received.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Table names compare case-insensitively, with or without the schema.
fn key(table: &str) -> String {
    table
        .rsplit('.')
        .next()
        .unwrap_or(table)
        .trim_matches(['[', ']'])
        .to_ascii_lowercase()
}

#[derive(Debug, Default)]
struct FaultState {
    /// Per table: rows to send before the cut, and how many cuts are left.
    drops: HashMap<String, (u64, u32)>,
    stalls: HashMap<String, Duration>,
    denied: HashSet<String>,
}

/// The faults of a running server. Cloning shares them; changes apply to
/// the next statement of every connection.
///
/// Tables are named as in the catalog (`"Members"` or `"dbo.Members"`,
/// case-insensitively). "Page queries" are the SELECTs that return a table's
/// rows (not MIN/MAX or COUNT).
#[derive(Debug, Clone)]
pub struct Faults {
    state: Arc<Mutex<FaultState>>,
    allow_snapshot: Arc<AtomicBool>,
}

impl Faults {
    pub(crate) fn new(allow_snapshot: bool) -> Faults {
        Faults {
            state: Arc::default(),
            allow_snapshot: Arc::new(AtomicBool::new(allow_snapshot)),
        }
    }

    /// On the next `times` page queries of `table`: send `rows` rows, flush
    /// them, and close the connection abruptly (no DONE, no end of message).
    pub fn drop_after_rows(&self, table: &str, rows: u64, times: u32) {
        let mut s = lock(&self.state);
        if times == 0 {
            s.drops.remove(&key(table));
        } else {
            s.drops.insert(key(table), (rows, times));
        }
    }

    /// Delays every page query of `table` by `delay` before anything is sent
    /// (to make a client's query timeout fire). `Duration::ZERO` clears it.
    pub fn stall(&self, table: &str, delay: Duration) {
        let mut s = lock(&self.state);
        if delay.is_zero() {
            s.stalls.remove(&key(table));
        } else {
            s.stalls.insert(key(table), delay);
        }
    }

    /// Page, bounds, count and row-estimate queries of `table` fail with
    /// error 229 (SELECT permission denied), as after `DENY SELECT`.
    pub fn deny_select(&self, table: &str) {
        lock(&self.state).denied.insert(key(table));
    }

    /// Undoes [`Faults::deny_select`].
    pub fn grant_select(&self, table: &str) {
        lock(&self.state).denied.remove(&key(table));
    }

    /// Whether the database allows snapshot isolation (`ALLOW_SNAPSHOT_ISOLATION`).
    /// When not, a connection that set `SNAPSHOT` fails its next SELECT of a
    /// table with error 3952.
    pub fn set_allow_snapshot(&self, allow: bool) {
        self.allow_snapshot.store(allow, Ordering::SeqCst);
    }

    pub fn allow_snapshot(&self) -> bool {
        self.allow_snapshot.load(Ordering::SeqCst)
    }

    /// Clears every fault (not the snapshot setting).
    pub fn clear(&self) {
        *lock(&self.state) = FaultState::default();
    }

    /// Takes one armed cut for `table`: the rows to send before it.
    pub(crate) fn take_drop(&self, table: &str) -> Option<u64> {
        let mut s = lock(&self.state);
        let k = key(table);
        let (rows, times) = s.drops.get_mut(&k)?;
        let rows = *rows;
        *times -= 1;
        if *times == 0 {
            s.drops.remove(&k);
        }
        Some(rows)
    }

    pub(crate) fn stall_for(&self, table: &str) -> Option<Duration> {
        lock(&self.state).stalls.get(&key(table)).copied()
    }

    pub(crate) fn is_denied(&self, table: &str) -> bool {
        lock(&self.state).denied.contains(&key(table))
    }
}

/// A request's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// A SQL batch (`simple_query`).
    Batch,
    /// An RPC (`query`/`execute`: `sp_executesql`).
    Rpc,
}

/// A parameter's value, as received.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Null,
    Int(i64),
    Float(f64),
    /// Decimal and money values, and dates and times, as text.
    Text(String),
    Bytes(Vec<u8>),
}

impl ParamValue {
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            ParamValue::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            ParamValue::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// One statement the server received.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedQuery {
    /// The connection's number, from 1 in order of connecting.
    pub connection: u64,
    pub kind: RequestKind,
    /// The SQL text (a batch's, or `sp_executesql`'s statement).
    pub sql: String,
    /// `@P1`, `@P2`, ... with their values and declared SQL types
    /// (`bigint`, `nvarchar(4000)`).
    pub params: Vec<(String, String, ParamValue)>,
}

impl LoggedQuery {
    /// A parameter's value by name (`"@P1"`).
    pub fn param(&self, name: &str) -> Option<&ParamValue> {
        self.params
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, _, v)| v)
    }
}

/// The most statements the log keeps (the oldest go first); `total` counts
/// them all.
const LOG_CAPACITY: usize = 200_000;

#[derive(Debug, Default)]
struct LogState {
    entries: VecDeque<LoggedQuery>,
    total: u64,
}

/// Every statement the server received, with its parameters. Cloning shares
/// it.
#[derive(Debug, Clone, Default)]
pub struct QueryLog {
    state: Arc<Mutex<LogState>>,
}

impl QueryLog {
    pub(crate) fn push(&self, q: LoggedQuery) {
        let mut s = lock(&self.state);
        if s.entries.len() == LOG_CAPACITY {
            s.entries.pop_front();
        }
        s.entries.push_back(q);
        s.total += 1;
    }

    /// The statements kept, oldest first.
    pub fn entries(&self) -> Vec<LoggedQuery> {
        lock(&self.state).entries.iter().cloned().collect()
    }

    /// Statements received since the server started or the last clear.
    pub fn total(&self) -> u64 {
        lock(&self.state).total
    }

    pub fn clear(&self) {
        *lock(&self.state) = LogState::default();
    }

    /// The statements whose SQL contains `needle` (case-insensitively).
    pub fn matching(&self, needle: &str) -> Vec<LoggedQuery> {
        let needle = needle.to_lowercase();
        lock(&self.state)
            .entries
            .iter()
            .filter(|q| q.sql.to_lowercase().contains(&needle))
            .cloned()
            .collect()
    }
}
