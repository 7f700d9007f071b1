//! Name-based UUIDs (version 5) for members, entities, threads and events,
//! as the 16 bytes event contract v2 carries.
//!
//! The same legacy key always gives the same UUID, on any machine and in
//! any run, so every load downstream can be idempotent: a re-published event
//! has the same message id, a re-loaded row the same primary key. They are
//! the very UUIDs contract v1 carried as text.
//!
//! Hashed with the `sha1` crate, which uses the CPU's SHA instructions where
//! it has them; the `uuid` crate's own v5 (in the tests, pinning the ids)
//! hashes in portable code, 3% of the transform's time in the v1 profile.

use sha1::{Digest, Sha1};
use std::io::Write as _;
use std::sync::LazyLock;

/// A UUID's 16 bytes.
pub type Id = [u8; 16];

/// pancake's namespace: UUIDv5 of the URL namespace and "pancake:legacy:v1"
/// (v1 of the legacy ids, not of the event contract: the ids never change).
static NAMESPACE: LazyLock<Sha1> = LazyLock::new(|| {
    // The URL namespace, RFC 4122 appendix C.
    const URL: Id = [
        0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30,
        0xc8,
    ];
    let namespace = v5(Sha1::new().chain_update(URL), b"pancake:legacy:v1");
    Sha1::new().chain_update(namespace)
});

/// UUIDv5 of `name` in the namespace `hasher` already holds (RFC 4122 4.3).
fn v5(hasher: Sha1, name: &[u8]) -> Id {
    let hash = hasher.chain_update(name).finalize();
    let mut id: Id = hash[..16].try_into().expect("SHA-1 gives 20 bytes");
    id[6] = (id[6] & 0x0f) | 0x50;
    id[8] = (id[8] & 0x3f) | 0x80;
    id
}

/// The UUID of the name `format_args` writes, without allocating: every
/// name fits 96 bytes (a kind, a table and two 64-bit numbers at most).
fn named(args: std::fmt::Arguments) -> Id {
    let mut buf = [0u8; 96];
    let mut cursor = &mut buf[..];
    cursor
        .write_fmt(args)
        .expect("every id's name fits 96 bytes");
    let len = 96 - cursor.len();
    v5(NAMESPACE.clone(), &buf[..len])
}

/// A member, from the legacy member id.
pub fn member(id: i32) -> Id {
    named(format_args!("member:{id}"))
}

/// An entity of a legacy table (`"message"`, `"photo"`, ...) by its key.
pub fn entity(kind: &str, key: i64) -> Id {
    named(format_args!("{kind}:{key}"))
}

/// The thread two members write in, whoever writes first.
pub fn thread(a: i32, b: i32) -> Id {
    let (low, high) = if a <= b { (a, b) } else { (b, a) };
    named(format_args!("thread:{low}:{high}"))
}

/// An event: its kind and the legacy row it came from.
pub fn event(kind: &str, table: &str, key: i64) -> Id {
    named(format_args!("event:{kind}:{table}:{key}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    /// The uuid crate's v5, as v1 of the contract derived every id.
    fn reference(name: &str) -> Id {
        let namespace = Uuid::new_v5(&Uuid::NAMESPACE_URL, b"pancake:legacy:v1");
        *Uuid::new_v5(&namespace, name.as_bytes()).as_bytes()
    }

    #[test]
    fn ids_are_stable_and_distinct() {
        assert_eq!(member(1), member(1));
        assert_ne!(member(1), member(2));
        assert_eq!(thread(3, 9), thread(9, 3));
        assert_ne!(thread(3, 9), thread(3, 8));
        assert_ne!(entity("message", 5), entity("flirt", 5));
        assert_ne!(
            event("message-sent", "messages", 5),
            event("message-read", "messages", 5)
        );
        assert_eq!(member(1)[6] >> 4, 5, "version 5");
        assert_eq!(member(1)[8] >> 6, 0b10, "RFC 4122 variant");
    }

    #[test]
    fn the_ids_are_those_of_contract_v1() {
        // Pinned: changing how ids are derived breaks idempotent loads.
        assert_eq!(member(42), reference("member:42"));
        assert_eq!(member(-7), reference("member:-7"));
        assert_eq!(thread(9, 3), reference("thread:3:9"));
        assert_eq!(
            entity("photo-like", 5_000_000_001),
            reference("photo-like:5000000001")
        );
        assert_eq!(
            event("message-read", "messages", i64::MIN),
            reference(&format!("event:message-read:messages:{}", i64::MIN))
        );
        assert_eq!(
            Uuid::from_bytes(member(42)).to_string(),
            Uuid::new_v5(
                &Uuid::new_v5(&Uuid::NAMESPACE_URL, b"pancake:legacy:v1"),
                b"member:42"
            )
            .to_string()
        );
    }
}
