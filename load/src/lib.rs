//! Load: event streams into RabbitMQ, or into one PostgreSQL database per
//! module.
//!
//! The layout, module by module:
//!
//! - `merge` ([`EventMerge`], [`Position`], [`MergeError`]): the
//!   transform's sorted runs merged into one global order, with bounded
//!   memory, and resumable at a [`Position`]; each event as the bytes its
//!   part holds plus an [`EventHead`] ([`FramedEvent`]), or decoded whole;
//!   the parts it has read through ([`PartRead`]), for bytes-read counts.
//!   The RabbitMQ loader reads it (PostgreSQL loads part by part, with no
//!   global order to keep).
//! - `modules` ([`MODULES`], [`ModuleSpec`], [`prefixed`]): the modules as
//!   data: name and the event kinds each consumes, and the one way a prefix
//!   joins a module's name into its queue or database name
//!   (`<prefix>_<module>`).
//! - [`rabbitmq`]: publishing with publisher confirms, per event or
//!   batched, resumed from a checkpoint and reconnecting when the broker
//!   goes away.
//! - [`postgres`]: COPY into per-module databases, each part exactly once.
//!
//! The two loaders keep their own namespaces, because each has its
//! `load`, `Progress`, options, report and error; everything else a caller
//! needs is here at the root.

mod merge;
mod modules;
pub mod postgres;
pub mod rabbitmq;

pub use merge::{EventHead, EventMerge, FramedEvent, MergeError, PartRead, Position};
pub use modules::{MODULES, ModuleSpec, consumers, prefixed};
