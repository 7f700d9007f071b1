//! `pancake transform` end to end: killed with SIGKILL in the middle, run
//! again, it continues and ends with the very parts of an uninterrupted run.

mod common;

use common::{pancake, text};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// tiny x10 (about 60,000 rows) in 700-row parts: a transform of it with
/// one thread and 200-event parts takes seconds, long enough to be killed.
fn dump() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("tiny10");
        let out = pancake(&[
            "generate",
            "--preset",
            "tiny",
            "--scale",
            "10",
            "--part-records",
            "700",
            "--out",
            s(&dir),
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        (tmp, dir)
    })
    .1
}

fn transform_args(out: &Path) -> Vec<&str> {
    vec![
        "transform",
        "--in",
        s(dump()),
        "--out",
        s(out),
        "--threads",
        "1",
        "--part-records",
        "200",
    ]
}

fn manifest(dir: &Path) -> Option<serde_json::Value> {
    let bytes = std::fs::read(dir.join("manifest.json")).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Input parts whose output the manifest lists as committed.
fn parts_done(m: &serde_json::Value) -> u64 {
    m["transform"]["tables"].as_object().map_or(0, |t| {
        t.values()
            .map(|a| a["parts_done"].as_u64().unwrap_or(0))
            .sum()
    })
}

/// Every part of the tables and sidecars: file, records, checksum.
fn parts(dir: &Path) -> Vec<(String, u64, String)> {
    let m = manifest(dir).unwrap();
    let mut out = Vec::new();
    for list in ["tables", "sidecars"] {
        for t in m[list].as_array().unwrap() {
            for p in t["parts"].as_array().unwrap() {
                out.push((
                    p["file"].as_str().unwrap().to_owned(),
                    p["records"].as_u64().unwrap(),
                    p["checksum"].as_str().unwrap().to_owned(),
                ));
            }
        }
    }
    out
}

fn temp_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(temp_files(&path));
        } else if path.extension().is_some_and(|e| e == "tmp") {
            out.push(path);
        }
    }
    out
}

const KINDS: [&str; 14] = [
    "member-registered",
    "registration-approved",
    "member-deleted",
    "flirt-sent",
    "message-sent",
    "message-read",
    "member-blocked",
    "member-unblocked",
    "favorite-added",
    "favorite-removed",
    "profile-visited",
    "photo-uploaded",
    "photo-liked",
    "search-profile-set",
];

const REASONS: [&str; 6] = [
    "orphan",
    "duplicate_key",
    "null_required",
    "bad_date",
    "self_reference",
    "bad_range",
];

/// Starts the slow transform (`transform_args`) into `out`.
fn spawn_transform(out: &Path, stdout: Stdio, stderr: Stdio) -> Child {
    Command::new(env!("CARGO_BIN_EXE_pancake"))
        .args(transform_args(out))
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .unwrap()
}

/// Polls `ready` until it gives a value while `child` runs; if the child
/// ends first, panics with what `ended` says of its status. Gives up after
/// two minutes.
fn wait_until<T>(
    child: &mut Child,
    ended: impl Fn(ExitStatus) -> String,
    mut ready: impl FnMut() -> Option<T>,
) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = ready() {
            return value;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("{}", ended(status));
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no part committed in 2 minutes"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// `pancake verify` of `dir`, which must succeed: its stdout and stderr.
fn verify_ok(dir: &Path) -> (String, String) {
    let verify = pancake(&["verify", s(dir)]);
    assert!(verify.status.success(), "{}", text(&verify.stderr));
    (text(&verify.stdout), text(&verify.stderr))
}

/// The line of a summary that starts with `name` (after indentation).
fn summary_line<'a>(stdout: &'a str, name: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no line for {name}:\n{stdout}"))
}

