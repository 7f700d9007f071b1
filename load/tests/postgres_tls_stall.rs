//! A server that stops reading for a moment must not hang a load over TLS.
//!
//! During a COPY the client only writes. When the server falls behind (a
//! checkpoint, a slow disk) the socket fills, and the TLS layer of sqlx
//! 0.8 then waited for the socket to become writable *and then readable*;
//! the server, waiting for the rest of the COPY, never sends anything, so
//! the writer slept for ever with the transaction open. That is how the x30
//! scale run hung, one part short of the end (sqlx issue 4248, fixed in
//! 0.9). Here a proxy between the loader and the server pauses reading
//! from the loader every half megabyte, and the whole load must still end.
//!
//! Needs PostgreSQL with TLS on 127.0.0.1:5432 (scripts/services.sh starts
//! it so) or at DATABASE_URL.

mod common;

use common::pg::*;
use pancake_datasets::{GenerateOptions, Preset, generate};
use pancake_load::postgres::load;
use pancake_transform::{TransformOptions, transform};
use sqlx::Connection as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Bytes carried from the loader between pauses.
const BETWEEN_PAUSES: u64 = 64 * 1024;
const PAUSE: Duration = Duration::from_millis(40);

/// A TCP proxy to the server that stops reading from the client for
/// [`PAUSE`] after every [`BETWEEN_PAUSES`] bytes, with a small receive
/// buffer so that the client's socket fills while it waits.
struct PausingProxy {
    port: u16,
    pauses: Arc<AtomicU64>,
    accept: tokio::task::JoinHandle<()>,
}

impl PausingProxy {
    async fn start(upstream: String) -> PausingProxy {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(16 * 1024).unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = socket.listen(64).unwrap();
        let port = listener.local_addr().unwrap().port();
        let pauses = Arc::new(AtomicU64::new(0));
        let counted = pauses.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(link(client, upstream.clone(), counted.clone()));
            }
        });
        PausingProxy {
            port,
            pauses,
            accept,
        }
    }
}

impl Drop for PausingProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn link(client: tokio::net::TcpStream, upstream: String, pauses: Arc<AtomicU64>) {
    let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let back = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    });
    let mut buf = vec![0u8; 64 * 1024];
    let mut since_pause = 0;
    loop {
        let n = match client_read.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if server_write.write_all(&buf[..n]).await.is_err() {
            break;
        }
        since_pause += n as u64;
        if since_pause >= BETWEEN_PAUSES {
            since_pause = 0;
            pauses.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(PAUSE).await;
        }
    }
    let _ = server_write.shutdown().await;
    let _ = back.await;
}

/// `tiny` times `scale` in one part per table: COPY bodies of megabytes.
fn big_parts(dir: &std::path::Path, scale: f64) -> std::path::PathBuf {
    let dump = dir.join("dump");
    let options = GenerateOptions {
        threads: 2,
        ..GenerateOptions::new(Preset::TINY, scale)
    };
    generate(&dump, &options, false, &()).unwrap();
    let out = dir.join("events");
    let mut t = TransformOptions::new(dump, out.clone());
    t.threads = 2;
    t.part_events = 10_000_000;
    transform(&t, &()).unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_pauses_reading_does_not_hang_a_load_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let input = big_parts(dir.path(), 12.0);
    let proxy = PausingProxy::start(host_port()).await;
    let mut url = url::Url::parse(&db_url()).unwrap();
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(proxy.port)).unwrap();
    url.set_query(Some("sslmode=require"));

    // The connection through the proxy is TLS, or this test proves nothing.
    let mut conn = sqlx::PgConnection::connect(url.as_str())
        .await
        .expect("TLS through the proxy (scripts/services.sh turns ssl on)");
    let tls: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(tls, "the connection through the proxy is not TLS");
    let _ = conn.close().await;

    let mut options = options("tls_stall", &["chat", "audit"]);
    options.input = input;
    options.database_url = url.to_string();
    let _cleanup = fresh(&options).await;
    let report = tokio::time::timeout(Duration::from_secs(300), load(&options, Arc::new(())))
        .await
        .expect("the load hung while the server paused reading")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        proxy.pauses.load(Ordering::Relaxed) >= 10,
        "the proxy paused {} times: too few to fill the socket",
        proxy.pauses.load(Ordering::Relaxed)
    );
    let mut audit = module_db(&options, "audit").await;
    assert_eq!(
        scalar(&mut audit, "SELECT count(*) FROM events").await as u64,
        report.events_read,
        "every event in the audit log"
    );
}
