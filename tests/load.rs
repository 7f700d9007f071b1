//! `pancake load rabbitmq` as a person runs it: killed with SIGKILL mid-run
//! and run again, every event reaches every module queue that wants it, with
//! repeats bounded by the confirm window. Needs the local RabbitMQ.

mod common;

use common::rabbit::{
    Proxy, amqp_url, delete_topology_at, drain, rabbit_options, saved_events, unique,
};
use common::{
    block_on, command, kill_when, output_within, succeeded, text, tiny_stream, wait_until,
    wait_within,
};
use pancake_load::MODULES;
use pancake_load::rabbitmq::{Checkpoint, connect, queue_name};
use pancake_proto::events::Event;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::runtime::Runtime;

const WINDOW: usize = 50;

/// Longest a load in these tests may run: past it the test fails, showing
/// the loader's stderr, rather than hang the suite.
const LIMIT: Duration = Duration::from_secs(120);

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

    let (exchange, prefix) = (unique("x"), unique("q"));
    let options = rabbit_options(&events, &amqp_url(), &exchange, &prefix);
    let checkpoint = Checkpoint::path(&options).unwrap();

    kill_when(
        &mut load_command(&events, &exchange, &prefix),
        "no checkpoint was saved",
        "it finished before the kill",
        || saved_events(&checkpoint) >= 2_000,
    );

    let again = load_command(&events, &exchange, &prefix).output().unwrap();
    let stdout = succeeded(&again);
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

    let all: Vec<Event> = pancake_load::EventMerge::open(&events)
        .unwrap()
        .map(|e| e.unwrap())
        .collect();
    block_on(async {
        let (connection, _) = connect(&amqp_url()).await.unwrap();
        let channel = connection.create_channel().await.unwrap();
        for module in MODULES {
            let queue = queue_name(&prefix, module);
            let expected: BTreeSet<&[u8]> = all
                .iter()
                .filter(|e| module.consumes(e.kind()))
                .map(|e| e.event_id.as_slice())
                .collect();
            let got = drain(&channel, &queue, expected.len()).await;
            let seen: BTreeSet<&[u8]> = got.iter().map(|e| e.event_id.as_slice()).collect();
            assert_eq!(seen, expected, "{queue}: every event, none foreign");
            let repeats = got.len() - seen.len();
            assert!(repeats <= 2 * WINDOW, "{queue}: {repeats} repeats");
        }
        delete_topology_at(&amqp_url(), &exchange, &prefix).await;
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

#[test]
fn a_url_without_a_host_or_an_empty_url_is_one_clear_line() {
    for (url, says) in [
        ("amqp://", "--amqp-url has no host"),
        ("", "--amqp-url is empty"),
    ] {
        let out = command(&["load", "rabbitmq", "--in", "/no/such/stream"])
            .env("AMQP_URL", url)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{url:?} was taken");
        let stderr = text(&out.stderr);
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{stderr}");
        assert!(errors[0].contains(says), "{stderr}");
        assert!(!stderr.contains("<url>"), "{stderr}");
        assert!(!stderr.contains("loading"), "it went on: {stderr}");
    }
}

#[test]
fn an_older_checkpoint_is_not_used_and_the_summary_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let events = tiny_stream(tmp.path(), "1", &[]);
    let (exchange, prefix) = (unique("x"), unique("q"));
    // What an earlier pancake left: named after the exchange alone, taken
    // on this very stream, and finished.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(events.join("manifest.json")).unwrap())
            .unwrap();
    let created_at = manifest["created_at"].as_str().unwrap();
    let old = events
        .join("checkpoints")
        .join(format!("rabbitmq-{exchange}.json"));
    std::fs::create_dir_all(old.parent().unwrap()).unwrap();
    std::fs::write(
        &old,
        format!(
            r#"{{"stream_created_at":"{created_at}","exchange":"{exchange}","queue_prefix":"{prefix}","batch":1,"stream":false,"position":{{"consumed":[]}},"events":6780,"complete":true}}"#
        ),
    )
    .unwrap();
    let stdout = succeeded(&load_command(&events, &exchange, &prefix).output().unwrap());
    assert!(!stdout.contains("nothing to do"), "{stdout}");
    assert!(
        stdout.contains(&format!("checkpoint {} not used", old.display()))
            && stdout.contains("older format"),
        "{stdout}"
    );
    assert!(stdout.contains("started from the first event"), "{stdout}");
    let total = pancake_load::EventMerge::open(&events)
        .unwrap()
        .total_events();
    assert!(
        stdout.contains(&format!("carrying {} events", pancake_cli_count(total))),
        "{stdout}"
    );
    block_on(delete_topology_at(&amqp_url(), &exchange, &prefix));
}

/// 1234567 -> "1,234,567", as the CLI writes counts.
fn pancake_cli_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A load through a proxy that `fault` strikes once a checkpoint is
/// saved, with the loader's retry settings `args`: the run must fail with
/// one error line that says where it stopped and to run it again, and the
/// same command, run again once the broker is back, must finish from the
/// checkpoint. Returns the failed run's stderr and the proxy's address.
fn load_through_a_fault(
    args: &[&str],
    fault: impl FnOnce(&mut Proxy, &Runtime),
) -> (String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let events = tiny_stream(tmp.path(), "1", &[]);
    let runtime = Runtime::new().unwrap();
    let mut proxy = runtime.block_on(Proxy::start());
    let (exchange, prefix) = (unique("x"), unique("q"));
    let options = rabbit_options(&events, &proxy.url(), &exchange, &prefix);
    let checkpoint = Checkpoint::path(&options).unwrap();
    let run = |url: &str| {
        let mut c = load_command(&events, &exchange, &prefix);
        c.args(args).env("AMQP_URL", url);
        c
    };
    let child = run(&proxy.url())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("no checkpoint was saved", || {
        saved_events(&checkpoint) >= 1_000
    });
    fault(&mut proxy, &runtime);
    let out = wait_within(child, LIMIT);
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains("the load stopped part way, at ")
            && errors[0].contains("run the same command again"),
        "{stderr}"
    );
    assert!(!stderr.contains("guest:guest"), "{stderr}");

    runtime.block_on(proxy.restore());
    let stdout = succeeded(&output_within(&mut run(&proxy.url()), LIMIT));
    assert!(
        stdout.contains("continued after the checkpoint"),
        "{stdout}"
    );
    runtime.block_on(proxy.cut());
    runtime.block_on(delete_topology_at(&amqp_url(), &exchange, &prefix));
    (stderr, format!("127.0.0.1:{}", proxy.port))
}

