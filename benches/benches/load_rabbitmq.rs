//! The RabbitMQ publish path, in events/s: `finland` x0.1 (about 154,000
//! events) as an event stream, batched per module.
//!
//! - `pancake load, --batch N`: the whole `pancake_load::rabbitmq::load`
//!   (the k-way merge, batch encoding, publishing with confirms,
//!   checkpoints), timed around the call;
//! - `bare publisher, --batch N`: `bare_publish` with the same options, the
//!   ceiling: every message built beforehand, then published in a tight
//!   loop with the same confirm window (its own timing of the publishing
//!   alone).
//!
//! Every iteration publishes into a fresh exchange and fresh durable module
//! queues (`pancake-bench-<pid>-<n>`), which are deleted afterwards with
//! everything in them, outside the timing, as is the load's checkpoint
//! file.
//!
//!     cargo bench -p pancake-benches --bench load_rabbitmq
//!
//! Ten samples of one iteration each (about a second each at `--batch
//! 100`); warm-up and measurement times are criterion's defaults, so
//! `-- --warm-up-time 1 --measurement-time 3` shortens a run.
//!
//! Needs RabbitMQ on 127.0.0.1:5672 (scripts/services.sh starts one) or at
//! AMQP_URL; without it the suite says so on stderr and measures nothing.
//! The broker runs on the same machine: on 2 cores it shares the CPU with
//! the loader.

mod common;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use pancake_load::EventMerge;
use pancake_load::rabbitmq::{
    AmqpTarget, Checkpoint, DEFAULT_AMQP_URL, RabbitOptions, bare_publish, connect,
    delete_topology, load,
};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| DEFAULT_AMQP_URL.into())
}

/// Whether RabbitMQ answers at `url`: a TCP connection within a second,
/// then a login. Says why not on stderr.
fn broker_up(url: &str, runtime: &tokio::runtime::Runtime) -> bool {
    let target = match AmqpTarget::parse(url) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("load_rabbitmq: skipped: {e}");
            return false;
        }
    };
    let reachable = target
        .addr
        .to_socket_addrs()
        .ok()
        .into_iter()
        .flatten()
        .any(|a: SocketAddr| TcpStream::connect_timeout(&a, Duration::from_secs(1)).is_ok());
    if !reachable {
        eprintln!(
            "load_rabbitmq: skipped: no RabbitMQ at {} (scripts/services.sh starts one)",
            target.addr
        );
        return false;
    }
    let login = runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(10), connect(url)).await });
    match login {
        Ok(Ok((connection, _))) => {
            runtime.block_on(async {
                let _ = connection.close(200, "bye".into()).await;
            });
            true
        }
        Ok(Err(e)) => {
            eprintln!("load_rabbitmq: skipped: {e}");
            false
        }
        Err(_) => {
            eprintln!(
                "load_rabbitmq: skipped: RabbitMQ at {} accepted a connection but no login within 10 s",
                target.addr
            );
            false
        }
    }
}

/// `finland` x0.1 as a stream, and its events.
fn stream(dir: &Path) -> (PathBuf, u64) {
    let events = common::finland_stream(dir);
    let total = EventMerge::open(&events)
        .expect("a finished stream")
        .total_events();
    (events, total)
}

/// Options for one iteration: a fresh exchange and fresh module queues.
fn fresh(input: &Path, url: &str, batch: usize, n: &mut u32) -> RabbitOptions {
    *n += 1;
    let tag = format!("pancake-bench-{}-{n}", std::process::id());
    let mut options = RabbitOptions::new(input.to_owned(), url.to_owned());
    options.exchange = format!("{tag}.x");
    options.queue_prefix = tag;
    options.declare_queues = true;
    options.batch = batch;
    options
}

fn load_rabbitmq(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let url = amqp_url();
    if !broker_up(&url, &runtime) {
        return;
    }
    let data = tempfile::tempdir().expect("a temp dir");
    let (input, events) = stream(data.path());
    // One connection for deleting what each iteration declared.
    let (connection, _) = runtime
        .block_on(connect(&url))
        .expect("RabbitMQ answered a moment ago");
    let channel = runtime
        .block_on(connection.create_channel())
        .expect("a channel");
    let clean_up = |options: &RabbitOptions| {
        runtime
            .block_on(delete_topology(
                &channel,
                &options.exchange,
                &options.queue_prefix,
            ))
            .expect("the exchange and queues are deleted");
        let _ = Checkpoint::path(options).map(std::fs::remove_file);
    };
    let mut n = 0u32;

    let mut group = c.benchmark_group("load_rabbitmq");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(events));
    for batch in [100, 1000] {
        group.bench_function(format!("pancake load, --batch {batch}"), |b| {
            b.iter_custom(|iters| {
                let mut took = Duration::ZERO;
                for _ in 0..iters {
                    let options = fresh(&input, &url, batch, &mut n);
                    let started = Instant::now();
                    let report = runtime
                        .block_on(load(&options, Arc::new(())))
                        .expect("the load succeeds");
                    took += started.elapsed();
                    assert_eq!(report.events, events);
                    assert_eq!(report.unroutable, 0);
                    clean_up(&options);
                }
                took
            })
        });
        group.bench_function(format!("bare publisher, --batch {batch}"), |b| {
            b.iter_custom(|iters| {
                let mut took = Duration::ZERO;
                for _ in 0..iters {
                    let options = fresh(&input, &url, batch, &mut n);
                    let report = runtime
                        .block_on(bare_publish(&options))
                        .expect("the bare publisher succeeds");
                    // Its own clock: the publishing, not building the
                    // messages beforehand.
                    took += report.elapsed;
                    assert_eq!(report.events, events);
                    clean_up(&options);
                }
                took
            })
        });
    }
    group.finish();
    runtime.block_on(async {
        let _ = connection.close(200, "done".into()).await;
    });
}

criterion_group!(benches, load_rabbitmq);
criterion_main!(benches);
