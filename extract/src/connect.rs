//! Opening a session with the source server, and telling apart the ways it
//! can fail.

use crate::error::ExtractError;
use crate::metered::Metered;
use crate::source::{Encrypt, Source};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tiberius::Client;
use tiberius::error::{Error as TdsError, IoErrorKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

/// A logged-in session: tiberius's client (it derefs to it) and the bytes
/// the server sent over it.
pub struct Connection {
    client: Client<Compat<Metered>>,
    read: Arc<AtomicU64>,
}

impl Connection {
    /// Bytes the server sent over this session so far, log-in included.
    pub fn bytes_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }
}

impl std::ops::Deref for Connection {
    type Target = Client<Compat<Metered>>;
    fn deref(&self) -> &Self::Target {
        &self.client
    }
}

impl std::ops::DerefMut for Connection {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.client
    }
}

/// How each page is read: both take no long-held locks, because every page
/// is its own short statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Isolation {
    /// Shared locks for the moment a row is read; works on every server.
    #[default]
    ReadCommitted,
    /// Row versions, no shared locks at all; the database must allow it
    /// (`ALLOW_SNAPSHOT_ISOLATION ON`).
    Snapshot,
}

impl Isolation {
    pub fn as_str(self) -> &'static str {
        match self {
            Isolation::ReadCommitted => "read-committed",
            Isolation::Snapshot => "snapshot",
        }
    }

    fn statement(self) -> &'static str {
        match self {
            Isolation::ReadCommitted => "SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
            Isolation::Snapshot => "SET TRANSACTION ISOLATION LEVEL SNAPSHOT",
        }
    }
}

pub(crate) fn addr(source: &Source) -> String {
    if source.host.contains(':') {
        format!("[{}]:{}", source.host, source.port)
    } else {
        format!("{}:{}", source.host, source.port)
    }
}

/// Connects, logs in and sets the isolation level.
pub async fn connect(source: &Source, isolation: Isolation) -> Result<Connection, ExtractError> {
    let address = addr(source);
    let timeout = source.connect_timeout;
    let seconds = timeout.as_secs();
    let attempt = async {
        if source.encrypt == Encrypt::Required {
            require_tls_offer(source, &address).await?;
        }
        let read = Arc::new(AtomicU64::new(0));
        let tcp = Metered::new(open_tcp(source, &address).await?, read.clone());
        let client = Client::connect(source.tiberius_config(), tcp.compat_write())
            .await
            .map_err(|e| login_error(e, source, &address))?;
        let mut client = Connection { client, read };
        client
            .simple_query(isolation.statement())
            .await
            .map_err(|e| query_error(e, &address, "setting the isolation level"))?
            .into_results()
            .await
            .map_err(|e| query_error(e, &address, "setting the isolation level"))?;
        Ok(client)
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .map_err(|_| ExtractError::ConnectTimeout {
            addr: address.clone(),
            seconds,
        })?
}

async fn open_tcp(source: &Source, address: &str) -> Result<TcpStream, ExtractError> {
    let tcp = TcpStream::connect((source.host.as_str(), source.port))
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::ConnectionRefused => ExtractError::ConnectionRefused {
                addr: address.to_owned(),
            },
            _ => ExtractError::Unreachable {
                addr: address.to_owned(),
                message: e.to_string(),
            },
        })?;
    tcp.set_nodelay(true).ok();
    Ok(tcp)
}

const TLS_TRUST_HINT: &str = "The server's certificate is not trusted here: give the CA that signed it with ca_file=PATH (TrustServerCertificate does the same without checking, only on a network you trust)";
const TLS_HINT: &str = "Check encrypt= in --mssql-url against the server's TLS settings";

fn login_error(e: TdsError, source: &Source, address: &str) -> ExtractError {
    match e {
        TdsError::Server(token) => match token.code() {
            18456 => ExtractError::LoginFailed {
                user: source.user.clone(),
                addr: address.to_owned(),
            },
            4060 => ExtractError::UnknownDatabase {
                database: source.database.clone(),
                addr: address.to_owned(),
                user: source.user.clone(),
            },
            code => ExtractError::Server {
                code,
                action: format!("logging in to {address}"),
                message: token.message().to_owned(),
            },
        },
        TdsError::Tls(message) => tls_error(address, message),
        TdsError::Io { kind, message }
            if kind == IoErrorKind::InvalidData
                || message.contains("certificate")
                || message.contains("handshake") =>
        {
            tls_error(address, message)
        }
        TdsError::Io {
            kind: IoErrorKind::ConnectionRefused,
            ..
        } => ExtractError::ConnectionRefused {
            addr: address.to_owned(),
        },
        other => ExtractError::Protocol {
            addr: address.to_owned(),
            action: "logging in".into(),
            message: other.to_string(),
        },
    }
}

