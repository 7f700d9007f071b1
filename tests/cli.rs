//! The `pancake` binary end to end: what a person at the terminal sees.

mod common;

use common::{pancake, pancake_fails, pancake_ok, text};
use std::path::{Path, PathBuf};
use std::process::Output;

/// `pancake generate --preset tiny --seed 1 --out dir`.
fn generate_tiny_into(dir: &Path) -> Output {
    pancake(&[
        "generate",
        "--preset",
        "tiny",
        "--seed",
        "1",
        "--out",
        dir.to_str().unwrap(),
    ])
}

fn generate_tiny(dir: &Path) {
    let out = generate_tiny_into(dir);
    assert!(
        out.status.success(),
        "generate failed: {}",
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains("generated tiny"), "{stdout}");
    assert!(stdout.contains("dirty rows:"), "{stdout}");
}

/// `tiny` generated into a folder `d` of a temporary folder: the folder
/// (gone when dropped) and `d`.
fn tiny_dump() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    generate_tiny(&dir);
    (tmp, dir)
}

#[test]
fn generate_then_verify_passes_and_a_second_generate_has_nothing_to_do() {
    let (_tmp, dir) = tiny_dump();
    let stdout = pancake_ok(&["verify", dir.to_str().unwrap()]);
    assert!(stdout.starts_with("ok: "), "{stdout}");

    let again = generate_tiny_into(&dir);
    assert!(again.status.success());
    assert!(
        text(&again.stdout).contains("nothing to do"),
        "{}",
        text(&again.stdout)
    );
}

#[test]
fn a_damaged_part_fails_verify_naming_the_part_and_the_cause() {
    let (_tmp, dir) = tiny_dump();
    let part = dir.join("messages/part-000000.pb.gz");
    let mut bytes = std::fs::read(&part).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&part, &bytes).unwrap();

    // verify exits 1, saying why.
    let verify = || {
        let out = pancake(&["verify", dir.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1));
        text(&out.stderr)
    };
    let stderr = verify();
    assert!(stderr.contains("messages/part-000000.pb.gz"), "{stderr}");
    assert!(
        stderr.contains("corrupt") || stderr.contains("truncated"),
        "{stderr}"
    );
    assert!(stderr.contains("failed verification"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // Cut short: says truncated.
    std::fs::write(&part, &bytes[..middle]).unwrap();
    let stderr = verify();
    assert!(stderr.contains("truncated"), "{stderr}");
}

#[test]
fn inspect_summarises_as_json_and_prints_records() {
    let (_tmp, dir) = tiny_dump();
    let summary: serde_json::Value =
        serde_json::from_str(&pancake_ok(&["inspect", dir.to_str().unwrap(), "--json"])).unwrap();
    assert_eq!(summary["kind"], "legacy-dump");
    assert_eq!(summary["complete"], true);
    let tables = summary["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 9);
    let messages = tables.iter().find(|t| t["name"] == "messages").unwrap();
    assert!(messages["records"].as_u64().unwrap() >= 3_000);
    assert!(messages["parts"].as_u64().unwrap() >= 1);
    assert!(messages["bytes"].as_u64().unwrap() > 0);
    assert_eq!(messages["key_range"][0], 5_000_000_001u64);
    assert_eq!(summary["generator"]["preset"], "tiny");
    let total: u64 = tables.iter().map(|t| t["records"].as_u64().unwrap()).sum();
    assert_eq!(summary["records"], total);

    let records = pancake_ok(&[
        "inspect",
        dir.to_str().unwrap(),
        "--table",
        "messages",
        "--records",
        "3",
    ]);
    let lines: Vec<serde_json::Value> = records
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
    assert!(human.contains("search_profiles"), "{human}");
}

#[test]
fn mistakes_get_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let stderr = pancake_fails(&[
        "generate",
        "--preset",
        "norway",
        "--out",
        tmp.path().to_str().unwrap(),
    ]);
    assert!(stderr.contains("tiny, finland, sweden"), "{stderr}");

    let foreign = tmp.path().join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let stderr = pancake_fails(&["generate", "--out", foreign.to_str().unwrap()]);
    assert!(stderr.contains("not empty"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(foreign.join("notes.txt")).unwrap(),
        "mine"
    );

    let stderr = pancake_fails(&["verify", tmp.path().join("nowhere").to_str().unwrap()]);
    assert!(stderr.contains("no manifest.json"), "{stderr}");

    let dir = tmp.path().join("d");
    generate_tiny(&dir);
    let stderr = pancake_fails(&["inspect", dir.to_str().unwrap(), "--table", "nope"]);
    assert!(stderr.contains("members"), "{stderr}");
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let (_tmp, dir) = tiny_dump();
    let mut child = common::command(&["inspect", dir.to_str().unwrap(), "--records", "1000"])
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
    let stderr = pancake_fails(&["inspect", tmp.path().to_str().unwrap()]);
    assert!(stderr.contains("not a valid manifest"), "{stderr}");
    assert_eq!(stderr.matches("EOF while parsing").count(), 1, "{stderr}");
}

#[test]
fn generate_and_transform_refuse_a_folder_another_process_holds_naming_its_pid() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    generate_tiny(&dump);
    let events = tmp.path().join("events");
    let pid = std::process::id();
    for (dir, args) in [
        (
            &dump,
            vec!["generate", "--preset", "tiny", "--seed", "2", "--force"],
        ),
        (&events, vec!["transform", "--in", dump.to_str().unwrap()]),
    ] {
        let held = pancake_proto::OutputFolder::lock(dir).unwrap();
        let mut args = args.clone();
        args.extend(["--out", dir.to_str().unwrap()]);
        let out = pancake(&args);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(&format!(
                "{} is being written by another pancake process (pid {pid})",
                dir.display()
            )),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        drop(held);
    }
    // The dump was left as it was; the stream was never begun.
    pancake_ok(&["verify", dump.to_str().unwrap()]);
    let out = pancake(&["inspect", dump.to_str().unwrap(), "--json"]);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["generator"]["seed"], 1);
    assert!(
        !events.exists(),
        "{:?}",
        events.read_dir().map(|d| d.count())
    );
}

