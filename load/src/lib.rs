//! Load: event streams into RabbitMQ, or into one PostgreSQL database per
//! module.
//!
//! - [`modules`]: the modules as data: name and the event kinds each consumes.
//! - [`merge`]: the transform's sorted runs merged into one global order.
//! - [`rabbitmq`]: publishing with publisher confirms, per event or batched.
//! - [`postgres`]: COPY into per-module databases, each part exactly once.

pub mod merge;
pub mod modules;
pub mod postgres;
pub mod rabbitmq;