#[test]
fn a_broker_that_goes_away_gets_a_line_per_retry_and_the_same_command_resumes() {
    let (stderr, addr) = load_through_a_fault(&["--reconnects", "2"], |proxy, runtime| {
        runtime.block_on(proxy.cut())
    });
    assert!(
        stderr.contains(&format!("cannot reach {addr}: ")),
        "{stderr}"
    );
    assert!(stderr.contains("; retry 1 of 2 in 0.5 s"), "{stderr}");
    assert!(stderr.contains("; retry 2 of 2 in 1 s"), "{stderr}");
}

/// A broker that stops answering without closing anything (hung, or a
/// network that drops its packets) costs `--answer-timeout`, not the
/// night: the load drops that connection (a polite close could wait
/// forever), connects again, stops after its retries saying where, and the
/// same command finishes once the broker answers again.
#[test]
fn a_broker_that_stops_answering_is_given_up_on_after_the_answer_timeout() {
    let args = [
        "--reconnects",
        "1",
        "--answer-timeout",
        "2",
        "--connect-timeout",
        "2",
    ];
    let (stderr, addr) = load_through_a_fault(&args, |proxy, _| proxy.freeze());
    assert!(
        stderr.contains(&format!("cannot reach {addr}: "))
            && stderr.contains("no answer within 2 s")
            && stderr.contains("; retry 1 of 1 in 0.5 s"),
        "{stderr}"
    );
}
