//! `pancake run --config` with the example migration file, pointed at a TDS
//! test server started here and at the local PostgreSQL and RabbitMQ:
//! killed during the extract, run again and killed during the RabbitMQ
//! load, and run once more, it ends balanced; `--print` tells what is
//! done; a bad file is refused naming the file, the line and the key.

mod common;

use common::rabbit::{amqp_url, delete_topology_at, saved_events, unique};
use common::{
    block_on, command, database_url, drop_module_databases, kill_when, output_within, text,
};
use pancake_tds_test_server::{Server, ServerConfig};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "pancake-test-password";

/// The example file with this test's folders, prefix and exchange, small
/// pages and parts, and a throttle that leaves time to kill the run.
fn config_from_example(dir: &Path, prefix: &str, exchange: &str) -> PathBuf {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/migration.toml");
    let mut text = std::fs::read_to_string(example).unwrap();
    for (from, to) in [
        (
            "folder = \"migration/dump\"",
            format!("folder = {:?}", dir.join("dump")),
        ),
        (
            "folder = \"migration/events\"",
            format!("folder = {:?}", dir.join("events")),
        ),
        ("prefix = \"migration\"", format!("prefix = {prefix:?}")),
        (
            "exchange = \"migration.events\"",
            format!("exchange = {exchange:?}"),
        ),
        (
            "url_env = \"MSSQL_URL\"",
            "url_env = \"RUN_TEST_MSSQL_URL\"".into(),
        ),
        ("max_rows_per_sec = 50000", "max_rows_per_sec = 2000".into()),
        ("page_rows = 10000", "page_rows = 100".into()),
        ("part_records = 2000", "part_records = 300".into()),
        // Slow, small windows: checkpoints every 1000 events or so, to be
        // killed between two.
        (
            "# confirm_window = 1000        # messages unconfirmed at most",
            "confirm_window = 10".into(),
        ),
        (
            "# max_events_per_sec = 20000   # spare the broker",
            "max_events_per_sec = 1500".into(),
        ),
    ] {
        assert!(text.contains(from), "the example has {from}");
        text = text.replace(from, &to);
    }
    let path = dir.join("migration.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// `pancake run --config FILE` with the test server's URL in the variable
/// the file names, and the local services' in DATABASE_URL and AMQP_URL.
fn run(config: &Path, port: u16, extra: &[&str]) -> Command {
    let mut c = command(&["run", "--config", config.to_str().unwrap()]);
    c.args(extra)
        .env(
            "RUN_TEST_MSSQL_URL",
            format!(
                "mssql://pancake:{PASSWORD}@127.0.0.1:{port}/legacy?encrypt=false&connect_timeout=5"
            ),
        )
        .env("DATABASE_URL", database_url())
        .env("AMQP_URL", amqp_url());
    c
}

/// The databases and the exchange of a run: dropped however the test ends.
struct Cleanup {
    prefix: String,
    exchange: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        drop_module_databases(&format!("{}_", self.prefix));
        block_on(delete_topology_at(
            &amqp_url(),
            &self.exchange,
            &self.prefix,
        ));
    }
}

#[test]
fn a_killed_migration_run_again_ends_balanced() {
    let tmp = tempfile::tempdir().unwrap();
    let data = pancake_tds_test_server::prepare_preset("tiny", 1.0, 1, tmp.path()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server: Server = runtime
        .block_on(Server::start(
            ServerConfig::new(&data),
            "127.0.0.1:0".parse().unwrap(),
        ))
        .unwrap();
    let port = server.addr().port();
    let prefix = format!("runcfg{}", std::process::id());
    let exchange = unique("run");
    let _cleanup = Cleanup {
        prefix: prefix.clone(),
        exchange: exchange.clone(),
    };
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let config = config_from_example(&work, &prefix, &exchange);

    // Fresh: nothing done.
    let fresh = output_within(
        &mut run(&config, port, &["--print"]),
        Duration::from_secs(60),
    );
    let said = text(&fresh.stdout);
    assert!(fresh.status.success(), "{}", text(&fresh.stderr));
    assert_eq!(said.matches(": not started").count(), 4, "{said}");
    assert!(!work.join("dump").exists(), "--print wrote nothing");

    // Killed once the dump has parts but before it is complete.
    let manifest = work.join("dump/manifest.json");
    kill_when(
        &mut run(&config, port, &[]),
        "the extract never wrote its manifest",
        "the run ended before it was killed",
        || manifest.exists(),
    );
    let partly = output_within(
        &mut run(&config, port, &["--print"]),
        Duration::from_secs(60),
    );
    let said = text(&partly.stdout);
    assert!(said.contains("1. extract $RUN_TEST_MSSQL_URL"), "{said}");
    assert!(said.contains("partly done"), "{said}");

    // Run again, killed while publishing to RabbitMQ: once a checkpoint
    // is saved (renamed into place from its .json.tmp), after the extract, the transform and the PostgreSQL load
    // finished.
    let checkpoints = work.join("events/checkpoints");
    let saved = || {
        std::fs::read_dir(&checkpoints)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .any(|p| saved_events(&p) > 0)
    };
    let mut child = run(&config, port, &[])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(240);
    while !saved() {
        let running = child.try_wait().unwrap().is_none();
        if !running || Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "no RabbitMQ checkpoint while the run ran (it ended: {})",
                !running
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let partly = output_within(
        &mut run(&config, port, &["--print"]),
        Duration::from_secs(60),
    );
    let said = text(&partly.stdout);
    assert_eq!(said.matches(": done (").count(), 3, "{said}");
    assert!(said.contains("partly done"), "{said}");

    // Run again: it continues and balances.
    let report = work.join("report.json");
    let out = output_within(
        &mut run(&config, port, &["--report-json", report.to_str().unwrap()]),
        Duration::from_secs(300),
    );
    let said = text(&out.stdout);
    {
        assert!(out.status.success(), "{said}\n{}", text(&out.stderr));
        assert!(said.contains("continued after the checkpoint"), "{said}");
        assert!(said.contains("every table and target balances"), "{said}");
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        assert_eq!(json["balanced"], true);
        let tables = json["tables"].as_array().unwrap();
        assert_eq!(tables.len(), 9, "{json}");
        let mut events = 0;
        for t in tables {
            assert_eq!(t["source_rows"], t["dump_rows"], "{t}");
            assert_eq!(t["dump_rows"], t["rows_read"], "{t}");
            let (with, rejected) = (t["rows_with_events"].as_u64(), t["rejected"].as_u64());
            assert_eq!(
                t["rows_read"].as_u64(),
                Some(with.unwrap() + rejected.unwrap())
            );
            assert!(t["dump_rows"].as_u64().unwrap() > 0, "{t}");
            events += t["events"].as_u64().unwrap();
        }
        assert_eq!(json["stream_events"].as_u64(), Some(events));
        let modules = json["postgres"].as_array().unwrap();
        assert_eq!(modules.len(), pancake_load::MODULES.len());
        for m in modules {
            assert_eq!(m["loaded_events"], m["expected_events"], "{m}");
            assert_eq!(m["loaded_parts"], m["stream_parts"], "{m}");
        }
        let audit = modules.iter().find(|m| m["module"] == "audit").unwrap();
        assert_eq!(audit["loaded_events"].as_u64(), Some(events));
        assert_eq!(json["rabbitmq"]["published_events"].as_u64(), Some(events));

        // Finished: --print says every stage is done, and a third run has
        // nothing to do and balances again.
        let done = output_within(
            &mut run(&config, port, &["--print"]),
            Duration::from_secs(60),
        );
        let said = text(&done.stdout);
        assert_eq!(said.matches(": done (").count(), 4, "{said}");
        let again = output_within(&mut run(&config, port, &[]), Duration::from_secs(120));
        let said = text(&again.stdout);
        assert!(again.status.success(), "{said}\n{}", text(&again.stderr));
        assert!(said.contains("nothing to do"), "{said}");
        assert!(said.contains("every table and target balances"), "{said}");

        // A stream whose accounting lost a row does not balance: the run
        // fails and names the table.
        let stream = work.join("events/manifest.json");
        let mut manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&stream).unwrap()).unwrap();
        let members = &mut manifest["transform"]["tables"]["members"];
        let with = members["rows_with_events"].as_u64().unwrap();
        members["rows_with_events"] = (with - 1).into();
        std::fs::write(&stream, manifest.to_string()).unwrap();
        let off = output_within(&mut run(&config, port, &[]), Duration::from_secs(120));
        let (said, err) = (text(&off.stdout), text(&off.stderr));
        assert!(!off.status.success(), "{said}");
        assert!(said.contains("does NOT balance"), "{said}\n{err}");
        assert!(
            err.contains("does not balance: members:") && err.contains("became events"),
            "{err}"
        );
    }
    drop(server);
}

/// `pancake run --config FILE --print` on `body`; must fail, returns stderr.
fn refused(body: &str) -> (String, PathBuf) {
    let dir = tempfile::tempdir().unwrap().keep();
    let path = dir.join("bad.toml");
    std::fs::write(&path, body).unwrap();
    let out = command(&["run", "--config", path.to_str().unwrap(), "--print"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "{body} was accepted");
    (text(&out.stderr), path)
}

const GOOD: &str = r#"[source]
url_env = "MSSQL_URL"
page_rows = 100

[dump]
folder = "d"

[transform]
folder = "e"

[postgres]
url_env = "DATABASE_URL"
"#;

#[test]
fn an_unknown_key_is_refused_with_file_line_and_key() {
    let body = GOOD.replace("page_rows = 100", "page_rows = 100\npage_size = 5");
    let (err, path) = refused(&body);
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("line 4"), "{err}");
    assert!(err.contains("source.page_size"), "{err}");
    assert!(err.contains("unknown field"), "{err}");
}

#[test]
fn a_bad_value_is_refused_with_file_line_and_key() {
    for (bad, line, key) in [
        ("page_rows = \"many\"", 3, "source.page_rows"),
        ("page_rows = 0", 3, "source.page_rows"),
    ] {
        let (err, path) = refused(&GOOD.replace("page_rows = 100", bad));
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains(&format!("line {line}")), "{err}");
        assert!(err.contains(key), "{err}");
    }
    let body = GOOD.replace(
        "folder = \"e\"",
        "folder = \"e\"\nsite_start = \"yesterday\"",
    );
    let (err, _) = refused(&body);
    assert!(err.contains("line 10"), "{err}");
    assert!(err.contains("transform.site_start"), "{err}");
    assert!(err.contains("not a date"), "{err}");
    // A section left out is named too.
    let (err, path) = refused(&GOOD.replace("[dump]\nfolder = \"d\"\n", ""));
    assert!(
        err.contains(&format!("{}: missing field `dump`", path.display())),
        "{err}"
    );
}

#[test]
fn a_password_in_the_file_is_refused() {
    for url in [
        "postgres://postgres:hunter2@127.0.0.1:5432/postgres",
        "postgres://postgres@127.0.0.1/postgres?password=hunter2",
    ] {
        let body = GOOD.replace("url_env = \"DATABASE_URL\"", &format!("url = \"{url}\""));
        let (err, path) = refused(&body);
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("[postgres] url holds a password"), "{err}");
        assert!(!err.contains("hunter2"), "the password is not shown: {err}");
    }
    let body = GOOD.replace(
        "url_env = \"MSSQL_URL\"",
        "url = \"Server=tcp:db,1433;User Id=sa;Password=hunter2\"",
    );
    let (err, _) = refused(&body);
    assert!(err.contains("[source] url holds a password"), "{err}");
    // Without a password, a URL in the file is fine.
    let body = GOOD.replace(
        "url_env = \"DATABASE_URL\"",
        "url = \"postgres://postgres@127.0.0.1:5432/postgres\"",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ok.toml");
    std::fs::write(&path, body).unwrap();
    let out = command(&["run", "--config", path.to_str().unwrap(), "--print"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}
