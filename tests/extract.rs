//! `pancake extract` as a person runs it: killed with SIGKILL mid-table and
//! run again, it finishes with exactly the dump an uninterrupted run writes.

mod common;

use common::{command, kill_when, succeeded, text};
use pancake_proto::Manifest;
use pancake_tds_test_server::{BackgroundServer, ServerConfig, same_rows};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PASSWORD: &str = "pancake-test-password";

fn url(port: u16) -> String {
    format!("mssql://pancake:{PASSWORD}@127.0.0.1:{port}/legacy?encrypt=false")
}

fn extract_command(port: u16, out: &Path, rows_per_sec: &str) -> Command {
    let mut c = command(&["extract", "--out", out.to_str().unwrap()]);
    c.args([
        "--page-rows",
        "50",
        "--part-records",
        "300",
        "--connections",
        "1",
    ])
    // Slow enough to be caught mid-table; the same flags on the re-run.
    .args(["--max-rows-per-sec", rows_per_sec])
    .env("MSSQL_URL", url(port));
    c
}

/// The test server serving `tiny`, prepared in `data`: the dump it serves,
/// and the server.
fn tiny_server(data: &Path) -> (PathBuf, BackgroundServer) {
    let dump = pancake_tds_test_server::prepare_preset("tiny", 1.0, 1, data).unwrap();
    let server = BackgroundServer::start(ServerConfig::new(&dump)).unwrap();
    (dump, server)
}

fn committed_parts(out: &Path) -> usize {
    Manifest::load(out)
        .map(|m| m.tables.iter().map(|t| t.parts.len()).sum())
        .unwrap_or(0)
}

#[test]
fn killed_mid_table_then_run_again_it_finishes_the_same_dump() {
    let data = tempfile::tempdir().unwrap();
    let (dump, server) = tiny_server(data.path());
    let port = server.addr().port();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("extracted");

    kill_when(
        &mut extract_command(port, &out, "2500"),
        "no parts were committed",
        "it finished before the kill",
        || committed_parts(&out) >= 4,
    );
    let cut = Manifest::load(&out).unwrap();
    assert!(!cut.complete);

    let again: Output = extract_command(port, &out, "2500").output().unwrap();
    let stdout = succeeded(&again);
    assert!(stdout.contains("continuing an earlier run"), "{stdout}");
    assert!(!stdout.contains(PASSWORD) && !text(&again.stderr).contains(PASSWORD));

    let verify = command(&["verify", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(verify.status.success(), "{}", text(&verify.stdout));
    same_rows(&dump, &out).unwrap();

    // An uninterrupted run writes the very same parts.
    let whole = tmp.path().join("whole");
    succeeded(&extract_command(port, &whole, "100000000").output().unwrap());
    let parts = |dir: &Path| {
        Manifest::load(dir)
            .unwrap()
            .tables
            .iter()
            .flat_map(|t| t.parts.iter().map(|p| (p.file.clone(), p.checksum.clone())))
            .collect::<Vec<_>>()
    };
    assert_eq!(parts(&whole), parts(&out));
}

#[test]
fn an_error_is_one_line_with_a_hint_and_no_password() {
    let data = tempfile::tempdir().unwrap();
    let (_, server) = tiny_server(data.path());
    let out = tempfile::tempdir().unwrap();
    let wrong = "not-the-password";
    let run = command(&[
        "extract",
        "--out",
        out.path().to_str().unwrap(),
        "--mssql-url",
    ])
    .arg(format!(
        "Server=tcp:127.0.0.1,{};Database=legacy;User Id=pancake;Password={wrong};Encrypt=False",
        server.addr().port()
    ))
    .output()
    .unwrap();
    assert!(!run.status.success());
    let stderr = text(&run.stderr);
    let error: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(error.len(), 1, "{stderr}");
    assert!(
        error[0].contains("login failed for user 'pancake'"),
        "{stderr}"
    );
    assert!(!stderr.contains(wrong), "{stderr}");
}

#[test]
fn help_documents_both_connection_forms_without_showing_the_environment() {
    let help = command(&["extract", "--help"])
        .env("MSSQL_URL", format!("mssql://u:{PASSWORD}@h/db"))
        .output()
        .unwrap();
    let text = text(&help.stdout);
    assert!(
        text.contains("mssql://USER:PASSWORD@HOST:1433/DB?encrypt=true"),
        "{text}"
    );
    assert!(
        text.contains("Server=tcp:HOST,1433;Database=DB;User Id=USER;Password=PASSWORD"),
        "{text}"
    );
    assert!(!text.contains(PASSWORD), "{text}");
}
