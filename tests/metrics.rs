//! `--metrics-addr` as Prometheus sees it: `/metrics` scraped while a stage
//! runs (`load postgres`, `load rabbitmq`, `extract`) and once more at its
//! end, parsed by prometheus_client (Python,
//! `tests/clients/parse_metrics.py`), and the counters at the end equal the
//! stage's summary and the parts it read or wrote; and with stderr not a
//! terminal, progress lines take the bars' place.
//!
//! The parser is installed by `scripts/services.sh` into the Python test
//! clients' environment; without it the test fails saying so.

mod common;

use common::rabbit::{amqp_url, delete_topology_at, unique};
use common::{block_on, command, database_url, drop_module_databases, text, tiny_stream};
use pancake_proto::Manifest;
use pancake_tds_test_server::{BackgroundServer, ServerConfig};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The Python test clients' environment (where scripts/services.sh installs them).
fn python() -> PathBuf {
    let env = pancake_tds_test_server::python_clients();
    let python = env.join("bin/python");
    let imports = Command::new(&python)
        .args(["-c", "import prometheus_client.parser"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        imports,
        "prometheus_client is not installed in {}: run scripts/services.sh, which installs it",
        env.display()
    );
    python
}

/// A metric's samples: name, labels, value.
type Samples = Vec<(String, BTreeMap<String, String>, f64)>;

/// The samples of an exposition, by prometheus_client.
fn parse(exposition: &str) -> Samples {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/parse_metrics.py");
    let mut child = Command::new(python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(exposition.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}\n{exposition}", text(&out.stderr));
    let samples: Samples = serde_json::from_slice(&out.stdout).unwrap();
    samples
}

/// The body of GET /metrics, or None while nothing answers.
fn scrape(port: u16) -> Option<String> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let request =
        format!("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_owned())
}

/// A stage run with `--metrics-addr` (kept up 60 s after it ends), JSON
/// logs and a progress line a second, its stdout and stderr read line by
/// line as they come. Killed, and `cleanup` run, however the test ends.
struct Watched {
    child: std::process::Child,
    port: u16,
    lines: mpsc::Receiver<(bool, String)>,
    deadline: Instant,
    cleanup: Box<dyn FnMut()>,
}

impl Watched {
    fn start(mut command: Command, cleanup: impl FnMut() + 'static) -> Watched {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let mut child = command
            .args(["--metrics-addr", &addr, "--metrics-linger", "60"])
            .args(["--log-format", "json", "--progress-every", "1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel::<(bool, String)>();
        let out = BufReader::new(child.stdout.take().unwrap());
        let err = BufReader::new(child.stderr.take().unwrap());
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            out.lines()
                .map_while(Result::ok)
                .for_each(|l| drop(tx.send((true, l))))
        });
        std::thread::spawn(move || {
            err.lines()
                .map_while(Result::ok)
                .for_each(|l| drop(tx2.send((false, l))))
        });
        Watched {
            child,
            port,
            lines,
            deadline: Instant::now() + Duration::from_secs(120),
            cleanup: Box::new(cleanup),
        }
    }

    /// The first scrape in which `ready` holds, parsed.
    fn scrape_when(&self, ready: impl Fn(&Samples) -> bool) -> Samples {
        loop {
            assert!(Instant::now() < self.deadline, "no metrics while it ran");
            if let Some(samples) = scrape(self.port).map(|body| parse(&body))
                && ready(&samples)
            {
                return samples;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the `stage ended` line and a stdout line starting with
    /// `summary`; returns stdout and stderr so far and the last scrape.
    fn end(&mut self, summary: &str) -> (Vec<String>, Vec<String>, String) {
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let mut ended = false;
        while !(ended && stdout.iter().any(|l: &String| l.starts_with(summary))) {
            let (is_out, line) = self
                .lines
                .recv_timeout(self.deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("the stage never ended: {stderr:?} {stdout:?}"));
            if is_out {
                stdout.push(line);
            } else {
                let value: Value = serde_json::from_str(&line).unwrap();
                assert_ne!(value["level"], "ERROR", "{line}");
                ended |= value["message"] == "stage ended";
                stderr.push(line);
            }
        }
        let body = scrape(self.port).expect("the metrics stay up for --metrics-linger");
        (stdout, stderr, body)
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        (self.cleanup)();
    }
}

/// Per `label` value, counter `name` of `stage`.
fn by(samples: &Samples, name: &str, stage: &str, label: &str) -> BTreeMap<String, u64> {
    samples
        .iter()
        .filter(|(n, labels, _)| n == name && labels["stage"] == stage)
        .filter_map(|(_, labels, v)| Some((labels.get(label)?.clone(), *v as u64)))
        .collect()
}

/// Per module, the value of counter `name` of `load postgres`.
fn per_module(samples: &Samples, name: &str) -> BTreeMap<String, u64> {
    by(samples, name, "load_postgres", "module")
}

/// The one sample of `name` of `stage` without a table or module label.
fn whole_stage(samples: &Samples, name: &str, stage: &str) -> Option<u64> {
    samples
        .iter()
        .find(|(n, labels, _)| n == name && labels["stage"] == stage && labels.len() == 1)
        .map(|(_, _, v)| *v as u64)
}

/// Per table of the dump or stream in `dir`, `what` of its parts summed.
fn manifest_sum(
    dir: &Path,
    what: impl Fn(&pancake_proto::PartEntry) -> u64,
) -> BTreeMap<String, u64> {
    Manifest::load(dir)
        .unwrap()
        .tables
        .iter()
        .map(|t| (t.name.clone(), t.parts.iter().map(&what).sum()))
        .collect()
}

/// The tables of `all` that `read` names, with their values in `all`: what
/// a stage that read only some tables must have read of each.
fn of_tables_in(
    all: &BTreeMap<String, u64>,
    read: &BTreeMap<String, u64>,
) -> BTreeMap<String, u64> {
    read.keys()
        .filter_map(|t| Some((t.clone(), *all.get(t)?)))
        .collect()
}

/// Off a terminal, progress lines of `stage` stand in for the bars.
fn assert_progress_lines(stderr: &[String], stage: &str) {
    let progress: Vec<Value> = stderr
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["message"] == "progress")
        .collect();
    assert!(!progress.is_empty(), "no progress line in {stderr:?}");
    for p in &progress {
        assert_eq!(p["stage"], stage, "{p}");
        for field in ["done", "expected", "rate", "eta_seconds"] {
            assert!(p[field].is_u64(), "no {field} in {p}");
        }
    }
}

/// A number as the summaries print it (`1,112`).
fn number(s: &str) -> u64 {
    s.trim()
        .replace(',', "")
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

/// From the summary line `profile   DB: 28 parts loaded, 0 skipped (loaded
/// before); 1,112 events, 593 rows, ...`: (module, parts, events, rows).
fn summary_line(line: &str) -> Option<(String, u64, u64, u64)> {
    let module = line.split_whitespace().next()?.to_owned();
    let (_, rest) = line.split_once(": ")?;
    let parts = rest.split(" parts loaded").next()?;
    let (_, rest) = rest.split_once("); ")?;
    let mut fields = rest.split(", ");
    let events = fields.next()?.strip_suffix(" events")?;
    let rows = fields.next()?.strip_suffix(" rows")?;
    Some((module, number(parts), number(events), number(rows)))
}

#[test]
fn metrics_scraped_during_a_postgres_load_end_equal_to_its_summary() {
    let tmp = tempfile::tempdir().unwrap();
    // Many small parts loaded one at a time: a load of some seconds.
    let events = tiny_stream(tmp.path(), "1", &["--part-records", "200"]);
    let prefix = format!("metrics{}_", std::process::id());
    drop_module_databases(&prefix);
    let mut load = command(&["load", "postgres", "--in", events.to_str().unwrap()]);
    load.args(["--db-prefix", &prefix, "--jobs", "1"])
        .env("DATABASE_URL", database_url());
    let cleanup = prefix.clone();
    let mut load = Watched::start(load, move || drop_module_databases(&cleanup));

    // During the load: the first scrape with a committed part.
    let during = load.scrape_when(|s| s.iter().any(|m| m.0 == "pancake_parts_committed_total"));
    let (stdout, stderr, body) = load.end("loaded ");
    drop(load);
    let last = parse(&body);

    let summary: Vec<_> = stdout.iter().filter_map(|l| summary_line(l)).collect();
    assert_eq!(summary.len(), pancake_load::MODULES.len(), "{stdout:?}");
    let parts = per_module(&last, "pancake_parts_committed_total");
    let done = per_module(&last, "pancake_events_done_total");
    let rows = per_module(&last, "pancake_rows_done_total");
    let expected = per_module(&last, "pancake_events_expected");
    for (module, p, e, r) in &summary {
        assert!(*p > 1, "{module}: {p} parts");
        assert_eq!(parts.get(module), Some(p), "{module} parts: {body}");
        assert_eq!(done.get(module), Some(e), "{module} events: {body}");
        assert_eq!(rows.get(module), Some(r), "{module} rows: {body}");
        assert_eq!(expected.get(module), Some(e), "{module} expected: {body}");
    }
    let bytes = per_module(&last, "pancake_bytes_written_total");
    assert!(
        bytes.values().all(|b| *b > 0) && bytes.len() == summary.len(),
        "{body}"
    );
    // Every part of a table some module consumes is read once, whole.
    let read = by(&last, "pancake_bytes_read_total", "load_postgres", "table");
    let files = manifest_sum(&events, |p| p.bytes);
    assert!(read.len() > 3, "{body}");
    assert_eq!(read, of_tables_in(&files, &read), "{body}");
    assert_progress_lines(&stderr, "load_postgres");
    // The scrape during the load saw it unfinished.
    let parts_during: u64 = per_module(&during, "pancake_parts_committed_total")
        .values()
        .sum();
    let parts_total: u64 = summary.iter().map(|s| s.1).sum();
    assert!(
        parts_during < parts_total,
        "scraped during the load: {parts_during} of {parts_total} parts"
    );
}

#[test]
fn metrics_scraped_during_a_rabbitmq_load_end_equal_to_its_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let events = tiny_stream(tmp.path(), "1", &["--part-records", "200"]);
    let (exchange, prefix) = (unique("x"), unique("q"));
    let mut load = command(&["load", "rabbitmq", "--in", events.to_str().unwrap()]);
    load.args(["--exchange", &exchange, "--queue-prefix", &prefix])
        .args(["--declare-queues", "--confirm-window", "50"])
        // A load of some seconds, to be scraped while it runs.
        .args(["--max-events-per-sec", "2000"])
        .env("AMQP_URL", amqp_url());
    let mut load = Watched::start(load, move || {
        block_on(delete_topology_at(&amqp_url(), &exchange, &prefix))
    });
    let published = |s: &Samples| {
        whole_stage(s, "pancake_messages_published_total", "load_rabbitmq").unwrap_or(0)
    };
    let during = load.scrape_when(|s| published(s) > 0);
    let (stdout, stderr, body) = load.end("published ");
    drop(load);
    let last = parse(&body);

    // `published N messages (N confirmed, ...) carrying E events in ...`
    let line = stdout.iter().find(|l| l.starts_with("published ")).unwrap();
    let words: Vec<&str> = line.split_whitespace().collect();
    let messages = number(words[1]);
    let carrying = words.iter().position(|w| *w == "carrying").unwrap();
    let events_sent = number(words[carrying + 1]);
    let stream_events: u64 = manifest_sum(&events, |p| p.records).values().sum();
    assert_eq!(events_sent, stream_events, "{line}");
    assert_eq!(published(&last), messages, "{body}");
    let stage = "load_rabbitmq";
    assert_eq!(
        whole_stage(&last, "pancake_events_done_total", stage),
        Some(events_sent)
    );
    assert_eq!(
        whole_stage(&last, "pancake_events_expected", stage),
        Some(events_sent)
    );
    assert_eq!(
        whole_stage(&last, "pancake_unconfirmed_messages", stage),
        Some(0),
        "{body}"
    );
    // Publishing reads every part of the stream to its end, once.
    let read = by(&last, "pancake_bytes_read_total", stage, "table");
    assert_eq!(read, manifest_sum(&events, |p| p.bytes), "{body}");
    assert_progress_lines(&stderr, stage);
    assert!(
        published(&during) < messages,
        "scraped during the load: {}",
        published(&during)
    );
}

#[test]
fn metrics_scraped_during_an_extract_end_equal_to_its_dump() {
    let data = tempfile::tempdir().unwrap();
    let dump = pancake_tds_test_server::prepare_preset("tiny", 1.0, 1, data.path()).unwrap();
    let server = BackgroundServer::start(ServerConfig::new(&dump)).unwrap();
    let port = server.addr().port();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("extracted");
    let mut extract = command(&["extract", "--out", out.to_str().unwrap()]);
    extract
        .args(["--page-rows", "50", "--part-records", "300"])
        .args(["--max-rows-per-sec", "5000"])
        .env(
            "MSSQL_URL",
            format!("mssql://pancake:pancake-test-password@127.0.0.1:{port}/legacy?encrypt=false"),
        );
    let mut extract = Watched::start(extract, || {});
    let parts = |s: &Samples| -> u64 {
        by(s, "pancake_parts_committed_total", "extract", "table")
            .values()
            .sum()
    };
    let during = extract.scrape_when(|s| parts(s) > 0);
    let (_stdout, stderr, body) = extract.end("read ");
    drop(extract);
    let last = parse(&body);

    let stage = "extract";
    // A table without rows has no parts, and counts nothing.
    let records: BTreeMap<String, u64> = manifest_sum(&out, |p| p.records)
        .into_iter()
        .filter(|(_, rows)| *rows > 0)
        .collect();
    assert_eq!(
        by(&last, "pancake_rows_done_total", stage, "table"),
        records,
        "{body}"
    );
    let files = manifest_sum(&out, |p| p.bytes);
    let written = by(&last, "pancake_bytes_written_total", stage, "table");
    assert_eq!(written, of_tables_in(&files, &records), "{body}");
    let counts = manifest_sum(&out, |_| 1);
    assert_eq!(parts(&last), counts.values().sum::<u64>(), "{body}");
    assert!(
        parts(&during) < parts(&last),
        "scraped during the extract: {}",
        parts(&during)
    );
    // Bytes off the wire: every row's token and key at the least.
    let read = by(&last, "pancake_bytes_read_total", stage, "table");
    assert!(records.len() > 3, "{records:?}");
    for (table, rows) in &records {
        let bytes = read.get(table).copied().unwrap_or(0);
        assert!(
            bytes > rows * 9,
            "{table}: {bytes} bytes read for {rows} rows: {body}"
        );
    }
    assert_progress_lines(&stderr, stage);
}
