//! What the CLI tests share: running the binary, reading its output, and a
//! tiny event stream made the way a person makes one.

// Each test file uses some of these.
#![allow(dead_code)]

use pancake_load::rabbitmq::{DEFAULT_AMQP_URL, RabbitOptions};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `pancake` binary with `args`, not started yet.
pub fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pancake"));
    c.args(args);
    c
}

/// Runs `pancake` with `args` to the end.
pub fn pancake(args: &[&str]) -> Output {
    command(args).output().expect("pancake runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `tiny` times `scale`, generated into `dir/dump` and transformed (with
/// `transform_args` added) into `dir/events`, which it returns.
pub fn tiny_stream(dir: &Path, scale: &str, transform_args: &[&str]) -> PathBuf {
    let dump = dir.join("dump");
    let events = dir.join("events");
    let out = pancake(&[
        "generate",
        "--preset",
        "tiny",
        "--scale",
        scale,
        "--out",
        dump.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut args = vec![
        "transform",
        "--in",
        dump.to_str().unwrap(),
        "--out",
        events.to_str().unwrap(),
    ];
    args.extend_from_slice(transform_args);
    let out = pancake(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    events
}

/// The broker the RabbitMQ tests use: `AMQP_URL`, or the local one.
pub fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| DEFAULT_AMQP_URL.into())
}

/// The options `pancake load rabbitmq --in EVENTS --exchange EXCHANGE
/// --queue-prefix PREFIX` runs with at `url` (what names its checkpoint).
pub fn rabbit_options(events: &Path, url: &str, exchange: &str, prefix: &str) -> RabbitOptions {
    let mut options = RabbitOptions::new(events.to_path_buf(), url.to_owned());
    options.exchange = exchange.to_owned();
    options.queue_prefix = prefix.to_owned();
    options
}
