//! TLS as SQL Server speaks it: the handshake travels inside PRELOGIN
//! packets, then (with `ENCRYPT_ON`) every TDS packet goes inside TLS
//! records, or (with `ENCRYPT_OFF`) only LOGIN7 does and the connection
//! continues in the clear.
//!
//! TLS 1.2 at most, as SQL Server on TDS 7.x serves it.
//!
//! The server's certificate is made at run time: a CA and a leaf for
//! `localhost`, `127.0.0.1` and `::1`, signed by it.

use crate::tds::{self, PKT_PRELOGIN};
use pancake_proto::IoError;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;

/// The server's TLS identity.
#[derive(Clone)]
pub struct TlsConfig {
    ca_pem: String,
    ca_der: Vec<u8>,
    cert_der: Vec<u8>,
    key_der: Vec<u8>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig").finish_non_exhaustive()
    }
}

impl TlsConfig {
    /// A new CA and a server certificate it signed, valid for `localhost`,
    /// `127.0.0.1` and `::1`.
    pub fn self_signed() -> anyhow::Result<TlsConfig> {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        let ca_key = KeyPair::generate()?;
        let mut ca = CertificateParams::new(Vec::<String>::new())?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // A name of its own, so that another server's CA is an unknown
        // issuer rather than a bad signature.
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        ca.distinguished_name.push(
            DnType::CommonName,
            format!("pancake TDS test server CA {nonce:x}"),
        );
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca, ca_key);

        let key = KeyPair::generate()?;
        let mut leaf = CertificateParams::new(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ])?;
        leaf.distinguished_name
            .push(DnType::CommonName, "localhost");
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        let cert = leaf.signed_by(&key, &issuer)?;
        Ok(TlsConfig {
            ca_pem: ca_cert.pem(),
            ca_der: ca_cert.der().to_vec(),
            cert_der: cert.der().to_vec(),
            key_der: key.serialize_der(),
        })
    }

    /// The CA certificate (PEM) that signed the server's: what a client
    /// trusts, e.g. tiberius's `trust_cert_ca`.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The CA certificate (DER), for a client's root store.
    pub fn ca_der(&self) -> &[u8] {
        &self.ca_der
    }

    /// Writes the CA certificate to `path` (tiberius wants a `.pem`, `.crt`
    /// or `.der` name).
    pub fn write_ca_pem(&self, path: &Path) -> Result<(), IoError> {
        std::fs::write(path, &self.ca_pem).map_err(IoError::at("write", path))
    }

    pub(crate) fn server_config(&self) -> anyhow::Result<Arc<rustls::ServerConfig>> {
        // TLS 1.2 at most, as SQL Server on TDS 7.x: a client that offers
        // 1.3 gets 1.2, and one that offers only 1.3 is refused (a FreeTDS
        // client with GnuTLS hangs when the handshake inside PRELOGIN
        // comes to 1.3).
        let config = rustls::ServerConfig::builder()
            .with_safe_default_cipher_suites()
            .with_safe_default_kx_groups()
            .with_protocol_versions(&[&rustls::version::TLS12])?
            .with_no_client_auth()
            .with_single_cert(
                vec![
                    rustls::Certificate(self.cert_der.clone()),
                    rustls::Certificate(self.ca_der.clone()),
                ],
                rustls::PrivateKey(self.key_der.clone()),
            )?;
        Ok(Arc::new(config))
    }
}

/// Sends what the TLS session wants to send, wrapped in PRELOGIN packets.
fn send_wrapped(tcp: &mut TcpStream, conn: &mut rustls::ServerConnection) -> io::Result<()> {
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out)?;
    }
    if !out.is_empty() {
        tds::write_message(tcp, PKT_PRELOGIN, &out, 4096)?;
    }
    Ok(())
}

/// Runs the server side of the TLS handshake, inside PRELOGIN packets.
pub(crate) fn accept(
    tcp: &mut TcpStream,
    config: Arc<rustls::ServerConfig>,
) -> io::Result<rustls::ServerConnection> {
    let mut conn = rustls::ServerConnection::new(config).map_err(io::Error::other)?;
    while conn.is_handshaking() {
        send_wrapped(tcp, &mut conn)?;
        if !conn.is_handshaking() {
            break;
        }
        let Some(msg) = tds::read_message(tcp)? else {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the client closed during the TLS handshake",
            ));
        };
        if msg.ty != PKT_PRELOGIN {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "expected the TLS handshake in PRELOGIN packets, got a packet of type {:#04x}",
                    msg.ty
                ),
            ));
        }
        let mut rd = msg.payload.as_slice();
        while !rd.is_empty() {
            conn.read_tls(&mut rd)?;
            if let Err(e) = conn.process_new_packets() {
                // Tell the client why (an alert), then give up.
                let _ = send_wrapped(tcp, &mut conn);
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
        }
    }
    // TLS 1.2: the server's last flight follows the client's Finished.
    send_wrapped(tcp, &mut conn)?;
    Ok(conn)
}

/// A connection's byte stream: in the clear, or inside TLS.
pub(crate) enum Transport {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

impl Transport {
    /// Leaves TLS (after LOGIN7 with `ENCRYPT_OFF`).
    pub(crate) fn into_plain(self) -> Transport {
        match self {
            Transport::Tls(s) => Transport::Plain(s.sock),
            plain => plain,
        }
    }

    pub(crate) fn tcp(&self) -> &TcpStream {
        match self {
            Transport::Plain(s) => s,
            Transport::Tls(s) => &s.sock,
        }
    }
}

impl Read for Transport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(s) => s.read(buf),
            Transport::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Transport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(s) => s.write(buf),
            Transport::Tls(s) => s.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Transport::Plain(s) => s.write_all(buf),
            Transport::Tls(s) => s.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Transport::Plain(s) => s.flush(),
            Transport::Tls(s) => s.flush(),
        }
    }
}
