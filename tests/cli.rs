//! The `pancake` binary end to end: what a person at the terminal sees.

use std::path::Path;
use std::process::{Command, Output};

fn pancake(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pancake"))
        .args(args)
        .output()
        .expect("pancake runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn generate_tiny(dir: &Path) {
    let out = pancake(&[
        "generate",
        "--preset",
        "tiny",
        "--seed",
        "1",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "generate failed: {}",
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains("generated tiny"), "{stdout}");
    assert!(stdout.contains("dirty rows:"), "{stdout}");
}

#[test]
fn generate_then_verify_passes_and_a_second_generate_has_nothing_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    generate_tiny(&dir);
    let out = pancake(&["verify", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("ok: "),
        "{}",
        text(&out.stdout)
    );

    let again = pancake(&[
        "generate",
        "--preset",
        "tiny",
        "--seed",
        "1",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(again.status.success());
    assert!(
        text(&again.stdout).contains("nothing to do"),
        "{}",
        text(&again.stdout)
    );
}

#[test]
fn a_damaged_part_fails_verify_naming_the_part_and_the_cause() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    generate_tiny(&dir);
    let part = dir.join("messages/part-000000.pb.gz");
    let mut bytes = std::fs::read(&part).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&part, &bytes).unwrap();

    let out = pancake(&["verify", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("messages/part-000000.pb.gz"), "{stderr}");
    assert!(
        stderr.contains("corrupt") || stderr.contains("truncated"),
        "{stderr}"
    );
    assert!(stderr.contains("failed verification"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // Cut short: says truncated.
    std::fs::write(&part, &bytes[..middle]).unwrap();
    let out = pancake(&["verify", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("truncated"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn inspect_summarises_as_json_and_prints_records() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    generate_tiny(&dir);
    let out = pancake(&["inspect", dir.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["kind"], "legacy-dump");
    assert_eq!(summary["complete"], true);
    let tables = summary["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 8);
    let messages = tables.iter().find(|t| t["name"] == "messages").unwrap();
    assert!(messages["records"].as_u64().unwrap() >= 3_000);
    assert!(messages["parts"].as_u64().unwrap() >= 1);
    assert!(messages["bytes"].as_u64().unwrap() > 0);
    assert_eq!(messages["key_range"][0], 5_000_000_001u64);
    assert_eq!(summary["generator"]["preset"], "tiny");
    let total: u64 = tables.iter().map(|t| t["records"].as_u64().unwrap()).sum();
    assert_eq!(summary["records"], total);

    let out = pancake(&[
        "inspect",
        dir.to_str().unwrap(),
        "--table",
        "messages",
        "--records",
        "3",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["table"], "messages");
    assert_eq!(lines[2]["record"], 2);
    assert!(lines[0]["data"]["body"].is_string());
    assert!(lines[0]["data"]["sent_at"].as_str().unwrap().ends_with('Z'));

    let human = pancake(&["inspect", dir.to_str().unwrap()]);
    let human = text(&human.stdout);
    assert!(human.contains("legacy-dump, complete"), "{human}");
    assert!(human.contains("photo_likes"), "{human}");
}

#[test]
fn mistakes_get_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let out = pancake(&[
        "generate",
        "--preset",
        "norway",
        "--out",
        tmp.path().to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("tiny, finland, sweden"),
        "{}",
        text(&out.stderr)
    );

    let foreign = tmp.path().join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let out = pancake(&["generate", "--out", foreign.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("not empty"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(foreign.join("notes.txt")).unwrap(),
        "mine"
    );

    let out = pancake(&["verify", tmp.path().join("nowhere").to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no manifest.json"),
        "{}",
        text(&out.stderr)
    );

    let dir = tmp.path().join("d");
    generate_tiny(&dir);
    let out = pancake(&["inspect", dir.to_str().unwrap(), "--table", "nope"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("members"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    generate_tiny(&dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_pancake"))
        .args(["inspect", dir.to_str().unwrap(), "--records", "1000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout); // what `| head` does
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    child.wait().unwrap();
    assert!(stderr.is_empty(), "a closed pipe is no error: {stderr}");
}

#[test]
fn a_broken_manifest_is_named_once_with_its_cause() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("manifest.json"), "{").unwrap();
    let out = pancake(&["inspect", tmp.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("not a valid manifest"), "{stderr}");
    assert_eq!(stderr.matches("EOF while parsing").count(), 1, "{stderr}");
}
