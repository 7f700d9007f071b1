//! Publishing an event stream to RabbitMQ with publisher confirms.
//!
//! Events come out of the k-way [`merge`](crate::EventMerge) in global time
//! order. In per-event mode each event is one persistent message on a
//! durable topic exchange, routed by its kind; in batched mode each module
//! gets messages of up to N of the events it consumes, routed to its queue
//! alone (`batch.<module>`). A body is the event's bytes as the stream holds
//! them, a batch's their concatenation as `EventBatch`: the loader decodes
//! only each event's head (ids, kind, time), never the whole event, and
//! encodes nothing again. Either way at most `confirm_window` messages are
//! unconfirmed at any time: a nacked message is published again, a returned
//! (unroutable) one is counted and reported.
//!
//! Before the first message goes out, every part the load will read is
//! checked against its trailer and the manifest, so a damaged stream fails
//! with nothing published. The checkpoint names the target it belongs to
//! (broker, vhost, exchange, mode, queue prefix) and the event stream, and is
//! only ever used for that same target and stream.
//!
//! The files, in the order a load meets them:
//!
//! - `options.rs`: [`RabbitOptions`], the defaults, and the settings refused
//!   because they would break the order a queue needs.
//! - `url.rs`: [`AmqpTarget`], an AMQP URL parsed and shown without its
//!   password.
//! - `connect.rs`: [`connect`] within a timeout, each way it fails told
//!   apart (refused, login, vhost, timeout).
//! - `topology.rs`: the exchange, one queue per module (`<prefix>_<module>`)
//!   or the stream (`<prefix>_stream`), their bindings, and the publishing
//!   channels.
//! - `checkpoint.rs`: [`Checkpoint`], where a load stands, for the one
//!   [`LoadTarget`] and [`StreamIdentity`] it was taken on.
//! - `check.rs`: every part the load will read checked before anything is
//!   published.
//! - `message.rs` and `batch.rs`: an event as one message, and a module's
//!   events as one `EventBatch` message.
//! - `publisher.rs`: the confirm window. Publishes through a
//!   `ConfirmChannel` (the broker's channel, or a fake in its unit tests),
//!   publishes a nacked message again, and saves the checkpoint once every
//!   message before a mark is confirmed.
//! - `run.rs`: [`load`], the two loops: one per connection (reconnecting
//!   with backoff when a connection that worked is lost) and one per event.
//! - `progress.rs`: [`Progress`], what a load tells a display, and
//!   [`Retry`], the line for each reconnect.
//! - `report.rs`: [`RabbitReport`], what a load did.
//! - `ceiling.rs`: [`bare_publish`], the broker's pace with nothing else to
//!   do, for the benches.
//! - `errors.rs`: [`RabbitError`], each naming the broker and what to do,
//!   never the password.

mod batch;
mod ceiling;
mod check;
mod checkpoint;
mod connect;
mod errors;
mod message;
mod options;
mod progress;
mod publisher;
mod report;
mod run;
mod topology;
mod url;

pub use ceiling::{CeilingReport, bare_publish, bare_publish_up_to};
pub use checkpoint::{Checkpoint, IgnoredCheckpoint, LoadTarget, StreamIdentity};
pub use connect::{connect, connect_within};
pub use errors::RabbitError;
pub use message::SCHEMA_VERSION;
pub use options::{DEFAULT_AMQP_URL, DEFAULT_CONNECT_TIMEOUT, RabbitOptions};
pub use progress::{Progress, Retry};
pub use report::RabbitReport;
pub use run::load;
pub use topology::{STREAM, declare, delete_topology, queue_name};
pub use url::AmqpTarget;
