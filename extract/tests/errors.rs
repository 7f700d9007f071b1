//! Every way an extraction can fail reads as one line with a cause and a
//! hint, never shows the password, and leaves nothing passed off as done.

mod common;

use common::*;
use pancake_extract::{ExtractError, Isolation, Source};
use pancake_proto::folder::LOCK_FILE;
use pancake_proto::{LegacyTable, Manifest, OutputFolder};
use pancake_tds_test_server::{Server, ServerConfig};
use std::time::Duration;

async fn fails(options: pancake_extract::ExtractOptions) -> String {
    let text = extract_error(options).await;
    assert!(!text.contains(PASSWORD), "the password leaked: {text}");
    assert!(!text.contains('\n'), "not one line: {text}");
    text
}

fn with_url(mut o: pancake_extract::ExtractOptions, url: &str) -> pancake_extract::ExtractOptions {
    o.source = Source::parse(url).unwrap();
    o
}

/// `mssql://pancake:{password}@{host}:{port}/{rest}`, `port` being the
/// server's.
fn url_to(server: &Server, password: &str, host: &str, rest: &str) -> String {
    format!(
        "mssql://pancake:{password}@{host}:{}/{rest}",
        server.addr().port()
    )
}

/// [`fails`], extracting from `server` through `url` into a new folder.
async fn fails_through(server: &Server, url: &str) -> String {
    let out = tempfile::tempdir().unwrap();
    fails(with_url(options(server, out.path()), url)).await
}

/// The message of a second run, with other tables, into a folder where a
/// first run read the flirts.
async fn second_run_with_other_tables(out: &std::path::Path) -> String {
    let server = serve_tiny().await;
    let mut o = options(&server, out);
    o.tables = vec![LegacyTable::Flirts];
    extract(o.clone()).await.unwrap();
    o.tables = vec![LegacyTable::Blocks];
    fails(o).await
}

#[tokio::test]
async fn connection_refused_names_the_address() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let server = serve_tiny().await;
    let url = format!("mssql://pancake:{PASSWORD}@127.0.0.1:{port}/legacy?encrypt=false");
    let e = fails_through(&server, &url).await;
    assert!(
        e.contains(&format!(
            "cannot connect to 127.0.0.1:{port}: connection refused"
        )),
        "{e}"
    );
    assert!(e.contains("Check the host and port"), "{e}");
}

#[tokio::test]
async fn a_wrong_password_is_a_login_failure_that_does_not_echo_it() {
    let server = serve_tiny().await;
    let wrong = "Tr0ub4dor&3-wrong";
    let url = url_to(&server, wrong, "127.0.0.1", "legacy?encrypt=false");
    let e = fails_through(&server, &url).await;
    assert!(e.contains("login failed for user 'pancake'"), "{e}");
    assert!(e.contains("Check the user name and password"), "{e}");
    assert!(!e.contains(wrong), "{e}");
}

#[tokio::test]
async fn an_unknown_database_is_named() {
    let server = serve_tiny().await;
    let url = url_to(&server, PASSWORD, "127.0.0.1", "nosuchdb?encrypt=false");
    let e = fails_through(&server, &url).await;
    assert!(e.contains("cannot open database 'nosuchdb'"), "{e}");
}

#[tokio::test]
async fn tls_required_but_not_offered_is_a_tls_error_not_a_panic() {
    let server = serve_tiny().await;
    let url = url_to(&server, PASSWORD, "127.0.0.1", "legacy?encrypt=true");
    let e = fails_through(&server, &url).await;
    assert!(e.contains("TLS with 127.0.0.1:"), "{e}");
    assert!(e.contains("does not offer TLS"), "{e}");
    assert!(e.contains("encrypt=false"), "{e}");
}

