//! Where a load stands, saved beside the event stream: the merge position
//! up to which every message is confirmed, for one target and one stream.

use super::errors::RabbitError;
use super::options::RabbitOptions;
use super::url::AmqpTarget;
use crate::merge::Position;
use crate::modules::prefixed;
use pancake_proto::{IoError, Manifest};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A checkpoint found beside the stream that this load did not use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredCheckpoint {
    pub path: PathBuf,
    /// Why it does not apply, for the summary.
    pub reason: String,
}

/// What a load's events went to and how they were shaped: a checkpoint
/// applies only to the same target. Holds no user name and no password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadTarget {
    /// `host:port` of the broker, as `--amqp-url` names it.
    pub broker: String,
    pub vhost: String,
    pub exchange: String,
    /// Events per message (1: one message per event).
    pub batch: usize,
    /// Into the RabbitMQ stream `<prefix>_stream` rather than the module
    /// queues.
    pub stream: bool,
    /// How the queue names begin: `pancake_` for the prefix `pancake`
    /// (given as `pancake`, `pancake_` or `pancake.`, the same queues),
    /// empty for none.
    pub queue_prefix: String,
}

impl LoadTarget {
    pub fn of(options: &RabbitOptions) -> Result<LoadTarget, RabbitError> {
        let url = AmqpTarget::parse(&options.amqp_url)?;
        Ok(LoadTarget {
            broker: url.addr.to_lowercase(),
            vhost: url.vhost,
            exchange: options.exchange.clone(),
            batch: options.batch.max(1),
            stream: options.stream,
            queue_prefix: prefixed(&options.queue_prefix, ""),
        })
    }

    /// "per event", "batches of 100", "stream, per event", ...
    pub fn mode(&self) -> String {
        let each = if self.batch <= 1 {
            "per event".to_owned()
        } else {
            format!("batches of {}", self.batch)
        };
        if self.stream {
            format!("stream, {each}")
        } else {
            each
        }
    }

    /// 16 hex digits that stand for the whole target, for the file name.
    fn key(&self) -> String {
        let text = format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            self.broker, self.vhost, self.exchange, self.batch, self.stream, self.queue_prefix
        );
        format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
    }
}

impl std::fmt::Display for LoadTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exchange {} on {} vhost '{}', {}, queue prefix {}",
            self.exchange,
            self.broker,
            self.vhost,
            self.mode(),
            self.queue_prefix
        )
    }
}

/// Which event stream a checkpoint was taken on: when it was written, and a
/// digest of its parts (names, counts, checksums), so a stream written again
/// into the same folder does not pass for the old one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamIdentity {
    pub created_at: String,
    pub parts_digest: String,
}

impl StreamIdentity {
    pub fn of(manifest: &Manifest) -> StreamIdentity {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        for table in &manifest.tables {
            for part in &table.parts {
                hasher.update(
                    format!(
                        "{}\n{}\n{}\n{}\n",
                        table.name, part.file, part.records, part.checksum
                    )
                    .as_bytes(),
                );
            }
        }
        StreamIdentity {
            created_at: manifest.created_at.clone(),
            parts_digest: format!("{:016x}", hasher.digest()),
        }
    }
}

/// Where a load stands: the merge position up to which every message is
/// confirmed. Saved beside the event stream after each window of confirms,
/// so a load killed or cut off resumes there; one file per target, so that
/// loads of one stream into several targets each keep their own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// What the position is valid for.
    pub target: LoadTarget,
    pub stream: StreamIdentity,
    pub position: Position,
    /// Events whose messages are all confirmed.
    pub events: u64,
    pub complete: bool,
}

/// The folder of checkpoints in an event stream.
pub(super) fn checkpoints_dir(input: &Path) -> PathBuf {
    input.join("checkpoints")
}

impl Checkpoint {
    /// A load of `stream` into `target` that has confirmed nothing yet, at
    /// `position` (the start of the stream).
    pub(super) fn start(
        target: LoadTarget,
        stream: StreamIdentity,
        position: Position,
    ) -> Checkpoint {
        Checkpoint {
            target,
            stream,
            position,
            events: 0,
            complete: false,
        }
    }

    /// `<stream>/checkpoints/rabbitmq-<exchange>-<hash of the target>.json`.
    pub fn path(options: &RabbitOptions) -> Result<PathBuf, RabbitError> {
        Ok(Checkpoint::path_for(
            &options.input,
            &LoadTarget::of(options)?,
        ))
    }

    pub(super) fn path_for(input: &Path, target: &LoadTarget) -> PathBuf {
        let name: String = target
            .exchange
            .chars()
            .take(64)
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        checkpoints_dir(input).join(format!("rabbitmq-{name}-{}.json", target.key()))
    }

