//! The run's sessions: at most `--connections` open at once, shared by every
//! table and every key range being read.
//!
//! A page borrows a session for one query and gives it back as soon as the
//! page has arrived whole ([`Session::release`]). A session that is not
//! given back (its query failed, timed out or was abandoned halfway) is
//! closed, never reused: its state on the wire is unknown.

use crate::connect::{Connection, Isolation, connect};
use crate::error::ExtractError;
use crate::source::Source;
use std::sync::Mutex;
use tokio::sync::{Semaphore, SemaphorePermit};

pub(crate) struct Sessions {
    source: Source,
    isolation: Isolation,
    /// Logged-in sessions that are idle, last returned first.
    idle: Mutex<Vec<Connection>>,
    /// One permit per session that may be open.
    open: Semaphore,
}

impl Sessions {
    pub fn new(source: Source, isolation: Isolation, connections: usize) -> Sessions {
        Sessions {
            source,
            isolation,
            idle: Mutex::new(Vec::new()),
            open: Semaphore::new(connections.max(1)),
        }
    }

    /// Hands an already open session to the pool (the one the catalog was
    /// read over).
    pub fn give(&self, conn: Connection) {
        self.lock().push(conn);
    }

    /// Waits for a free session: an idle one, or the right to open one
    /// ([`Session::connect`]).
    pub async fn take(&self) -> Session<'_> {
        let permit = self
            .open
            .acquire()
            .await
            .expect("the session semaphore is never closed");
        let conn = self.lock().pop();
        Session {
            conn,
            _permit: permit,
            sessions: self,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A session borrowed from [`Sessions`]; dropped without
/// [`release`](Session::release), its connection is closed.
#[must_use = "a session not released is closed, not reused"]
pub(crate) struct Session<'a> {
    /// `None` until connected, and again after a failure.
    pub conn: Option<Connection>,
    _permit: SemaphorePermit<'a>,
    sessions: &'a Sessions,
}

impl Session<'_> {
    /// Logs in if this session has no connection yet.
    pub async fn connect(&mut self) -> Result<&mut Connection, ExtractError> {
        if self.conn.is_none() {
            let conn = connect(&self.sessions.source, self.sessions.isolation).await?;
            self.conn = Some(conn);
        }
        Ok(self.conn.as_mut().expect("connected above"))
    }

    /// Gives the connection back for the next page: only after a query that
    /// was read to its end.
    pub fn release(mut self) {
        if let Some(conn) = self.conn.take() {
            self.sessions.give(conn);
        }
    }
}