fn tls_error(address: &str, message: String) -> ExtractError {
    let hint = if message.contains("certificate") || message.contains("Certificate") {
        TLS_TRUST_HINT
    } else {
        TLS_HINT
    };
    ExtractError::Tls {
        addr: address.to_owned(),
        message,
        hint,
    }
}

/// Maps an error from a query that is not a page read.
pub(crate) fn query_error(e: TdsError, address: &str, action: &str) -> ExtractError {
    match e {
        TdsError::Server(token) => ExtractError::Server {
            code: token.code(),
            action: action.to_owned(),
            message: token.message().to_owned(),
        },
        other => ExtractError::Protocol {
            addr: address.to_owned(),
            action: action.to_owned(),
            message: other.to_string(),
        },
    }
}

/// Asks the server, in a PRELOGIN exchange of its own, whether it offers
/// TLS at all. tiberius panics when a client that requires encryption meets
/// a server without it; this turns that into an error that says so.
async fn require_tls_offer(source: &Source, address: &str) -> Result<(), ExtractError> {
    let mut tcp = open_tcp(source, address).await?;
    let offered = prelogin_encryption(&mut tcp)
        .await
        .map_err(|e| ExtractError::Protocol {
            addr: address.to_owned(),
            action: "asking whether the server offers TLS".into(),
            message: e.to_string(),
        })?;
    // ENCRYPT_NOT_SUP
    if offered == 2 {
        return Err(ExtractError::Tls {
            addr: address.to_owned(),
            message: "the server does not offer TLS, and encrypt=true requires it".into(),
            hint: "Enable TLS on the server, or connect with encrypt=false on a network you trust",
        });
    }
    Ok(())
}

/// Sends a minimal PRELOGIN (version and encryption options) and returns the
/// server's ENCRYPTION byte.
async fn prelogin_encryption(tcp: &mut TcpStream) -> std::io::Result<u8> {
    use std::io::{Error, ErrorKind};
    // Options: VERSION at offset 11 (6 bytes), ENCRYPTION at 17 (1 byte), end.
    let payload: [u8; 18] = [
        0x00, 0x00, 0x0B, 0x00, 0x06, // VERSION
        0x01, 0x00, 0x11, 0x00, 0x01, // ENCRYPTION
        0xFF, // terminator
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // version 0.0.0.0
        0x01, // ENCRYPT_ON
    ];
    let length = (8 + payload.len()) as u16;
    let mut packet = vec![0x12, 0x01];
    packet.extend_from_slice(&length.to_be_bytes());
    packet.extend_from_slice(&[0, 0, 1, 0]);
    packet.extend_from_slice(&payload);
    tcp.write_all(&packet).await?;

    let mut header = [0u8; 8];
    tcp.read_exact(&mut header).await?;
    let total = usize::from(u16::from_be_bytes([header[2], header[3]]));
    if header[0] != 0x04 || !(8..=4096).contains(&total) {
        return Err(Error::new(
            ErrorKind::InvalidData,
            "the answer to PRELOGIN is not a TDS response; is this a SQL Server port?",
        ));
    }
    let mut body = vec![0u8; total - 8];
    tcp.read_exact(&mut body).await?;
    let mut i = 0;
    while i + 5 <= body.len() && body[i] != 0xFF {
        let token = body[i];
        let offset = usize::from(u16::from_be_bytes([body[i + 1], body[i + 2]]));
        if token == 0x01 {
            return body.get(offset).copied().ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidData,
                    "PRELOGIN encryption option out of bounds",
                )
            });
        }
        i += 5;
    }
    Err(Error::new(
        ErrorKind::InvalidData,
        "the server's PRELOGIN has no encryption option",
    ))
}

/// How long to wait before retry `attempt` (1-based): 0.5 s doubling to 8 s.
pub(crate) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500u64 << attempt.saturating_sub(1).min(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_stops_growing() {
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(2), Duration::from_secs(1));
        assert_eq!(backoff(5), Duration::from_secs(8));
        assert_eq!(backoff(50), Duration::from_secs(8));
    }
}
