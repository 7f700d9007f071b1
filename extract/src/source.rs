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
//! `Off`: in tiberius 0.12 a client at `Off` facing a server without TLS
//! negotiates `On` and then fails the handshake. With `NotSupported` the
//! session is plain unless the server insists on TLS, in which case TLS is
//! used for everything. Note that this means the login (and so the
//! password) travels unencrypted to a server that offers TLS without
//! requiring it: use `encrypt=true` on any network you do not trust.

use std::fmt;
use std::net::Ipv6Addr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// The port SQL Server listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 1433;
/// The application name the server sees (`APP_NAME()`) unless told otherwise.
pub const DEFAULT_APPLICATION_NAME: &str = "pancake";
/// How long connecting may take unless told otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

const MAX_CONNECT_TIMEOUT_SECS: u64 = 86_400;
/// The longest application name a TDS login carries.
const MAX_APPLICATION_NAME_CHARS: usize = 128;
/// Values quoted back in error messages are cut to this many characters.
const MAX_SHOWN_CHARS: usize = 40;

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

/// Which of the two forms the input was in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Url,
    ConnectionString,
}

impl fmt::Display for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Form::Url => "SQL Server URL",
            Form::ConnectionString => "connection string",
        })
    }
}

/// A required part of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Host,
    Database,
    User,
    Password,
}

/// Why the input cannot be used. Each message is one line that names the
/// offending key or part, says what is expected and how to fix it, and
/// never contains the password or the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error(
        "no SQL Server to connect to: set --mssql-url or MSSQL_URL, e.g. mssql://user:password@host:1433/legacy or Server=host,1433;Database=legacy;User Id=user;Password=password"
    )]
    Empty,

    #[error(
        "JDBC URLs (jdbc:sqlserver://…) are not supported: write mssql://user:password@host:1433/database, or an ADO.NET connection string such as Server=host,1433;Database=legacy;User Id=user;Password=password"
    )]
    Jdbc,

    #[error(
        "unsupported URL scheme '{scheme}://': write mssql:// or sqlserver://, e.g. mssql://user:password@host:1433/legacy"
    )]
    UnsupportedScheme { scheme: String },

    #[error("{}", missing_message(.form, .part))]
    Missing { form: Form, part: Part },

    #[error(
        "the {part} in the SQL Server URL is not valid UTF-8 once percent-decoded: percent-encode the UTF-8 bytes of each special character, e.g. %C3%A9 for 'é'"
    )]
    BadPercentEncoding { part: String },

    #[error(
        "the SQL Server URL has a '#' after the host: if it belongs to the password, percent-encode it as %23"
    )]
    UrlFragment,

    #[error(
        "the path of the SQL Server URL must be just the database name, e.g. mssql://user:password@host:1433/legacy: percent-encode a '/' in the name as %2F"
    )]
    UrlPath,

    #[error("the port in the {form} must be a number from 1 to 65535, not '{value}'")]
    InvalidPort { form: Form, value: String },

    #[error(
        "'{host}' in the {form} is not a host name or IP address: use letters, digits, '-', '_' and '.', or an IPv6 address such as {}", ipv6_example(.form)
    )]
    InvalidHost { form: Form, host: String },

    #[error(
        "the {form} names a SQL Server instance (host\\instance) without a port: instance names are not supported, give the instance's TCP port instead, e.g. {}", instance_example(.form)
    )]
    Instance { form: Form },

    #[error(
        "Server uses the '{protocol}:' protocol: only TCP is supported, e.g. Server=tcp:host,1433"
    )]
    NotTcp { protocol: String },

    #[error(
        "Server in the connection string gives the port after ':': a connection string separates it with a comma, e.g. Server=tcp:host,1433"
    )]
    ColonPort,

    #[error(
        "unknown option '{key}' in the SQL Server URL: expected encrypt, trust_server_certificate, ca_file, application_name or connect_timeout"
    )]
    UnknownOption { key: String },

    #[error(
        "option '{key}' in the SQL Server URL has no value: write it as {key}=value, e.g. encrypt=true"
    )]
    OptionWithoutValue { key: String },

    #[error(
        "unknown key '{key}' in the connection string: expected Server, Database, User Id, Password, Encrypt, TrustServerCertificate, TrustServerCertificateCA, Application Name or Connect Timeout (or a synonym such as Data Source, Initial Catalog, UID, PWD)"
    )]
    UnknownKey { key: String },

    #[error(
        "part {index} of the connection string has no '=': write key=value pairs separated by ';', e.g. Server=host,1433;Database=legacy"
    )]
    NoEquals { index: usize },

    #[error(
        "part {index} of the connection string has no key before '=': write key=value pairs, e.g. Database=legacy"
    )]
    EmptyKey { index: usize },

    #[error(
        "part {index} of the connection string, right after Password, is not a known key=value pair: if the password contains ';', quote it, e.g. Password=\"a;b\" (double a quote inside to escape it); otherwise correct or remove that part"
    )]
    AfterPassword { index: usize },

    #[error(
        "the value of {key} opens a quote that is never closed: close it with the same quote, and double a quote inside to escape it, e.g. Password=\"a\"\"b\""
    )]
    UnclosedQuote { key: String },

    #[error(
        "the value of {key} has text after its closing quote: double a quote inside a quoted value to escape it, e.g. Password=\"a\"\"b\""
    )]
    TextAfterQuote { key: String },

    #[error("{key} is given twice in the {form}: keep one (synonyms count as the same key)")]
    Duplicate { form: Form, key: String },

    #[error("{key} must be true or false, not '{value}'")]
    InvalidBool { key: String, value: String },

    #[error("{key} must be true or false (or mandatory, optional, strict), not '{value}'")]
    InvalidEncrypt { key: String, value: String },

    #[error("{key} must be a whole number of seconds from 1 to 86400, not '{value}'")]
    InvalidTimeout { key: String, value: String },

    #[error("{key} must be 1 to 128 characters long")]
    InvalidApplicationName { key: String },

    #[error(
        "{key} is empty: give the path of the CA certificate (PEM, CRT or DER) that signed the server's certificate"
    )]
    EmptyCaFile { key: String },

    #[error("{}", trust_and_ca_message(.form))]
    TrustAndCa { form: Form },

    #[error("{what} is not supported: use a SQL login (User Id and Password)")]
    NotSqlLogin { what: String },
}

fn missing_message(form: &Form, part: &Part) -> String {
    match (form, part) {
        (Form::Url, Part::Host) => {
            "the SQL Server URL has no host: put it after the '@', e.g. mssql://user:password@host:1433/legacy"
        }
        (Form::Url, Part::Database) => {
            "the SQL Server URL has no database: add it as the path, e.g. mssql://user:password@host:1433/legacy"
        }
        (Form::Url, Part::User) => {
            "the SQL Server URL has no user: write user:password@ before the host, e.g. mssql://user:password@host:1433/legacy, and percent-encode any '@', ':', '/', '?' or '#' in them (%40, %3A, %2F, %3F, %23)"
        }
        (Form::Url, Part::Password) => {
            "the SQL Server URL has no password: write it after the user and a ':', e.g. mssql://user:password@host:1433/legacy"
        }
        (Form::ConnectionString, Part::Host) => {
            "the connection string has no Server: add Server=host,1433 (or Data Source=host,1433)"
        }
        (Form::ConnectionString, Part::Database) => {
            "the connection string has no Database: add Database=legacy (or Initial Catalog=legacy)"
        }
        (Form::ConnectionString, Part::User) => {
            "the connection string has no User Id: add User Id=user, a SQL login (or UID=user)"
        }
        (Form::ConnectionString, Part::Password) => {
            "the connection string has no Password: add Password=… (or PWD=…), quoted if it contains ';', e.g. Password=\"a;b\""
        }
    }
    .to_owned()
}

fn ipv6_example(form: &Form) -> &'static str {
    match form {
        Form::Url => "[::1] (in brackets, e.g. mssql://user:password@[::1]:1433/legacy)",
        Form::ConnectionString => "::1 (e.g. Server=tcp:[::1],1433)",
    }
}

fn instance_example(form: &Form) -> &'static str {
    match form {
        Form::Url => "mssql://user:password@host:1434/legacy",
        Form::ConnectionString => "Server=tcp:host,1434",
    }
}

fn trust_and_ca_message(form: &Form) -> String {
    let (trust, ca) = match form {
        Form::Url => ("trust_server_certificate=true", "ca_file"),
        Form::ConnectionString => ("TrustServerCertificate=True", "TrustServerCertificateCA"),
    };
    format!(
        "both {trust} and {ca} are set: pick one ({ca} checks the server's certificate against that CA, {trust} accepts any certificate)"
    )
}

/// A value as quoted back in an error: trimmed and cut short.
fn shown(value: &str) -> String {
    let value = value.trim();
    if value.chars().count() > MAX_SHOWN_CHARS {
        let mut cut: String = value.chars().take(MAX_SHOWN_CHARS).collect();
        cut.push('…');
        cut
    } else {
        value.to_owned()
    }
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
        config
    }
}

impl FromStr for Source {
    type Err = SourceError;

    fn from_str(s: &str) -> Result<Source, SourceError> {
        Source::parse(s)
    }
}

/// What both forms fill in before the required parts are checked.
struct Draft {
    form: Form,
    host: Option<String>,
    port: u16,
    database: Option<String>,
    user: Option<String>,
    password: Option<String>,
    encrypt: Encrypt,
    trust_server_certificate: bool,
    ca_file: Option<PathBuf>,
    application_name: String,
    connect_timeout: Duration,
    notes: Vec<String>,
}

