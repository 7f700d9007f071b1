//! What every connection shares (the catalog, the dump, faults, the query
//! log, the login, the frozen clock), and a connection's state between
//! requests.

use super::transactions::Transactions;
use crate::catalog::Catalog;
use crate::dump::{Cursor, DumpIndex};
use crate::faults::{Faults, QueryLog};
use crate::sql::IsolationLevel;
use crate::value::DateTimeValue;
use pancake_proto::LegacyTable;
use std::collections::HashMap;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What every connection shares.
pub(crate) struct Shared {
    pub catalog: Catalog,
    pub dump: DumpIndex,
    pub faults: Faults,
    pub log: QueryLog,
    pub database: String,
    pub user: String,
    pub password: String,
    pub product_version: String,
    pub server_name: String,
    pub now: DateTimeValue,
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub verbose: bool,
    pub(super) shutdown: AtomicBool,
    pub(super) connections: Mutex<HashMap<u64, TcpStream>>,
    pub(super) threads: Mutex<Vec<JoinHandle<()>>>,
    pub(super) next_connection: AtomicU64,
}

impl Shared {
    /// Sleeps for `d` unless the server shuts down first; false then.
    pub(crate) fn sleep(&self, d: Duration) -> bool {
        let end = Instant::now() + d;
        loop {
            if self.shutdown.load(Ordering::SeqCst) {
                return false;
            }
            let now = Instant::now();
            if now >= end {
                return true;
            }
            std::thread::sleep((end - now).min(Duration::from_millis(20)));
        }
    }

    pub(super) fn version_bytes(&self) -> [u8; 4] {
        let mut parts = self
            .product_version
            .split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0));
        let major = parts.next().unwrap_or(16) as u8;
        let minor = parts.next().unwrap_or(0) as u8;
        let build = parts.next().unwrap_or(0) as u16;
        [major, minor, (build >> 8) as u8, build as u8]
    }
}

/// A connection's state between requests.
pub(crate) struct SessionState {
    pub isolation: IsolationLevel,
    pub cursors: HashMap<LegacyTable, Cursor>,
    /// `SET FMTONLY ON`: queries answer their metadata only.
    pub fmtonly: bool,
    pub transactions: Transactions,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