#[tokio::test]
async fn permission_denied_fails_before_any_row_is_read() {
    let server = serve_tiny().await;
    server.faults().deny_select("Photos");
    let out = tempfile::tempdir().unwrap();
    let e = fails(options(&server, out.path())).await;
    assert!(e.contains("permission denied reading dbo.Photos"), "{e}");
    assert!(e.contains("GRANT SELECT ON dbo.Photos TO [pancake]"), "{e}");
    assert!(e.contains("--tables"), "{e}");
    for table in ["Members", "Messages", "Photos"] {
        assert!(page_queries(&server, table).is_empty(), "{table} was read");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_that_hangs_times_out_after_the_retries() {
    let server = serve_tiny().await;
    server.faults().stall("Flirts", Duration::from_secs(30));
    let out = tempfile::tempdir().unwrap();
    let mut o = options(&server, out.path());
    o.tables = vec![LegacyTable::Flirts];
    o.query_timeout = Duration::from_secs(1);
    o.retries = 1;
    let e = fails(o).await;
    assert!(
        e.contains("a page query on dbo.Flirts timed out after 1 s, 2 time(s)"),
        "{e}"
    );
    assert!(e.contains("--query-timeout"), "{e}");
    let manifest = Manifest::load(out.path()).unwrap();
    assert!(!manifest.complete);
}

#[tokio::test]
async fn snapshot_isolation_that_the_database_does_not_allow_says_how_to_fix_it() {
    let mut config = ServerConfig::new(tiny());
    config.allow_snapshot = false;
    let server = serve(config).await;
    let out = tempfile::tempdir().unwrap();
    let mut o = options(&server, out.path());
    o.isolation = Isolation::Snapshot;
    let e = fails(o).await;
    assert!(
        e.contains("snapshot isolation is not allowed in database 'legacy'"),
        "{e}"
    );
    assert!(e.contains("--isolation read-committed"), "{e}");
}

#[tokio::test]
async fn a_folder_holding_something_else_is_refused() {
    let server = serve_tiny().await;
    let out = tempfile::tempdir().unwrap();
    std::fs::write(out.path().join("notes.txt"), "mine").unwrap();
    let e = fails(options(&server, out.path())).await;
    assert!(
        e.contains("is not empty and holds no pancake extraction"),
        "{e}"
    );
    assert_eq!(
        std::fs::read_to_string(out.path().join("notes.txt")).unwrap(),
        "mine"
    );
}

#[tokio::test]
async fn a_folder_another_process_is_writing_is_refused_before_the_server_is_asked_anything() {
    let server = serve_tiny().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dump");
    let held = OutputFolder::lock(&dir).unwrap();
    for force in [false, true] {
        let mut o = options(&server, &dir);
        o.force = force;
        let e = fails(o).await;
        assert!(
            e.starts_with(&format!(
                "{} is being written by another pancake process (pid {})",
                dir.display(),
                std::process::id()
            )),
            "{e}"
        );
    }
    assert!(
        server.queries().is_empty(),
        "the refused runs asked the server: {:?}",
        server.queries()
    );
    drop(held);

    let report = extract(options(&server, &dir)).await.unwrap();
    assert!(!report.up_to_date && !report.resumed);
    assert!(Manifest::load(&dir).unwrap().complete);
    assert!(
        !dir.join(LOCK_FILE).exists(),
        "the lock file goes with the run"
    );
}

#[tokio::test]
async fn an_unfinished_extraction_with_other_settings_is_refused() {
    let out = tempfile::tempdir().unwrap();
    let e = second_run_with_other_tables(out.path()).await;
    assert!(e.contains("other settings (--tables was"), "{e}");
    assert!(e.contains("--force"), "{e}");
}

#[tokio::test]
async fn a_complete_extraction_with_other_settings_is_refused_as_complete() {
    let out = tempfile::tempdir().unwrap();
    let e = second_run_with_other_tables(out.path()).await;
    assert!(
        e.starts_with(&format!(
            "{} holds a complete extraction made with other settings (--tables was",
            out.path().display()
        )),
        "{e}"
    );
    assert!(e.contains("--force"), "{e}");
}

#[tokio::test]
async fn force_never_replaces_a_folder_holding_another_stages_output() {
    let server = serve_tiny().await;
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("generated");
    pancake_datasets::generate(
        &dump,
        &pancake_datasets::GenerateOptions::new(pancake_datasets::Preset::TINY, 0.1),
        false,
        &(),
    )
    .unwrap();
    let mut o = options(&server, &dump);
    o.force = true;
    let e = fails(o).await;
    assert!(
        e.contains("holds a legacy dump (pancake generate --preset tiny"),
        "{e}"
    );
    assert!(e.contains("not a pancake extraction"), "{e}");
    let report = pancake_proto::verify::verify_dump(&dump, |_| {}).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    let manifest = Manifest::load(&dump).unwrap();
    assert!(
        manifest.sections.contains_key("generator"),
        "still generated"
    );
}

#[test]
fn errors_are_classified_for_callers_too() {
    // A refused connection is its own variant, so callers (and retries) can
    // tell it from a login failure.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let source = Source::parse(&format!(
        "mssql://u:{PASSWORD}@127.0.0.1:{port}/legacy?encrypt=false"
    ))
    .unwrap();
    let e = rt
        .block_on(pancake_extract::connect(&source, Isolation::ReadCommitted))
        .err()
        .unwrap();
    assert!(matches!(e, ExtractError::ConnectionRefused { .. }), "{e:?}");
}

fn tls_config() -> (ServerConfig, pancake_tds_test_server::TlsConfig) {
    let tls = pancake_tds_test_server::TlsConfig::self_signed().unwrap();
    let mut config = ServerConfig::new(tiny());
    config.tls = Some(tls.clone());
    (config, tls)
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_tls_error_that_says_how_to_trust_it() {
    let (config, _) = tls_config();
    let server = serve(config).await;
    let url = url_to(&server, PASSWORD, "localhost", "legacy?encrypt=true");
    let e = fails_through(&server, &url).await;
    assert!(e.contains("TLS with localhost:"), "{e}");
    assert!(e.contains("certificate"), "{e}");
    assert!(e.contains("ca_file=PATH"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_the_servers_ca_extracts_everything() {
    let (config, tls) = tls_config();
    let server = serve(config).await;
    let files = tempfile::tempdir().unwrap();
    let ca = files.path().join("ca.pem");
    tls.write_ca_pem(&ca).unwrap();
    for options_text in [
        format!("ca_file={}", ca.display()),
        "trust_server_certificate=true".to_owned(),
    ] {
        let out = tempfile::tempdir().unwrap();
        let rest = format!("legacy?encrypt=true&{options_text}");
        let url = url_to(&server, PASSWORD, "localhost", &rest);
        let mut o = with_url(options(&server, out.path()), &url);
        o.tables = vec![LegacyTable::Members];
        let report = extract(o).await.unwrap();
        assert_eq!(
            report.tables[0].rows,
            Manifest::load(tiny())
                .unwrap()
                .table("members")
                .unwrap()
                .records()
        );
    }
}
