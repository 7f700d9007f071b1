//! `--max-rows-per-sec`: one ceiling for every table and session together.

use std::time::Duration;

/// Keeps every table together under `--max-rows-per-sec`.
pub struct Throttle {
    rows_per_sec: f64,
    next: tokio::sync::Mutex<tokio::time::Instant>,
}

impl Throttle {
    pub fn new(rows_per_sec: u64) -> Throttle {
        Throttle {
            rows_per_sec: rows_per_sec.max(1) as f64,
            next: tokio::sync::Mutex::new(tokio::time::Instant::now()),
        }
    }

    /// Waits until `rows` more rows fit under the ceiling.
    pub async fn take(&self, rows: u64) {
        let start = {
            let mut next = self.next.lock().await;
            let now = tokio::time::Instant::now();
            let start = (*next).max(now);
            *next = start + Duration::from_secs_f64(rows as f64 / self.rows_per_sec);
            start
        };
        tokio::time::sleep_until(start).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_throttle_spaces_pages_by_the_ceiling() {
        let t = Throttle::new(1000);
        let start = tokio::time::Instant::now();
        t.take(500).await; // free
        t.take(500).await; // waits 0.5 s
        t.take(1000).await; // waits 0.5 s more
        assert_eq!(start.elapsed(), Duration::from_millis(1000));
    }
}
