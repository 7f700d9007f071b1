//! `pancake load rabbitmq` as a person runs it: killed with SIGKILL mid-run
//! and run again, every event reaches every module queue that wants it, with
//! repeats bounded by the confirm window. Needs the local RabbitMQ.

use futures_util::StreamExt;
use lapin::options::{BasicAckOptions, BasicConsumeOptions};
use lapin::types::FieldTable;
mod common;

use common::{command, text, tiny_stream};
use pancake_load::modules::MODULES;
use pancake_load::rabbitmq::{self, Checkpoint, RabbitOptions, connect, queue_name};
use pancake_proto::events::Event;
use prost::Message as _;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| pancake_load::rabbitmq::DEFAULT_AMQP_URL.into())
}

const WINDOW: usize = 50;

fn load_command(events: &Path, exchange: &str, prefix: &str) -> Command {
    let mut c = command(&["load", "rabbitmq", "--in", events.to_str().unwrap()]);
    c.args([
        "--exchange",
        exchange,
        "--queue-prefix",
        prefix,
        "--declare-queues",
    ])
    .args(["--confirm-window", &WINDOW.to_string()])
    .args(["--max-events-per-sec", "3000"])
    .env("AMQP_URL", amqp_url());
    c
}

#[test]
fn killed_mid_run_then_run_again_every_event_arrives() {
    let tmp = tempfile::tempdir().unwrap();
    let events = tiny_stream(tmp.path(), "2", &[]);

    let tag = format!(
        "{}-{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    );
    let (exchange, prefix) = (
        format!("pancake-cli-x-{tag}"),
        format!("pancake-cli-q-{tag}"),
    );
    let mut options = RabbitOptions::new(events.clone(), amqp_url());
    options.exchange = exchange.clone();
    let checkpoint = Checkpoint::path(&options);

    let mut child = load_command(&events, &exchange, &prefix)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let saved = std::fs::read_to_string(&checkpoint)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["events"].as_u64())
            .unwrap_or(0);
        if saved >= 2_000 {
            break;
        }
        assert!(Instant::now() < deadline, "no checkpoint was saved");
        assert!(
            child.try_wait().unwrap().is_none(),
            "it finished before the kill"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let again = load_command(&events, &exchange, &prefix).output().unwrap();
    assert!(again.status.success(), "{}", text(&again.stderr));
    let stdout = text(&again.stdout);
    assert!(
        stdout.contains("continued after the checkpoint"),
        "{stdout}"
    );
    assert!(!stdout.contains("guest:guest") && !text(&again.stderr).contains("guest:guest"));
    let third = load_command(&events, &exchange, &prefix).output().unwrap();
    assert!(
        text(&third.stdout).contains("nothing to do"),
        "{}",
        text(&third.stdout)
    );

    let all: Vec<Event> = pancake_load::merge::EventMerge::open(&events)
        .unwrap()
        .map(|e| e.unwrap())
        .collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (connection, _) = connect(&amqp_url()).await.unwrap();
        let channel = connection.create_channel().await.unwrap();
        for module in MODULES {
            let queue = queue_name(&prefix, module);
            let expected: BTreeSet<&str> = all
                .iter()
                .filter(|e| module.consumes(e.kind()))
                .map(|e| e.event_id.as_str())
                .collect();
            let mut consumer = channel
                .basic_consume(
                    queue.as_str().into(),
                    queue.as_str().into(),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await
                .unwrap();
            let mut got = Vec::new();
            loop {
                let wait = if got.len() < expected.len() {
                    10_000
                } else {
                    1_000
                };
                let Ok(Some(d)) =
                    tokio::time::timeout(Duration::from_millis(wait), consumer.next()).await
                else {
                    break;
                };
                let d = d.unwrap();
                got.push(Event::decode(d.data.as_slice()).unwrap().event_id);
                d.ack(BasicAckOptions::default()).await.unwrap();
            }
            let seen: BTreeSet<&str> = got.iter().map(String::as_str).collect();
            assert_eq!(seen, expected, "{queue}: every event, none foreign");
            let repeats = got.len() - seen.len();
            assert!(repeats <= 2 * WINDOW, "{queue}: {repeats} repeats");
        }
        rabbitmq::delete_topology(&channel, &exchange, &prefix)
            .await
            .unwrap();
    });
}

#[test]
fn a_wrong_password_is_one_line_without_the_password() {
    let tmp = tempfile::tempdir().unwrap();
    let events = tiny_stream(tmp.path(), "1", &[]);
    let secret = "s3cret-wrong";
    let out = command(&["load", "rabbitmq", "--in", events.to_str().unwrap()])
        .env(
            "AMQP_URL",
            format!("amqp://guest:{secret}@127.0.0.1:5672/%2f"),
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(all.contains("refused user 'guest'"), "{all}");
    assert!(!all.contains(secret), "{all}");
    assert_eq!(
        text(&out.stderr)
            .lines()
            .filter(|l| l.starts_with("error:"))
            .count(),
        1,
        "{all}"
    );
}
