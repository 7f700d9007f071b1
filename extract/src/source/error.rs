//! Why a connection input cannot be used, worded to say which key or part
//! is wrong and how to fix it, never quoting the password or the input.

use std::fmt;

/// Values quoted back in error messages are cut to this many characters.
const MAX_SHOWN_CHARS: usize = 40;

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
pub(super) fn shown(value: &str) -> String {
    let value = value.trim();
    if value.chars().count() > MAX_SHOWN_CHARS {
        let mut cut: String = value.chars().take(MAX_SHOWN_CHARS).collect();
        cut.push('…');
        cut
    } else {
        value.to_owned()
    }
}
