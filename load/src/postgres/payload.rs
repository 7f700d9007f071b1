//! An event's payload as JSON, for the audit log: written field by field,
//! since going through reflection costs several microseconds an event and
//! the audit log gets every event.

use pancake_proto::events::{Event, event::Payload, uuid_text};
use pancake_proto::record::{format_micros, timestamp_micros};
use prost_types::Timestamp;
use std::fmt::Write as _;

/// The payload's fields as a JSON object, with the .proto field names.
pub fn payload_json(event: &Event) -> String {
    use Payload::*;
    let mut json = Json::default();
    match &event.payload {
        None => {}
        Some(MemberRegistered(m)) => {
            json.text("nickname", &m.nickname);
            json.text("email", &m.email);
            json.text("gender", m.gender().as_str_name());
            if let Some(d) = &m.birth_date {
                json.raw(
                    "birth_date",
                    &format!("\"{:04}-{:02}-{:02}\"", d.year, d.month, d.day),
                );
            }
            if let Some(city) = &m.city {
                json.text("city", city);
            }
            if let Some(url) = &m.portrait_url {
                json.text("portrait_url", url);
            }
            if let Some(text) = &m.profile_text {
                json.text("profile_text", text);
            }
            if let Some(height) = m.height_cm {
                json.raw("height_cm", &height.to_string());
            }
            if let Some(t) = &m.last_login_at {
                json.time("last_login_at", t);
            }
        }
        Some(RegistrationApproved(_)) | Some(MemberDeleted(_)) => {}
        Some(FlirtSent(f)) => {
            json.id("flirt_id", &f.flirt_id);
            json.id("recipient_id", &f.recipient_id);
            if let Some(kind) = &f.kind {
                json.text("kind", kind);
            }
            if let Some(note) = &f.note {
                json.text("note", note);
            }
            if let Some(t) = &f.seen_at {
                json.time("seen_at", t);
            }
        }
        Some(MessageSent(m)) => {
            json.id("message_id", &m.message_id);
            json.id("thread_id", &m.thread_id);
            json.id("recipient_id", &m.recipient_id);
            json.text("body", &m.body);
            if let Some(subject) = &m.subject {
                json.text("subject", subject);
            }
            json.raw("deleted_by_sender", bool_text(m.deleted_by_sender));
            json.raw("deleted_by_recipient", bool_text(m.deleted_by_recipient));
        }
        Some(MessageRead(m)) => {
            json.id("message_id", &m.message_id);
            json.id("thread_id", &m.thread_id);
            json.id("sender_id", &m.sender_id);
        }
        Some(MemberBlocked(b)) => {
            json.id("block_id", &b.block_id);
            json.id("blocked_id", &b.blocked_id);
        }
        Some(MemberUnblocked(b)) => {
            json.id("block_id", &b.block_id);
            json.id("blocked_id", &b.blocked_id);
        }
        Some(FavoriteAdded(f)) => {
            json.id("favorite_id", &f.favorite_id);
            json.id("favorite_member_id", &f.favorite_member_id);
        }
        Some(FavoriteRemoved(f)) => {
            json.id("favorite_id", &f.favorite_id);
            json.id("favorite_member_id", &f.favorite_member_id);
        }
        Some(ProfileVisited(v)) => {
            json.id("visit_id", &v.visit_id);
            json.id("visited_id", &v.visited_id);
        }
        Some(PhotoUploaded(p)) => {
            json.id("photo_id", &p.photo_id);
            json.text("url", &p.url);
        }
        Some(PhotoLiked(l)) => {
            json.id("like_id", &l.like_id);
            json.id("photo_id", &l.photo_id);
            json.id("owner_id", &l.owner_id);
        }
    }
    json.finish()
}

