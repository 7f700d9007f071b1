//! What can go wrong in an extraction, worded for the person at the terminal.
//!
//! Each message is one line: what happened, where, and what to do about it.
//! None of them carries the password: connection details appear as
//! `host:port` and the user name only.

use crate::mapping::MappingError;
use crate::source::SourceError;
use pancake_proto::{FolderError, ManifestError, PartError};

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error(transparent)]
    Source(#[from] SourceError),

    #[error(transparent)]
    Mapping(#[from] MappingError),

    #[error(
        "cannot connect to {addr}: connection refused. Is SQL Server running there and listening on TCP? Check the host and port in --mssql-url"
    )]
    ConnectionRefused { addr: String },

    #[error(
        "cannot reach {addr}: {message}. Check the host name and port in --mssql-url and any firewall in between"
    )]
    Unreachable { addr: String, message: String },

    #[error(
        "no answer from {addr} within {seconds} s while connecting. Check the host and port, or raise connect_timeout in --mssql-url"
    )]
    ConnectTimeout { addr: String, seconds: u64 },

    #[error(
        "login failed for user '{user}' on {addr}. Check the user name and password in --mssql-url, and that the server allows SQL Server logins"
    )]
    LoginFailed { user: String, addr: String },

    #[error("TLS with {addr} failed: {message}. {hint}")]
    Tls {
        addr: String,
        message: String,
        hint: &'static str,
    },

    #[error(
        "cannot open database '{database}' on {addr} as '{user}': it does not exist or the login may not use it. Check the database in --mssql-url"
    )]
    UnknownDatabase {
        database: String,
        addr: String,
        user: String,
    },

    #[error(
        "permission denied reading {table}: {message} Grant the login SELECT on it (GRANT SELECT ON {table} TO [{user}]), or leave the table out with --tables"
    )]
    PermissionDenied {
        table: String,
        user: String,
        message: String,
    },

    #[error(
        "table {table} (the dump's '{dump_table}') is not on the server, or the login cannot see it. Fix the table name in a mapping file (--mapping), or leave it out with --tables"
    )]
    MissingTable { table: String, dump_table: String },

    /// A mapped column that is missing or cannot fill its field. Boxed: its
    /// names would make every `Result` of the crate large.
    #[error(transparent)]
    Column(Box<ColumnError>),

    #[error("cannot page through {table}: {why}")]
    UnpageableKey { table: String, why: String },

    #[error(
        "a page query on {table} timed out after {seconds} s, {attempts} time(s) in a row. The server is busy or the table is locked: try again later, raise --query-timeout or lower --page-rows; finished parts are kept and a re-run continues after them"
    )]
    QueryTimeout {
        table: String,
        seconds: u64,
        attempts: u32,
    },

    #[error(
        "lost the connection while reading {table}, {attempts} time(s) in a row (last: {message}). The {parts} finished part(s) of it are kept: re-run the same command to continue after them"
    )]
    ConnectionLost {
        table: String,
        attempts: u32,
        parts: u32,
        message: String,
    },

    #[error(
        "snapshot isolation is not allowed in database '{database}'. Ask a DBA to run ALTER DATABASE [{database}] SET ALLOW_SNAPSHOT_ISOLATION ON, or use --isolation read-committed"
    )]
    SnapshotNotAllowed { database: String },

    #[error("SQL Server error {code} while {action}: {message}")]
    Server {
        code: u32,
        action: String,
        message: String,
    },

    #[error("the connection to {addr} broke while {action}: {message}")]
    Protocol {
        addr: String,
        action: String,
        message: String,
    },

    #[error(
        "{table}, row with key {key}, column '{column}': {message}. The server sent something the extractor did not ask for; please report it"
    )]
    BadValue {
        table: String,
        key: String,
        column: String,
        message: String,
    },

    #[error(
        "{table}: key {key} does not fit the dump's {kind} {field}. Keys must fit; this table needs a wider key field in the dump format"
    )]
    KeyOutOfRange {
        table: String,
        key: String,
        field: String,
        kind: &'static str,
    },

    #[error(transparent)]
    Folder(#[from] FolderError),

    #[error("stopped because another table failed")]
    Cancelled,

    #[error(transparent)]
    Part(#[from] PartError),

    #[error(transparent)]
    Manifest(#[from] ManifestError),
}

/// A column of the mapping that the server's table cannot serve.
#[derive(Debug, thiserror::Error)]
pub enum ColumnError {
    #[error(
        "column '{column}' (the dump's {dump_table}.{field}) is not in {table}; its columns are: {existing}. Fix the column name in a mapping file (--mapping), or map the field to \"\" if the site never had it"
    )]
    Missing {
        table: String,
        column: String,
        dump_table: String,
        field: String,
        existing: String,
    },

    #[error(
        "column {table}.{column} is {sql_type}, which cannot fill the dump's {dump_table}.{field} ({kind}). Map another column to it in a mapping file (--mapping)"
    )]
    Incompatible {
        table: String,
        column: String,
        sql_type: String,
        dump_table: String,
        field: String,
        kind: &'static str,
    },
}

impl From<ColumnError> for ExtractError {
    fn from(e: ColumnError) -> ExtractError {
        ExtractError::Column(Box::new(e))
    }
}
