//! What the transform knows before it emits a single event: every valid
//! member with the time it registered, and every valid photo with its owner.
//!
//! Members are kept as one `u32` per id (seconds since the site's start,
//! 0 for "not a valid member"), 40 MB for ten million members, with a sorted
//! list instead when ids are too sparse for that to pay.

use std::collections::HashMap;

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
    /// Sorted by id.
    Sparse(Vec<(i32, u32)>),
}

impl Default for Members {
    fn default() -> Members {
        Members::Dense(Vec::new())
    }
}

impl MemberIndex {
    /// Builds the index from `(member id, registered at)` of the valid
    /// members, times in Unix seconds, none before `site_start`.
    pub fn new(site_start: i64, mut valid: Vec<(i32, i64)>) -> MemberIndex {
        let offset = |t: i64| u32::try_from(t - site_start + 1).unwrap_or(u32::MAX);
        let count = valid.len();
        let max = valid.iter().map(|&(id, _)| id).max().unwrap_or(0);
        let dense_ok = max >= 0 && (max as usize) <= count.saturating_mul(4) + (1 << 20);
        let members = if dense_ok && valid.iter().all(|&(id, _)| id >= 0) {
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
}