#[test]
fn a_killed_transform_continues_and_ends_with_the_parts_of_an_uninterrupted_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (whole, killed) = (tmp.path().join("whole"), tmp.path().join("killed"));

    // The uninterrupted run, alongside.
    let reference = spawn_transform(&whole, Stdio::piped(), Stdio::piped());

    // The run to kill, once a few input parts are committed.
    let mut child = spawn_transform(&killed, Stdio::null(), Stdio::null());
    let ended = |status| {
        format!("the transform ended ({status}) before it could be killed; make it slower")
    };
    let committed = wait_until(&mut child, ended, || {
        let m = manifest(&killed)?;
        let done = parts_done(&m);
        (done >= 3 && m["complete"] == false).then_some(done)
    });
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed: {status}");
    let left = manifest(&killed).unwrap();
    assert_eq!(left["complete"], false);
    assert!(parts_done(&left) >= committed);

    let reference = reference.wait_with_output().unwrap();
    assert!(reference.status.success(), "{}", text(&reference.stderr));
    let first = text(&reference.stdout);
    assert!(!first.contains("continuing an earlier run"), "{first}");

    // The same command again continues where the killed run stopped.
    let again = pancake(&transform_args(&killed));
    assert!(again.status.success(), "{}", text(&again.stderr));
    let stdout = text(&again.stdout);
    assert!(stdout.contains("continuing an earlier run"), "{stdout}");
    assert!(
        stdout.contains(
            "accounting: rows read = rows with events + rows rejected for every table: yes"
        ),
        "{stdout}"
    );

    // Whole, and the very parts of the uninterrupted run.
    let (verify_out, verify_err) = verify_ok(&killed);
    assert!(verify_out.starts_with("ok: "), "{verify_out}");
    assert!(!verify_err.contains("warning"), "stray files: {verify_err}");
    assert!(temp_files(&killed).is_empty(), "{:?}", temp_files(&killed));
    let (a, b) = (parts(&whole), parts(&killed));
    assert!(a.len() > 100, "many parts: {}", a.len());
    assert_eq!(a, b);
    assert_eq!(
        manifest(&whole).unwrap()["transform"],
        manifest(&killed).unwrap()["transform"]
    );

    // The resumed summary counts the whole stream, like the first.
    for name in KINDS.iter().chain(&REASONS) {
        assert_eq!(
            summary_line(&first, name),
            summary_line(&stdout, name),
            "{name}"
        );
    }

    // A third run has nothing to do.
    let third = pancake(&transform_args(&killed));
    assert!(third.status.success(), "{}", text(&third.stderr));
    assert!(
        text(&third.stdout).contains("nothing to do"),
        "{}",
        text(&third.stdout)
    );
    assert_eq!(parts(&killed), b);
}

