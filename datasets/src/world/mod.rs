//! The synthetic site's timeline and members, computed on demand.
//!
//! Everything about member `id` (when they registered, whether they were
//! deleted or purged, whether their row is dirty) is a pure function of the
//! seed and the id, and so is everything about row `j` of any table. That is
//! what lets the generator make rows on many threads, in any order, and still
//! write byte-identical dumps.

mod dirt;

use crate::preset::Preset;
use crate::rng::{Rng, hash};
use dirt::dirty_kinds;
use pancake_proto::LegacyTable;
use pancake_proto::legacy::DirtyKind;

/// 2012-01-01T00:00:00Z: the first registration.
pub const SITE_START: i64 = 1_325_376_000;
/// 2026-01-01T00:00:00Z: the moment the data set is a snapshot of.
pub const SNAPSHOT: i64 = 1_767_225_600;
/// 2025-01-01T00:00:00Z: when the site started to record read receipts.
pub const READ_RECEIPTS_FROM: i64 = 1_735_689_600;
/// 2014-01-01T00:00:00Z: when the site started to log senders' IP
/// addresses; older flirts and messages have none.
pub const IP_LOGGING_FROM: i64 = 1_388_534_400;
/// 2017-01-01T00:00:00Z: when the mailbox became a chat; before it most
/// messages had a subject, after it few.
pub const CHAT_FROM: i64 = 1_483_228_800;
/// 2000-01-01T00:00:00Z: any date before this is dirt.
pub const EARLIEST_VALID: i64 = 946_684_800;

const DAY: i64 = 86_400;

/// Share of rows made dirty on purpose, in every table.
pub const DIRTY_FRACTION: f64 = 0.01;
/// Share of member ids missing from Members (hard-deleted long ago).
const PURGED_PER_MILLE: u64 = 10;
/// Every how many member ids one is a power user.
const POWER_USER_STRIDE: u64 = 97;
/// Share of activity by power users.
const POWER_USER_SHARE: f64 = 0.6;
/// Share of members who deleted their account.
const DELETED_FRACTION: f64 = 0.04;

/// Random streams, one per purpose, so that changing one leaves the others.
mod stream {
    pub const ROW: u64 = 0x100;
    pub const DIRT: u64 = 0x200;
    pub const TIME: u64 = 0x300;
    pub const PURGED: u64 = 1;
    pub const DELETED: u64 = 2;
    pub const REGISTERED: u64 = 3;
    pub const PHOTO_OWNER: u64 = 4;
    pub const SENDER_IP: u64 = 5;
}

/// What makes a row dirty, and in which column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dirt {
    pub kind: DirtyKind,
    /// The proto field name of the column.
    pub column: &'static str,
}

impl Dirt {
    /// Whether a later stage must reject the row (a lone surrogate is
    /// repaired instead).
    pub fn is_reject(&self) -> bool {
        self.kind != DirtyKind::LoneSurrogate
    }

    /// Whether the row cannot stand for its entity at all, so that nothing
    /// clean may refer to it. A duplicate's first copy is still good.
    fn spoils_entity(&self) -> bool {
        !matches!(
            self.kind,
            DirtyKind::LoneSurrogate | DirtyKind::DuplicateKey
        )
    }
}

fn table_tag(table: LegacyTable) -> u64 {
    LegacyTable::ALL
        .iter()
        .position(|&t| t == table)
        .unwrap_or(0) as u64
}

/// The synthetic site for one seed and size.
#[derive(Debug, Clone)]
pub struct World {
    pub seed: u64,
    pub preset: Preset,
}

impl World {
    pub fn new(seed: u64, preset: Preset) -> World {
        World { seed, preset }
    }

    /// A random stream for row `j` of `table`.
    pub fn row_rng(&self, table: LegacyTable, j: u64) -> Rng {
        Rng::new(self.seed, stream::ROW + table_tag(table), j)
    }

    /// Whether row `j` of `table` is dirty on purpose, and how.
    pub fn dirt(&self, table: LegacyTable, j: u64) -> Option<Dirt> {
        // The first two members and the first photo are always clean, so
        // there is always someone (and something) to refer to.
        if (table == LegacyTable::Members && j < 2) || (table == LegacyTable::Photos && j == 0) {
            return None;
        }
        let mut rng = Rng::new(self.seed, stream::DIRT + table_tag(table), j);
        if !rng.chance(DIRTY_FRACTION) {
            return None;
        }
        let (kind, columns) = *rng.pick(dirty_kinds(table));
        Some(Dirt {
            kind,
            column: rng.pick::<&str>(columns),
        })
    }

