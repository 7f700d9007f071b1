//! How a server is set up.

use crate::catalog::Catalog;
use crate::tls::TlsConfig;
use std::path::PathBuf;

/// How a server is set up.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The legacy dump served (a directory with `manifest.json`).
    pub dump: PathBuf,
    /// The database's tables and how the dump feeds them.
    pub catalog: Catalog,
    /// The one database served (default `legacy`).
    pub database: String,
    /// The one SQL login (default `pancake`).
    pub user: String,
    /// Its password (default `pancake-test-password`).
    pub password: String,
    /// What `SYSUTCDATETIME()` returns: the server's clock is frozen. `None`
    /// takes the dump's `snapshot_at` (or the Unix epoch if it has none).
    pub now: Option<chrono::DateTime<chrono::Utc>>,
    /// TLS; `None` answers PRELOGIN with `ENCRYPT_NOT_SUP`.
    pub tls: Option<TlsConfig>,
    /// Whether the database allows snapshot isolation (default true); also
    /// settable while running with [`Faults::set_allow_snapshot`](crate::Faults::set_allow_snapshot).
    pub allow_snapshot: bool,
    /// `SERVERPROPERTY('ProductVersion')` (default `16.0.4105.2`, SQL
    /// Server 2022), also sent in PRELOGIN and LOGINACK.
    pub product_version: String,
    /// `@@SERVERNAME`, and the server name in ERROR tokens.
    pub server_name: String,
    /// Prints connections and statements to stderr.
    pub verbose: bool,
}

impl ServerConfig {
    /// Serves `dump` with [`Catalog::legacy`] and the defaults.
    pub fn new(dump: impl Into<PathBuf>) -> ServerConfig {
        ServerConfig {
            dump: dump.into(),
            catalog: Catalog::legacy(),
            database: "legacy".into(),
            user: "pancake".into(),
            password: "pancake-test-password".into(),
            now: None,
            tls: None,
            allow_snapshot: true,
            product_version: "16.0.4105.2".into(),
            server_name: "PANCAKE-TDS".into(),
            verbose: false,
        }
    }
}
