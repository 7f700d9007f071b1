//! Load: event streams into RabbitMQ (and, next, per-module PostgreSQL
//! databases).
//!
//! - [`modules`]: the modules as data: name and the event kinds each consumes.
//! - [`merge`]: the transform's sorted runs merged into one global order.
//! - [`rabbitmq`]: publishing with publisher confirms, per event or batched.

pub mod merge;
pub mod modules;
pub mod rabbitmq;
