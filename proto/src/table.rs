//! The legacy tables as a dump names them.
//!
//! A dump stores each table in a folder named after it (`members/`,
//! `photo_likes/`, ...) with records of one protobuf type. How a real site's
//! SQL Server names its tables and columns is the extractor's mapping; this is
//! only the dump's side of it.

use crate::record::Record;

/// One legacy table of the design's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LegacyTable {
    Members,
    Flirts,
    Messages,
    Blocks,
    Favorites,
    ProfileVisits,
    Photos,
    PhotoLikes,
    SearchProfiles,
}

impl LegacyTable {
    /// Every table, in the order dumps list them (members first: every other
    /// table refers to members).
    pub const ALL: [LegacyTable; 9] = [
        LegacyTable::Members,
        LegacyTable::Flirts,
        LegacyTable::Messages,
        LegacyTable::Blocks,
        LegacyTable::Favorites,
        LegacyTable::ProfileVisits,
        LegacyTable::Photos,
        LegacyTable::PhotoLikes,
        LegacyTable::SearchProfiles,
    ];

    /// The table's name in a dump: its folder and its manifest entry.
    pub fn name(self) -> &'static str {
        match self {
            LegacyTable::Members => "members",
            LegacyTable::Flirts => "flirts",
            LegacyTable::Messages => "messages",
            LegacyTable::Blocks => "blocks",
            LegacyTable::Favorites => "favorites",
            LegacyTable::ProfileVisits => "profile_visits",
            LegacyTable::Photos => "photos",
            LegacyTable::PhotoLikes => "photo_likes",
            LegacyTable::SearchProfiles => "search_profiles",
        }
    }

    /// The table's name in the legacy SQL Server schema (`dbo`).
    pub fn sql_name(self) -> &'static str {
        match self {
            LegacyTable::Members => "Members",
            LegacyTable::Flirts => "Flirts",
            LegacyTable::Messages => "Messages",
            LegacyTable::Blocks => "Blocks",
            LegacyTable::Favorites => "Favorites",
            LegacyTable::ProfileVisits => "ProfileVisits",
            LegacyTable::Photos => "Photos",
            LegacyTable::PhotoLikes => "PhotoLikes",
            LegacyTable::SearchProfiles => "SearchProfiles",
        }
    }

    /// The fully qualified protobuf type of the table's records.
    pub fn record_type(self) -> &'static str {
        use crate::legacy::*;
        match self {
            LegacyTable::Members => Member::TYPE_NAME,
            LegacyTable::Flirts => Flirt::TYPE_NAME,
            LegacyTable::Messages => Message::TYPE_NAME,
            LegacyTable::Blocks => Block::TYPE_NAME,
            LegacyTable::Favorites => Favorite::TYPE_NAME,
            LegacyTable::ProfileVisits => ProfileVisit::TYPE_NAME,
            LegacyTable::Photos => Photo::TYPE_NAME,
            LegacyTable::PhotoLikes => PhotoLike::TYPE_NAME,
            LegacyTable::SearchProfiles => SearchProfile::TYPE_NAME,
        }
    }

    /// Finds a table by its dump name (`"photo_likes"`) or its SQL name
    /// (`"PhotoLikes"`).
    pub fn from_name(name: &str) -> Option<LegacyTable> {
        LegacyTable::ALL
            .into_iter()
            .find(|t| t.name() == name || t.sql_name().eq_ignore_ascii_case(name))
    }
}

impl std::fmt::Display for LegacyTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
