//! What a load tells a progress display, and the line for each reconnect.

use std::time::Duration;

/// What the run is doing, for progress displays.
pub trait Progress: Send + Sync {
    /// Before anything is published, the parts the load will read are
    /// checked against their trailers and the manifest: `events` in all.
    fn checking(&self, _events: u64) {}
    /// A part of `events` events checked out.
    fn checked(&self, _events: u64) {}
    fn started(&self, _events: u64) {}
    fn events(&self, _n: u64) {}
    /// A part of the stream read to its trailer while publishing, its
    /// file `bytes` long (told with the events, every 1024, and at the end).
    fn part_read(&self, _table: &str, _part: u32, _bytes: u64) {}
    /// The broker blocked publishing (a memory or disk alarm).
    fn blocked(&self, _reason: &str) {}
    fn unblocked(&self) {}
    /// A connection that worked was lost (or connecting again failed); the
    /// load tries again after `retry.delay`.
    fn reconnecting(&self, _retry: &Retry) {}
    /// After a reconnect publishing goes on from the checkpoint, `events`
    /// into the stream: events after it are published again.
    fn restarted_at(&self, _events: u64) {}
    /// On this connection, `published` messages so far and `unconfirmed`
    /// of them not yet confirmed by the broker (every 1024 events and at
    /// the end).
    fn messages(&self, _published: u64, _unconfirmed: u64) {}
}

impl Progress for () {}

/// One more attempt to connect, after a connection was lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    /// `host:port`.
    pub addr: String,
    /// What went wrong, without the address.
    pub reason: String,
    /// 1 for the first retry.
    pub attempt: u32,
    /// Retries allowed (`--reconnects`).
    pub of: u32,
    /// How long the load waits before the attempt.
    pub delay: Duration,
}

impl std::fmt::Display for Retry {
    /// `cannot reach HOST:PORT: REASON; retry 3 of 10 in 4 s`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot reach {}: {}; retry {} of {} in {} s",
            self.addr,
            self.reason,
            self.attempt,
            self.of,
            seconds(self.delay)
        )
    }
}

/// "4", "0.5": whole seconds without a fraction.
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        d.as_secs().to_string()
    } else {
        format!("{:.1}", d.as_secs_f64())
    }
}

/// The wait before retry `attempt` (1-based): 0.5 s, doubling, at most 8 s.
pub(super) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500u64 << attempt.saturating_sub(1).min(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_line_names_the_address_the_reason_and_the_count() {
        let retry = Retry {
            addr: "127.0.0.1:5672".into(),
            reason: "connection refused".into(),
            attempt: 3,
            of: 10,
            delay: backoff(4),
        };
        assert_eq!(
            retry.to_string(),
            "cannot reach 127.0.0.1:5672: connection refused; retry 3 of 10 in 4 s"
        );
        assert_eq!(seconds(backoff(1)), "0.5");
        assert_eq!(backoff(30), Duration::from_secs(8));
    }
}