fn bool_text(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

#[derive(Default)]
struct Json(String);

impl Json {
    fn key(&mut self, key: &str) {
        self.0.push(if self.0.is_empty() { '{' } else { ',' });
        self.0.push('"');
        self.0.push_str(key);
        self.0.push_str("\":");
    }

    fn raw(&mut self, key: &str, value: &str) {
        self.key(key);
        self.0.push_str(value);
    }

    /// An id, as its UUID text (what the audit log has always shown).
    fn id(&mut self, key: &str, value: &[u8]) {
        self.key(key);
        self.0.push('"');
        self.0.push_str(&uuid_text(value));
        self.0.push('"');
    }

    fn text(&mut self, key: &str, value: &str) {
        self.key(key);
        self.0.push('"');
        for c in value.chars() {
            match c {
                '"' => self.0.push_str("\\\""),
                '\\' => self.0.push_str("\\\\"),
                '\n' => self.0.push_str("\\n"),
                '\r' => self.0.push_str("\\r"),
                '\t' => self.0.push_str("\\t"),
                // jsonb cannot hold \u0000; the COPY encoder would replace
                // it anyway.
                '\0' => self.0.push('\u{FFFD}'),
                c if (c as u32) < 0x20 => {
                    let _ = write!(self.0, "\\u{:04x}", c as u32);
                }
                c => self.0.push(c),
            }
        }
        self.0.push('"');
    }

    /// A time as the proto JSON mapping writes it: RFC 3339 in UTC.
    fn time(&mut self, key: &str, t: &Timestamp) {
        self.text(key, &format_micros(timestamp_micros(t)));
    }

    fn finish(mut self) -> String {
        if self.0.is_empty() {
            return "{}".into();
        }
        self.0.push('}');
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pancake_proto::events::MessageSent;

    #[test]
    fn the_payload_is_valid_json_with_awkward_text() {
        let event = Event {
            payload: Some(Payload::MessageSent(MessageSent {
                message_id: vec![0x0a; 16],
                thread_id: vec![0x0b; 16],
                recipient_id: vec![0x0c; 16],
                body: "say \"hi\"\\ \n\t\u{1}🥞".into(),
                subject: Some("re: \"pancakes\"".into()),
                deleted_by_sender: false,
                deleted_by_recipient: true,
            })),
            ..Event::default()
        };
        let json: serde_json::Value = serde_json::from_str(&payload_json(&event)).unwrap();
        assert_eq!(json["body"], "say \"hi\"\\ \n\t\u{1}🥞");
        assert_eq!(json["message_id"], "0a0a0a0a-0a0a-0a0a-0a0a-0a0a0a0a0a0a");
        assert_eq!(json["recipient_id"], "0c0c0c0c-0c0c-0c0c-0c0c-0c0c0c0c0c0c");
        assert_eq!(json["subject"], "re: \"pancakes\"");
        assert_eq!(json["deleted_by_sender"], false);
        assert_eq!(json["deleted_by_recipient"], true);
        assert_eq!(payload_json(&Event::default()), "{}");
    }

    #[test]
    fn new_fields_are_written_only_when_present_and_times_as_rfc_3339() {
        use pancake_proto::events::{FlirtSent, MemberRegistered};
        const F: &str = "0f0f0f0f-0f0f-0f0f-0f0f-0f0f0f0f0f0f";
        const R: &str = "eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee";
        let at = |seconds| Some(Timestamp { seconds, nanos: 0 });
        let flirt = |kind: Option<&str>, seen| Event {
            payload: Some(Payload::FlirtSent(FlirtSent {
                flirt_id: vec![0xf; 16],
                recipient_id: vec![0xee; 16],
                kind: kind.map(Into::into),
                note: kind.map(|_| "hi 🌹".into()),
                seen_at: seen,
            })),
            ..Event::default()
        };
        let json =
            |e: &Event| -> serde_json::Value { serde_json::from_str(&payload_json(e)).unwrap() };
        assert_eq!(
            json(&flirt(Some("rose"), at(1_600_000_000))),
            serde_json::json!({
                "flirt_id": F,
                "recipient_id": R,
                "kind": "rose",
                "note": "hi 🌹",
                "seen_at": "2020-09-13T12:26:40Z",
            })
        );
        assert_eq!(
            json(&flirt(None, None)),
            serde_json::json!({"flirt_id": F, "recipient_id": R})
        );
        let member = Event {
            payload: Some(Payload::MemberRegistered(MemberRegistered {
                profile_text: Some("about\nme".into()),
                height_cm: Some(181),
                last_login_at: Some(Timestamp {
                    seconds: 1_600_000_000,
                    nanos: 500_000_000,
                }),
                ..MemberRegistered::default()
            })),
            ..Event::default()
        };
        let m = json(&member);
        assert_eq!(m["profile_text"], "about\nme");
        assert_eq!(m["height_cm"], 181);
        assert_eq!(m["last_login_at"], "2020-09-13T12:26:40.500Z");
    }
}
