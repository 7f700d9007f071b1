//! Changes to a part's bytes: byte-level damage, and changes that know the
//! framing (length prefixes, header, trailer, whole frames), so that cases
//! get past the gzip and header checks into the records.

use pancake_proto::dump::{PartHeader, PartTrailer};
use pancake_proto::events::{Event, Reject};
use pancake_proto::legacy::{self, DirtyRow};
use pancake_proto::part::MAX_RECORD_BYTES;
use pancake_proto::{PartLimits, Record};
use proptest::prelude::*;

/// A change to a part's bytes. Positions and frame numbers are taken modulo
/// what there is.
#[derive(Debug, Clone)]
pub enum Mutation {
    Flip {
        at: usize,
        mask: u8,
    },
    Truncate {
        at: usize,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    Remove {
        at: usize,
        len: usize,
    },
    /// Sets the length prefix of a frame, keeping its body.
    Prefix {
        frame: usize,
        length: u64,
    },
    /// Inserts a frame that claims `length` bytes, followed by a few.
    HugeFrame {
        frame: usize,
        length: u64,
    },
    /// Rewrites the trailer (the last frame) with other counts.
    Trailer {
        count: Option<u64>,
        bytes: Option<u64>,
        checksum: Option<u64>,
    },
    /// Rewrites the header (the first frame).
    Header {
        version: Option<u32>,
        kind: Option<i32>,
        part: Option<u32>,
        table: Option<String>,
        record_type: Option<String>,
    },
    DropFrame {
        frame: usize,
    },
    RepeatFrame {
        frame: usize,
    },
}

/// Lengths a hostile prefix might claim.
fn length() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..300,
        Just(1 << 40),
        Just(u64::MAX),
        (MAX_RECORD_BYTES - 2)..(MAX_RECORD_BYTES + 3),
        Just(64 * 1024 + 1),
        any::<u64>(),
    ]
}

/// Counts a hostile trailer or manifest might claim.
pub fn count() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..500,
        Just(1_000_000_000_000_000),
        Just(PartLimits::MAX_RECORDS),
        Just(PartLimits::MAX_RECORDS + 1),
        Just(u64::MAX),
        any::<u64>(),
    ]
}

pub fn record_type() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(legacy::Message::TYPE_NAME.to_owned()),
        Just(legacy::Member::TYPE_NAME.to_owned()),
        Just(Event::TYPE_NAME.to_owned()),
        Just(Reject::TYPE_NAME.to_owned()),
        Just(DirtyRow::TYPE_NAME.to_owned()),
        "[a-zA-Z.]{0,20}",
    ]
}

/// Any mutation, every kind as likely: the byte-level ones and those that
/// know the framing.
pub fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => raw_mutation(),
        1 => (any::<usize>(), length()).prop_map(|(frame, length)| Mutation::Prefix { frame, length }),
        1 => (any::<usize>(), length())
            .prop_map(|(frame, length)| Mutation::HugeFrame { frame, length }),
        1 => (
            prop::option::of(count()),
            prop::option::of(count()),
            prop::option::of(any::<u64>())
        )
            .prop_map(|(count, bytes, checksum)| Mutation::Trailer {
                count,
                bytes,
                checksum
            }),
        1 => (
            prop::option::of(prop_oneof![Just(1u32), any::<u32>()]),
            prop::option::of(-1..4i32),
            prop::option::of(prop_oneof![Just(0u32), any::<u32>()]),
            prop::option::of("[a-z_]{0,12}"),
            prop::option::of(record_type()),
        )
            .prop_map(
                |(version, kind, part, table, record_type)| Mutation::Header {
                    version,
                    kind,
                    part,
                    table,
                    record_type,
                }
            ),
        1 => any::<usize>().prop_map(|frame| Mutation::DropFrame { frame }),
        1 => any::<usize>().prop_map(|frame| Mutation::RepeatFrame { frame }),
    ]
}

/// The byte-level mutations, for the compressed file.
pub fn raw_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 1..64usize).prop_map(|(at, len)| Mutation::Remove { at, len }),
    ]
}

