//! TLS 1.2 at most, as SQL Server on TDS 7.x: a rustls client drives the
//! handshake inside PRELOGIN packets, as SQL Server clients do.

mod common;

use common::*;
use pancake_tds_test_server::raw::*;
use pancake_tds_test_server::{BackgroundServer, ServerConfig, TlsConfig};
use rustls::{ClientConnection, ProtocolVersion, SupportedProtocolVersion};
use std::io::Read;
use std::sync::Arc;

fn serve_tls() -> (BackgroundServer, TlsConfig) {
    let tls = TlsConfig::self_signed().unwrap();
    let mut config = ServerConfig::new(tiny());
    config.tls = Some(tls.clone());
    (BackgroundServer::start(config).unwrap(), tls)
}

/// PRELOGIN asking for encryption, then the TLS handshake wrapped in
/// PRELOGIN packets, offering `versions`: the connection once the
/// handshake is over, or the error that ended it.
fn handshake(
    server: &BackgroundServer,
    tls: &TlsConfig,
    versions: &[&'static SupportedProtocolVersion],
) -> (RawClient, Result<ClientConnection, rustls::Error>) {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(&rustls::Certificate(tls.ca_der().to_vec()))
        .unwrap();
    let config = rustls::ClientConfig::builder()
        .with_safe_default_cipher_suites()
        .with_safe_default_kx_groups()
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = "localhost".try_into().unwrap();
    let mut conn = ClientConnection::new(Arc::new(config), name).unwrap();

    let mut s = RawClient::connect(server.addr()).unwrap();
    s.request(PRELOGIN, &prelogin(ENCRYPT_ON)).unwrap();
    while conn.is_handshaking() {
        let mut out = Vec::new();
        while conn.wants_write() {
            conn.write_tls(&mut out).unwrap();
        }
        if !out.is_empty() {
            s.send(PRELOGIN, &out).unwrap();
        }
        let Message {
            packets,
            payload: reply,
        } = s.receive().unwrap();
        assert_eq!(
            packets[0].ty, PRELOGIN,
            "the handshake comes in PRELOGIN packets"
        );
        let mut rd = reply.as_slice();
        while !rd.is_empty() {
            conn.read_tls(&mut rd).unwrap();
            if let Err(e) = conn.process_new_packets() {
                return (s, Err(e));
            }
        }
    }
    (s, Ok(conn))
}

#[test]
fn a_client_offering_tls_1_3_and_1_2_gets_1_2_and_logs_in() {
    let (server, tls) = serve_tls();
    let (raw, conn) = handshake(
        &server,
        &tls,
        &[&rustls::version::TLS13, &rustls::version::TLS12],
    );
    let tcp = raw.into_inner().unwrap();
    let conn = conn.unwrap();
    assert_eq!(conn.protocol_version(), Some(ProtocolVersion::TLSv1_2));
    // LOGIN7 and its answer inside TLS (encryption on: everything is).
    let mut stream = RawClient::new(rustls::StreamOwned::new(conn, tcp));
    let login = Login7::new(USER, PASSWORD);
    let reply = stream.request(LOGIN7, &login.to_bytes()).unwrap();
    assert_eq!(loginack_version(&reply), Some(TDS_7_4));
    let mut p = all_headers();
    p.extend_from_slice(&utf16("SELECT 1"));
    let reply = stream.request(SQL_BATCH, &p).unwrap();
    assert_eq!(reply[0], 0x81, "{reply:02x?}");
}

#[test]
fn a_client_offering_only_tls_1_3_is_refused() {
    let (server, tls) = serve_tls();
    let (mut tcp, conn) = handshake(&server, &tls, &[&rustls::version::TLS13]);
    let e = conn.expect_err("the handshake fails");
    assert!(
        matches!(
            e,
            rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion)
        ),
        "{e:?}"
    );
    // The server hangs up.
    let mut rest = Vec::new();
    assert_eq!(tcp.read_to_end(&mut rest).unwrap_or(0), 0);
}
