//! `--metrics-addr` as Prometheus sees it: `/metrics` scraped during a
//! `pancake load postgres` and once more at its end, parsed by
//! prometheus_client (Python, `tests/clients/parse_metrics.py`), and the
//! counters at the end equal the load's summary, module by module; and
//! with stderr not a terminal, progress lines take the bars' place.
//!
//! The parser is installed by `scripts/services.sh` into the Python test
//! clients' environment; without it the test fails saying so.

mod common;

use common::{command, database_url, psql, text, tiny_stream};
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

/// The samples of an exposition, by prometheus_client: name, labels, value.
fn parse(exposition: &str) -> Vec<(String, BTreeMap<String, String>, f64)> {
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
    let samples: Vec<(String, BTreeMap<String, String>, f64)> =
        serde_json::from_slice(&out.stdout).unwrap();
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

/// Per module, the value of counter `name` in `samples`.
fn per_module(
    samples: &[(String, BTreeMap<String, String>, f64)],
    name: &str,
) -> BTreeMap<String, u64> {
    samples
        .iter()
        .filter(|(n, labels, _)| n == name && labels["stage"] == "load_postgres")
        .map(|(_, labels, v)| (labels["module"].clone(), *v as u64))
        .collect()
}

/// From the summary line `profile   DB: 28 parts loaded, 0 skipped (loaded
/// before); 1,112 events, 593 rows, ...`: (module, parts, events, rows).
fn summary_line(line: &str) -> Option<(String, u64, u64, u64)> {
    let module = line.split_whitespace().next()?.to_owned();
    let (_, rest) = line.split_once(": ")?;
    let number = |s: &str| s.trim().replace(',', "").parse::<u64>().ok();
    let parts = number(rest.split(" parts loaded").next()?)?;
    let (_, rest) = rest.split_once("); ")?;
    let mut fields = rest.split(", ");
    let events = number(fields.next()?.strip_suffix(" events")?)?;
    let rows = number(fields.next()?.strip_suffix(" rows")?)?;
    Some((module, parts, events, rows))
}

/// The load and its databases: killed and dropped however the test ends.
struct Load {
    child: std::process::Child,
    prefix: String,
}

impl Drop for Load {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        drop_all(&self.prefix);
    }
}

fn drop_all(prefix: &str) {
    for m in pancake_load::MODULES {
        psql(
            "postgres",
            &format!(
                "DROP DATABASE IF EXISTS \"{prefix}{}\" WITH (FORCE)",
                m.name
            ),
        );
    }
}

#[test]
fn metrics_scraped_during_a_postgres_load_end_equal_to_its_summary() {
    let tmp = tempfile::tempdir().unwrap();
    // Many small parts loaded one at a time: a load of some seconds.
    let events = tiny_stream(tmp.path(), "1", &["--part-records", "200"]);
    let prefix = format!("metrics{}_", std::process::id());
    drop_all(&prefix);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let child = command(&["load", "postgres", "--in", events.to_str().unwrap()])
        .args(["--db-prefix", &prefix, "--jobs", "1"])
        .args(["--metrics-addr", &addr, "--metrics-linger", "60"])
        .args(["--log-format", "json", "--progress-every", "1"])
        .env("DATABASE_URL", database_url())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut load = Load {
        child,
        prefix: prefix.clone(),
    };
    let child = &mut load.child;
    // stdout and stderr, line by line, as they come.
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

    // During the load: the first scrape with a committed part.
    let deadline = Instant::now() + Duration::from_secs(120);
    let during = loop {
        assert!(Instant::now() < deadline, "no metrics while loading");
        if let Some(body) = scrape(port)
            && body.contains("pancake_parts_committed_total")
        {
            break parse(&body);
        }
        std::thread::sleep(Duration::from_millis(20));
    };

    // The end: the summary on stdout and the end line on stderr.
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let mut ended = false;
    while !(ended && stdout.iter().any(|l: &String| l.starts_with("loaded "))) {
        let (is_out, line) = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("the load never ended: {stderr:?} {stdout:?}"));
        if is_out {
            stdout.push(line);
        } else {
            let value: Value = serde_json::from_str(&line).unwrap();
            assert_ne!(value["level"], "ERROR", "{line}");
            ended |= value["message"] == "stage ended";
            stderr.push(line);
        }
    }
    let body = scrape(port).expect("the metrics stay up for --metrics-linger");
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
    // Off a terminal, progress lines stand in for the bars.
    let progress: Vec<Value> = stderr
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["message"] == "progress")
        .collect();
    assert!(!progress.is_empty(), "no progress line in {stderr:?}");
    for p in &progress {
        assert_eq!(p["stage"], "load_postgres", "{p}");
        for field in ["done", "expected", "rate", "eta_seconds"] {
            assert!(p[field].is_u64(), "no {field} in {p}");
        }
    }
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
