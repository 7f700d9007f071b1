//! TLS 1.2 at most, as SQL Server on TDS 7.x: a rustls client drives the
//! handshake inside PRELOGIN packets, as SQL Server clients do.

mod common;
mod raw;

use common::*;
use pancake_tds_test_server::{BackgroundServer, ServerConfig, TlsConfig};
use raw::*;
use rustls::{ClientConnection, ProtocolVersion, SupportedProtocolVersion};
use std::io::{Read, Write};
use std::net::TcpStream;
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
) -> (TcpStream, Result<ClientConnection, rustls::Error>) {
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

    let mut s = TcpStream::connect(server.addr()).unwrap();
    send(&mut s, 0x12, &prelogin(1));
    receive(&mut s);
    while conn.is_handshaking() {
        let mut out = Vec::new();
        while conn.wants_write() {
            conn.write_tls(&mut out).unwrap();
        }
        if !out.is_empty() {
            send(&mut s, 0x12, &out);
        }
        let (headers, reply) = receive(&mut s);
        assert_eq!(
            headers[0].0, 0x12,
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
    let (tcp, conn) = handshake(
        &server,
        &tls,
        &[&rustls::version::TLS13, &rustls::version::TLS12],
    );
    let conn = conn.unwrap();
    assert_eq!(conn.protocol_version(), Some(ProtocolVersion::TLSv1_2));
    // LOGIN7 and its answer inside TLS (encryption on: everything is).
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    send(&mut stream, 0x10, &login7(USER, PASSWORD, "legacy", 4096));
    let (_, reply) = receive(&mut stream);
    assert_eq!(loginack_version(&reply), TDS_7_4);
    let mut p = all_headers();
    p.extend_from_slice(&utf16("SELECT 1"));
    send(&mut stream, 0x01, &p);
    let (_, reply) = receive(&mut stream);
    assert_eq!(reply[0], 0x81, "{reply:02x?}");
    stream.flush().unwrap();
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
