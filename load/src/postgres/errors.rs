//! What can stop a load, and the driver's errors told as a person needs
//! them: the server, the database, the user and what to do, never the
//! password.

use super::project::ProjectError;
use super::server::Server;
use crate::merge::MergeError;
use crate::modules::MODULES;
use pancake_proto::IoError;
use std::path::PathBuf;

/// What can stop a load. Each names the server, database, part or event,
/// and says what to do; none shows a password.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// The message names the flag (--database-url, --module-url M=).
    #[error("{0}")]
    Url(String),

    #[error(
        "cannot connect to PostgreSQL at {addr}: connection refused. Is it running? (scripts/services.sh starts one locally) Check the host and port of --database-url"
    )]
    Refused { addr: String },

    #[error(
        "cannot reach PostgreSQL at {addr}: no answer within {timeout} (--connect-timeout). The host may be unreachable, or what listens there accepts connections but does not answer as PostgreSQL; check the host and port of {flag}, or raise --connect-timeout"
    )]
    ConnectTimeout {
        addr: String,
        flag: String,
        timeout: String,
    },

    #[error(
        "{addr} did not answer as a PostgreSQL server ({detail}); check the port in {flag} (PostgreSQL listens on 5432 unless set otherwise)"
    )]
    NotPostgres {
        addr: String,
        flag: String,
        detail: String,
    },

    #[error("cannot reach PostgreSQL at {addr}: {message}; check the host and port of {flag}")]
    Unreachable {
        addr: String,
        flag: String,
        message: String,
    },

    #[error(
        "another pancake load is writing database {database} ({}); wait for it to finish or stop it, then run this again",
        holder(*.pid)
    )]
    Locked { database: String, pid: Option<i32> },

    #[error(
        "{file}: the manifest disagrees with the part: {problems}. Part {part} of table {table} was not loaded (nothing of it was written): the stream was damaged or edited after it was written; check it with `pancake verify {}` and run `pancake transform` again",
        .dir.display()
    )]
    PartMismatch {
        dir: PathBuf,
        /// The part file, relative to the stream.
        file: String,
        table: String,
        part: u32,
        problems: String,
    },

    #[error(
        "PostgreSQL at {addr} refused user '{user}': check the user name and password in --database-url (or DATABASE_URL)"
    )]
    Login { addr: String, user: String },

    #[error("{server}: database '{database}' does not exist: check the database in the URL")]
    NoDatabase { server: String, database: String },

    #[error(
        "{server}: user '{user}' may not create database '{database}': run `ALTER ROLE {user} CREATEDB` as a superuser, or create it yourself (`CREATE DATABASE {database} OWNER {user}`) and run again"
    )]
    CannotCreate {
        server: String,
        user: String,
        database: String,
    },

    #[error("{server}: user '{user}' lacks a permission for {action}: {message}")]
    Permission {
        server: String,
        user: String,
        action: String,
        message: String,
    },

    #[error(
        "{server}: the server went away ({message}). The part in flight was rolled back; run the same command again to continue after the parts that committed"
    )]
    Gone { server: String, message: String },

    #[error("{server}: {action} failed: {message}")]
    Server {
        server: String,
        action: String,
        message: String,
    },

    #[error(
        "{database} has schema version {found} of module {module}, but this pancake knows versions up to {expected}: load with the pancake that wrote it, or drop the database (pancake seed --reset, or --reset) to start over"
    )]
    SchemaVersion {
        database: String,
        module: &'static str,
        found: i32,
        expected: i32,
    },

    #[error(
        "{database}: table {table} lacks the columns {missing} that its schema version has: someone changed it by hand; drop the database (--reset) to start over"
    )]
    SchemaMismatch {
        database: String,
        table: &'static str,
        missing: String,
    },

    #[error(
        "{database}: the audit log's payload dictionary (table payload_dictionaries) is not a zstd dictionary: it was changed by hand, and the payloads already written cannot be read without it. Drop the database (--reset) to load the stream again"
    )]
    BadDictionary { database: String },

    #[error(
        "{database}: table {table}: {problem}: the table was changed by hand. Drop the database (--reset) and load the stream again"
    )]
    ChangedByHand {
        database: String,
        table: &'static str,
        problem: String,
    },

    #[error(
        "{database} already holds tables that pancake did not create, so pancake neither loads into it nor drops it (--reset): choose another --prefix, or drop that database yourself"
    )]
    NotPancake { database: String },

    #[error(
        "{database} holds another event stream, {holds}; this is {this}. Drop the database (--reset) to load this one, or use another --prefix"
    )]
    OtherStream {
        database: String,
        holds: String,
        this: String,
    },

    #[error(
        "{0} is not a finished event stream: run `pancake transform` to the end first (or `pancake verify {0}`)"
    )]
    Unfinished(PathBuf),

    #[error(transparent)]
    Stream(#[from] MergeError),

    #[error("{file}: record {record}: {cause}; the stream is damaged: transform it again")]
    Event {
        file: PathBuf,
        record: u64,
        cause: ProjectError,
    },

    #[error("unknown module '{0}': the modules are {known}", known = module_names())]
    UnknownModule(String),

    #[error("loading part {part} into {database}: {cause}")]
    Part {
        database: String,
        part: String,
        cause: Box<PgError>,
    },

    #[error(transparent)]
    Io(#[from] IoError),
}

fn module_names() -> String {
    MODULES
        .iter()
        .map(|m| m.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn holder(pid: Option<i32>) -> String {
    match pid {
        Some(pid) => format!("pid {pid} on the server"),
        None => "it let go a moment ago, or its pid cannot be read".into(),
    }
}

impl Server {
    /// Names what went wrong for a person: the server, the database, the
    /// user and what to do, never the password.
    pub fn error(&self, database: &str, action: &str, e: sqlx::Error) -> PgError {
        let addr = self.addr();
        if let sqlx::Error::Database(db) = &e {
            match db.code().as_deref() {
                Some("28P01") | Some("28000") => {
                    return PgError::Login {
                        addr,
                        user: self.user().to_owned(),
                    };
                }
                Some("3D000") => {
                    return PgError::NoDatabase {
                        server: self.shown_with(database),
                        database: database.to_owned(),
                    };
                }
                Some("42501") => {
                    return PgError::Permission {
                        server: self.shown_with(database),
                        user: self.user().to_owned(),
                        action: action.to_owned(),
                        message: self.redact(db.message().to_owned()),
                    };
                }
                // The server shut down or an administrator ended the session.
                Some("57P01") | Some("57P02") | Some("57P03") => {
                    return PgError::Gone {
                        server: self.shown_with(database),
                        message: self.redact(db.message().to_owned()),
                    };
                }
                _ => {}
            }
        }
        match &e {
            sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                PgError::Refused { addr }
            }
            sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::PoolClosed => {
                PgError::Gone {
                    server: self.shown_with(database),
                    message: self.redact(e.to_string()),
                }
            }
            _ => PgError::Server {
                server: self.shown_with(database),
                action: action.to_owned(),
                message: self.redact(e.to_string()),
            },
        }
    }

    /// What went wrong while connecting: nothing listening, something
    /// listening that is not PostgreSQL, no route; else as [`Server::error`].
    pub(super) fn connect_error(&self, database: &str, e: sqlx::Error) -> PgError {
        use std::io::ErrorKind;
        let (addr, flag) = (self.addr(), self.flag.clone());
        match &e {
            sqlx::Error::Io(io) => match io.kind() {
                ErrorKind::ConnectionRefused => PgError::Refused { addr },
                ErrorKind::UnexpectedEof
                | ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe => PgError::NotPostgres {
                    addr,
                    flag,
                    detail: format!(
                        "it closed the connection during the handshake: {}",
                        self.redact(io.to_string())
                    ),
                },
                _ => PgError::Unreachable {
                    addr,
                    flag,
                    message: self.redact(io.to_string()),
                },
            },
            sqlx::Error::Protocol(message) => PgError::NotPostgres {
                addr,
                flag,
                detail: self.redact(message.clone()),
            },
            _ => self.error(database, "connecting", e),
        }
    }

    /// The error for a connection that took longer than the timeout.
    pub(super) fn timed_out(&self) -> PgError {
        PgError::ConnectTimeout {
            addr: self.addr(),
            flag: self.flag.clone(),
            timeout: seconds(self.connect_timeout),
        }
    }
}

/// "10 s", "0.5 s".
fn seconds(d: std::time::Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}