#[test]
fn a_lock_file_left_by_a_killed_run_is_ignored_by_every_reader_and_writer() {
    let tmp = tempfile::tempdir().unwrap();
    let events = common::tiny_stream(tmp.path(), "1", &[]);
    let dump = tmp.path().join("dump");
    let lock = pancake_proto::folder::LOCK_FILE;
    // What kill -9 leaves: the lock file with a dead pid (the kernel has
    // released the lock itself).
    for dir in [&dump, &events] {
        std::fs::write(dir.join(lock), "4194304\n").unwrap();
        let verify = pancake(&["verify", dir.to_str().unwrap()]);
        assert!(verify.status.success(), "{}", text(&verify.stderr));
        assert!(
            !text(&verify.stderr).contains("warning"),
            "{}",
            text(&verify.stderr)
        );
        pancake_ok(&["inspect", dir.to_str().unwrap(), "--json"]);
        pancake_ok(&["inspect", dir.to_str().unwrap(), "--records", "1"]);
    }

    // The loaders' reader: every event of the stream.
    let merge = pancake_load::EventMerge::open(&events).unwrap();
    let total = merge.total_events();
    assert!(total > 0);
    let read = merge.collect::<Result<Vec<_>, _>>().unwrap();
    assert_eq!(read.len() as u64, total);

    // A transform from the dump, into a folder holding only a leftover lock
    // file: it counts as empty.
    let again = tmp.path().join("again");
    std::fs::create_dir(&again).unwrap();
    std::fs::write(again.join(lock), "4194304\n").unwrap();
    pancake_ok(&[
        "transform",
        "--in",
        dump.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(
        !again.join(lock).exists(),
        "the lock file goes with the run"
    );
    pancake_ok(&["verify", again.to_str().unwrap()]);
}

// ---------------------------------------------------------------------------
// The flags: one name per idea, the old spellings still accepted, each
// default shown once.
// ---------------------------------------------------------------------------

/// Runs `pancake` with `args` and `env` set, and no server URL from the
/// environment of the test run.
fn pancake_with(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = common::command(args);
    for var in ["DATABASE_URL", "AMQP_URL", "MSSQL_URL"] {
        c.env_remove(var);
    }
    c.envs(env.iter().copied());
    c.output().unwrap()
}

#[test]
fn the_old_flag_spellings_are_still_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    generate_tiny(&dump);
    // The part size is --part-records everywhere; transform's --part-events
    // names the same setting.
    for (flag, n) in [("--part-records", 2000), ("--part-events", 1000)] {
        let events = tmp.path().join(flag.trim_start_matches('-'));
        let n = n.to_string();
        let out = pancake(&[
            "transform",
            "--in",
            dump.to_str().unwrap(),
            "--out",
            events.to_str().unwrap(),
            flag,
            &n,
        ]);
        assert!(out.status.success(), "{flag}: {}", text(&out.stderr));
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(events.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(
            manifest["transform"]["part_events"].to_string(),
            n,
            "{flag}"
        );
    }
    // extract's --part-rows (here only parsed: --print-mapping needs no
    // server).
    for flag in ["--part-records", "--part-rows"] {
        let out = pancake_with(&["extract", "--print-mapping", flag, "5"], &[]);
        assert!(out.status.success(), "{flag}: {}", text(&out.stderr));
        let mapping = text(&out.stdout);
        assert!(mapping.contains("[members]"), "{mapping}");
        assert!(
            mapping.contains("[search_profiles]\ntable = \"dbo.SearchProfiles\""),
            "{mapping}"
        );
        assert!(
            mapping.contains("member_id = \"MemberId\"\nseeking_gender = \"SeekingGender\""),
            "{mapping}"
        );
    }
    // The module prefix is --prefix; --db-prefix and --queue-prefix are
    // taken for it. Each command gets as far as its first check of another
    // argument: the flag itself was accepted (a flag clap does not know
    // exits 2).
    let missing = tmp.path().join("missing");
    let missing = missing.to_str().unwrap();
    for (args, says) in [
        (
            vec![
                "load",
                "postgres",
                "--in",
                missing,
                "--database-url",
                "postgres://",
            ],
            "--database-url",
        ),
        (
            vec!["load", "rabbitmq", "--in", missing, "--amqp-url", "amqp://"],
            "amqp://",
        ),
        (vec!["seed", "--preset", "norway"], "unknown preset"),
        (vec!["bench", "--stages", "nope"], "unknown stage"),
    ] {
        let spellings: &[&str] = match args[0] {
            "load" if args[1] == "rabbitmq" => &["--prefix", "--queue-prefix"],
            "load" => &["--prefix", "--db-prefix", "--queue-prefix"],
            "seed" => &["--prefix", "--db-prefix"],
            _ => &["--prefix", "--db-prefix"],
        };
        for flag in spellings {
            let mut args = args.clone();
            args.extend([*flag, "nc_"]);
            let out = pancake_with(&args, &[]);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
            assert!(stderr.contains(says), "{args:?}: {stderr}");
        }
    }
    // Accepted, but not shown: help names each idea once.
    for args in [
        &["extract", "--help"][..],
        &["transform", "--help"],
        &["load", "postgres", "--help"],
        &["load", "rabbitmq", "--help"],
        &["seed", "--help"],
        &["bench", "--help"],
    ] {
        let help = text(&pancake_with(args, &[]).stdout);
        for old in [
            "--part-rows",
            "--part-events",
            "--db-prefix",
            "--queue-prefix",
        ] {
            assert!(!help.contains(old), "{args:?} shows {old}: {help}");
        }
    }
}

/// The help of every subcommand, long and short.
fn every_help(env: &[(&str, &str)]) -> Vec<(String, String)> {
    let commands: [&[&str]; 9] = [
        &["generate"],
        &["extract"],
        &["transform"],
        &["load", "rabbitmq"],
        &["load", "postgres"],
        &["seed"],
        &["bench"],
        &["verify"],
        &["inspect"],
    ];
    let mut helps = Vec::new();
    for command in commands {
        for flag in ["--help", "-h"] {
            let mut args = command.to_vec();
            args.push(flag);
            let out = pancake_with(&args, env);
            assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
            helps.push((args.join(" "), text(&out.stdout)));
        }
    }
    helps
}

/// What the help of the commands that start so shows, and does not show.
type HelpShows = (
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

const HELP_SHOWS: &[HelpShows] = &[
    (
        &["generate", "transform"],
        &["[default: one per core]"],
        &["[default: 0]"],
    ),
    (
        &["load postgres", "seed", "bench"],
        &["[default: postgres://postgres:postgres@127.0.0.1:5432/postgres]"],
        &[],
    ),
    (
        &["load rabbitmq", "bench"],
        &["[default: amqp://guest:guest@127.0.0.1:5672/%2f]"],
        &[],
    ),
    (
        &["load rabbitmq"],
        &["<prefix>_<module>"],
        &["pancake.<module>"],
    ),
    (
        &["load", "seed"],
        &["--prefix <NAME>", "[default: pancake]"],
        &[],
    ),
    (&["extract"], &["MSSQL_URL environment variable"], &[]),
];

#[test]
fn help_shows_each_default_once_and_the_default_urls_but_never_the_environment() {
    let secrets = [
        ("DATABASE_URL", "postgres://u:pg-secret-4711@h/db"),
        ("AMQP_URL", "amqp://u:amqp-secret-4711@h/%2f"),
        ("MSSQL_URL", "mssql://u:mssql-secret-4711@h/db"),
    ];
    for (command, help) in every_help(&secrets) {
        assert!(!help.contains("secret-4711"), "{command}: {help}");
        // One block per option: its first line starts with - after at most
        // six spaces; description lines are indented further.
        let mut blocks: Vec<String> = Vec::new();
        for line in help.lines() {
            let indent = line.len() - line.trim_start().len();
            if line.trim_start().starts_with('-') && indent <= 6 {
                blocks.push(String::new());
            }
            if let Some(block) = blocks.last_mut() {
                block.push(' ');
                block.push_str(line.trim());
            }
        }
        for block in &blocks {
            assert!(
                block.matches("[default:").count() <= 1,
                "{command}: a default shown twice: {block}"
            );
        }
        let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
        for (commands, shown, not_shown) in HELP_SHOWS {
            if !commands.iter().any(|c| command.starts_with(c)) {
                continue;
            }
            for text in *shown {
                assert!(flat.contains(text), "{command}: {flat}");
            }
            for text in *not_shown {
                assert!(!flat.contains(text), "{command}: {flat}");
            }
        }
    }
}

#[test]
fn extract_without_a_server_says_mssql_url_works_too() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("dump");
    let out = pancake_with(&["extract", "--out", out_dir.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("no server to extract from: give --mssql-url or set MSSQL_URL"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!out_dir.exists(), "nothing written");
}

#[test]
fn bench_runs_tiny_unless_told_otherwise() {
    let tmp = tempfile::tempdir().unwrap();
    let out = common::command(&["bench", "--stages", "generate"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The report goes to bench/<preset>-x<scale>.
    let report = tmp.path().join("bench").join("tiny-x1");
    assert!(report.join("report.json").exists(), "{}", text(&out.stdout));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.join("report.json")).unwrap()).unwrap();
    // tiny's rows.
    assert_eq!(json["stages"][0]["count"], 6510, "{json}");
}
