//! Named sizes of synthetic data sets.

use pancake_proto::LegacyTable;

/// Rows per legacy table at scale 1. Ratios follow the reported data of the
/// real site (see DESIGN.md): messages dominate, and read receipts only exist
/// for the last year, which is why `finland`'s 1.2 million messages make about
/// 1.5 million events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    pub name: &'static str,
    pub members: u64,
    pub flirts: u64,
    pub messages: u64,
    pub blocks: u64,
    pub favorites: u64,
    pub profile_visits: u64,
    pub photos: u64,
    pub photo_likes: u64,
    /// Members with a search profile (at most one each).
    pub search_profiles: u64,
}

impl Preset {
    /// A few thousand rows, for tests: every dirty kind appears.
    pub const TINY: Preset = Preset {
        name: "tiny",
        members: 600,
        flirts: 600,
        messages: 3_000,
        blocks: 200,
        favorites: 300,
        profile_visits: 600,
        photos: 300,
        photo_likes: 400,
        search_profiles: 510,
    };

    /// The real small country's shape: about 100k members and 1.2 million
    /// messages, about 1.5 million events once transformed.
    pub const FINLAND: Preset = Preset {
        name: "finland",
        members: 100_000,
        flirts: 30_000,
        messages: 1_200_000,
        blocks: 2_000,
        favorites: 5_000,
        profile_visits: 20_000,
        photos: 10_000,
        photo_likes: 10_000,
        search_profiles: 85_000,
    };

    /// The largest country: 10 million members, about 500 million events.
    pub const SWEDEN: Preset = Preset {
        name: "sweden",
        members: 10_000_000,
        flirts: 20_000_000,
        messages: 420_000_000,
        blocks: 1_000_000,
        favorites: 2_000_000,
        profile_visits: 20_000_000,
        photos: 2_000_000,
        photo_likes: 3_000_000,
        search_profiles: 8_500_000,
    };

    pub const ALL: [Preset; 3] = [Preset::TINY, Preset::FINLAND, Preset::SWEDEN];

    pub fn by_name(name: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.name == name)
    }

    pub fn names() -> Vec<&'static str> {
        Preset::ALL.iter().map(|p| p.name).collect()
    }

    /// Every count multiplied by `scale` (rounded), keeping at least two
    /// members so that members have someone to meet.
    pub fn scaled(&self, scale: f64) -> Preset {
        let s = |n: u64| (n as f64 * scale).round().max(0.0) as u64;
        let photos = s(self.photos);
        let members = s(self.members).max(2);
        Preset {
            members,
            flirts: s(self.flirts),
            messages: s(self.messages),
            blocks: s(self.blocks),
            favorites: s(self.favorites),
            profile_visits: s(self.profile_visits),
            photos,
            // A like needs a photo.
            photo_likes: if photos == 0 { 0 } else { s(self.photo_likes) },
            // One profile per member at most.
            search_profiles: s(self.search_profiles).min(members),
            ..*self
        }
    }

    /// Rows to generate for a table (before duplicates are added and purged
    /// members are left out).
    pub fn rows(&self, table: LegacyTable) -> u64 {
        match table {
            LegacyTable::Members => self.members,
            LegacyTable::Flirts => self.flirts,
            LegacyTable::Messages => self.messages,
            LegacyTable::Blocks => self.blocks,
            LegacyTable::Favorites => self.favorites,
            LegacyTable::ProfileVisits => self.profile_visits,
            LegacyTable::Photos => self.photos,
            LegacyTable::PhotoLikes => self.photo_likes,
            LegacyTable::SearchProfiles => self.search_profiles,
        }
    }

    pub fn total_rows(&self) -> u64 {
        LegacyTable::ALL.iter().map(|&t| self.rows(t)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_multiplies_and_keeps_two_members() {
        let p = Preset::FINLAND.scaled(0.5);
        assert_eq!(p.messages, 600_000);
        assert_eq!(p.name, "finland");
        let none = Preset::TINY.scaled(0.0);
        assert_eq!(none.members, 2);
        assert_eq!(none.photo_likes, 0);
        assert_eq!(none.search_profiles, 0);
        let many = Preset::TINY.scaled(0.001);
        assert!(many.search_profiles <= many.members);
    }

    #[test]
    fn presets_are_found_by_name() {
        assert_eq!(Preset::by_name("sweden"), Some(Preset::SWEDEN));
        assert_eq!(Preset::by_name("norway"), None);
    }
}
