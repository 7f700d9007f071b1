//! The event stream manifest's `transform` section lives in the contract
//! crate, where `verify` and `inspect` read it too.

pub use pancake_proto::accounting::{TableAccount, TransformSection};
