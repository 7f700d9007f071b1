//! What the transform knows before it emits a single event: every valid
//! member with the time it registered, and every valid photo with its owner.
//!
//! Members are kept as one `u32` per id (seconds since the site's start,
//! 0 for "not a valid member"), 40 MB for ten million members, with a sorted
//! list instead when ids are too sparse for that to pay.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

/// Valid members and when each registered.
#[derive(Debug, Clone, Default)]
pub struct MemberIndex {
    site_start: i64,
    members: Members,
    count: usize,
}

#[derive(Debug, Clone)]
enum Members {
    /// Index = member id; value = seconds since the site started, plus one.
    Dense(Vec<u32>),
    /// As `Dense`, cut in pages of [`PAGE`] ids; a page no member fell in
    /// is `None`. What a [`DenseFill`] becomes.
    Paged(Vec<Option<Box<[u32; PAGE]>>>),
    /// Sorted by id.
    Sparse(Vec<(i32, u32)>),
}

/// Ids per page of a [`DenseFill`]: 4096 (16 KiB).
const PAGE: usize = 4096;

impl Default for Members {
    fn default() -> Members {
        Members::Dense(Vec::new())
    }
}

impl MemberIndex {
    /// Builds the index from `(member id, registered at)` of the valid
    /// members, times in Unix seconds, none before `site_start`.
    pub fn new(site_start: i64, mut valid: Vec<(i32, i64)>) -> MemberIndex {
        let offset = |t: i64| slot_of(site_start, t);
        let count = valid.len();
        let max = valid.iter().map(|&(id, _)| id).max().unwrap_or(0);
        let members = if dense_pays(max.into(), count) && valid.iter().all(|&(id, _)| id >= 0) {
            let mut v = vec![0u32; max as usize + 1];
            for (id, t) in valid {
                v[id as usize] = offset(t);
            }
            Members::Dense(v)
        } else {
            valid.sort_unstable();
            Members::Sparse(valid.into_iter().map(|(id, t)| (id, offset(t))).collect())
        };
        MemberIndex {
            site_start,
            members,
            count,
        }
    }