impl Draft {
    fn new(form: Form) -> Draft {
        Draft {
            form,
            host: None,
            port: DEFAULT_PORT,
            database: None,
            user: None,
            password: None,
            encrypt: Encrypt::Off,
            trust_server_certificate: false,
            ca_file: None,
            application_name: DEFAULT_APPLICATION_NAME.to_owned(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            notes: Vec::new(),
        }
    }

    fn finish(self) -> Result<Source, SourceError> {
        let form = self.form;
        let required = |value: Option<String>, part: Part| {
            value
                .filter(|v| !v.is_empty())
                .ok_or(SourceError::Missing { form, part })
        };
        let host = required(self.host, Part::Host)?;
        let database = required(self.database, Part::Database)?;
        let user = required(self.user, Part::User)?;
        let password = required(self.password, Part::Password)?;
        if user.contains('\\') {
            return Err(SourceError::NotSqlLogin {
                what: "a Windows login (DOMAIN\\user)".into(),
            });
        }
        if self.trust_server_certificate && self.ca_file.is_some() {
            return Err(SourceError::TrustAndCa { form });
        }
        Ok(Source {
            host,
            port: self.port,
            database,
            user,
            password: Password(password),
            encrypt: self.encrypt,
            trust_server_certificate: self.trust_server_certificate,
            ca_file: self.ca_file,
            application_name: self.application_name,
            connect_timeout: self.connect_timeout,
            notes: self.notes,
        })
    }
}

// ---------------------------------------------------------------------------
// Values shared by both forms

fn parse_bool(key: &str, value: &str) -> Result<bool, SourceError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" => Ok(true),
        "false" | "no" => Ok(false),
        _ => Err(SourceError::InvalidBool {
            key: key.to_owned(),
            value: shown(value),
        }),
    }
}

fn parse_encrypt(key: &str, value: &str, notes: &mut Vec<String>) -> Result<Encrypt, SourceError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "mandatory" => Ok(Encrypt::Required),
        "false" | "no" | "optional" => Ok(Encrypt::Off),
        "strict" => {
            notes.push(format!(
                "{key}=strict (TDS 8.0, TLS before anything else) is not available in this client: using mandatory, which encrypts everything after the first PRELOGIN exchange"
            ));
            Ok(Encrypt::Required)
        }
        _ => Err(SourceError::InvalidEncrypt {
            key: key.to_owned(),
            value: shown(value),
        }),
    }
}

fn parse_timeout(key: &str, value: &str) -> Result<Duration, SourceError> {
    let trimmed = value.trim();
    let seconds = if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        trimmed.parse::<u64>().ok()
    } else {
        None
    };
    match seconds {
        Some(s) if (1..=MAX_CONNECT_TIMEOUT_SECS).contains(&s) => Ok(Duration::from_secs(s)),
        _ => Err(SourceError::InvalidTimeout {
            key: key.to_owned(),
            value: shown(value),
        }),
    }
}

fn parse_application_name(key: &str, value: &str) -> Result<String, SourceError> {
    let count = value.chars().count();
    if count == 0 || count > MAX_APPLICATION_NAME_CHARS {
        return Err(SourceError::InvalidApplicationName {
            key: key.to_owned(),
        });
    }
    Ok(value.to_owned())
}

fn parse_ca_file(key: &str, value: &str) -> Result<PathBuf, SourceError> {
    if value.trim().is_empty() {
        return Err(SourceError::EmptyCaFile {
            key: key.to_owned(),
        });
    }
    Ok(PathBuf::from(value))
}

fn parse_port(form: Form, value: &str) -> Result<u16, SourceError> {
    let trimmed = value.trim();
    let port = if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        trimmed.parse::<u16>().ok()
    } else {
        None
    };
    match port {
        Some(p) if p != 0 => Ok(p),
        _ => Err(SourceError::InvalidPort {
            form,
            value: shown(value),
        }),
    }
}

/// A host name or IPv4 address: letters, digits, '-', '_', '.'.
fn check_host_name(form: Form, host: &str) -> Result<(), SourceError> {
    if host.is_empty() {
        return Err(SourceError::Missing {
            form,
            part: Part::Host,
        });
    }
    if host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        Ok(())
    } else {
        Err(SourceError::InvalidHost {
            form,
            host: shown(host),
        })
    }
}

/// Splits off a `\instance` suffix. Without a port, an instance is an error
/// (finding its port needs the SQL Browser); with one, the port already
/// names the instance and the name is dropped with a note.
fn strip_instance<'a>(
    form: Form,
    host: &'a str,
    has_port: bool,
    notes: &mut Vec<String>,
) -> Result<&'a str, SourceError> {
    let cut = host.find('\\').or_else(|| {
        host.to_ascii_lowercase()
            .find("%5c")
            .filter(|_| form == Form::Url)
    });
    match cut {
        None => Ok(host),
        Some(_) if !has_port => Err(SourceError::Instance { form }),
        Some(at) => {
            notes.push(
                "the instance name after '\\' is ignored: the port given identifies the instance"
                    .to_owned(),
            );
            Ok(&host[..at])
        }
    }
}

// ---------------------------------------------------------------------------
// URL

/// The scheme of `scheme://…`, if the input starts like that.
fn url_scheme(s: &str) -> Option<&str> {
    let end = s.find("://")?;
    let scheme = &s[..end];
    let mut bytes = scheme.bytes();
    let first = bytes.next()?;
    (first.is_ascii_alphabetic()
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))
    .then_some(scheme)
}

fn parse_url(s: &str, scheme: &str) -> Result<Source, SourceError> {
    if !scheme.eq_ignore_ascii_case("mssql") && !scheme.eq_ignore_ascii_case("sqlserver") {
        return Err(SourceError::UnsupportedScheme {
            scheme: shown(scheme),
        });
    }
    let mut draft = Draft::new(Form::Url);
    let rest = &s[scheme.len() + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, after) = rest.split_at(authority_end);

    // The last '@' ends the user information, so a raw '@' in the password
    // still works; a raw '/', '?' or '#' in it cannot.
    let Some(at) = authority.rfind('@') else {
        return Err(SourceError::Missing {
            form: Form::Url,
            part: Part::User,
        });
    };
    let (userinfo, host_port) = (&authority[..at], &authority[at + 1..]);
    let (user, password) = match userinfo.split_once(':') {
        Some((user, password)) => (user, Some(password)),
        None => (userinfo, None),
    };
    draft.user = Some(percent_decode("user", user)?);
    draft.password = password
        .map(|p| percent_decode("password", p))
        .transpose()?;

    let (host, port) = parse_url_host(host_port, &mut draft.notes)?;
    draft.host = Some(host);
    draft.port = port;

    if after.contains('#') {
        return Err(SourceError::UrlFragment);
    }
    let (path, query) = match after.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (after, None),
    };
    let path = path.strip_prefix('/').unwrap_or(path);
    let path = path.strip_suffix('/').unwrap_or(path);
    if path.contains('/') {
        return Err(SourceError::UrlPath);
    }
    draft.database = Some(percent_decode("database", path)?);

    if let Some(query) = query {
        parse_url_options(query, &mut draft)?;
    }
    draft.finish()
}

fn parse_url_host(host_port: &str, notes: &mut Vec<String>) -> Result<(String, u16), SourceError> {
    let form = Form::Url;
    if host_port.is_empty() {
        return Err(SourceError::Missing {
            form,
            part: Part::Host,
        });
    }
    if let Some(bracketed) = host_port.strip_prefix('[') {
        let invalid = || SourceError::InvalidHost {
            form,
            host: shown(host_port),
        };
        let (address, after) = bracketed.split_once(']').ok_or_else(invalid)?;
        address.parse::<Ipv6Addr>().map_err(|_| invalid())?;
        let port = match after {
            "" => DEFAULT_PORT,
            _ => match after.strip_prefix(':') {
                Some(port) => parse_port(form, port)?,
                None => return Err(invalid()),
            },
        };
        return Ok((address.to_owned(), port));
    }
    if host_port.matches(':').count() > 1 {
        // An IPv6 address without brackets.
        return Err(SourceError::InvalidHost {
            form,
            host: shown(host_port),
        });
    }
    let (host, port) = match host_port.split_once(':') {
        Some((host, port)) => (host, Some(parse_port(form, port)?)),
        None => (host_port, None),
    };
    let host = strip_instance(form, host, port.is_some(), notes)?;
    check_host_name(form, host)?;
    Ok((host.to_owned(), port.unwrap_or(DEFAULT_PORT)))
}

/// The URL options, by their key with case, '_' and '-' ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UrlOption {
    Encrypt,
    TrustServerCertificate,
    CaFile,
    ApplicationName,
    ConnectTimeout,
}

impl UrlOption {
    fn from_key(key: &str) -> Option<UrlOption> {
        let normal: String = key
            .chars()
            .filter(|c| !matches!(c, '_' | '-'))
            .collect::<String>()
            .to_ascii_lowercase();
        Some(match normal.as_str() {
            "encrypt" => UrlOption::Encrypt,
            "trustservercertificate" => UrlOption::TrustServerCertificate,
            "cafile" => UrlOption::CaFile,
            "applicationname" => UrlOption::ApplicationName,
            "connecttimeout" => UrlOption::ConnectTimeout,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            UrlOption::Encrypt => "encrypt",
            UrlOption::TrustServerCertificate => "trust_server_certificate",
            UrlOption::CaFile => "ca_file",
            UrlOption::ApplicationName => "application_name",
            UrlOption::ConnectTimeout => "connect_timeout",
        }
    }
}

fn parse_url_options(query: &str, draft: &mut Draft) -> Result<(), SourceError> {
    let mut seen = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = match pair.split_once('=') {
            Some((key, value)) => (key, Some(value)),
            None => (pair, None),
        };
        let key = percent_decode("option name", key)?;
        let option = UrlOption::from_key(&key)
            .ok_or_else(|| SourceError::UnknownOption { key: shown(&key) })?;
        let name = option.name();
        let Some(value) = value else {
            return Err(SourceError::OptionWithoutValue { key: name.into() });
        };
        if seen.contains(&option) {
            return Err(SourceError::Duplicate {
                form: Form::Url,
                key: name.into(),
            });
        }
        seen.push(option);
        let value = percent_decode(name, value)?;
        match option {
            UrlOption::Encrypt => draft.encrypt = parse_encrypt(name, &value, &mut draft.notes)?,
            UrlOption::TrustServerCertificate => {
                draft.trust_server_certificate = parse_bool(name, &value)?;
            }
            UrlOption::CaFile => draft.ca_file = Some(parse_ca_file(name, &value)?),
            UrlOption::ApplicationName => {
                draft.application_name = parse_application_name(name, &value)?;
            }
            UrlOption::ConnectTimeout => draft.connect_timeout = parse_timeout(name, &value)?,
        }
    }
    Ok(())
}