/// `bytes` with each of `mutations` applied in turn.
pub fn mutated(bytes: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for m in mutations {
        apply(&mut out, m);
    }
    out
}

pub fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let pick = |n: usize, len: usize| if len == 0 { 0 } else { n % len };
    let len = bytes.len();
    let frames = frames(bytes);
    let frame = |n: usize| (!frames.is_empty()).then(|| frames[n % frames.len()]);
    match mutation {
        Mutation::Flip { at, mask } => {
            if len > 0 {
                bytes[at % len] ^= mask;
            }
        }
        Mutation::Truncate { at } => bytes.truncate(pick(*at, len + 1)),
        Mutation::Insert { at, bytes: new } => {
            let at = pick(*at, len + 1);
            bytes.splice(at..at, new.iter().copied());
        }
        Mutation::Remove { at, len: n } => {
            let at = pick(*at, len + 1);
            bytes.drain(at..(at + n).min(len));
        }
        Mutation::Prefix { frame: n, length } => {
            if let Some((start, prefix, _)) = frame(*n) {
                bytes.splice(start..start + prefix, varint(*length));
            }
        }
        Mutation::HugeFrame { frame: n, length } => {
            let at = frame(*n).map_or(len, |(start, _, _)| start);
            let mut new = varint(*length);
            new.extend_from_slice(&[0x08, 0x01, 0x12, 0x00]);
            bytes.splice(at..at, new);
        }
        Mutation::Trailer {
            count,
            bytes: record_bytes,
            checksum,
        } => {
            if let Some(last) = frames.last().copied() {
                rewrite(bytes, last, |trailer: &mut PartTrailer| {
                    trailer.record_count = count.unwrap_or(trailer.record_count);
                    trailer.record_bytes = record_bytes.unwrap_or(trailer.record_bytes);
                    trailer.checksum = checksum.unwrap_or(trailer.checksum);
                });
            }
        }
        Mutation::Header {
            version,
            kind,
            part,
            table,
            record_type,
        } => {
            if let Some(first) = frames.first().copied() {
                rewrite(bytes, first, |header: &mut PartHeader| {
                    header.format_version = version.unwrap_or(header.format_version);
                    header.kind = kind.unwrap_or(header.kind);
                    header.part_number = part.unwrap_or(header.part_number);
                    if let Some(table) = table {
                        header.table = table.clone();
                    }
                    if let Some(record_type) = record_type {
                        header.record_type = record_type.clone();
                    }
                });
            }
        }
        Mutation::DropFrame { frame: n } => {
            if let Some((start, prefix, body)) = frame(*n) {
                bytes.drain(start..start + prefix + body);
            }
        }
        Mutation::RepeatFrame { frame: n } => {
            if let Some((start, prefix, body)) = frame(*n) {
                let copy = bytes[start..start + prefix + body].to_vec();
                bytes.splice(start..start, copy);
            }
        }
    }
}

/// Rewrites the message `M` in the frame (start, prefix length, body length)
/// of `bytes`: decoded (a default one if it does not decode), changed, and
/// framed again in its place.
fn rewrite<M: prost::Message + Default>(
    bytes: &mut Vec<u8>,
    (start, prefix, body): (usize, usize, usize),
    change: impl FnOnce(&mut M),
) {
    let end = start + prefix + body;
    let mut message = M::decode(&bytes[start + prefix..end]).unwrap_or_default();
    change(&mut message);
    bytes.splice(start..end, message.encode_length_delimited_to_vec());
}

fn varint(value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    prost::encoding::encode_varint(value, &mut out);
    out
}

/// The frames of a stream: (start, prefix length, body length), as far as
/// they parse.
fn frames(plain: &[u8]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < plain.len() {
        let mut rest = &plain[at..];
        let before = rest.len();
        let Ok(len) = prost::encoding::decode_varint(&mut rest) else {
            break;
        };
        let prefix = before - rest.len();
        let Ok(len) = usize::try_from(len) else { break };
        if len > rest.len() {
            break;
        }
        out.push((at, prefix, len));
        at += prefix + len;
    }
    out
}
