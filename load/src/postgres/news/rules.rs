//! The news module's rules as code (`load/sql/news/README.md` says them
//! for people): the kinds of item, whom a member is interested in, when a
//! block stops an item or hides it, and which items a feed keeps.

/// The feed size when `--news-feed-size` is not given.
pub const DEFAULT_FEED_SIZE: u32 = 100;

/// The largest feed size accepted: a feed row holds its item ids in one
/// array, and more than this is no longer a front page.
pub const MAX_FEED_SIZE: u32 = 10_000;

/// What a feed item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// A member approved (registration-approved): to the interested.
    NewMember,
    /// A photo uploaded: to the interested.
    Photo,
    /// A flirt: to its recipient.
    Flirt,
    /// A profile visit: to the visited member.
    Visit,
}

impl ItemKind {
    pub const ALL: [ItemKind; 4] = [
        ItemKind::NewMember,
        ItemKind::Photo,
        ItemKind::Flirt,
        ItemKind::Visit,
    ];

    /// Its name in `items.kind`.
    pub fn name(self) -> &'static str {
        match self {
            ItemKind::NewMember => "new-member",
            ItemKind::Photo => "photo",
            ItemKind::Flirt => "flirt",
            ItemKind::Visit => "visit",
        }
    }

    pub fn by_name(name: &str) -> Option<ItemKind> {
        ItemKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Goes to the members interested in its sender (not to one recipient).
    pub fn is_interest(self) -> bool {
        matches!(self, ItemKind::NewMember | ItemKind::Photo)
    }
}

/// The oldest age a bucket tells apart; older senders share its bucket
/// (and a profile reaching it matches them all).
pub const OLDEST: u8 = 120;

/// What an interest item's sender is, on the item's day: what a search
/// profile is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sender {
    /// `pancake.events.v2.Gender` as a number.
    pub gender: u8,
    /// Full years on the item's day, at most [`OLDEST`].
    pub age: u8,
    /// The sender's city, interned (`None`: no city).
    pub city: Option<u32>,
}

/// Whom a member seeks (their search profile); `None` is "any".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interest {
    pub gender: Option<u8>,
    pub age_min: u8,
    pub age_max: u8,
    /// The interned city; a city no member lives in matches nobody.
    pub city: Option<u32>,
}

impl Interest {
    /// The rules' "interested": gender, age (ends included) and city.
    pub fn matches(&self, sender: &Sender) -> bool {
        self.gender.is_none_or(|g| g == sender.gender)
            && (self.age_min..=self.age_max).contains(&sender.age)
            && self.city.is_none_or(|c| Some(c) == sender.city)
    }
}

/// Full years from `birth` to `day` (both days since 1970-01-01), capped at
/// [`OLDEST`]; `None` before birth. Someone born on 29 February turns a
/// year older on 1 March in years without one.
pub fn age_on(birth: i32, day: i32) -> Option<u8> {
    use chrono::Datelike as _;
    let date = |d: i32| {
        chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?
            .checked_add_signed(chrono::TimeDelta::days(i64::from(d)))
    };
    let (b, d) = (date(birth)?, date(day)?);
    let mut years = d.year() - b.year();
    if (d.month(), d.day()) < (b.month(), b.day()) {
        years -= 1;
    }
    u8::try_from(years.clamp(-1, i32::from(OLDEST))).ok()
}

/// The calendar day (UTC, days since 1970-01-01) of a time in microseconds.
pub fn day_of(micros: i64) -> i32 {
    micros.div_euclid(86_400_000_000) as i32
}

/// A block one member made of another: from `from` (included) until
/// `until` (excluded), or for ever while it holds (`None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockSpan {
    pub blocked: u32,
    pub from: i64,
    pub until: Option<i64>,
}

/// What becomes of an item in a member's feed, given their blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// A block covered its time: it never arrived.
    Never,
    /// It arrived before a block that still holds: kept, hidden.
    Hidden,
    Shown,
}

/// How an item from `sender` at `at` arrives in the feed of a member whose
/// blocks are `blocks`.
pub fn arrival(blocks: &[BlockSpan], sender: u32, at: i64) -> Arrival {
    let mut arrival = Arrival::Shown;
    for b in blocks.iter().filter(|b| b.blocked == sender) {
        if b.from <= at && b.until.is_none_or(|until| at < until) {
            return Arrival::Never;
        }
        if b.until.is_none() {
            arrival = Arrival::Hidden;
        }
    }
    arrival
}