    // ---- time ----

    /// When activity row `j` of `n` in a table happened: activity grows
    /// with the site (denser in later years), starting once a few members
    /// are there. Non-decreasing in `j`, like an IDENTITY key.
    pub fn activity_time(&self, table: LegacyTable, j: u64, n: u64) -> i64 {
        let mut rng = Rng::new(self.seed, stream::TIME + table_tag(table), j);
        let f = (j as f64 + rng.unit()) / n.max(1) as f64;
        let span = (SNAPSHOT - SITE_START) as f64;
        let t = SITE_START + (span * (0.02 + 0.98 * f.sqrt())) as i64;
        t.clamp(self.registered_at(2) + 60, SNAPSHOT - 1)
    }

    // ---- members ----

    pub fn member_count(&self) -> u64 {
        self.preset.members
    }

    /// Member ids grow with registration time, as IDENTITY keys do.
    pub fn registered_at(&self, id: u64) -> i64 {
        let m = self.member_count().max(1) as i128;
        let span = (SNAPSHOT - SITE_START - DAY) as i128;
        let slot = span / m;
        let base = SITE_START as i128 + (id.saturating_sub(1) as i128) * span / m;
        let mut rng = Rng::new(self.seed, stream::REGISTERED, id);
        (base + rng.below(slot.max(1) as u64) as i128) as i64
    }

    /// Purged: hard-deleted long ago, so the id is missing from Members.
    pub fn is_purged(&self, id: u64) -> bool {
        id > 2 && hash(&[self.seed, stream::PURGED, id]) % 1000 < PURGED_PER_MILLE
    }

    /// When the member deleted their account, if they did.
    pub fn deleted_at(&self, id: u64) -> Option<i64> {
        if id <= 2 {
            return None;
        }
        let mut rng = Rng::new(self.seed, stream::DELETED, id);
        if !rng.chance(DELETED_FRACTION) {
            return None;
        }
        let registered = self.registered_at(id);
        let at = rng.between(registered + DAY, SNAPSHOT - 1);
        (at < SNAPSHOT).then_some(at)
    }

    /// Whether clean rows may refer to member `id` at time `t`.
    pub fn member_usable(&self, id: u64, t: i64) -> bool {
        id >= 1
            && id <= self.member_count()
            && !self.is_purged(id)
            && !self
                .dirt(LegacyTable::Members, id - 1)
                .is_some_and(|d| d.spoils_entity())
            && self.registered_at(id) <= t
            && self.deleted_at(id).is_none_or(|d| t < d)
    }

