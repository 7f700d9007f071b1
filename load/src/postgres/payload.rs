//! An event's payload for the audit log: the protobuf bytes of an `Event`
//! holding only its payload (the audit columns hold the rest), compressed
//! as one zstd frame with a dictionary trained on the stream's own
//! payloads.
//!
//! PostgreSQL compresses nothing in a row under about 2 KB, and most of
//! the audit log is message bodies of a few hundred bytes that the chat
//! module keeps as text too. Compressed one by one, such short texts
//! shrink little; against a dictionary of what the stream's payloads look
//! like, they shrink by about half. The dictionary is kept in the audit
//! database (`payload_dictionaries`, keyed by the id every frame's header
//! carries), so a reader needs nothing else:
//!
//! ```text
//! Event::decode(zstd_decompress(payload, dictionary of the frame's id)).payload
//! ```
//!
//! ([`decompress_payload`] does the first step). A stream too small to
//! train on gets frames without a dictionary (id 0).

use pancake_proto::events::Event;
use std::sync::Arc;
use zstd::zstd_safe::{self, CCtx, CDict, DCtx};

/// The zstd level payloads are compressed at: with a dictionary, level 1
/// keeps nine tenths of level 3's saving on message bodies at about twice
/// the speed, and the decoder thread that compresses is on the load's
/// critical path.
pub const PAYLOAD_LEVEL: i32 = 1;

/// The largest dictionary trained: zstd's own default, which is where the
/// saving on short messages stops growing on finland.
pub const DICTIONARY_MAX: usize = 64 * 1024;

/// The most payload bytes the dictionary is trained on (zstd advises about
/// a hundred times the dictionary's size; this is half that, for speed).
pub const SAMPLE_BYTES: usize = 3 << 20;

/// The largest payload [`decompress_payload`] will produce: far above any
/// event's (a message body is at most 2,000 characters), so a damaged
/// frame cannot ask for unbounded memory.
pub const PAYLOAD_MAX: u64 = 1 << 20;

/// The payload as the bytes of an `Event` with no other field set: the
/// oneof is encoded with its field tag, as in the whole event's encoding.
pub fn payload_bytes(event: &Event) -> Vec<u8> {
    let mut bytes = Vec::new();
    payload_bytes_into(event, &mut bytes);
    bytes
}

fn payload_bytes_into(event: &Event, bytes: &mut Vec<u8>) {
    bytes.clear();
    if let Some(payload) = &event.payload {
        bytes.reserve(payload.encoded_len());
        payload.encode(bytes);
    }
}

/// How a module database's payloads are compressed: with the dictionary
/// it keeps, or (a stream too small to train on) without one.
pub struct PayloadCodec {
    dictionary: Option<Dictionary>,
}

struct Dictionary {
    id: u32,
    bytes: Vec<u8>,
    prepared: CDict<'static>,
}

impl std::fmt::Debug for PayloadCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.dictionary {
            Some(d) => write!(
                f,
                "PayloadCodec(dictionary {}, {} bytes)",
                d.id,
                d.bytes.len()
            ),
            None => f.write_str("PayloadCodec(no dictionary)"),
        }
    }
}

impl PayloadCodec {
    /// Frames without a dictionary.
    pub fn plain() -> PayloadCodec {
        PayloadCodec { dictionary: None }
    }

    /// Frames compressed with `bytes`, a zstd dictionary (as
    /// `payload_dictionaries` keeps it). `None` when `bytes` is not one.
    pub fn with_dictionary(bytes: Vec<u8>) -> Option<PayloadCodec> {
        let id = zstd_safe::get_dict_id(&bytes)?.get();
        let prepared = CDict::try_create(&bytes, PAYLOAD_LEVEL)?;
        Some(PayloadCodec {
            dictionary: Some(Dictionary {
                id,
                bytes,
                prepared,
            }),
        })
    }

    /// A dictionary trained on `samples` (payloads as [`payload_bytes`]
    /// makes them), or frames without one when they are too few or too
    /// alike to train on. The same samples give the same dictionary.
    pub fn train(samples: &[Vec<u8>]) -> PayloadCodec {
        let total: usize = samples.iter().map(Vec::len).sum();
        // A dictionary is worth its bytes when it is small beside the data.
        let size = (total / 16).min(DICTIONARY_MAX);
        if samples.len() < 64 || size < 1024 {
            return PayloadCodec::plain();
        }
        zstd::dict::from_samples(samples, size)
            .ok()
            .and_then(PayloadCodec::with_dictionary)
            .unwrap_or_else(PayloadCodec::plain)
    }

