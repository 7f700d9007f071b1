//! A table's key range cut into chunks that separate sessions can read at
//! the same time.
//!
//! A chunk is a key interval `(after, upper]`: every row of a key falls in
//! exactly one chunk, however often the key repeats, and the chunks in
//! order give the rows in key order. A chunk spans as many keys as hold
//! about one page of rows by the server's estimate (the table's keys taken
//! as evenly spread between its smallest and largest), so most chunks are
//! one query. A wrong estimate costs only speed: a chunk with more rows is
//! read in several pages, an empty one is one quick query.

use super::Range;

/// The keys `(after, upper]`, read as one series of pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    pub after: i64,
    pub upper: i64,
}

/// The chunks of what is left of a table, in key order.
#[derive(Debug)]
pub struct Chunks {
    /// Where the next chunk starts (exclusive); `None` once all are out.
    next_after: Option<i64>,
    upper: i64,
    /// Keys per chunk, at least one.
    span: i64,
}

impl Chunks {
    pub fn new(range: &Range, page_rows: u32) -> Chunks {
        // Nothing below the smallest key needs asking for. (A key of
        // i64::MIN itself is never read: `> @after` cannot include it.)
        let after = range.after.max(range.lower.saturating_sub(1));
        Chunks {
            next_after: Some(after),
            upper: range.upper,
            span: span(range.lower, range.upper, page_rows, range.estimate),
        }
    }
}

impl Iterator for Chunks {
    type Item = Chunk;

    fn next(&mut self) -> Option<Chunk> {
        let after = self.next_after?;
        let upper = match after.checked_add(self.span) {
            Some(end) if end < self.upper => end,
            _ => self.upper,
        };
        self.next_after = (upper < self.upper).then_some(upper);
        Some(Chunk { after, upper })
    }
}

/// Keys per chunk: the keys that hold `page_rows` rows if the estimated
/// rows are evenly spread over `lower..=upper`. Without an estimate, keys
/// are taken as dense (one row each).
fn span(lower: i64, upper: i64, page_rows: u32, estimate: Option<u64>) -> i64 {
    let keys = (i128::from(upper) - i128::from(lower) + 1).max(1);
    let rows = estimate.filter(|&e| e > 0).map_or(keys, i128::from);
    let span = keys * i128::from(page_rows.max(1)) / rows;
    span.clamp(1, i128::from(i64::MAX)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(after: i64, lower: i64, upper: i64, estimate: Option<u64>) -> Range {
        Range {
            after,
            lower,
            upper,
            next_part: 0,
            estimate,
        }
    }

    fn all(range: Range, page_rows: u32) -> Vec<(i64, i64)> {
        Chunks::new(&range, page_rows)
            .map(|c| (c.after, c.upper))
            .collect()
    }

    #[test]
    fn dense_keys_make_one_page_chunks_that_tile_the_range() {
        let chunks = all(range(i64::MIN, 1, 25, Some(25)), 10);
        assert_eq!(chunks, [(0, 10), (10, 20), (20, 25)]);
    }

    #[test]
    fn a_resumed_range_starts_after_the_last_committed_key() {
        let chunks = all(range(13, 1, 25, Some(25)), 10);
        assert_eq!(chunks, [(13, 23), (23, 25)]);
        // Everything read already: one chunk that finds nothing.
        assert_eq!(all(range(25, 1, 25, Some(25)), 10), [(25, 25)]);
    }

    #[test]
    fn sparse_keys_make_wider_chunks_and_repeated_keys_narrower_ones() {
        // 100 rows over keys 1..=1000: ten keys per row.
        assert_eq!(span(1, 1000, 10, Some(100)), 100);
        // 100 rows on keys 1..=10: a key holds ten rows.
        assert_eq!(span(1, 10, 10, Some(100)), 1);
        // No estimate: keys taken as dense.
        assert_eq!(span(1, 1000, 10, None), 10);
    }

    #[test]
    fn extreme_keys_neither_overflow_nor_loop() {
        let chunks = all(range(i64::MIN, i64::MIN, i64::MAX, Some(4)), 1);
        assert_eq!(chunks.len(), 4);
        assert_eq!(chunks.first().unwrap().0, i64::MIN);
        assert_eq!(chunks.last().unwrap().1, i64::MAX);
        for pair in chunks.windows(2) {
            assert_eq!(pair[0].1, pair[1].0, "chunks tile the range");
        }
        let one = all(range(i64::MAX - 1, 0, i64::MAX, Some(1)), 1_000_000);
        assert_eq!(one, [(i64::MAX - 1, i64::MAX)]);
    }
}
