//! One member contacting another: flirts, messages, profile visits.

use super::{Check, Context, Row, event, has, need, not_self, reject};
use crate::ids;
use pancake_proto::LegacyTable;
use pancake_proto::events::{self, Event, EventKind, RejectReason, event::Payload};
use pancake_proto::legacy;

impl Row for legacy::Flirt {
    const KEY_FIELD: &'static str = "flirt_id";
    const TABLE: LegacyTable = LegacyTable::Flirts;
    const MAX_EVENTS: u64 = 1;

    fn check(&self, cx: &Context) -> Check<()> {
        let sender = *need(&self.sender_id, "sender_id")?;
        let recipient = *need(&self.recipient_id, "recipient_id")?;
        let at = cx.date(need(&self.sent_at, "sent_at")?, "sent_at")?;
        cx.member(sender, "sender_id")?;
        cx.member(recipient, "recipient_id")?;
        // A kind code is a reference too: to the legacy site's list of kinds.
        if let Some(code) = self.kind.filter(|&c| flirt_kind(c).is_none()) {
            return Err(reject(
                RejectReason::Orphan,
                "kind",
                format!("kind {code} is not a flirt kind (1 wink, 2 smile, 3 kiss, 4 rose)"),
            ));
        }
        not_self(sender, recipient, "recipient_id")?;
        cx.pair((sender, "sender_id"), (recipient, "recipient_id"), at)
    }

    fn events(self, _cx: &Context, out: &mut Vec<Event>) {
        out.push(event(
            EventKind::FlirtSent,
            Self::TABLE,
            self.flirt_id,
            has(self.sent_at),
            has(self.sender_id),
            Payload::FlirtSent(events::FlirtSent {
                flirt_id: ids::entity("flirt", self.flirt_id).to_vec(),
                recipient_id: ids::member(has(self.recipient_id)).to_vec(),
                kind: self.kind.and_then(flirt_kind).map(str::to_owned),
                note: self.note,
                seen_at: self.seen_at,
            }),
        ));
    }

    fn repaired(&self) -> bool {
        !self.raw_texts.is_empty()
    }
}

/// A flirt's legacy kind code by name, as the events carry it; `None` for a
/// code that stands for nothing.
fn flirt_kind(code: u32) -> Option<&'static str> {
    match code {
        1 => Some("wink"),
        2 => Some("smile"),
        3 => Some("kiss"),
        4 => Some("rose"),
        _ => None,
    }
}

impl Row for legacy::Message {
    const KEY_FIELD: &'static str = "message_id";
    const TABLE: LegacyTable = LegacyTable::Messages;
    const MAX_EVENTS: u64 = 2;

    fn check(&self, cx: &Context) -> Check<()> {
        let sender = *need(&self.sender_id, "sender_id")?;
        let recipient = *need(&self.recipient_id, "recipient_id")?;
        need(&self.body, "body")?;
        let at = cx.date(need(&self.sent_at, "sent_at")?, "sent_at")?;
        cx.later(&self.read_at, at, "read_at")?;
        cx.pair((sender, "sender_id"), (recipient, "recipient_id"), at)
    }

    fn events(self, _cx: &Context, out: &mut Vec<Event>) {
        let (sender, recipient) = (has(self.sender_id), has(self.recipient_id));
        let message_id = ids::entity("message", self.message_id);
        let thread_id = ids::thread(sender, recipient);
        if let Some(read_at) = self.read_at {
            out.push(event(
                EventKind::MessageRead,
                Self::TABLE,
                self.message_id,
                read_at,
                recipient,
                Payload::MessageRead(events::MessageRead {
                    message_id: message_id.to_vec(),
                    thread_id: thread_id.to_vec(),
                    sender_id: ids::member(sender).to_vec(),
                }),
            ));
        }
        out.push(event(
            EventKind::MessageSent,
            Self::TABLE,
            self.message_id,
            has(self.sent_at),
            sender,
            Payload::MessageSent(events::MessageSent {
                message_id: message_id.to_vec(),
                thread_id: thread_id.to_vec(),
                recipient_id: ids::member(recipient).to_vec(),
                body: self.body.unwrap_or_default(),
                subject: self.subject,
                deleted_by_sender: self.deleted_by_sender.unwrap_or_default(),
                deleted_by_recipient: self.deleted_by_recipient.unwrap_or_default(),
            }),
        ));
    }

    fn repaired(&self) -> bool {
        !self.raw_texts.is_empty()
    }
}

impl Row for legacy::ProfileVisit {
    const KEY_FIELD: &'static str = "visit_id";
    const TABLE: LegacyTable = LegacyTable::ProfileVisits;
    const MAX_EVENTS: u64 = 1;

    fn check(&self, cx: &Context) -> Check<()> {
        let visitor = *need(&self.visitor_id, "visitor_id")?;
        let visited = *need(&self.visited_id, "visited_id")?;
        let at = cx.date(need(&self.visited_at, "visited_at")?, "visited_at")?;
        cx.pair((visitor, "visitor_id"), (visited, "visited_id"), at)
    }

    fn events(self, _cx: &Context, out: &mut Vec<Event>) {
        out.push(event(
            EventKind::ProfileVisited,
            Self::TABLE,
            self.visit_id,
            has(self.visited_at),
            has(self.visitor_id),
            Payload::ProfileVisited(events::ProfileVisited {
                visit_id: ids::entity("visit", self.visit_id).to_vec(),
                visited_id: ids::member(has(self.visited_id)).to_vec(),
            }),
        ));
    }
}