/// Decodes `%XX`; a '%' not followed by two hex digits stays as it is, so a
/// raw password with a '%' in it still works.
fn percent_decode(part: &str, s: &str) -> Result<String, SourceError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((high * 16 + low) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).map_err(|_| SourceError::BadPercentEncoding {
        part: part.to_owned(),
    })
}

/// Encodes all but the unreserved characters and those in `keep`.
fn percent_encode(s: &str, keep: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || keep.as_bytes().contains(&b)
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ---------------------------------------------------------------------------
// ADO.NET connection string

/// The connection string keys, by their name with case and spaces ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AdoKey {
    Server,
    Database,
    User,
    Password,
    Encrypt,
    TrustServerCertificate,
    TrustServerCertificateCa,
    ApplicationName,
    ConnectTimeout,
    IntegratedSecurity,
    Authentication,
    HostNameInCertificate,
    /// Client-side settings (pooling and the like) with no bearing on how
    /// the extractor connects.
    Ignored,
}

impl AdoKey {
    fn from_key(key: &str) -> Option<AdoKey> {
        let normal: String = key
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        Some(match normal.as_str() {
            "server" | "datasource" | "address" | "addr" | "networkaddress" => AdoKey::Server,
            "database" | "initialcatalog" => AdoKey::Database,
            "userid" | "uid" | "user" | "username" => AdoKey::User,
            "password" | "pwd" => AdoKey::Password,
            "encrypt" => AdoKey::Encrypt,
            "trustservercertificate" => AdoKey::TrustServerCertificate,
            "trustservercertificateca" => AdoKey::TrustServerCertificateCa,
            "applicationname" | "app" => AdoKey::ApplicationName,
            "connecttimeout" | "connectiontimeout" | "timeout" => AdoKey::ConnectTimeout,
            "integratedsecurity" | "trusted_connection" => AdoKey::IntegratedSecurity,
            "authentication" => AdoKey::Authentication,
            "hostnameincertificate" => AdoKey::HostNameInCertificate,
            "persistsecurityinfo"
            | "multipleactiveresultsets"
            | "pooling"
            | "minpoolsize"
            | "maxpoolsize"
            | "connectionlifetime"
            | "loadbalancetimeout"
            | "enlist"
            | "workstationid"
            | "wsid"
            | "packetsize" => AdoKey::Ignored,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            AdoKey::Server => "Server",
            AdoKey::Database => "Database",
            AdoKey::User => "User Id",
            AdoKey::Password => "Password",
            AdoKey::Encrypt => "Encrypt",
            AdoKey::TrustServerCertificate => "TrustServerCertificate",
            AdoKey::TrustServerCertificateCa => "TrustServerCertificateCA",
            AdoKey::ApplicationName => "Application Name",
            AdoKey::ConnectTimeout => "Connect Timeout",
            AdoKey::IntegratedSecurity => "Integrated Security",
            AdoKey::Authentication => "Authentication",
            AdoKey::HostNameInCertificate => "HostNameInCertificate",
            AdoKey::Ignored => "an ignored key",
        }
    }
}

fn parse_connection_string(s: &str) -> Result<Source, SourceError> {
    let mut draft = Draft::new(Form::ConnectionString);
    let mut seen = Vec::new();
    let bytes = s.as_bytes();
    let len = bytes.len();
    let mut i = 0;
    let mut index = 0;
    // A password left unquoted that contained a ';' shows up as a broken
    // part right after it; say so rather than quote the fragment back.
    let mut after_unquoted_password = false;
    loop {
        while i < len && (bytes[i] == b';' || bytes[i].is_ascii_whitespace()) {
            i += 1;
        }
        if i >= len {
            break;
        }
        index += 1;
        let broken = |error: SourceError| {
            if after_unquoted_password {
                SourceError::AfterPassword { index }
            } else {
                error
            }
        };

        let key_start = i;
        while i < len && bytes[i] != b'=' && bytes[i] != b';' {
            i += 1;
        }
        if i >= len || bytes[i] == b';' {
            return Err(broken(SourceError::NoEquals { index }));
        }
        let key = s[key_start..i].trim();
        i += 1;
        if key.is_empty() {
            return Err(broken(SourceError::EmptyKey { index }));
        }
        let Some(ado_key) = AdoKey::from_key(key) else {
            return Err(broken(SourceError::UnknownKey { key: shown(key) }));
        };

        while i < len && bytes[i] != b';' && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let quoted = i < len && matches!(bytes[i], b'"' | b'\'');
        let value = if quoted {
            let quote = bytes[i];
            i += 1;
            let mut value = String::new();
            let mut run = i;
            loop {
                if i >= len {
                    return Err(SourceError::UnclosedQuote {
                        key: key.to_owned(),
                    });
                }
                if bytes[i] == quote {
                    value.push_str(&s[run..i]);
                    if i + 1 < len && bytes[i + 1] == quote {
                        value.push(quote as char);
                        i += 2;
                        run = i;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
            while i < len && bytes[i] != b';' {
                if !bytes[i].is_ascii_whitespace() {
                    return Err(SourceError::TextAfterQuote {
                        key: key.to_owned(),
                    });
                }
                i += 1;
            }
            value
        } else {
            let start = i;
            while i < len && bytes[i] != b';' {
                i += 1;
            }
            s[start..i].trim().to_owned()
        };
        after_unquoted_password = ado_key == AdoKey::Password && !quoted;

        if ado_key != AdoKey::Ignored {
            if seen.contains(&ado_key) {
                return Err(SourceError::Duplicate {
                    form: Form::ConnectionString,
                    key: ado_key.name().into(),
                });
            }
            seen.push(ado_key);
        }
        apply_ado(&mut draft, ado_key, key, &value)?;
    }
    draft.finish()
}

fn apply_ado(
    draft: &mut Draft,
    ado_key: AdoKey,
    key: &str,
    value: &str,
) -> Result<(), SourceError> {
    match ado_key {
        AdoKey::Server => {
            let (host, port) = parse_ado_server(value, &mut draft.notes)?;
            draft.host = Some(host);
            draft.port = port;
        }
        AdoKey::Database => draft.database = Some(value.to_owned()),
        AdoKey::User => draft.user = Some(value.to_owned()),
        AdoKey::Password => draft.password = Some(value.to_owned()),
        AdoKey::Encrypt => draft.encrypt = parse_encrypt(key, value, &mut draft.notes)?,
        AdoKey::TrustServerCertificate => {
            draft.trust_server_certificate = parse_bool(key, value)?;
        }
        AdoKey::TrustServerCertificateCa => draft.ca_file = Some(parse_ca_file(key, value)?),
        AdoKey::ApplicationName => draft.application_name = parse_application_name(key, value)?,
        AdoKey::ConnectTimeout => draft.connect_timeout = parse_timeout(key, value)?,
        AdoKey::IntegratedSecurity => {
            let on = value.trim().eq_ignore_ascii_case("sspi") || parse_bool(key, value)?;
            if on {
                return Err(SourceError::NotSqlLogin {
                    what: format!("{}={} (Windows authentication)", shown(key), shown(value)),
                });
            }
        }
        AdoKey::Authentication => {
            let normal: String = value
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase();
            if normal != "sqlpassword" {
                return Err(SourceError::NotSqlLogin {
                    what: format!("{}={}", shown(key), shown(value)),
                });
            }
        }
        AdoKey::HostNameInCertificate => draft.notes.push(
            "HostNameInCertificate is ignored: the server's certificate must name the host in Server (or use TrustServerCertificateCA or TrustServerCertificate)"
                .to_owned(),
        ),
        AdoKey::Ignored => {}
    }
    Ok(())
}

/// `[tcp:]host[,port]`, host also `[::1]`, `::1`, `.`, `(local)`.
fn parse_ado_server(value: &str, notes: &mut Vec<String>) -> Result<(String, u16), SourceError> {
    let form = Form::ConnectionString;
    let mut value = value.trim();
    if let Some((protocol, rest)) = value.split_once(':') {
        match protocol.trim().to_ascii_lowercase().as_str() {
            "tcp" => value = rest.trim(),
            "np" | "lpc" | "admin" | "via" => {
                return Err(SourceError::NotTcp {
                    protocol: protocol.trim().to_owned(),
                });
            }
            _ => {}
        }
    }
    let (host, port) = match value.split_once(',') {
        Some((host, port)) => (host.trim(), Some(parse_port(form, port)?)),
        None => (value, None),
    };
    let host = strip_instance(form, host, port.is_some(), notes)?;
    let port = port.unwrap_or(DEFAULT_PORT);

    let unbracketed = host.strip_prefix('[').and_then(|h| h.strip_suffix(']'));
    if let Some(address) = unbracketed {
        return match address.parse::<Ipv6Addr>() {
            Ok(_) => Ok((address.to_owned(), port)),
            Err(_) => Err(SourceError::InvalidHost {
                form,
                host: shown(host),
            }),
        };
    }
    if host.contains(':') {
        if host.parse::<Ipv6Addr>().is_ok() {
            return Ok((host.to_owned(), port));
        }
        let looks_like_port = host.rsplit_once(':').is_some_and(|(name, port)| {
            !name.contains(':') && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
        });
        return Err(if looks_like_port {
            SourceError::ColonPort
        } else {
            SourceError::InvalidHost {
                form,
                host: shown(host),
            }
        });
    }
    if host == "." || host.eq_ignore_ascii_case("(local)") || host.eq_ignore_ascii_case("localhost")
    {
        return Ok(("127.0.0.1".to_owned(), port));
    }
    check_host_name(form, host)?;
    Ok((host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses, and checks that nothing a user could see (error message,
    /// Debug, redacted form, notes, the tiberius config's Debug) contains
    /// any of `secrets` or, for an error, the input.
    fn parse(input: &str, secrets: &[&str]) -> Result<Source, SourceError> {
        let result = Source::parse(input);
        let mut shown = Vec::new();
        match &result {
            Ok(source) => {
                shown.push(format!("{source:?}"));
                shown.push(source.redacted());
                shown.push(format!("{:?}", source.tiberius_config()));
                shown.push(format!("{:?}", source.password()));
                shown.push(source.password().to_string());
                shown.extend(source.notes().iter().cloned());
                // The password itself is a secret here, whatever it is.
                let password = source.password().expose();
                for text in &shown {
                    assert!(
                        !text.contains(password),
                        "{text:?} shows the password of {input:?}"
                    );
                }
            }
            Err(e) => {
                let message = e.to_string();
                assert!(!message.contains('\n'), "two lines: {message:?}");
                let trimmed = input.trim();
                if !trimmed.is_empty() {
                    assert!(!message.contains(trimmed), "{message:?} repeats the input");
                }
                shown.push(message);
                shown.push(format!("{e:?}"));
            }
        }
        for text in &shown {
            for secret in secrets {
                assert!(
                    !text.contains(secret),
                    "{text:?} shows the secret {secret:?} of {input:?}"
                );
            }
        }
        result
    }

    fn ok(input: &str, secrets: &[&str]) -> Source {
        parse(input, secrets).unwrap_or_else(|e| panic!("{input:?} should parse: {e}"))
    }

    fn err(input: &str, secrets: &[&str]) -> SourceError {
        match parse(input, secrets) {
            Ok(source) => panic!("{input:?} should fail, gave {source:?}"),
            Err(e) => e,
        }
    }

    fn message(input: &str, secrets: &[&str]) -> String {
        err(input, secrets).to_string()
    }

    fn tiberius_debug(source: &Source) -> String {
        format!("{:?}", source.tiberius_config())
    }

    // --- URL ---------------------------------------------------------------

    #[test]
    fn url_with_every_option() {
        let input = "mssql://etl%40corp:S3cr%3At%2F%3F%23@db.example.com:14330/legacy%20db?encrypt=true&ca_file=/etc/ssl/corp%20ca.pem&application_name=pancake%20nightly&connect_timeout=30";
        let s = ok(input, &["S3cr", "S3cr%3At%2F%3F%23", "S3cr:t/?#"]);
        assert_eq!(s.host, "db.example.com");
        assert_eq!(s.port, 14330);
        assert_eq!(s.database, "legacy db");
        assert_eq!(s.user, "etl@corp");
        assert_eq!(s.password().expose(), "S3cr:t/?#");
        assert_eq!(s.encrypt, Encrypt::Required);
        assert!(!s.trust_server_certificate);
        assert_eq!(s.ca_file, Some(PathBuf::from("/etc/ssl/corp ca.pem")));
        assert_eq!(s.application_name, "pancake nightly");
        assert_eq!(s.connect_timeout, Duration::from_secs(30));
        assert!(s.notes().is_empty());
        assert_eq!(
            s.redacted(),
            "mssql://etl%40corp@db.example.com:14330/legacy%20db?encrypt=true&ca_file=/etc/ssl/corp%20ca.pem&application_name=pancake%20nightly&connect_timeout=30"
        );
    }

    #[test]
    fn url_sqlserver_scheme_trust_and_raw_specials_in_password() {
        let s = ok(
            "sqlserver://sa:Tr0ub4dor&3!@sql01:1433/legacy?trust_server_certificate=true&encrypt=false",
            &["Tr0ub4dor"],
        );
        assert_eq!(s.password().expose(), "Tr0ub4dor&3!");
        assert_eq!((s.host.as_str(), s.port), ("sql01", 1433));
        assert!(s.trust_server_certificate);
        assert_eq!(s.encrypt, Encrypt::Off);
        assert_eq!(s.ca_file, None);
        assert_eq!(
            s.redacted(),
            "mssql://sa@sql01:1433/legacy?trust_server_certificate=true"
        );
    }

    #[test]
    fn url_defaults() {
        let s = ok("mssql://sa:Pa55word!@legacy-db/legacy", &["Pa55word"]);
        assert_eq!(s.host, "legacy-db");
        assert_eq!(s.port, DEFAULT_PORT);
        assert_eq!(s.port, 1433);
        assert_eq!(s.database, "legacy");
        assert_eq!(s.user, "sa");
        assert_eq!(s.encrypt, Encrypt::Off);
        assert!(!s.trust_server_certificate);
        assert_eq!(s.ca_file, None);
        assert_eq!(s.application_name, "pancake");
        assert_eq!(s.connect_timeout, Duration::from_secs(15));
        assert!(s.notes().is_empty());
        assert_eq!(s.redacted(), "mssql://sa@legacy-db:1433/legacy");
    }

    #[test]
    fn url_scheme_and_option_keys_ignore_case_and_separators() {
        let s = ok(
            "  MSSQL://sa:x9Y8z7q@h/db?Encrypt=TRUE&TrustServerCertificate=yes&Connect-Timeout=5&APPLICATION_NAME=a  ",
            &["x9Y8z7q"],
        );
        assert_eq!(s.encrypt, Encrypt::Required);
        assert!(s.trust_server_certificate);
        assert_eq!(s.connect_timeout, Duration::from_secs(5));
        assert_eq!(s.application_name, "a");
        // Empty query pairs and a trailing slash are harmless.
        let s = ok("SqlServer://sa:x9Y8z7q@h/db/?&encrypt=no&", &["x9Y8z7q"]);
        assert_eq!(s.database, "db");
        assert_eq!(s.encrypt, Encrypt::Off);
    }

    #[test]
    fn url_password_may_hold_raw_at_and_colon() {
        let s = ok("mssql://sa:p@ss:w0rdZ@host/db", &["p@ss:w0rdZ", "w0rdZ"]);
        assert_eq!(s.user, "sa");
        assert_eq!(s.password().expose(), "p@ss:w0rdZ");
        assert_eq!(s.host, "host");
    }

    #[test]
    fn url_percent_decoding() {
        let s = ok(
            "mssql://d%C3%A9v:%E2%82%ACuro%20Pw@h/caf%C3%A9%2Fdb",
            &["€uro Pw", "%E2%82%ACuro"],
        );
        assert_eq!(s.user, "dév");
        assert_eq!(s.password().expose(), "€uro Pw");
        assert_eq!(s.database, "café/db");
        assert_eq!(s.redacted(), "mssql://d%C3%A9v@h:1433/caf%C3%A9%2Fdb");
        // A '%' that starts no escape stays, so raw passwords with '%' work.
        let s = ok("mssql://sa:100%sure%4@h/db", &["100%sure"]);
        assert_eq!(s.password().expose(), "100%sure%4");
        // Lower-case hex works too.
        let s = ok("mssql://sa:a%2fb%3aCzq@h/db", &["a/b:Czq"]);
        assert_eq!(s.password().expose(), "a/b:Czq");
    }

    #[test]
    fn url_bad_percent_encoding() {
        let e = err("mssql://sa:%FFBadUtf8@h/db", &["BadUtf8"]);
        assert_eq!(
            e,
            SourceError::BadPercentEncoding {
                part: "password".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "the password in the SQL Server URL is not valid UTF-8 once percent-decoded: percent-encode the UTF-8 bytes of each special character, e.g. %C3%A9 for 'é'"
        );
        let e = err("mssql://sa:Pw0rdQ@h/d%C3b", &["Pw0rdQ"]);
        assert_eq!(
            e,
            SourceError::BadPercentEncoding {
                part: "database".into()
            }
        );
    }

    #[test]
    fn url_ipv6() {
        let s = ok("mssql://sa:V6pass!@[::1]:1444/legacy", &["V6pass"]);
        assert_eq!(s.host, "::1");
        assert_eq!(s.port, 1444);
        assert_eq!(s.redacted(), "mssql://sa@[::1]:1444/legacy");
        assert!(tiberius_debug(&s).contains("host: Some(\"::1\")"));

        let s = ok("mssql://sa:V6pass!@[2001:db8::5]/legacy", &["V6pass"]);
        assert_eq!(s.host, "2001:db8::5");
        assert_eq!(s.port, 1433);

        for bad in [
            "mssql://sa:V6pass!@::1/legacy",
            "mssql://sa:V6pass!@[::1/legacy",
            "mssql://sa:V6pass!@[::1]x/legacy",
            "mssql://sa:V6pass!@[zz::1]/legacy",
            "mssql://sa:V6pass!@fe80::zz/legacy",
            "mssql://sa:V6pass!@host:1433:1433/legacy",
        ] {
            let e = err(bad, &["V6pass"]);
            assert!(
                matches!(
                    e,
                    SourceError::InvalidHost {
                        form: Form::Url,
                        ..
                    }
                ),
                "{bad}: {e:?}"
            );
            assert!(e.to_string().contains("[::1]"), "{e}");
        }
        assert_eq!(
            message("mssql://sa:V6pass!@::1/legacy", &["V6pass"]),
            "'::1' in the SQL Server URL is not a host name or IP address: use letters, digits, '-', '_' and '.', or an IPv6 address such as [::1] (in brackets, e.g. mssql://user:password@[::1]:1433/legacy)"
        );
    }

    #[test]
    fn url_instance_needs_a_port() {
        for input in [
            "mssql://sa:Inst4nce@host\\SQLEXPRESS/legacy",
            "mssql://sa:Inst4nce@host%5CSQLEXPRESS/legacy",
        ] {
            let e = err(input, &["Inst4nce"]);
            assert_eq!(e, SourceError::Instance { form: Form::Url });
            assert_eq!(
                e.to_string(),
                "the SQL Server URL names a SQL Server instance (host\\instance) without a port: instance names are not supported, give the instance's TCP port instead, e.g. mssql://user:password@host:1434/legacy"
            );
        }
        // With a port, the port names the instance.
        let s = ok(
            "mssql://sa:Inst4nce@host\\SQLEXPRESS:1500/legacy",
            &["Inst4nce"],
        );
        assert_eq!((s.host.as_str(), s.port), ("host", 1500));
        assert_eq!(s.notes().len(), 1);
        assert!(s.notes()[0].contains("instance name"), "{:?}", s.notes());
    }

    #[test]
    fn url_missing_parts() {
        let secrets = ["Miss1ngPw"];
        let cases = [
            ("mssql://host:1433/legacy", Part::User),
            ("mssql://:Miss1ngPw@host/legacy", Part::User),
            ("mssql://sa@host/legacy", Part::Password),
            ("mssql://sa:@host/legacy", Part::Password),
            ("mssql://sa:Miss1ngPw@/legacy", Part::Host),
            ("mssql://sa:Miss1ngPw@:1433/legacy", Part::Host),
            ("mssql://sa:Miss1ngPw@host", Part::Database),
            ("mssql://sa:Miss1ngPw@host:1433/", Part::Database),
            ("mssql://sa:Miss1ngPw@host?encrypt=true", Part::Database),
        ];
        for (input, part) in cases {
            assert_eq!(
                err(input, &secrets),
                SourceError::Missing {
                    form: Form::Url,
                    part
                },
                "{input}"
            );
        }
        assert_eq!(
            message("mssql://sa:Miss1ngPw@host", &secrets),
            "the SQL Server URL has no database: add it as the path, e.g. mssql://user:password@host:1433/legacy"
        );
        assert_eq!(
            message("mssql://sa:Miss1ngPw@/legacy", &secrets),
            "the SQL Server URL has no host: put it after the '@', e.g. mssql://user:password@host:1433/legacy"
        );
        assert_eq!(
            message("mssql://sa@host/legacy", &secrets),
            "the SQL Server URL has no password: write it after the user and a ':', e.g. mssql://user:password@host:1433/legacy"
        );
        assert!(
            message("mssql://host/legacy", &secrets).starts_with(
                "the SQL Server URL has no user: write user:password@ before the host"
            )
        );
    }

    #[test]
    fn url_password_with_raw_slash_or_hash_is_not_quoted_back() {
        // The authority ends at the raw '/', so there seems to be no user.
        let e = err(
            "mssql://sa:Qx7/zzkw@host/legacy",
            &["Qx7", "zzkw", "Qx7/zzkw"],
        );
        assert_eq!(
            e,
            SourceError::Missing {
                form: Form::Url,
                part: Part::User
            }
        );
        assert!(e.to_string().contains("%2F"), "{e}");
        let e = err("mssql://sa:Qx7#zzkw@host/legacy", &["Qx7", "zzkw"]);
        assert!(matches!(
            e,
            SourceError::Missing {
                part: Part::User,
                ..
            }
        ));
        let e = err("mssql://sa:Hash3d@host/legacy#zzkw", &["Hash3d", "zzkw"]);
        assert_eq!(e, SourceError::UrlFragment);
        assert_eq!(
            e.to_string(),
            "the SQL Server URL has a '#' after the host: if it belongs to the password, percent-encode it as %23"
        );
    }

    #[test]
    fn url_path_is_only_the_database() {
        let e = err("mssql://sa:P4thPw@host/legacy/extra", &["P4thPw"]);
        assert_eq!(e, SourceError::UrlPath);
        assert_eq!(
            e.to_string(),
            "the path of the SQL Server URL must be just the database name, e.g. mssql://user:password@host:1433/legacy: percent-encode a '/' in the name as %2F"
        );
    }

    #[test]
    fn url_scheme_errors() {
        let e = err("postgres://sa:Sch3me@host/legacy", &["Sch3me"]);
        assert_eq!(
            e.to_string(),
            "unsupported URL scheme 'postgres://': write mssql:// or sqlserver://, e.g. mssql://user:password@host:1433/legacy"
        );
        let e = err(
            "jdbc:sqlserver://host:1433;databaseName=legacy;user=sa;password=Jdbc9pw",
            &["Jdbc9pw"],
        );
        assert_eq!(e, SourceError::Jdbc);
        assert!(
            e.to_string()
                .starts_with("JDBC URLs (jdbc:sqlserver://…) are not supported")
        );
        for empty in ["", "   "] {
            let e = err(empty, &[]);
            assert_eq!(e, SourceError::Empty);
            assert!(e.to_string().contains("--mssql-url or MSSQL_URL"));
        }
    }

    #[test]
    fn url_ports() {
        let secrets = ["P0rtPw"];
        for (port, shown) in [
            ("0", "0"),
            ("70000", "70000"),
            ("abc", "abc"),
            ("", ""),
            ("+14", "+14"),
            ("-1", "-1"),
        ] {
            let input = format!("mssql://sa:P0rtPw@host:{port}/legacy");
            let e = err(&input, &secrets);
            assert_eq!(
                e,
                SourceError::InvalidPort {
                    form: Form::Url,
                    value: shown.into()
                },
                "{input}"
            );
        }
        assert_eq!(
            message("mssql://sa:P0rtPw@host:abc/legacy", &secrets),
            "the port in the SQL Server URL must be a number from 1 to 65535, not 'abc'"
        );
        assert_eq!(
            ok("mssql://sa:P0rtPw@host:65535/legacy", &secrets).port,
            65535
        );
        assert_eq!(ok("mssql://sa:P0rtPw@host:1/legacy", &secrets).port, 1);
    }

    #[test]
    fn url_bad_host() {
        let e = err("mssql://sa:H0stPw@ho$t/legacy", &["H0stPw"]);
        assert_eq!(
            e,
            SourceError::InvalidHost {
                form: Form::Url,
                host: "ho$t".into()
            }
        );
        assert!(
            e.to_string()
                .starts_with("'ho$t' in the SQL Server URL is not a host name or IP address")
        );
        // Docker service names and IPv4 addresses are fine.
        assert_eq!(
            ok("mssql://sa:H0stPw@sql_server-1/db", &["H0stPw"]).host,
            "sql_server-1"
        );
        assert_eq!(
            ok("mssql://sa:H0stPw@10.0.0.7:1500/db", &["H0stPw"]).host,
            "10.0.0.7"
        );
        // localhost is left as written in a URL.
        assert_eq!(
            ok("mssql://sa:H0stPw@localhost/db", &["H0stPw"]).host,
            "localhost"
        );
    }

    #[test]
    fn url_option_errors() {
        let secrets = ["0ptPw"];
        let base = "mssql://sa:0ptPw@host/legacy?";
        let check = |query: &str, expected: SourceError, text: &str| {
            let e = err(&format!("{base}{query}"), &secrets);
            assert_eq!(e, expected, "{query}");
            assert_eq!(e.to_string(), text, "{query}");
        };
        check(
            "encrypted=true",
            SourceError::UnknownOption {
                key: "encrypted".into(),
            },
            "unknown option 'encrypted' in the SQL Server URL: expected encrypt, trust_server_certificate, ca_file, application_name or connect_timeout",
        );
        check(
            "encrypt",
            SourceError::OptionWithoutValue {
                key: "encrypt".into(),
            },
            "option 'encrypt' in the SQL Server URL has no value: write it as encrypt=value, e.g. encrypt=true",
        );
        check(
            "encrypt=true&Encrypt=false",
            SourceError::Duplicate {
                form: Form::Url,
                key: "encrypt".into(),
            },
            "encrypt is given twice in the SQL Server URL: keep one (synonyms count as the same key)",
        );
        check(
            "trust_server_certificate=maybe",
            SourceError::InvalidBool {
                key: "trust_server_certificate".into(),
                value: "maybe".into(),
            },
            "trust_server_certificate must be true or false, not 'maybe'",
        );
        check(
            "encrypt=sometimes",
            SourceError::InvalidEncrypt {
                key: "encrypt".into(),
                value: "sometimes".into(),
            },
            "encrypt must be true or false (or mandatory, optional, strict), not 'sometimes'",
        );
        for bad in [
            "0",
            "-1",
            "1.5",
            "86401",
            "abc",
            "",
            "99999999999999999999999",
        ] {
            let e = err(&format!("{base}connect_timeout={bad}"), &secrets);
            assert!(
                matches!(&e, SourceError::InvalidTimeout { key, .. } if key == "connect_timeout"),
                "{bad}: {e:?}"
            );
        }
        assert_eq!(
            message(&format!("{base}connect_timeout=0"), &secrets),
            "connect_timeout must be a whole number of seconds from 1 to 86400, not '0'"
        );
        assert_eq!(
            ok(&format!("{base}connect_timeout=86400"), &secrets).connect_timeout,
            Duration::from_secs(86_400)
        );
        check(
            "application_name=",
            SourceError::InvalidApplicationName {
                key: "application_name".into(),
            },
            "application_name must be 1 to 128 characters long",
        );
        let long = "a".repeat(129);
        assert!(matches!(
            err(&format!("{base}application_name={long}"), &secrets),
            SourceError::InvalidApplicationName { .. }
        ));
        let fits = "a".repeat(128);
        assert_eq!(
            ok(&format!("{base}application_name={fits}"), &secrets).application_name,
            fits
        );
        check(
            "ca_file=",
            SourceError::EmptyCaFile {
                key: "ca_file".into(),
            },
            "ca_file is empty: give the path of the CA certificate (PEM, CRT or DER) that signed the server's certificate",
        );
        check(
            "trust_server_certificate=true&ca_file=/ca.pem",
            SourceError::TrustAndCa { form: Form::Url },
            "both trust_server_certificate=true and ca_file are set: pick one (ca_file checks the server's certificate against that CA, trust_server_certificate=true accepts any certificate)",
        );
        // trust_server_certificate=false with a CA is fine.
        let s = ok(
            &format!("{base}trust_server_certificate=false&ca_file=/ca.pem"),
            &secrets,
        );
        assert_eq!(s.ca_file, Some(PathBuf::from("/ca.pem")));
    }

    #[test]
    fn url_secret_in_an_unknown_option_is_not_quoted_back() {
        let e = err("mssql://sa@host/legacy?password=Qu3ryPw", &["Qu3ryPw"]);
        assert_eq!(
            e,
            SourceError::UnknownOption {
                key: "password".into()
            }
        );
    }

    #[test]
    fn url_long_values_are_cut_in_messages() {
        let value = "x".repeat(100);
        let e = err(
            &format!("mssql://sa:Cut9pw@host/legacy?encrypt={value}"),
            &["Cut9pw"],
        );
        let text = e.to_string();
        assert!(text.contains(&format!("'{}…'", "x".repeat(40))), "{text}");
        assert!(!text.contains(&"x".repeat(41)), "{text}");
    }

    #[test]
    fn url_windows_login_is_refused() {
        let e = err("mssql://CORP%5Cetl:W1nPw@host/legacy", &["W1nPw"]);
        assert_eq!(
            e.to_string(),
            "a Windows login (DOMAIN\\user) is not supported: use a SQL login (User Id and Password)"
        );
    }

    #[test]
    fn url_encrypt_values() {
        for (value, expected) in [
            ("true", Encrypt::Required),
            ("yes", Encrypt::Required),
            ("Mandatory", Encrypt::Required),
            ("false", Encrypt::Off),
            ("NO", Encrypt::Off),
            ("optional", Encrypt::Off),
        ] {
            let s = ok(
                &format!("mssql://sa:Enc9pw@h/db?encrypt={value}"),
                &["Enc9pw"],
            );
            assert_eq!(s.encrypt, expected, "{value}");
            assert!(s.notes().is_empty());
        }
        let s = ok("mssql://sa:Enc9pw@h/db?encrypt=strict", &["Enc9pw"]);
        assert_eq!(s.encrypt, Encrypt::Required);
        assert_eq!(s.notes().len(), 1);
        assert!(
            s.notes()[0].starts_with("encrypt=strict (TDS 8.0"),
            "{:?}",
            s.notes()
        );
    }

    // --- connection string ---------------------------------------------------

    #[test]
    fn ado_with_every_option() {
        let input = "Server=tcp:sql01.corp.local,14330;Database=legacy;User Id=etl;Password=\"Pw;x\"\"q'9\";Encrypt=Mandatory;TrustServerCertificate=False;TrustServerCertificateCA=/etc/ssl/ca.pem;Application Name=pancake nightly;Connect Timeout=45;HostNameInCertificate=sql01.corp.local";
        let s = ok(input, &["Pw;x", "q'9"]);
        assert_eq!(s.host, "sql01.corp.local");
        assert_eq!(s.port, 14330);
        assert_eq!(s.database, "legacy");
        assert_eq!(s.user, "etl");
        assert_eq!(s.password().expose(), "Pw;x\"q'9");
        assert_eq!(s.encrypt, Encrypt::Required);
        assert!(!s.trust_server_certificate);
        assert_eq!(s.ca_file, Some(PathBuf::from("/etc/ssl/ca.pem")));
        assert_eq!(s.application_name, "pancake nightly");
        assert_eq!(s.connect_timeout, Duration::from_secs(45));
        assert_eq!(s.notes().len(), 1);
        assert!(s.notes()[0].starts_with("HostNameInCertificate is ignored"));
        assert_eq!(
            s.redacted(),
            "mssql://etl@sql01.corp.local:14330/legacy?encrypt=true&ca_file=/etc/ssl/ca.pem&application_name=pancake%20nightly&connect_timeout=45"
        );
    }

    #[test]
    fn ado_synonyms_single_quotes_and_trust() {
        let s = ok(
            "Data Source=db01,1433;Initial Catalog=legacy;UID=etl;PWD='it''s;S3cret';Encrypt=no;Trust Server Certificate=yes;App=nightly;Connection Timeout=20",
            &["S3cret"],
        );
        assert_eq!((s.host.as_str(), s.port), ("db01", 1433));
        assert_eq!(s.database, "legacy");
        assert_eq!(s.user, "etl");
        assert_eq!(s.password().expose(), "it's;S3cret");
        assert_eq!(s.encrypt, Encrypt::Off);
        assert!(s.trust_server_certificate);
        assert_eq!(s.application_name, "nightly");
        assert_eq!(s.connect_timeout, Duration::from_secs(20));
        assert!(s.notes().is_empty());
    }

    #[test]
    fn ado_every_synonym() {
        let secrets = ["Syn0nymPw"];
        for key in [
            "Server",
            "Data Source",
            "DATA SOURCE",
            "DataSource",
            "Address",
            "Addr",
            "Network Address",
            "server",
        ] {
            let s = ok(
                &format!("{key}=db01,1500;Database=d;User Id=u;Password=Syn0nymPw"),
                &secrets,
            );
            assert_eq!((s.host.as_str(), s.port), ("db01", 1500), "{key}");
        }
        for key in ["Database", "Initial Catalog", "initial catalog", "DATABASE"] {
            let s = ok(
                &format!("Server=h;{key}=legacy;User Id=u;Password=Syn0nymPw"),
                &secrets,
            );
            assert_eq!(s.database, "legacy", "{key}");
        }
        for key in ["User Id", "UserID", "UID", "User", "user id", "Username"] {
            let s = ok(
                &format!("Server=h;Database=d;{key}=etl;Password=Syn0nymPw"),
                &secrets,
            );
            assert_eq!(s.user, "etl", "{key}");
        }
        for key in ["Password", "PWD", "pwd", "PASSWORD"] {
            let s = ok(
                &format!("Server=h;Database=d;User Id=u;{key}=Syn0nymPw"),
                &secrets,
            );
            assert_eq!(s.password().expose(), "Syn0nymPw", "{key}");
        }
        let base = "Server=h;Database=d;User Id=u;Password=Syn0nymPw";
        for key in [
            "TrustServerCertificate",
            "Trust Server Certificate",
            "trustservercertificate",
        ] {
            let s = ok(&format!("{base};{key}=true"), &secrets);
            assert!(s.trust_server_certificate, "{key}");
        }
        for key in ["Application Name", "ApplicationName", "App", "APP"] {
            let s = ok(&format!("{base};{key}=nightly"), &secrets);
            assert_eq!(s.application_name, "nightly", "{key}");
        }
        for key in [
            "Connect Timeout",
            "Connection Timeout",
            "Timeout",
            "ConnectTimeout",
        ] {
            let s = ok(&format!("{base};{key}=7"), &secrets);
            assert_eq!(s.connect_timeout, Duration::from_secs(7), "{key}");
        }
        for key in ["Encrypt", "ENCRYPT"] {
            let s = ok(&format!("{base};{key}=true"), &secrets);
            assert_eq!(s.encrypt, Encrypt::Required, "{key}");
        }
    }

    #[test]
    fn ado_defaults() {
        let s = ok(
            "Server=db01;Database=legacy;User Id=etl;Password=Def4ults",
            &["Def4ults"],
        );
        assert_eq!(s.port, 1433);
        assert_eq!(s.encrypt, Encrypt::Off);
        assert!(!s.trust_server_certificate);
        assert_eq!(s.ca_file, None);
        assert_eq!(s.application_name, "pancake");
        assert_eq!(s.connect_timeout, Duration::from_secs(15));
        assert!(s.notes().is_empty());
        assert_eq!(s.redacted(), "mssql://etl@db01:1433/legacy");
    }

    #[test]
    fn ado_quoting() {
        let base = "Server=h;Database=d;User Id=u";
        let cases = [
            ("Password=\" Sp4ced out \"", " Sp4ced out "),
            ("Password = 'Sp4ced''x' ; ", "Sp4ced'x"),
            ("Password='Sp4ced\"x'", "Sp4ced\"x"),
            ("Password=\"Sp4ced'x\"", "Sp4ced'x"),
            ("Password=\"Sp4ced=x;y\"", "Sp4ced=x;y"),
            ("Password=Sp4ced\"x", "Sp4ced\"x"),
            ("Password=Sp4ced=x", "Sp4ced=x"),
            ("Password=  Sp4ced x  ", "Sp4ced x"),
            ("Password=\"\"\"Sp4ced\"\"\"", "\"Sp4ced\""),
        ];
        for (pair, password) in cases {
            let s = ok(&format!("{base};{pair}"), &["Sp4ced"]);
            assert_eq!(s.password().expose(), password, "{pair}");
        }
        // Quoted values elsewhere, and stray separators.
        let s = ok(
            ";; Server = 'tcp:db01,1500' ;;Database=\"my;db\";User Id=u;Password=Sp4ced;;",
            &["Sp4ced"],
        );
        assert_eq!((s.host.as_str(), s.port), ("db01", 1500));
        assert_eq!(s.database, "my;db");
    }

    #[test]
    fn ado_quote_errors() {
        let e = err(
            "Server=h;Database=d;User Id=u;Password=\"Unclos3d;Encrypt=true",
            &["Unclos3d"],
        );
        assert_eq!(
            e,
            SourceError::UnclosedQuote {
                key: "Password".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "the value of Password opens a quote that is never closed: close it with the same quote, and double a quote inside to escape it, e.g. Password=\"a\"\"b\""
        );
        let e = err(
            "Server=h;Database=d;User Id=u;PWD=\"Qu0ted\"tail;Encrypt=true",
            &["Qu0ted", "tail"],
        );
        assert_eq!(e, SourceError::TextAfterQuote { key: "PWD".into() });
        assert_eq!(
            e.to_string(),
            "the value of PWD has text after its closing quote: double a quote inside a quoted value to escape it, e.g. Password=\"a\"\"b\""
        );
    }

    #[test]
    fn ado_unquoted_password_with_semicolon() {
        let e = err(
            "Server=h;Database=d;User Id=u;Password=Semi;Colon9;Encrypt=true",
            &["Semi;Colon9", "Colon9"],
        );
        assert_eq!(e, SourceError::AfterPassword { index: 5 });
        assert_eq!(
            e.to_string(),
            "part 5 of the connection string, right after Password, is not a known key=value pair: if the password contains ';', quote it, e.g. Password=\"a;b\" (double a quote inside to escape it); otherwise correct or remove that part"
        );
        // The fragment after the ';' looks like a key: still not quoted back.
        let e = err(
            "Server=h;Database=d;User Id=u;Password=Semi;Col9n=x",
            &["Col9n", "Semi;Col9n=x"],
        );
        assert_eq!(e, SourceError::AfterPassword { index: 5 });
        let e = err("Password=Semi;=Colon9;Server=h", &["Colon9"]);
        assert_eq!(e, SourceError::AfterPassword { index: 2 });
        // After a quoted password, a broken part is just broken.
        let e = err("Password='Semi';Colon9x;Server=h", &["Semi"]);
        assert_eq!(e, SourceError::NoEquals { index: 2 });
    }

    #[test]
    fn ado_structure_errors() {
        let secrets = ["Struct9pw"];
        let e = err(
            "Server=h;garbage;Database=d;User Id=u;Password=Struct9pw",
            &secrets,
        );
        assert_eq!(e, SourceError::NoEquals { index: 2 });
        assert_eq!(
            e.to_string(),
            "part 2 of the connection string has no '=': write key=value pairs separated by ';', e.g. Server=host,1433;Database=legacy"
        );
        let e = err(
            "=x;Server=h;Database=d;User Id=u;Password=Struct9pw",
            &secrets,
        );
        assert_eq!(e, SourceError::EmptyKey { index: 1 });
        assert_eq!(
            e.to_string(),
            "part 1 of the connection string has no key before '=': write key=value pairs, e.g. Database=legacy"
        );
        let e = err("Servr=h;Database=d;User Id=u;Password=Struct9pw", &secrets);
        assert_eq!(
            e,
            SourceError::UnknownKey {
                key: "Servr".into()
            }
        );
        assert!(e.to_string().starts_with(
            "unknown key 'Servr' in the connection string: expected Server, Database, User Id, Password, Encrypt, TrustServerCertificate, "
        ));
        // A single word is not a URL and not a key=value pair.
        assert_eq!(err("localhost", &[]), SourceError::NoEquals { index: 1 });
        let e = err(
            "Server=a;Data Source=b;Database=d;User Id=u;Password=Struct9pw",
            &secrets,
        );
        assert_eq!(
            e,
            SourceError::Duplicate {
                form: Form::ConnectionString,
                key: "Server".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "Server is given twice in the connection string: keep one (synonyms count as the same key)"
        );
        let e = err(
            "Server=a;Database=d;UID=u;User Id=v;PWD=Struct9pw",
            &secrets,
        );
        assert!(matches!(e, SourceError::Duplicate { key, .. } if key == "User Id"));
    }

    #[test]
    fn ado_missing_parts() {
        let secrets = ["M1ssing"];
        let cases = [
            (
                "Database=d;User Id=u;Password=M1ssing",
                Part::Host,
                "the connection string has no Server: add Server=host,1433 (or Data Source=host,1433)",
            ),
            (
                "Server=;Database=d;User Id=u;Password=M1ssing",
                Part::Host,
                "",
            ),
            (
                "Server=,1433;Database=d;User Id=u;Password=M1ssing",
                Part::Host,
                "",
            ),
            (
                "Server=h;User Id=u;Password=M1ssing",
                Part::Database,
                "the connection string has no Database: add Database=legacy (or Initial Catalog=legacy)",
            ),
            (
                "Server=h;Database=;User Id=u;Password=M1ssing",
                Part::Database,
                "",
            ),
            (
                "Server=h;Database=d;Password=M1ssing",
                Part::User,
                "the connection string has no User Id: add User Id=user, a SQL login (or UID=user)",
            ),
            (
                "Server=h;Database=d;User Id=u",
                Part::Password,
                "the connection string has no Password: add Password=… (or PWD=…), quoted if it contains ';', e.g. Password=\"a;b\"",
            ),
            (
                "Server=h;Database=d;User Id=u;Password=\"\"",
                Part::Password,
                "",
            ),
        ];
        for (input, part, text) in cases {
            let e = err(input, &secrets);
            assert_eq!(
                e,
                SourceError::Missing {
                    form: Form::ConnectionString,
                    part
                },
                "{input}"
            );
            if !text.is_empty() {
                assert_eq!(e.to_string(), text);
            }
        }
    }

    #[test]
    fn ado_local_server_names() {
        for server in [
            ".",
            "(local)",
            "(LOCAL)",
            "localhost",
            "LocalHost",
            "tcp:.",
            " tcp: (local) ",
        ] {
            let s = ok(
                &format!("Server={server};Database=d;User Id=u;Password=L0calPw"),
                &["L0calPw"],
            );
            assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 1433), "{server}");
        }
        let s = ok(
            "Server=(local),1500;Database=d;User Id=u;Password=L0calPw",
            &["L0calPw"],
        );
        assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 1500));
        let s = ok(
            "Server=TCP:. , 1501;Database=d;User Id=u;Password=L0calPw",
            &["L0calPw"],
        );
        assert_eq!((s.host.as_str(), s.port), ("127.0.0.1", 1501));
    }

    #[test]
    fn ado_ipv6() {
        let base = ";Database=d;User Id=u;Password=V6Pw9";
        for (server, host, port) in [
            ("tcp:[::1],1444", "::1", 1444),
            ("::1", "::1", 1433),
            ("[fe80::1]", "fe80::1", 1433),
            ("2001:db8::5,1500", "2001:db8::5", 1500),
        ] {
            let s = ok(&format!("Server={server}{base}"), &["V6Pw9"]);
            assert_eq!((s.host.as_str(), s.port), (host, port), "{server}");
        }
        let s = ok(&format!("Server=tcp:[::1],1444{base}"), &["V6Pw9"]);
        assert_eq!(s.redacted(), "mssql://u@[::1]:1444/d");
        let e = err(&format!("Server=[::zz]{base}"), &["V6Pw9"]);
        assert_eq!(
            e,
            SourceError::InvalidHost {
                form: Form::ConnectionString,
                host: "[::zz]".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "'[::zz]' in the connection string is not a host name or IP address: use letters, digits, '-', '_' and '.', or an IPv6 address such as ::1 (e.g. Server=tcp:[::1],1433)"
        );
        assert!(matches!(
            err(&format!("Server=a:b:c{base}"), &["V6Pw9"]),
            SourceError::InvalidHost { .. }
        ));
    }

    #[test]
    fn ado_server_errors() {
        let base = ";Database=d;User Id=u;Password=Srv9pw";
        let secrets = ["Srv9pw"];
        let e = err(
            &format!("Server=np:\\\\host\\pipe\\sql\\query{base}"),
            &secrets,
        );
        assert_eq!(
            e,
            SourceError::NotTcp {
                protocol: "np".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "Server uses the 'np:' protocol: only TCP is supported, e.g. Server=tcp:host,1433"
        );
        let e = err(&format!("Server=host:1433{base}"), &secrets);
        assert_eq!(e, SourceError::ColonPort);
        assert_eq!(
            e.to_string(),
            "Server in the connection string gives the port after ':': a connection string separates it with a comma, e.g. Server=tcp:host,1433"
        );
        for server in [
            "host\\SQLEXPRESS",
            "tcp:host\\SQLEXPRESS",
            "(localdb)\\MSSQLLocalDB",
        ] {
            let e = err(&format!("Server={server}{base}"), &secrets);
            assert_eq!(
                e,
                SourceError::Instance {
                    form: Form::ConnectionString
                },
                "{server}"
            );
            assert_eq!(
                e.to_string(),
                "the connection string names a SQL Server instance (host\\instance) without a port: instance names are not supported, give the instance's TCP port instead, e.g. Server=tcp:host,1434"
            );
        }
        let s = ok(&format!("Server=host\\SQLEXPRESS,1500{base}"), &secrets);
        assert_eq!((s.host.as_str(), s.port), ("host", 1500));
        assert_eq!(s.notes().len(), 1);
        let e = err(&format!("Server=host,abc{base}"), &secrets);
        assert_eq!(
            e.to_string(),
            "the port in the connection string must be a number from 1 to 65535, not 'abc'"
        );
        assert!(matches!(
            err(&format!("Server=host,{base}"), &secrets),
            SourceError::InvalidPort { value, .. } if value.is_empty()
        ));
        let e = err(&format!("Server=bad host{base}"), &secrets);
        assert_eq!(
            e,
            SourceError::InvalidHost {
                form: Form::ConnectionString,
                host: "bad host".into()
            }
        );
    }

    #[test]
    fn ado_encrypt_values() {
        let base = "Server=h;Database=d;User Id=u;Password=Encr9pw";
        for (value, expected) in [
            ("true", Encrypt::Required),
            ("True", Encrypt::Required),
            ("yes", Encrypt::Required),
            ("Mandatory", Encrypt::Required),
            ("false", Encrypt::Off),
            ("FALSE", Encrypt::Off),
            ("no", Encrypt::Off),
            ("Optional", Encrypt::Off),
        ] {
            let s = ok(&format!("{base};Encrypt={value}"), &["Encr9pw"]);
            assert_eq!(s.encrypt, expected, "{value}");
            assert!(s.notes().is_empty(), "{value}");
        }
        let s = ok(&format!("{base};Encrypt=Strict"), &["Encr9pw"]);
        assert_eq!(s.encrypt, Encrypt::Required);
        assert_eq!(s.notes().len(), 1);
        assert!(s.notes()[0].starts_with("Encrypt=strict (TDS 8.0"));
        assert!(s.notes()[0].contains("using mandatory"));
        assert_eq!(
            message(&format!("{base};Encrypt=maybe"), &["Encr9pw"]),
            "Encrypt must be true or false (or mandatory, optional, strict), not 'maybe'"
        );
        assert_eq!(
            message(
                &format!("{base};TrustServerCertificate=maybe"),
                &["Encr9pw"]
            ),
            "TrustServerCertificate must be true or false, not 'maybe'"
        );
        assert_eq!(
            message(&format!("{base};Connect Timeout=0"), &["Encr9pw"]),
            "Connect Timeout must be a whole number of seconds from 1 to 86400, not '0'"
        );
        assert_eq!(
            message(&format!("{base};App="), &["Encr9pw"]),
            "App must be 1 to 128 characters long"
        );
        assert_eq!(
            message(&format!("{base};TrustServerCertificateCA="), &["Encr9pw"]),
            "TrustServerCertificateCA is empty: give the path of the CA certificate (PEM, CRT or DER) that signed the server's certificate"
        );
        let e = err(
            &format!("{base};TrustServerCertificate=true;TrustServerCertificateCA=/ca.pem"),
            &["Encr9pw"],
        );
        assert_eq!(
            e,
            SourceError::TrustAndCa {
                form: Form::ConnectionString
            }
        );
        assert_eq!(
            e.to_string(),
            "both TrustServerCertificate=True and TrustServerCertificateCA are set: pick one (TrustServerCertificateCA checks the server's certificate against that CA, TrustServerCertificate=True accepts any certificate)"
        );
    }

    #[test]
    fn ado_only_sql_logins() {
        let base = "Server=h;Database=d";
        let secrets = ["Auth9pw"];
        for pair in [
            "Integrated Security=true",
            "Integrated Security=SSPI",
            "Trusted_Connection=yes",
        ] {
            let e = err(&format!("{base};{pair}"), &secrets);
            assert!(
                matches!(e, SourceError::NotSqlLogin { .. }),
                "{pair}: {e:?}"
            );
            assert!(
                e.to_string()
                    .ends_with("is not supported: use a SQL login (User Id and Password)"),
                "{e}"
            );
        }
        assert_eq!(
            message(&format!("{base};Integrated Security=true"), &secrets),
            "Integrated Security=true (Windows authentication) is not supported: use a SQL login (User Id and Password)"
        );
        assert_eq!(
            message(
                &format!(
                    "{base};User Id=u;Password=Auth9pw;Authentication=ActiveDirectoryPassword"
                ),
                &secrets
            ),
            "Authentication=ActiveDirectoryPassword is not supported: use a SQL login (User Id and Password)"
        );
        assert_eq!(
            message(
                &format!("{base};User Id=CORP\\etl;Password=Auth9pw"),
                &secrets
            ),
            "a Windows login (DOMAIN\\user) is not supported: use a SQL login (User Id and Password)"
        );
        assert!(matches!(
            err(&format!("{base};Integrated Security=maybe"), &secrets),
            SourceError::InvalidBool { .. }
        ));
        // Turned off, or SQL authentication named explicitly: fine.
        for pair in [
            "Integrated Security=False",
            "Trusted_Connection=no",
            "Authentication=SqlPassword",
            "Authentication=\"Sql Password\"",
        ] {
            let s = ok(
                &format!("{base};User Id=u;Password=Auth9pw;{pair}"),
                &secrets,
            );
            assert_eq!(s.user, "u", "{pair}");
        }
    }

    #[test]
    fn ado_client_side_keys_are_ignored() {
        let s = ok(
            "Server=h;Database=d;User Id=u;Password=Ign0red;Persist Security Info=False;MultipleActiveResultSets=True;Pooling=true;Max Pool Size=10;Min Pool Size=1;Workstation ID=x;Packet Size=8000;Pooling=false",
            &["Ign0red"],
        );
        assert_eq!(s.user, "u");
        assert!(s.notes().is_empty());
        // Settings that would change behaviour are not silently dropped.
        assert_eq!(
            err(
                "Server=h;Password=Ign0red;Database=d;User Id=u;Column Encryption Setting=Enabled",
                &["Ign0red"]
            ),
            SourceError::UnknownKey {
                key: "Column Encryption Setting".into()
            }
        );
    }

    // --- output ------------------------------------------------------------

    #[test]
    fn password_never_shows() {
        let s = ok("mssql://sa:Sh0wMe@h/db", &["Sh0wMe"]);
        assert_eq!(format!("{:?}", s.password()), "***");
        assert_eq!(s.password().to_string(), "***");
        assert_eq!(format!("{}", Password::new("Sh0wMe")), "***");
        assert_eq!(Password::new("Sh0wMe").expose(), "Sh0wMe");
        let debug = format!("{s:?}");
        assert!(debug.contains("password: ***"), "{debug}");
        assert!(debug.contains("user: \"sa\""), "{debug}");
        let pretty = format!("{s:#?}");
        assert!(!pretty.contains("Sh0wMe"), "{pretty}");
    }

    #[test]
    fn tiberius_config_plain() {
        let s = ok(
            "Server=db01,1500;Database=legacy;User Id=etl;Password=T1berius;App=nightly",
            &["T1berius"],
        );
        let config = s.tiberius_config();
        assert_eq!(config.get_addr(), "db01:1500");
        let debug = format!("{config:?}");
        for part in [
            "host: Some(\"db01\")",
            "port: Some(1500)",
            "database: Some(\"legacy\")",
            "application_name: Some(\"nightly\")",
            "encryption: NotSupported",
            "trust: Default",
            "SqlServer(SqlServerAuth { user: \"etl\"",
            "instance_name: None",
        ] {
            assert!(debug.contains(part), "{part} not in {debug}");
        }
    }

    #[test]
    fn tiberius_config_encrypted() {
        let s = ok(
            "mssql://etl:T1berius@db01/legacy?encrypt=true&trust_server_certificate=true",
            &["T1berius"],
        );
        let debug = tiberius_debug(&s);
        assert!(debug.contains("encryption: Required"), "{debug}");
        assert!(debug.contains("trust: TrustAll"), "{debug}");
        assert!(
            debug.contains("application_name: Some(\"pancake\")"),
            "{debug}"
        );

        let s = ok(
            "mssql://etl:T1berius@db01/legacy?encrypt=true&ca_file=/etc/ssl/ca.pem",
            &["T1berius"],
        );
        let debug = tiberius_debug(&s);
        assert!(
            debug.contains("trust: CaCertificateLocation(\"/etc/ssl/ca.pem\")"),
            "{debug}"
        );
        assert!(debug.contains("encryption: Required"), "{debug}");
    }

    #[test]
    fn redacted_parses_back_to_the_same_source() {
        let inputs = [
            "mssql://etl%40corp:R0und%3Atrip@db.example.com:14330/legacy%20db?encrypt=true&ca_file=/etc/ssl/corp%20ca.pem&application_name=pancake%20nightly&connect_timeout=30",
            "mssql://sa:R0und@[::1]:1444/legacy?trust_server_certificate=true",
            "Server=tcp:(local),1500;Database=caf\u{e9}/db;User Id=d\u{e9}v;Password=\"R0und;trip\";App=a&b=c;Encrypt=yes",
            "Server=db01;Database=legacy;User Id=etl;Password=R0und;TrustServerCertificateCA=C:\\certs\\ca.pem",
        ];
        for input in inputs {
            let original = ok(input, &["R0und"]);
            let redacted = original.redacted();
            let with_password = redacted.replacen(
                '@',
                &format!(":{}@", percent_encode(original.password().expose(), "")),
                1,
            );
            let mut back = ok(&with_password, &["R0und"]);
            back.notes.clone_from(&original.notes);
            assert_eq!(back, original, "{input} -> {redacted}");
        }
    }

    #[test]
    fn from_str_is_parse() {
        let s: Source = "mssql://sa:Fr0mStr@h/db".parse().expect("parses");
        assert_eq!(s.host, "h");
        let e = "mssql://sa:Fr0mStr@h"
            .parse::<Source>()
            .expect_err("no database");
        assert!(!e.to_string().contains("Fr0mStr"));
    }
}
