//! Shared set-up: the `tiny` data set, generated once under the target
//! directory, and a tiberius client for a server.

#![allow(dead_code)]

use pancake_proto::dump::DumpKind;
use pancake_proto::{LegacyTable, Manifest, PartReader, ReadOptions, Record};
use pancake_tds_test_server::{Server, ServerConfig};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tiberius::{AuthMethod, Client, Config, EncryptionLevel};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

pub type Conn = Client<Compat<TcpStream>>;

pub const USER: &str = "pancake";
pub const PASSWORD: &str = "pancake-test-password";

/// The `tiny` data set (generated once, kept under the target directory).
pub fn tiny() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tds-test-server");
        pancake_tds_test_server::prepare_preset("tiny", 1.0, 1, &cache).expect("generate tiny")
    })
}

pub async fn serve(config: ServerConfig) -> Server {
    Server::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("the server starts")
}

pub async fn serve_tiny() -> Server {
    serve(ServerConfig::new(tiny())).await
}

/// A tiberius configuration for `server`, in the clear, that names no
/// database (the login's default one).
pub fn config_without_database(server: &Server) -> Config {
    let mut c = Config::new();
    c.host("127.0.0.1");
    c.port(server.port());
    c.authentication(AuthMethod::sql_server(USER, PASSWORD));
    c.encryption(EncryptionLevel::NotSupported);
    c
}

/// A tiberius configuration for `server`, in the clear.
pub fn config(server: &Server) -> Config {
    let mut c = config_without_database(server);
    c.database("legacy");
    c
}

pub async fn connect_config(server: &Server, config: Config) -> tiberius::Result<Conn> {
    let tcp = TcpStream::connect(server.addr()).await?;
    tcp.set_nodelay(true)?;
    Client::connect(config, tcp.compat_write()).await
}

pub async fn connect(server: &Server) -> Conn {
    connect_config(server, config(server)).await.expect("login")
}

/// `tiny` served, and a client logged in to it. Keep the server (bound to
/// a name, not `_`) for as long as the client is used.
pub async fn serve_tiny_and_connect() -> (Server, Conn) {
    let server = serve_tiny().await;
    let client = connect(&server).await;
    (server, client)
}

/// The first row a SQL batch answers with.
pub async fn one_row(client: &mut Conn, sql: &str) -> tiberius::Row {
    first_row(client.simple_query(sql).await.unwrap()).await
}

/// The first row a parameterised query (an RPC) answers with.
pub async fn one_row_with(
    client: &mut Conn,
    sql: &str,
    params: &[&dyn tiberius::ToSql],
) -> tiberius::Row {
    first_row(client.query(sql, params).await.unwrap()).await
}

async fn first_row(answer: tiberius::QueryStream<'_>) -> tiberius::Row {
    answer.into_row().await.unwrap().expect("a row")
}

/// The server error a query failed with: (number, class, message).
pub fn server_error(e: tiberius::error::Error) -> (u32, u8, String) {
    match e {
        tiberius::error::Error::Server(t) => (t.code(), t.class(), t.message().to_owned()),
        other => panic!("expected a server error, got {other:?}"),
    }
}

/// Every record of a dump table, in dump order.
pub fn records<R: Record>(dump: &Path, table: LegacyTable) -> Vec<R> {
    let manifest = Manifest::load(dump).unwrap();
    let mut out = Vec::new();
    for part in &manifest.table(table.name()).unwrap().parts {
        let reader = PartReader::open(
            &dump.join(&part.file),
            &ReadOptions::expect::<R>(DumpKind::LegacyDump, table.name()),
        )
        .unwrap();
        for r in reader.records::<R>() {
            out.push(r.unwrap());
        }
    }
    out
}

/// UTF-16LE bytes of a string.
pub fn utf16le(s: &str) -> Vec<u8> {
    pancake_tds_test_server::raw::utf16(s)
}

/// Seconds since the Unix epoch of a `datetime` as tiberius decodes it.
pub fn datetime_seconds(dt: tiberius::time::DateTime) -> f64 {
    let days = i64::from(dt.days()) - 25_567; // 1900-01-01 .. 1970-01-01
    days as f64 * 86_400.0 + f64::from(dt.seconds_fragments()) / 300.0
}

/// Seconds since the Unix epoch (whole) and nanoseconds of a `datetime2`.
pub fn datetime2_parts(dt: tiberius::time::DateTime2) -> (i64, u64) {
    let days = i64::from(dt.date().days()) - 719_162; // 0001-01-01 .. 1970-01-01
    let scale = dt.time().scale();
    let nanos = dt.time().increments() * 10u64.pow(9 - u32::from(scale));
    (
        days * 86_400 + (nanos / 1_000_000_000) as i64,
        nanos % 1_000_000_000,
    )
}

/// `tiny` cut into parts of 200 records (so keyset scans cross parts, and a
/// duplicate key may straddle two).
pub fn tiny_small_parts() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tds-test-server/tiny-parts200");
        let mut write = pancake_proto::WriteOptions::default();
        write.limits.max_records = 200;
        let options = pancake_datasets::GenerateOptions {
            preset: pancake_datasets::Preset::TINY,
            scale: 1.0,
            seed: 1,
            threads: 0,
            write,
        };
        if !dir.join("manifest.json").exists() {
            // Written aside and moved into place, in case another test
            // binary makes it at the same time.
            let temp = dir.with_extension(format!("tmp-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&temp);
            pancake_datasets::generate(&temp, &options, false, &()).expect("generate");
            if std::fs::rename(&temp, &dir).is_err() {
                let _ = std::fs::remove_dir_all(&temp);
            }
        }
        // The generator compares options, not the schema: a dump cached by a
        // build with other record types is made again.
        let stale = !readable_by_this_build(&dir);
        pancake_datasets::generate(&dir, &options, stale, &()).expect("generate");
        dir
    })
}

/// Whether the first part of every table in `dir` has this build's schema.
fn readable_by_this_build(dir: &Path) -> bool {
    let Ok(manifest) = Manifest::load(dir) else {
        return false;
    };
    manifest
        .all_tables()
        .filter_map(|t| t.parts.first())
        .all(|p| PartReader::open(&dir.join(&p.file), &ReadOptions::default()).is_ok())
}

/// `tiny` with the later legacy columns (profile text, flirt kind, subject,
/// sender IP, deleted flags, ...) filled by key, edge values included.
pub fn tiny_filled() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("a temp dir");
        let dump = tmp.path().join("tiny-filled");
        pancake_tds_test_server::fill_later_columns(tiny(), &dump).expect("fill");
        (tmp, dump)
    })
    .1
}

/// A dump where photos and photo likes are empty.
pub fn sparse() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tds-test-server");
        pancake_tds_test_server::prepare_preset("tiny", 0.001, 1, &cache).expect("generate")
    })
}

/// All rows of a query's first result.
pub async fn rows(
    client: &mut Conn,
    sql: &str,
    params: &[&dyn tiberius::ToSql],
) -> Vec<tiberius::Row> {
    client
        .query(sql, params)
        .await
        .unwrap()
        .into_first_result()
        .await
        .unwrap()
}

/// The first column of a query's first row, as an `int`.
pub async fn first_int(client: &mut Conn, sql: &str) -> Option<i32> {
    rows(client, sql, &[]).await[0].get::<i32, _>(0)
}

/// Runs a SQL batch that must succeed, and returns its results (none for a
/// `SET`).
pub async fn batch(client: &mut Conn, sql: &str) -> Vec<Vec<tiberius::Row>> {
    client
        .simple_query(sql)
        .await
        .unwrap()
        .into_results()
        .await
        .unwrap()
}