    /// The dictionary's id (as every frame's header carries it) and bytes.
    pub fn dictionary(&self) -> Option<(u32, &[u8])> {
        self.dictionary.as_ref().map(|d| (d.id, d.bytes.as_slice()))
    }
}

/// Compresses payloads with one codec: a zstd context of its own, so each
/// decoding thread has one and they share the dictionary.
pub struct PayloadCompressor {
    codec: Arc<PayloadCodec>,
    context: CCtx<'static>,
    encoded: Vec<u8>,
}

impl std::fmt::Debug for PayloadCompressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PayloadCompressor({:?})", self.codec)
    }
}

impl PayloadCompressor {
    pub fn new(codec: Arc<PayloadCodec>) -> PayloadCompressor {
        PayloadCompressor {
            codec,
            context: CCtx::create(),
            encoded: Vec::new(),
        }
    }

    /// The event's payload as the audit log keeps it: one zstd frame. Fails
    /// only when zstd cannot get memory; the message is zstd's.
    pub fn compress(&mut self, event: &Event) -> Result<Vec<u8>, &'static str> {
        payload_bytes_into(event, &mut self.encoded);
        let mut frame = Vec::with_capacity(zstd_safe::compress_bound(self.encoded.len()));
        let done = match &self.codec.dictionary {
            Some(d) => self
                .context
                .compress_using_cdict(&mut frame, &self.encoded, &d.prepared),
            None => self
                .context
                .compress(&mut frame, &self.encoded, PAYLOAD_LEVEL),
        };
        done.map_err(zstd_safe::get_error_name)?;
        Ok(frame)
    }
}

/// A payload that cannot be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("the payload is not a zstd frame with its size in the header")]
    NotAFrame,
    #[error("the payload's frame says {0} bytes, more than any payload ({PAYLOAD_MAX})")]
    TooLarge(u64),
    #[error("the payload's frame needs dictionary {0}, which was not given")]
    NoDictionary(u32),
    #[error("the payload's frame does not decompress: {0}")]
    Corrupt(&'static str),
}

