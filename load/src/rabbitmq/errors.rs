//! What can stop a load: each error names the broker (`host:port`, never
//! the password) or the file, and says what to do. A message quotes its
//! cause and does not also return it from `source()`.

use super::url::AmqpTarget;
use pancake_proto::IoError;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum RabbitError {
    #[error(transparent)]
    Merge(#[from] crate::merge::MergeError),

    #[error(transparent)]
    Manifest(#[from] pancake_proto::ManifestError),

    #[error(
        "cannot connect to RabbitMQ at {addr}: connection refused. Is it running? (scripts/services.sh starts one locally) Check the host and port in --amqp-url"
    )]
    Refused { addr: String },

    #[error(
        "RabbitMQ at {addr} did not complete the connection and AMQP handshake within {seconds} s: check that HOST:PORT in --amqp-url is a RabbitMQ listener, and amqp:// or amqps:// as that port expects (a firewall that drops packets looks the same); on a slow network raise --connect-timeout"
    )]
    ConnectTimeout { addr: String, seconds: u64 },

    #[error(
        "RabbitMQ at {addr} refused user '{user}': check the user name and password in --amqp-url"
    )]
    Login { addr: String, user: String },

    #[error(
        "RabbitMQ at {addr} has no virtual host '{vhost}' that user '{user}' may use: check the path of --amqp-url (%2f is the default vhost)"
    )]
    Vhost {
        addr: String,
        vhost: String,
        user: String,
    },

    /// Found before anything was published.
    #[error(
        "cannot write the checkpoint: {error}; a load must be able to save where it stands, so nothing was published: make that folder writable (or copy the event stream somewhere writable) and run again"
    )]
    CheckpointNotWritable { error: IoError },

    /// Saving where the load stands failed part way.
    #[error("cannot write the checkpoint: {error}")]
    Checkpoint { error: IoError },

    #[error("--amqp-url {0}")]
    Url(String),

    #[error("{}", damaged(.dir, .problems))]
    Damaged { dir: PathBuf, problems: Vec<String> },

    #[error(
        "--channels {0} needs batched mode (--batch N with N > 1, without --stream): a message published per event, or into the stream, goes to queues that must see every message in order, and only one channel keeps that order"
    )]
    ChannelsNeedBatches(usize),

    #[error("RabbitMQ at {addr}: {action} failed: {message}")]
    Broker {
        addr: String,
        action: String,
        message: String,
        /// The connection is gone (not a channel-level refusal such as a
        /// queue declared with other arguments): a new one may well work.
        lost: bool,
    },

    #[error(
        "{cause}; the load stopped part way, at {events} of {total} events (everything up to there is confirmed and saved in the checkpoint {}): run the same command again to resume from there", .checkpoint.display()
    )]
    Stopped {
        cause: Box<RabbitError>,
        events: u64,
        total: u64,
        checkpoint: PathBuf,
    },
}

/// The one-line message of [`RabbitError::Damaged`].
fn damaged(dir: &Path, problems: &[String]) -> String {
    let more = match problems.len() {
        0 | 1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    format!(
        "{}: the event stream does not match its manifest, so nothing was published: {}{more}; re-run `pancake transform` to write it again (`pancake verify {}` lists every problem)",
        dir.display(),
        problems.first().map_or("", String::as_str),
        dir.display()
    )
}

/// The broker refused `action`, or the connection went while it ran.
pub(super) fn broker(target: &AmqpTarget, action: &str, e: lapin::Error) -> RabbitError {
    RabbitError::Broker {
        addr: target.addr.clone(),
        action: action.into(),
        message: e.to_string(),
        lost: !e.is_amqp_soft_error(),
    }
}

/// The broker left `action` unanswered for `waited`: the connection counts
/// as lost.
pub(super) fn silent(target: &AmqpTarget, action: &str, waited: Duration) -> RabbitError {
    RabbitError::Broker {
        addr: target.addr.clone(),
        action: action.into(),
        message: format!(
            "no answer within {} s: the broker, or the network to it, stopped answering (raise --answer-timeout if it is only slow)",
            waited.as_secs_f64()
        ),
        lost: true,
    }
}

impl RabbitError {
    /// The broker went away (or closed the connection); a new connection
    /// may well work.
    pub(super) fn is_connection_loss(&self) -> bool {
        matches!(
            self,
            RabbitError::Broker { lost: true, .. }
                | RabbitError::Refused { .. }
                | RabbitError::ConnectTimeout { .. }
        )
    }

    /// What went wrong, for a retry line that names the address itself.
    pub(super) fn reason(&self) -> String {
        match self {
            RabbitError::Refused { .. } => "connection refused".into(),
            RabbitError::ConnectTimeout { seconds, .. } => {
                format!("no connection and AMQP handshake within {seconds} s")
            }
            RabbitError::Broker {
                action, message, ..
            } => format!("{action} failed: {message}"),
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn a_message_that_quotes_its_cause_does_not_also_return_it() {
        let error = IoError::new(
            "create",
            "/s/checkpoints",
            std::io::Error::from(std::io::ErrorKind::AlreadyExists),
        );
        let e = RabbitError::CheckpointNotWritable { error };
        assert!(
            e.to_string()
                .starts_with("cannot write the checkpoint: /s/checkpoints: cannot create: "),
            "{e}"
        );
        assert!(e.source().is_none());
        let stopped = RabbitError::Stopped {
            cause: Box::new(RabbitError::Refused {
                addr: "127.0.0.1:5672".into(),
            }),
            events: 3,
            total: 10,
            checkpoint: "/s/checkpoints/c.json".into(),
        };
        assert!(stopped.to_string().contains("connection refused"));
        assert!(stopped.source().is_none());
    }
}