/// A feed being filled newest first: keeps a shown item while fewer than
/// `size` are shown, a hidden one while also fewer than `size` are hidden.
#[derive(Debug)]
pub struct Walk {
    size: u32,
    pub shown: u32,
    pub hidden: u32,
}

impl Walk {
    pub fn new(size: u32) -> Walk {
        Walk {
            size,
            shown: 0,
            hidden: 0,
        }
    }

    /// Whether the feed keeps an item that arrives so.
    pub fn keeps(&mut self, arrival: Arrival) -> bool {
        if self.full() {
            return false;
        }
        match arrival {
            Arrival::Never => false,
            Arrival::Shown => {
                self.shown += 1;
                true
            }
            Arrival::Hidden if self.hidden < self.size => {
                self.hidden += 1;
                true
            }
            Arrival::Hidden => false,
        }
    }

    /// `size` items are shown: nothing older gets in.
    pub fn full(&self) -> bool {
        self.shown >= self.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> i32 {
        (chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
            - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
        .num_days() as i32
    }

    #[test]
    fn age_turns_on_the_birthday_and_leap_day_births_on_the_first_of_march() {
        let born = day(1990, 6, 15);
        assert_eq!(age_on(born, day(2020, 6, 14)), Some(29));
        assert_eq!(age_on(born, day(2020, 6, 15)), Some(30));
        let leap = day(2000, 2, 29);
        assert_eq!(age_on(leap, day(2021, 2, 28)), Some(20));
        assert_eq!(age_on(leap, day(2021, 3, 1)), Some(21));
        assert_eq!(age_on(leap, day(2024, 2, 29)), Some(24));
        assert_eq!(age_on(born, day(1990, 6, 14)), None);
        assert_eq!(age_on(day(1800, 1, 1), day(2020, 1, 1)), Some(OLDEST));
        assert_eq!(day_of(-1), -1);
        assert_eq!(day_of(86_400_000_000), 1);
    }

    #[test]
    fn interest_matches_gender_age_ends_included_and_city() {
        let women_25_30_turku = Interest {
            gender: Some(1),
            age_min: 25,
            age_max: 30,
            city: Some(7),
        };
        let s = |gender, age, city| Sender { gender, age, city };
        assert!(women_25_30_turku.matches(&s(1, 25, Some(7))));
        assert!(women_25_30_turku.matches(&s(1, 30, Some(7))));
        assert!(!women_25_30_turku.matches(&s(1, 31, Some(7))));
        assert!(!women_25_30_turku.matches(&s(2, 27, Some(7))));
        assert!(!women_25_30_turku.matches(&s(1, 27, Some(8))));
        assert!(!women_25_30_turku.matches(&s(1, 27, None)));
        let anyone = Interest {
            gender: None,
            age_min: 18,
            age_max: 99,
            city: None,
        };
        assert!(anyone.matches(&s(3, 40, None)));
    }

    #[test]
    fn a_block_stops_what_it_covers_and_hides_what_came_before_while_it_holds() {
        let held = [BlockSpan {
            blocked: 5,
            from: 100,
            until: None,
        }];
        assert_eq!(arrival(&held, 5, 99), Arrival::Hidden);
        assert_eq!(arrival(&held, 5, 100), Arrival::Never);
        assert_eq!(arrival(&held, 6, 100), Arrival::Shown);
        let lifted = [BlockSpan {
            blocked: 5,
            from: 100,
            until: Some(200),
        }];
        assert_eq!(arrival(&lifted, 5, 99), Arrival::Shown);
        assert_eq!(arrival(&lifted, 5, 199), Arrival::Never);
        assert_eq!(arrival(&lifted, 5, 200), Arrival::Shown);
    }

    #[test]
    fn a_walk_stops_at_size_shown_and_keeps_at_most_size_hidden() {
        let mut walk = Walk::new(2);
        assert!(walk.keeps(Arrival::Hidden));
        assert!(walk.keeps(Arrival::Hidden));
        assert!(!walk.keeps(Arrival::Hidden));
        assert!(!walk.keeps(Arrival::Never));
        assert!(walk.keeps(Arrival::Shown));
        assert!(!walk.full());
        assert!(walk.keeps(Arrival::Shown));
        assert!(walk.full());
        assert!(!walk.keeps(Arrival::Shown));
        assert_eq!((walk.shown, walk.hidden), (2, 2));
    }
}
