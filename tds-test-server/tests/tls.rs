//! TLS inside TDS, with tiberius's rustls: the handshake in PRELOGIN
//! packets, then everything encrypted (or only the login).

mod common;

use common::*;
use pancake_tds_test_server::{ServerConfig, TlsConfig};
use tiberius::EncryptionLevel;

async fn serve_tls() -> (pancake_tds_test_server::Server, TlsConfig) {
    let tls = TlsConfig::self_signed().unwrap();
    let mut config = ServerConfig::new(tiny());
    config.tls = Some(tls.clone());
    (serve(config).await, tls)
}

async fn count_members(client: &mut Conn) -> Option<i64> {
    rows(
        client,
        "SELECT COUNT_BIG(*) FROM [dbo].[Members] WHERE [MemberId] <= @P1",
        &[&i64::MAX],
    )
    .await[0]
        .get::<i64, _>(0)
}

#[tokio::test]
async fn trusting_the_certificate_connects_with_tls() {
    let (server, _) = serve_tls().await;
    let mut c = config(&server);
    c.encryption(EncryptionLevel::Required);
    c.trust_cert();
    let mut client = connect_config(&server, c).await.unwrap();
    assert_eq!(count_members(&mut client).await, Some(597));
    // A result of many packets, encrypted.
    let r = rows(
        &mut client,
        "SELECT TOP (@P1) WITH TIES [MessageId], CAST([Body] AS varbinary(max)) AS [Body] FROM [dbo].[Messages] WHERE [MessageId] > @P2 AND [MessageId] <= @P3 ORDER BY [MessageId]",
        &[&1000i64, &0i64, &i64::MAX],
    )
    .await;
    assert!(r.len() >= 1000);
    // mssql_url says so.
    assert!(server.mssql_url().ends_with("encrypt=true"));
}

#[tokio::test]
async fn the_ca_file_validates_the_certificate_for_localhost_and_the_ip() {
    let (server, tls) = serve_tls().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    tls.write_ca_pem(&ca).unwrap();
    assert!(tls.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    for host in ["localhost", "127.0.0.1"] {
        let mut c = config(&server);
        c.host(host);
        c.encryption(EncryptionLevel::Required);
        c.trust_cert_ca(ca.to_string_lossy());
        let mut client = connect_config(&server, c).await.unwrap();
        assert_eq!(count_members(&mut client).await, Some(597), "{host}");
    }
    // Another CA does not validate it.
    let other = dir.path().join("other.pem");
    TlsConfig::self_signed()
        .unwrap()
        .write_ca_pem(&other)
        .unwrap();
    let mut c = config(&server);
    c.encryption(EncryptionLevel::Required);
    c.trust_cert_ca(other.to_string_lossy());
    let e = connect_config(&server, c).await.unwrap_err();
    assert!(certificate_error(&e), "{e:?}");
}

#[test]
fn a_ca_file_that_cannot_be_written_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("no-such-folder").join("ca.pem");
    let e = TlsConfig::self_signed()
        .unwrap()
        .write_ca_pem(&ca)
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with(&format!("{}: cannot write: ", ca.display())),
        "{e}"
    );
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
}

/// tiberius reports a refused certificate as a TLS or an I/O error.
fn certificate_error(e: &tiberius::error::Error) -> bool {
    match e {
        tiberius::error::Error::Tls(m) => m.contains("certificate"),
        tiberius::error::Error::Io { message, .. } => {
            message.contains("invalid peer certificate: UnknownIssuer")
        }
        _ => false,
    }
}

#[tokio::test]
async fn default_validation_refuses_the_self_signed_certificate() {
    let (server, _) = serve_tls().await;
    let mut c = config(&server);
    c.encryption(EncryptionLevel::Required);
    let e = connect_config(&server, c).await.unwrap_err();
    assert!(certificate_error(&e), "{e:?}");
}

#[tokio::test]
async fn encryption_off_encrypts_the_login_only_and_not_supported_none() {
    let (server, _) = serve_tls().await;
    for level in [
        EncryptionLevel::Off,
        EncryptionLevel::NotSupported,
        EncryptionLevel::On,
    ] {
        let mut c = config(&server);
        c.encryption(level);
        c.trust_cert();
        let mut client = connect_config(&server, c).await.unwrap();
        assert_eq!(count_members(&mut client).await, Some(597), "{level:?}");
    }
}

#[tokio::test]
async fn without_tls_a_client_that_wants_it_fails_cleanly() {
    let server = serve_tiny().await;
    let mut c = config(&server);
    // tiberius goes for TLS unless told NotSupported, whatever the server said.
    c.encryption(EncryptionLevel::Off);
    c.trust_cert();
    let e = connect_config(&server, c).await.unwrap_err();
    assert!(!matches!(e, tiberius::error::Error::Server(_)), "{e:?}");
    // The server is fine for the next client.
    let mut client = connect(&server).await;
    assert_eq!(count_members(&mut client).await, Some(597));
}
