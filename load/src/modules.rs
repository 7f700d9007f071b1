//! The modules events are loaded into, as data: a name and the event kinds
//! the module consumes. The RabbitMQ loader binds one queue per module to
//! exactly these kinds; the PostgreSQL loader builds one database per module
//! from the same list.

use crate::postgres::project::{self, PgModule};
use pancake_proto::events::EventKind;
use pancake_proto::names::EVENT_KINDS;

/// One module of the new architecture.
#[derive(Debug, Clone, Copy)]
pub struct ModuleSpec {
    /// The module's name: its queue and its database are named
    /// `<prefix>_<name>` ([`prefixed`]).
    pub name: &'static str,
    /// What it keeps, for people.
    pub about: &'static str,
    /// The event kinds it consumes.
    pub kinds: &'static [EventKind],
    /// Its database: schema and how events become rows.
    pub postgres: &'static PgModule,
}

use EventKind::*;

/// The first set of modules.
pub const MODULES: &[ModuleSpec] = &[
    ModuleSpec {
        name: "profile",
        about: "members, with registration, approval and deletion state",
        kinds: &[MemberRegistered, RegistrationApproved, MemberDeleted],
        postgres: &project::PROFILE,
    },
    ModuleSpec {
        name: "chat",
        about: "threads and messages, with read state; blocks hide threads",
        kinds: &[MessageSent, MessageRead, MemberBlocked, MemberUnblocked],
        postgres: &project::CHAT,
    },
    ModuleSpec {
        name: "alerts",
        about: "what a member is notified of: flirts, visits, photo likes, favorites received; blocks hide them",
        kinds: &[
            FlirtSent,
            ProfileVisited,
            PhotoLiked,
            FavoriteAdded,
            MemberBlocked,
            MemberUnblocked,
        ],
        postgres: &project::ALERTS,
    },
    ModuleSpec {
        name: "favorite",
        about: "who keeps whom as a favorite",
        kinds: &[FavoriteAdded, FavoriteRemoved],
        postgres: &project::FAVORITE,
    },
    ModuleSpec {
        name: "block",
        about: "who blocks whom, now and in the past",
        kinds: &[MemberBlocked, MemberUnblocked],
        postgres: &project::BLOCK,
    },
    ModuleSpec {
        name: "news",
        about: "every member's feed: new members and photos of the people they seek, flirts and visits received; blocks hide, deletions remove",
        kinds: &[
            MemberRegistered,
            RegistrationApproved,
            MemberDeleted,
            SearchProfileSet,
            PhotoUploaded,
            FlirtSent,
            ProfileVisited,
            MemberBlocked,
            MemberUnblocked,
        ],
        postgres: &crate::postgres::news::NEWS,
    },
    ModuleSpec {
        name: "audit",
        about: "every event, with its kind, time, member and payload",
        kinds: &EVENT_KINDS,
        postgres: &project::AUDIT,
    },
];

/// Modules are one by name.
impl PartialEq for ModuleSpec {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for ModuleSpec {}

impl ModuleSpec {
    pub fn consumes(&self, kind: EventKind) -> bool {
        self.kinds.contains(&kind)
    }

    pub fn by_name(name: &str) -> Option<&'static ModuleSpec> {
        MODULES.iter().find(|m| m.name == name)
    }
}

/// `<prefix>_<name>`: how every queue and database is named after a
/// module, the one joiner for prefixes across pancake. A prefix given with
/// its separator (`nc_`, `nc.`) is the same prefix as without it (`nc`), and
/// an empty prefix means none: just `<name>`.
pub fn prefixed(prefix: &str, name: &str) -> String {
    let prefix = prefix.trim_end_matches(['_', '.']);
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}_{name}")
    }
}

/// The modules that consume `kind`.
pub fn consumers(kind: EventKind) -> impl Iterator<Item = &'static ModuleSpec> {
    MODULES.iter().filter(move |m| m.consumes(kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_consumer_besides_audit() {
        for kind in EVENT_KINDS {
            let others = consumers(kind).filter(|m| m.name != "audit").count();
            assert!(others > 0, "{kind:?} has no module but audit");
            assert!(consumers(kind).any(|m| m.name == "audit"));
        }
    }

    #[test]
    fn news_consumes_exactly_the_kinds_its_rules_name() {
        let rules = include_str!("../sql/news/README.md");
        let section = rules
            .split("## Events it consumes")
            .nth(1)
            .and_then(|s| s.split("\n\n").nth(1))
            .expect("the rules list the events the module consumes");
        let named: std::collections::BTreeSet<&str> = section
            .split([',', '.', '\n'])
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .collect();
        let news = ModuleSpec::by_name("news").unwrap();
        let kinds: std::collections::BTreeSet<&str> = news
            .kinds
            .iter()
            .map(|&k| pancake_proto::names::kind_name(k))
            .collect();
        assert_eq!(kinds, named);
    }

    #[test]
    fn names_are_unique_and_found() {
        for m in MODULES {
            assert_eq!(ModuleSpec::by_name(m.name), Some(m));
        }
        assert_eq!(ModuleSpec::by_name("nope"), None);
        assert!(ModuleSpec::by_name("chat").unwrap().consumes(MessageRead));
        assert!(!ModuleSpec::by_name("chat").unwrap().consumes(FlirtSent));
    }

    #[test]
    fn a_prefix_joins_with_an_underscore_whether_or_not_it_was_given_one() {
        assert_eq!(prefixed("pancake", "profile"), "pancake_profile");
        for prefix in ["nc", "nc_", "nc."] {
            assert_eq!(prefixed(prefix, "chat"), "nc_chat", "{prefix:?}");
        }
        assert_eq!(prefixed("", "audit"), "audit");
        assert_eq!(prefixed("_", "audit"), "audit");
        assert_eq!(prefixed("a.b", "block"), "a.b_block");
    }
}