#[test]
fn the_summary_lists_events_per_kind_and_rejects_per_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("events");
    let run = pancake(&[
        "transform",
        "--in",
        s(dump()),
        "--out",
        s(&out),
        "--part-records",
        "100000",
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let stdout = text(&run.stdout);
    let kinds = stdout.find("events per kind:").expect(&stdout);
    let reasons = stdout.find("rejects per reason:").expect(&stdout);
    assert!(kinds < reasons, "{stdout}");
    let m = manifest(&out).unwrap();
    let section = &m["transform"];
    let number = |line: &str| -> u64 {
        line.split_whitespace()
            .last()
            .unwrap()
            .replace(',', "")
            .parse()
            .unwrap()
    };
    for kind in KINDS {
        let line = summary_line(&stdout[kinds..reasons], kind);
        assert_eq!(
            number(line),
            section["kinds"][kind].as_u64().unwrap_or(0),
            "{line}"
        );
        assert!(number(line) > 0, "tiny x10 has every kind: {line}");
    }
    for reason in REASONS {
        let line = summary_line(&stdout[reasons..], reason);
        assert_eq!(
            number(line),
            section["rejects"][reason].as_u64().unwrap_or(0),
            "{line}"
        );
        assert!(number(line) > 0, "tiny x10 has every reason: {line}");
    }
    for table in pancake_proto::LegacyTable::ALL {
        summary_line(&stdout, table.name());
    }
    assert!(stdout.contains(" rows/s, "), "{stdout}");
    assert!(stdout.contains(" events/s"), "{stdout}");
    assert!(!stdout.contains("continuing an earlier run"), "{stdout}");
}

#[test]
fn decode_only_reads_everything_and_prints_the_rate() {
    for threads in ["1", "2"] {
        let run = pancake(&[
            "transform",
            "--in",
            s(dump()),
            "--decode-only",
            "--threads",
            threads,
        ]);
        assert!(run.status.success(), "{}", text(&run.stderr));
        let stdout = text(&run.stdout);
        let line = stdout
            .lines()
            .find(|l| l.contains("records/s"))
            .unwrap_or_else(|| panic!("no records/s line: {stdout}"));
        assert!(line.starts_with("decoded "), "{line}");
        assert!(line.contains(&format!("({threads} threads)")), "{line}");
        // Every record of the legacy tables, the dirty-row marks aside.
        let m = manifest(dump()).unwrap();
        let rows: u64 = m["tables"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|t| t["parts"].as_array().unwrap())
            .map(|p| p["records"].as_u64().unwrap())
            .sum();
        let decoded: u64 = line
            .split_whitespace()
            .nth(1)
            .unwrap()
            .replace(',', "")
            .parse()
            .unwrap();
        assert_eq!(decoded, rows, "{line}");
    }
    // Nothing is written.
    assert!(!dump().join("events").exists());
}

const LOCK_FILE: &str = pancake_proto::folder::LOCK_FILE;

/// The pid in `out`'s lock file, if there is one.
fn lock_holder(out: &Path) -> Option<u32> {
    std::fs::read_to_string(out.join(LOCK_FILE))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Starts the slow transform into `out` and returns it once it holds the
/// folder (its pid in the lock file) and has committed a part.
fn start_slow_transform(out: &Path) -> Child {
    let mut child = spawn_transform(out, Stdio::null(), Stdio::piped());
    let pid = child.id();
    let ended = |status| {
        format!(
            "the transform ended ({status}) with no lock on {} seen; lock file: {:?}",
            out.display(),
            std::fs::read_to_string(out.join(LOCK_FILE))
        )
    };
    wait_until(&mut child, ended, || {
        let writing = manifest(out).is_some_and(|m| parts_done(&m) >= 1 && m["complete"] == false);
        (writing && lock_holder(out) == Some(pid)).then_some(())
    });
    child
}

/// The run that held `out` has let go of it: no lock file is left.
fn assert_lock_gone(out: &Path) {
    assert!(
        !out.join(LOCK_FILE).exists(),
        "the lock file goes with the run"
    );
}

#[test]
fn a_second_transform_into_a_folder_being_written_is_refused_and_the_first_ends_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("events");
    let first = start_slow_transform(&out);

    // The auditor's case: the same command again while the first runs,
    // then with --force, which must not empty a folder in use.
    let mut second = transform_args(&out);
    for extra in [None, Some("--force")] {
        second.extend(extra);
        let run = pancake(&second);
        assert!(!run.status.success(), "{}", text(&run.stdout));
        let stderr = text(&run.stderr);
        assert!(
            stderr.contains(&format!(
                "{} is being written by another pancake process (pid {})",
                out.display(),
                first.id()
            )),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }

    let first = first.wait_with_output().unwrap();
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert_eq!(manifest(&out).unwrap()["complete"], true);
    let (_, verify_err) = verify_ok(&out);
    assert!(!verify_err.contains("warning"), "{verify_err}");
    assert_lock_gone(&out);
}

#[test]
fn a_transform_killed_while_it_holds_its_folder_leaves_no_lock_that_blocks_the_next_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("events");
    let mut first = start_slow_transform(&out);
    let pid = first.id();
    first.kill().unwrap(); // SIGKILL
    assert!(!first.wait().unwrap().success());
    assert_eq!(lock_holder(&out), Some(pid), "kill -9 leaves the lock file");

    let again = pancake(&transform_args(&out));
    assert!(again.status.success(), "{}", text(&again.stderr));
    let stdout = text(&again.stdout);
    assert!(stdout.contains("continuing an earlier run"), "{stdout}");
    verify_ok(&out);
    assert_lock_gone(&out);
}

/// A hand-edited output manifest that keeps the settings but loses a
/// table's account is refused with a message, never a panic.
#[test]
fn an_unfinished_stream_whose_manifest_lost_a_table_account_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("events");
    let done = pancake(&transform_args(&out));
    assert!(done.status.success(), "{}", text(&done.stderr));
    let mut m = manifest(&out).unwrap();
    m["complete"] = serde_json::Value::Bool(false);
    m["transform"]["tables"]
        .as_object_mut()
        .unwrap()
        .remove("members")
        .expect("the members account is there");
    std::fs::write(
        out.join("manifest.json"),
        serde_json::to_vec_pretty(&m).unwrap(),
    )
    .unwrap();

    let again = pancake(&transform_args(&out));
    let err = text(&again.stderr);
    assert_eq!(again.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("members"), "{err}");
    assert!(err.contains("--force"), "{err}");
}