    /// This target's checkpoint if there is one for this stream; otherwise
    /// the checkpoints found that do not apply, and why.
    pub(super) fn find(
        input: &Path,
        path: &Path,
        target: &LoadTarget,
        stream: &StreamIdentity,
    ) -> (Option<Checkpoint>, Vec<IgnoredCheckpoint>) {
        let mut ignored = Vec::new();
        let mut ignore = |path: &Path, reason: String| {
            ignored.push(IgnoredCheckpoint {
                path: path.to_path_buf(),
                reason,
            })
        };
        match std::fs::read_to_string(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => ignore(path, format!("it cannot be read ({e})")),
            Ok(text) => match Checkpoint::parse(&text) {
                Err(reason) => ignore(path, reason),
                Ok(c) if &c.target != target => ignore(
                    path,
                    format!("it was written for another target ({})", c.target),
                ),
                Ok(c) if &c.stream != stream => ignore(
                    path,
                    format!(
                        "it was taken on another event stream (created {}, parts digest {}), not this one (created {}, parts digest {}): the stream was written again since",
                        c.stream.created_at,
                        c.stream.parts_digest,
                        stream.created_at,
                        stream.parts_digest
                    ),
                ),
                Ok(c) => return (Some(c), Vec::new()),
            },
        }
        // Others for the same exchange name: the ones a person might expect
        // to be used.
        let mut others: Vec<PathBuf> = std::fs::read_dir(checkpoints_dir(input))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p != path
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("rabbitmq-") && n.ends_with(".json"))
            })
            .collect();
        others.sort();
        for other in others {
            let Ok(text) = std::fs::read_to_string(&other) else {
                continue;
            };
            match Checkpoint::parse(&text) {
                Ok(c) if c.target.exchange == target.exchange => ignore(
                    &other,
                    format!(
                        "it belongs to another target ({}), not this one ({target})",
                        c.target
                    ),
                ),
                Err(reason)
                    if serde_json::from_str::<serde_json::Value>(&text)
                        .ok()
                        .and_then(|v| {
                            v.get("exchange")
                                .and_then(|x| x.as_str().map(str::to_owned))
                        })
                        .is_some_and(|x| x == target.exchange) =>
                {
                    ignore(&other, reason)
                }
                _ => {}
            }
        }
        (None, ignored)
    }

    /// A checkpoint, or why it is not one this pancake can use.
    fn parse(text: &str) -> Result<Checkpoint, String> {
        match serde_json::from_str::<Checkpoint>(text) {
            Ok(c) => Ok(c),
            Err(e) => {
                let value = serde_json::from_str::<serde_json::Value>(text).ok();
                if value.is_some_and(|v| v.get("target").is_none() && v.get("exchange").is_some()) {
                    Err("it is in an older format that does not name the broker, vhost or event stream it was taken for, so it cannot be trusted for this target".into())
                } else {
                    Err(format!("it cannot be read ({e})"))
                }
            }
        }
    }

    /// Checks that the checkpoint can be written, before anything is
    /// published: creates the folder and a scratch file beside the
    /// checkpoint, then removes the scratch file.
    pub(super) fn check_writable(path: &Path) -> Result<(), RabbitError> {
        let not_writable = |error| RabbitError::CheckpointNotWritable { error };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(IoError::at("create", dir))
                .map_err(not_writable)?;
        }
        let probe = path.with_extension("json.probe");
        std::fs::File::create(&probe)
            .and_then(|mut f| f.write_all(b"pancake checks it can write here\n"))
            .map_err(IoError::at("write", &probe))
            .map_err(not_writable)?;
        std::fs::remove_file(&probe)
            .map_err(IoError::at("remove", &probe))
            .map_err(not_writable)
    }

    /// Writes atomically: a crash leaves the old checkpoint or the new one.
    pub(super) fn save(&self, path: &Path) -> Result<(), RabbitError> {
        self.write(path)
            .map_err(|error| RabbitError::Checkpoint { error })
    }

    fn write(&self, path: &Path) -> Result<(), IoError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(IoError::at("create", dir))?;
        }
        let tmp = path.with_extension("json.tmp");
        {
            let mut f = std::fs::File::create(&tmp).map_err(IoError::at("create", &tmp))?;
            f.write_all(&serde_json::to_vec_pretty(self).expect("serialises"))
                .map_err(IoError::at("write", &tmp))?;
            f.sync_all().map_err(IoError::at("sync", &tmp))?;
        }
        std::fs::rename(&tmp, path).map_err(IoError::at("rename", &tmp))
    }
}

#[cfg(test)]
pub(super) mod tests;