/// The protobuf bytes inside an audit payload frame. `dictionary` is the
/// one the frame names (its id in `payload_dictionaries`); a frame that
/// names none needs none.
pub fn decompress_payload(
    frame: &[u8],
    dictionary: Option<&[u8]>,
) -> Result<Vec<u8>, PayloadError> {
    let size = match zstd_safe::get_frame_content_size(frame) {
        Ok(Some(size)) => size,
        _ => return Err(PayloadError::NotAFrame),
    };
    if size > PAYLOAD_MAX {
        return Err(PayloadError::TooLarge(size));
    }
    let needed = zstd_safe::get_dict_id_from_frame(frame).map(|id| id.get());
    let dictionary = match (needed, dictionary) {
        (Some(id), None) => return Err(PayloadError::NoDictionary(id)),
        (Some(_), Some(d)) => d,
        (None, _) => &[][..],
    };
    let mut out = Vec::with_capacity(size as usize);
    DCtx::create()
        .decompress_using_dict(&mut out, frame, dictionary)
        .map_err(|code| PayloadError::Corrupt(zstd_safe::get_error_name(code)))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pancake_proto::events::{MessageSent, event::Payload};
    use prost::Message as _;

    #[test]
    fn the_payload_decodes_to_the_same_payload_and_nothing_else() {
        let event = Event {
            event_id: vec![0x01; 16],
            member_id: vec![0x02; 16],
            payload: Some(Payload::MessageSent(MessageSent {
                message_id: vec![0x0a; 16],
                thread_id: vec![0x0b; 16],
                recipient_id: vec![0x0c; 16],
                body: "say \"hi\"\\ \n\t\u{1}\0🥞".into(),
                subject: Some("re: pancakes".into()),
                deleted_by_sender: false,
                deleted_by_recipient: true,
            })),
            ..Event::default()
        };
        let back = Event::decode(payload_bytes(&event).as_slice()).unwrap();
        assert_eq!(back.payload, event.payload);
        assert_eq!(
            back,
            Event {
                payload: event.payload.clone(),
                ..Event::default()
            }
        );
        assert!(payload_bytes(&Event::default()).is_empty());
    }

    /// Messages that look alike, as a stream's do: words from one
    /// vocabulary, a few ids.
    fn message(n: u32) -> Event {
        const WORDS: [&str; 12] = [
            "hello", "pancake", "tonight", "coffee", "maybe", "weekend", "really", "funny",
            "where", "photo", "thanks", "again",
        ];
        let body: Vec<&str> = (0..(8 + n % 40))
            .map(|i| WORDS[((n.wrapping_mul(31) + i * 7) % 12) as usize])
            .collect();
        Event {
            payload: Some(Payload::MessageSent(MessageSent {
                message_id: n.to_le_bytes().repeat(4),
                thread_id: (n / 7).to_le_bytes().repeat(4),
                recipient_id: (n % 97).to_le_bytes().repeat(4),
                body: body.join(" "),
                subject: None,
                deleted_by_sender: n.is_multiple_of(5),
                deleted_by_recipient: false,
            })),
            ..Event::default()
        }
    }

    #[test]
    fn a_trained_dictionary_shrinks_payloads_and_they_read_back_with_it() {
        let samples: Vec<Vec<u8>> = (0..2000).map(|n| payload_bytes(&message(n))).collect();
        let codec = Arc::new(PayloadCodec::train(&samples));
        let (id, dictionary) = codec.dictionary().expect("enough samples to train on");
        assert_ne!(id, 0);
        // The same samples, the same dictionary: a resumed load could
        // retrain and match (it reads the stored one instead).
        assert_eq!(
            PayloadCodec::train(&samples).dictionary(),
            Some((id, dictionary))
        );
        let plain = Arc::new(PayloadCodec::plain());
        let (mut with, mut without) = (
            PayloadCompressor::new(codec.clone()),
            PayloadCompressor::new(plain),
        );
        let (mut raw, mut small, mut big) = (0, 0, 0);
        for n in 5000..5200 {
            let event = message(n);
            let frame = with.compress(&event).unwrap();
            let back = decompress_payload(&frame, Some(dictionary)).unwrap();
            assert_eq!(back, payload_bytes(&event));
            assert_eq!(
                Event::decode(back.as_slice()).unwrap().payload,
                event.payload
            );
            assert_eq!(
                decompress_payload(&frame, None),
                Err(PayloadError::NoDictionary(id))
            );
            raw += back.len();
            small += frame.len();
            big += without.compress(&event).unwrap().len();
        }
        assert!(
            small * 2 < big,
            "{small} bytes with the dictionary, {big} without"
        );
        assert!(big < raw, "{big} bytes compressed, {raw} raw");
    }

    #[test]
    fn too_few_samples_give_frames_without_a_dictionary() {
        let samples: Vec<Vec<u8>> = (0..10).map(|n| payload_bytes(&message(n))).collect();
        let codec = Arc::new(PayloadCodec::train(&samples));
        assert!(codec.dictionary().is_none());
        let event = message(3);
        let frame = PayloadCompressor::new(codec).compress(&event).unwrap();
        assert_eq!(
            decompress_payload(&frame, None).unwrap(),
            payload_bytes(&event)
        );
        // An event without a payload is an empty frame, not nothing.
        let empty = PayloadCompressor::new(Arc::new(PayloadCodec::plain()))
            .compress(&Event::default())
            .unwrap();
        assert!(!empty.is_empty());
        assert_eq!(decompress_payload(&empty, None).unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn a_damaged_frame_is_an_error_not_a_panic_or_a_huge_allocation() {
        let event = message(11);
        let frame = PayloadCompressor::new(Arc::new(PayloadCodec::plain()))
            .compress(&event)
            .unwrap();
        assert_eq!(
            decompress_payload(b"not zstd", None),
            Err(PayloadError::NotAFrame)
        );
        assert_eq!(decompress_payload(&[], None), Err(PayloadError::NotAFrame));
        // A header claiming 4 GB: refused before anything is allocated.
        let mut huge = vec![0x28, 0xb5, 0x2f, 0xfd, 0x80 | 0x20, 0, 0, 0, 0xff];
        huge.extend_from_slice(&frame[6..]);
        assert!(matches!(
            decompress_payload(&huge, None),
            Err(PayloadError::TooLarge(_)) | Err(PayloadError::NotAFrame)
        ));
        let mut cut = frame.clone();
        cut.truncate(frame.len() - 2);
        assert!(matches!(
            decompress_payload(&cut, None),
            Err(PayloadError::Corrupt(_))
        ));
    }
}