    /// When a valid member registered (Unix seconds); `None` for an id that
    /// is not a valid member.
    pub fn registered_at(&self, id: i32) -> Option<i64> {
        let slot = match &self.members {
            Members::Dense(v) => usize::try_from(id).ok().and_then(|i| v.get(i)).copied(),
            Members::Paged(pages) => usize::try_from(id).ok().and_then(|i| {
                let page = pages.get(i / PAGE)?.as_ref()?;
                Some(page[i % PAGE])
            }),
            Members::Sparse(v) => v
                .binary_search_by_key(&id, |&(m, _)| m)
                .ok()
                .map(|i| v[i].1),
        }?;
        (slot != 0).then(|| self.site_start + i64::from(slot) - 1)
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// Valid photos: their owners and when they were uploaded.
/// Whether one slot per id up to `max` pays for `count` members.
fn dense_pays(max: i64, count: usize) -> bool {
    max >= 0 && max as u64 <= (count as u64).saturating_mul(4) + (1 << 20)
}

/// A member's slot value: seconds since the site started, plus one.
fn slot_of(site_start: i64, registered_at: i64) -> u32 {
    u32::try_from(registered_at - site_start + 1).unwrap_or(u32::MAX)
}

/// A dense member index filled in place by parallel readers.
///
/// Collecting every valid member first and indexing afterwards held 36
/// bytes per member at the peak (the rows of each part, all of them
/// flattened, then the index); sweden's 32 million members would have
/// taken over a gigabyte. Filling the slots directly holds 4.
///
/// The key range and row count it is made for come from the dump's
/// manifest, which is only checked as the parts are read: so slots are
/// allocated a page at a time as members fall in them, and a fill whose
/// pages hold too few members for a dense index to pay (the manifest
/// overstated its rows, or the ids are sparse after all) gives up, leaving
/// the index to be collected. Memory follows the members read, never the
/// manifest's counts: at most about 16 bytes a member, plus 8 bytes per 4096
/// ids of the key range (4 MiB at most) for the page table.
#[derive(Debug)]
pub struct DenseFill {
    site_start: i64,
    /// The largest id the key ranges allow.
    max: usize,
    /// Page `i` holds ids `i * PAGE ..`, allocated by the first member in it.
    pages: Vec<OnceLock<Box<[AtomicU32; PAGE]>>>,
    /// Pages allocated so far.
    allocated: AtomicUsize,
    count: AtomicUsize,
    /// A member lay outside the key ranges, or the pages became too sparse.
    given_up: AtomicBool,
}

impl DenseFill {
    /// Slots for ids `0..=max` (the dump's key ranges), or `None` when some
    /// id is negative or ids are too sparse for `rows` rows.
    pub fn new(site_start: i64, min: i64, max: i64, rows: u64) -> Option<DenseFill> {
        if min < 0 || max > i64::from(i32::MAX) || !dense_pays(max, rows as usize) {
            return None;
        }
        let pages = max as usize / PAGE + 1;
        Some(DenseFill {
            site_start,
            max: max as usize,
            pages: (0..pages).map(|_| OnceLock::new()).collect(),
            allocated: AtomicUsize::new(0),
            count: AtomicUsize::new(0),
            given_up: AtomicBool::new(false),
        })
    }

    /// Records a valid member. An id that appears twice keeps its earliest
    /// registration, whichever reader sees it first.
    pub fn add(&self, id: i32, registered_at: i64) {
        if self.given_up.load(Ordering::Relaxed) {
            return;
        }
        let Some((page, i)) = usize::try_from(id)
            .ok()
            .filter(|&i| i <= self.max)
            .map(|i| (&self.pages[i / PAGE], i % PAGE))
        else {
            // The manifest's key ranges were wrong: give up on filling.
            self.given_up.store(true, Ordering::Relaxed);
            return;
        };
        let page = page.get_or_init(|| {
            let allocated = self.allocated.fetch_add(1, Ordering::Relaxed) + 1;
            if !dense_pays(
                (allocated * PAGE) as i64,
                self.count.load(Ordering::Relaxed),
            ) {
                self.given_up.store(true, Ordering::Relaxed);
            }
            Box::new(std::array::from_fn(|_| AtomicU32::new(0)))
        });
        let slot = &page[i];
        let value = slot_of(self.site_start, registered_at);
        let before = slot
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                Some(if old == 0 { value } else { old.min(value) })
            })
            .unwrap_or(0);
        if before == 0 {
            self.count.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The index, or `None` if a member lay outside the key ranges or the
    /// members were too few for their pages (then build it with
    /// [`MemberIndex::new`] instead).
    pub fn finish(self) -> Option<MemberIndex> {
        if self.given_up.into_inner() {
            return None;
        }
        // One page at a time, so this holds one page more than the fill.
        let pages = self
            .pages
            .into_iter()
            .map(|page| {
                page.into_inner()
                    .map(|page| Box::new(page.map(AtomicU32::into_inner)))
            })
            .collect();
        Some(MemberIndex {
            site_start: self.site_start,
            members: Members::Paged(pages),
            count: self.count.into_inner(),
        })
    }

    /// Bytes of slots allocated so far: what the members added cost.
    pub fn allocated_bytes(&self) -> usize {
        self.allocated.load(Ordering::Relaxed) * PAGE * std::mem::size_of::<AtomicU32>()
    }
}

#[derive(Debug, Clone, Default)]
pub struct PhotoIndex {
    owners: HashMap<i32, (i32, i64)>,
}

impl PhotoIndex {
    /// From `(photo id, (owner, uploaded at))` of the valid photos.
    pub fn new(valid: Vec<(i32, (i32, i64))>) -> PhotoIndex {
        PhotoIndex {
            owners: valid.into_iter().collect(),
        }
    }

    pub fn owner(&self, photo: i32) -> Option<i32> {
        self.owners.get(&photo).map(|&(owner, _)| owner)
    }

    /// When a valid photo was uploaded (Unix seconds).
    pub fn uploaded_at(&self, photo: i32) -> Option<i64> {
        self.owners.get(&photo).map(|&(_, t)| t)
    }

    pub fn len(&self) -> usize {
        self.owners.len()
    }

    pub fn is_empty(&self) -> bool {
        self.owners.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_sparse_answer_alike() {
        let members = vec![(1, 1_000), (5, 2_000), (3, 500)];
        let dense = MemberIndex::new(500, members.clone());
        assert!(matches!(dense.members, Members::Dense(_)));
        let mut sparse_members = members;
        sparse_members.push((2_000_000_000, 900));
        let sparse = MemberIndex::new(500, sparse_members);
        assert!(matches!(sparse.members, Members::Sparse(_)));
        for index in [&dense, &sparse] {
            assert_eq!(index.registered_at(1), Some(1_000));
            assert_eq!(index.registered_at(3), Some(500));
            assert_eq!(index.registered_at(2), None);
            assert_eq!(index.registered_at(-7), None);
            assert_eq!(index.registered_at(99), None);
        }
        assert_eq!(sparse.registered_at(2_000_000_000), Some(900));
        assert_eq!(dense.len(), 3);
    }

    #[test]
    fn a_dense_fill_answers_like_the_collected_index() {
        let members = vec![(1, 1_000), (5, 2_000), (3, 500)];
        let collected = MemberIndex::new(500, members.clone());
        let fill = DenseFill::new(500, 1, 5, 3).unwrap();
        for &(id, t) in &members {
            fill.add(id, t);
        }
        // A repeated id counts once and keeps its earliest registration.
        fill.add(5, 2_500);
        let filled = fill.finish().unwrap();
        for id in -1..8 {
            assert_eq!(
                filled.registered_at(id),
                collected.registered_at(id),
                "{id}"
            );
        }
        assert_eq!(filled.len(), 3);
    }

    #[test]
    fn a_dense_fill_refuses_what_it_cannot_hold() {
        assert!(DenseFill::new(0, -1, 5, 3).is_none(), "negative ids");
        assert!(
            DenseFill::new(0, 0, 2_000_000_000, 3).is_none(),
            "too sparse"
        );
        let fill = DenseFill::new(0, 0, 5, 3).unwrap();
        fill.add(6, 10);
        assert!(fill.finish().is_none(), "an id beyond the key ranges");
    }
}
