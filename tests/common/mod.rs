//! What the CLI tests share: running the binary, reading its output,
//! waiting for it, a tiny event stream made the way a person makes one,
//! and the broker's side of the loader's tests (their `rabbit.rs`).

// Each test file uses some of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The broker's side, as the loader's tests have it.
#[path = "../../load/tests/common/rabbit.rs"]
pub mod rabbit;

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
    pancake_ok(&[
        "generate",
        "--preset",
        "tiny",
        "--scale",
        scale,
        "--out",
        dump.to_str().unwrap(),
    ]);
    let mut args = vec![
        "transform",
        "--in",
        dump.to_str().unwrap(),
        "--out",
        events.to_str().unwrap(),
    ];
    args.extend_from_slice(transform_args);
    pancake_ok(&args);
    events
}

/// The stdout of a run that must have succeeded (else fails showing its
/// stderr).
#[track_caller]
pub fn succeeded(out: &Output) -> String {
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

/// Runs `pancake` with `args`, which must succeed; returns its stdout.
#[track_caller]
pub fn pancake_ok(args: &[&str]) -> String {
    succeeded(&pancake(args))
}

/// Runs `pancake` with `args`, which must fail; returns its stderr.
#[track_caller]
pub fn pancake_fails(args: &[&str]) -> String {
    let out = pancake(args);
    assert!(!out.status.success());
    text(&out.stderr)
}

/// Polls `done` until it holds, for at most a minute (then fails saying
/// `never`).
#[track_caller]
pub fn wait_until(never: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "{never}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Starts `command` with its output dropped, waits until `done` holds and
/// kills it with SIGKILL, as `kill -9` would. Fails saying `never` when
/// `done` does not hold within a minute, and `ended` when the command ends
/// before it is killed.
#[track_caller]
pub fn kill_when(command: &mut Command, never: &str, ended: &str, mut done: impl FnMut() -> bool) {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut running = || child.try_wait().unwrap().is_none();
    wait_until(never, || {
        done() || {
            assert!(running(), "{ended}");
            false
        }
    });
    assert!(running(), "{ended}");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

/// Waits for `child` (started with its stdout and stderr piped) for at
/// most `limit`; a child still running then is killed, and the test fails
/// showing what it printed, instead of hanging the suite.
#[track_caller]
pub fn wait_within(mut child: std::process::Child, limit: Duration) -> Output {
    use std::io::Read;
    fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    }
    let (stdout, stderr) = (drain(child.stdout.take()), drain(child.stderr.take()));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() >= deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    let Some(status) = status else {
        panic!(
            "still running after {} s, killed; its stderr:\n{}",
            limit.as_secs(),
            text(&stderr)
        );
    };
    Output {
        status,
        stdout,
        stderr,
    }
}

/// Runs `command` to its end, for at most `limit` (see [`wait_within`]).
#[track_caller]
pub fn output_within(command: &mut Command, limit: Duration) -> Output {
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_within(child, limit)
}

/// Runs `future` to its end on a runtime of its own.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Runtime::new().unwrap().block_on(future)
}

/// The PostgreSQL server the tests use: `DATABASE_URL`, or the local one
/// `scripts/services.sh` starts.
pub fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| pancake_load::postgres::DEFAULT_DATABASE_URL.into())
}

/// The server URL with another database in its path.
pub fn url_of(database: &str) -> String {
    let url = database_url();
    let (base, _) = url.rsplit_once('/').expect("a URL with a path");
    format!("{base}/{database}")
}

/// Drops the module databases `<prefix><module>` (`prefix` with its
/// trailing `_`), whoever is connected to them.
pub fn drop_module_databases(prefix: &str) {
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

/// One value from psql in `database`, or None when the query fails (no
/// such database yet).
pub fn psql(database: &str, sql: &str) -> Option<String> {
    let out = Command::new("psql")
        .args([&url_of(database), "-X", "-q", "-t", "-A", "-c", sql])
        .output()
        .expect("psql runs (scripts/services.sh installs it)");
    out.status
        .success()
        .then(|| text(&out.stdout).trim().to_owned())
}
