//! Where the extractor connects to: the SQL Server, database and login given
//! with `--mssql-url` or `MSSQL_URL`.
//!
//! # Two forms
//!
//! SQL Server people carry their connection details in one of two shapes,
//! and both are accepted so that nobody has to translate by hand (and get a
//! quote or a port wrong on the way):
//!
//! - a URL, compact and natural on a command line or in an environment
//!   variable:
//!   `mssql://user:password@host:1433/legacy?encrypt=true&ca_file=/etc/ca.pem`
//!   (`sqlserver://` works too; user, password and database are
//!   percent-decoded; an IPv6 host goes in brackets, `[::1]`);
//! - an ADO.NET connection string, the form the site's own applications
//!   already have in their configuration:
//!   `Server=tcp:host,1433;Database=legacy;User Id=user;Password=p;Encrypt=True`
//!   (keys case-insensitive, with the usual synonyms; values may be quoted
//!   with `"` or `'`, a doubled quote standing for one, so that a password
//!   may hold a `;`).
//!
//! Input that starts with `scheme://` is a URL; anything else is a
//! connection string. Both end up as the same [`Source`].
//!
//! # The password
//!
//! The input holds the password, so it must not leak into logs, progress
//! output, manifests or error messages. It lives in [`Password`], whose
//! `Debug` and `Display` print `***`; only [`Password::expose`] gives the
//! value, and the only caller that needs it is [`Source::tiberius_config`].
//! [`SourceError`] messages name the key or part that is wrong and never
//! repeat the input, and [`Source::redacted`] is the form to show or store.
//!
//! # Encryption
//!
//! [`Encrypt::Off`] maps to tiberius' `EncryptionLevel::NotSupported`, not
//! `Off`: in tiberius (0.12, when this was chosen) a client at `Off` facing a server without TLS
//! negotiates `On` and then fails the handshake. With `NotSupported` the
//! session is plain unless the server insists on TLS, in which case TLS is
//! used for everything. Note that this means the login (and so the
//! password) travels unencrypted to a server that offers TLS without
//! requiring it: use `encrypt=true` on any network you do not trust.
//!
//! # Layout
//!
//! - this file: [`Source`], [`Password`], [`Encrypt`] and the defaults;
//! - `error.rs`: [`SourceError`], its [`Form`] and [`Part`], and how values
//!   are quoted back in messages;
//! - `shared.rs`: what both forms fill in (the draft) and the values they
//!   share (booleans, encryption, timeouts, ports, host names);
//! - `url.rs`: the `mssql://` URL, and percent-encoding;
//! - `connection_string.rs`: the ADO.NET connection string;
//! - `tests/`: the parsing tests, by form.

mod connection_string;
mod error;
mod shared;
#[cfg(test)]
mod tests;
mod url;

pub use error::{Form, Part, SourceError};

use connection_string::parse_connection_string;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;
use url::{parse_url, percent_encode, url_scheme};

/// The port SQL Server listens on unless told otherwise.
const DEFAULT_PORT: u16 = 1433;
/// The application name the server sees (`APP_NAME()`) unless told otherwise.
const DEFAULT_APPLICATION_NAME: &str = "pancake";
/// How long connecting may take unless told otherwise.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// A password: `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(password: impl Into<String>) -> Password {
        Password(password.into())
    }

    /// The password itself, for the login and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Whether the session is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encrypt {
    /// No TLS unless the server insists on it.
    #[default]
    Off,
    /// TLS for everything; fail if the server cannot.
    Required,
}

/// Where and as whom to connect. `Debug` shows the password as `***`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// A host name or IP address; an IPv6 address without brackets.
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    password: Password,
    pub encrypt: Encrypt,
    /// Accept any server certificate (only on a network you trust).
    pub trust_server_certificate: bool,
    /// Check the server certificate against this CA as well as the system's.
    pub ca_file: Option<PathBuf>,
    pub application_name: String,
    pub connect_timeout: Duration,
    /// Things the user should know about how the input was read.
    notes: Vec<String>,
}

impl Source {
    /// Reads a SQL Server URL or an ADO.NET connection string.
    pub fn parse(s: &str) -> Result<Source, SourceError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(SourceError::Empty);
        }
        if s.len() >= 5 && s[..5].eq_ignore_ascii_case("jdbc:") {
            return Err(SourceError::Jdbc);
        }
        match url_scheme(s) {
            Some(scheme) => parse_url(s, scheme),
            None => parse_connection_string(s),
        }
    }

    pub fn password(&self) -> &Password {
        &self.password
    }

    /// Remarks about how the input was read (an option that was weakened or
    /// ignored), to show as warnings. None contains the password.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// `mssql://user@host:port/database`, plus the options that differ from
    /// the defaults; never the password. Adding `:password` after the user
    /// gives back an input that parses to the same source.
    pub fn redacted(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let mut out = format!(
            "mssql://{}@{}:{}/{}",
            percent_encode(&self.user, ""),
            host,
            self.port,
            percent_encode(&self.database, "")
        );
        let mut options = Vec::new();
        if self.encrypt == Encrypt::Required {
            options.push("encrypt=true".to_owned());
        }
        if self.trust_server_certificate {
            options.push("trust_server_certificate=true".to_owned());
        }
        if let Some(ca) = &self.ca_file {
            options.push(format!(
                "ca_file={}",
                percent_encode(&ca.to_string_lossy(), "/:\\")
            ));
        }
        if self.application_name != DEFAULT_APPLICATION_NAME {
            options.push(format!(
                "application_name={}",
                percent_encode(&self.application_name, "")
            ));
        }
        if self.connect_timeout != DEFAULT_CONNECT_TIMEOUT {
            options.push(format!(
                "connect_timeout={}",
                self.connect_timeout.as_secs()
            ));
        }
        if !options.is_empty() {
            out.push('?');
            out.push_str(&options.join("&"));
        }
        out
    }

    /// The tiberius configuration: host, port, database, SQL login,
    /// application name, certificate trust and encryption level.
    pub fn tiberius_config(&self) -> tiberius::Config {
        let mut config = tiberius::Config::new();
        config.host(&self.host);
        config.port(self.port);
        config.database(&self.database);
        config.authentication(tiberius::AuthMethod::sql_server(
            &self.user,
            self.password.expose(),
        ));
        config.application_name(&self.application_name);
        // See the module documentation for why Off is NotSupported.
        config.encryption(match self.encrypt {
            Encrypt::Off => tiberius::EncryptionLevel::NotSupported,
            Encrypt::Required => tiberius::EncryptionLevel::Required,
        });
        // parse() never lets both through; tiberius panics on both.
        if self.trust_server_certificate {
            config.trust_cert();
        } else if let Some(ca) = &self.ca_file {
            config.trust_cert_ca(ca.to_string_lossy());
        }
        // One deadline per stage, ours: the login within connect_timeout
        // (connect.rs bounds the whole of it), each page within
        // --query-timeout (read/page.rs). tiberius 0.13's own defaults (15 s
        // per handshake, 30 s per round trip) would cut in first with less
        // telling errors.
        config.handshake_timeout(None);
        config.command_timeout(None);
        config
    }
}

impl FromStr for Source {
    type Err = SourceError;

    fn from_str(s: &str) -> Result<Source, SourceError> {
        Source::parse(s)
    }
}