    /// How many member ids were handed out by time `t`.
    fn members_by(&self, t: i64) -> u64 {
        let (mut lo, mut hi) = (0u64, self.member_count());
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if self.registered_at(mid) <= t {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    }

    /// A member active at `t`, not `exclude`. `skew` > 1 makes a few members
    /// do most of it: the newest when `newest`, the oldest otherwise (long
    /// time members get most messages).
    pub fn pick_member(&self, rng: &mut Rng, t: i64, exclude: u64, skew: f64, newest: bool) -> u64 {
        let n = self.members_by(t).max(2);
        for _ in 0..24 {
            let r = ((n as f64) * rng.unit().powf(skew)) as u64;
            let id = if newest {
                n - r.min(n - 1)
            } else {
                1 + r.min(n - 1)
            };
            if id != exclude && self.member_usable(id, t) {
                return id;
            }
        }
        if exclude == 1 { 2 } else { 1 }
    }

    /// One member in `POWER_USER_STRIDE` is a power user: the few who send
    /// most messages and flirts on any dating site.
    pub fn is_power_user(&self, id: u64) -> bool {
        id % POWER_USER_STRIDE == self.seed % POWER_USER_STRIDE
    }

    /// Someone who acts (sends, visits, favours) at `t`, not `exclude`:
    /// `POWER_USER_SHARE` of the time a power user, else anyone, newer
    /// members more often.
    pub fn pick_actor(&self, rng: &mut Rng, t: i64, exclude: u64) -> u64 {
        let n = self.members_by(t);
        let offset = self.seed % POWER_USER_STRIDE;
        let power_users = (n + POWER_USER_STRIDE - 1 - offset) / POWER_USER_STRIDE;
        if power_users > 0 && rng.chance(POWER_USER_SHARE) {
            for _ in 0..8 {
                let id = rng.below(power_users) * POWER_USER_STRIDE + offset;
                if id != exclude && self.member_usable(id, t) {
                    return id;
                }
            }
        }
        self.pick_member(rng, t, exclude, 2.0, true)
    }

    /// The address member `id` sent from at `t`, if the site logged it then:
    /// one per member and fortnight (a home line's lease), IPv6 more often
    /// in later years.
    pub fn sender_ip(&self, id: u64, t: i64) -> Option<String> {
        if t < IP_LOGGING_FROM {
            return None;
        }
        let lease = (t - IP_LOGGING_FROM) / (14 * DAY);
        let mut rng = Rng::new(self.seed, stream::SENDER_IP, hash(&[id, lease as u64]));
        let later = (t - IP_LOGGING_FROM) as f64 / (SNAPSHOT - IP_LOGGING_FROM) as f64;
        Some(crate::text::ip_address(&mut rng, 0.03 + 0.3 * later))
    }

    /// A member id that is not in Members: purged, or never handed out.
    pub fn missing_member(&self, rng: &mut Rng) -> u64 {
        let m = self.member_count();
        for _ in 0..64 {
            let id = 1 + rng.below(m);
            if self.is_purged(id) {
                return id;
            }
        }
        m + 1 + rng.below(1_000)
    }

    // ---- search profiles ----

    /// The member whose search profile row `j` is: rows spread evenly over
    /// the member ids, in order (the table's clustered key), one per member
    /// at most, so that members between them have none.
    pub fn search_profile_member(&self, j: u64) -> u64 {
        let members = u128::from(self.member_count());
        let profiles = u128::from(self.preset.search_profiles.clamp(1, self.member_count()));
        (u128::from(j) * members / profiles) as u64 + 1
    }

    /// Whether member `id`'s own row can be trusted (it exists and a later
    /// stage keeps it): what a row keyed by the member needs.
    pub fn member_is_clean(&self, id: u64) -> bool {
        id >= 1 && self.member_usable(id, self.registered_at(id))
    }

    // ---- photos ----

    pub fn photo_count(&self) -> u64 {
        self.preset.photos
    }

    pub fn uploaded_at(&self, photo_id: u64) -> i64 {
        self.activity_time(LegacyTable::Photos, photo_id - 1, self.photo_count())
    }

    /// Who uploaded the photo (its clean owner, before any dirt).
    pub fn photo_owner(&self, photo_id: u64) -> u64 {
        if photo_id == 1 {
            return 1;
        }
        let mut rng = Rng::new(self.seed, stream::PHOTO_OWNER, photo_id);
        self.pick_member(&mut rng, self.uploaded_at(photo_id), 0, 1.0, true)
    }

    /// Whether clean rows may refer to photo `id` at time `t`.
    pub fn photo_usable(&self, id: u64, t: i64) -> bool {
        id >= 1
            && id <= self.photo_count()
            && !self
                .dirt(LegacyTable::Photos, id - 1)
                .is_some_and(|d| d.spoils_entity())
            && self.uploaded_at(id) <= t
            && self.member_usable(self.photo_owner(id), t)
    }

    /// A photo that can be liked at `t` (popular ones most), or photo 1.
    pub fn pick_photo(&self, rng: &mut Rng, t: i64) -> u64 {
        let p = self.photo_count();
        let (mut lo, mut hi) = (0u64, p);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if self.uploaded_at(mid) <= t {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        let n = lo.max(1);
        for _ in 0..16 {
            let id = 1 + (((n as f64) * rng.unit().powf(3.0)) as u64).min(n - 1);
            if self.photo_usable(id, t) {
                return id;
            }
        }
        1
    }

    /// A photo id that is not in Photos.
    pub fn missing_photo(&self, rng: &mut Rng) -> u64 {
        self.photo_count() + 1 + rng.below(1_000)
    }

    /// A date that is dirt: SQL Server's zero date, the late 1990s, or after
    /// the snapshot.
    pub fn bad_time(rng: &mut Rng) -> i64 {
        match rng.below(3) {
            0 => -2_208_988_800, // 1900-01-01, what a NULL became in old code
            1 => rng.between(EARLIEST_VALID - 5 * 365 * DAY, EARLIEST_VALID - 1),
            _ => rng.between(SNAPSHOT + DAY, SNAPSHOT + 400 * DAY),
        }
    }
}
