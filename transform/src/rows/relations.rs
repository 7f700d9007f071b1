//! Blocks and favorites: relations made and maybe removed.

use super::{Check, Context, Row, event, has, need, not_self};
use crate::ids;
use pancake_proto::LegacyTable;
use pancake_proto::events::{self, Event, EventKind, event::Payload};
use pancake_proto::legacy;

/// Blocks and favorites: a relation between two members that is made and
/// may be removed.
macro_rules! relation_row {
    ($ty:ident, $table:ident, $key:ident, $from:ident, $to:ident, $self_check:expr,
     $added:ident, $removed:ident, $payload_added:ident, $payload_removed:ident,
     $entity:literal, $id_field:ident, $to_field:ident) => {
        impl Row for legacy::$ty {
            const KEY_FIELD: &'static str = stringify!($key);
            const TABLE: LegacyTable = LegacyTable::$table;
            const MAX_EVENTS: u64 = 2;

            fn check(&self, cx: &Context) -> Check<()> {
                let from = *need(&self.$from, stringify!($from))?;
                let to = *need(&self.$to, stringify!($to))?;
                let at = cx.date(need(&self.created_at, "created_at")?, "created_at")?;
                cx.later(&self.removed_at, at, "removed_at")?;
                cx.member(from, stringify!($from))?;
                cx.member(to, stringify!($to))?;
                if $self_check {
                    not_self(from, to, stringify!($to))?;
                }
                cx.pair((from, stringify!($from)), (to, stringify!($to)), at)
            }

            fn events(self, _cx: &Context, out: &mut Vec<Event>) {
                let key = i64::from(self.$key);
                let id = ids::entity($entity, key);
                let to = ids::member(has(self.$to));
                let from = has(self.$from);
                out.push(event(
                    EventKind::$added,
                    Self::TABLE,
                    key,
                    has(self.created_at),
                    from,
                    Payload::$added(events::$payload_added {
                        $id_field: id.to_vec(),
                        $to_field: to.to_vec(),
                    }),
                ));
                if let Some(at) = self.removed_at {
                    out.push(event(
                        EventKind::$removed,
                        Self::TABLE,
                        key,
                        at,
                        from,
                        Payload::$removed(events::$payload_removed {
                            $id_field: id.to_vec(),
                            $to_field: to.to_vec(),
                        }),
                    ));
                }
            }
        }
    };
}

relation_row!(
    Block,
    Blocks,
    block_id,
    blocker_id,
    blocked_id,
    true,
    MemberBlocked,
    MemberUnblocked,
    MemberBlocked,
    MemberUnblocked,
    "block",
    block_id,
    blocked_id
);
relation_row!(
    Favorite,
    Favorites,
    favorite_id,
    member_id,
    favorite_member_id,
    false,
    FavoriteAdded,
    FavoriteRemoved,
    FavoriteAdded,
    FavoriteRemoved,
    "favorite",
    favorite_id,
    favorite_member_id
);
