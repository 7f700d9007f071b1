//! An event's payload as JSON, for the audit log: written field by field,
//! since going through reflection costs several microseconds an event and
//! the audit log gets every event.

use pancake_proto::events::{Event, event::Payload};
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
        }
        Some(RegistrationApproved(_)) | Some(MemberDeleted(_)) => {}
        Some(FlirtSent(f)) => {
            json.text("flirt_id", &f.flirt_id);
            json.text("recipient_id", &f.recipient_id);
        }
        Some(MessageSent(m)) => {
            json.text("message_id", &m.message_id);
            json.text("thread_id", &m.thread_id);
            json.text("recipient_id", &m.recipient_id);
            json.text("body", &m.body);
        }
        Some(MessageRead(m)) => {
            json.text("message_id", &m.message_id);
            json.text("thread_id", &m.thread_id);
            json.text("sender_id", &m.sender_id);
        }
        Some(MemberBlocked(b)) => {
            json.text("block_id", &b.block_id);
            json.text("blocked_id", &b.blocked_id);
        }
        Some(MemberUnblocked(b)) => {
            json.text("block_id", &b.block_id);
            json.text("blocked_id", &b.blocked_id);
        }
        Some(FavoriteAdded(f)) => {
            json.text("favorite_id", &f.favorite_id);
            json.text("favorite_member_id", &f.favorite_member_id);
        }
        Some(FavoriteRemoved(f)) => {
            json.text("favorite_id", &f.favorite_id);
            json.text("favorite_member_id", &f.favorite_member_id);
        }
        Some(ProfileVisited(v)) => {
            json.text("visit_id", &v.visit_id);
            json.text("visited_id", &v.visited_id);
        }
        Some(PhotoUploaded(p)) => {
            json.text("photo_id", &p.photo_id);
            json.text("url", &p.url);
        }
        Some(PhotoLiked(l)) => {
            json.text("like_id", &l.like_id);
            json.text("photo_id", &l.photo_id);
            json.text("owner_id", &l.owner_id);
        }
    }
    json.finish()
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
                message_id: "m".into(),
                thread_id: "t".into(),
                recipient_id: "r".into(),
                body: "say \"hi\"\\ \n\t\u{1}🥞".into(),
            })),
            ..Event::default()
        };
        let json: serde_json::Value = serde_json::from_str(&payload_json(&event)).unwrap();
        assert_eq!(json["body"], "say \"hi\"\\ \n\t\u{1}🥞");
        assert_eq!(json["message_id"], "m");
        assert_eq!(payload_json(&Event::default()), "{}");
    }
}
