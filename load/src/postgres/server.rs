//! The servers module databases live on: URLs, connecting, creating the
//! databases, and telling the person at the terminal what went wrong
//! without ever showing a password.

use super::PgError;
use sqlx::ConnectOptions as _;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// A PostgreSQL server, from a `postgres://` URL: the database in its path
/// is the one connected to for creating module databases.
#[derive(Clone)]
pub struct Server {
    options: PgConnectOptions,
    /// `postgres://user@host:port/db`, safe to print.
    pub shown: String,
    password: Option<String>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Server {
    pub fn parse(url: &str) -> Result<Server, PgError> {
        let password = url::password(url);
        let redact = |m: String| match &password {
            Some(p) if !p.is_empty() => m.replace(p.as_str(), "***"),
            _ => m,
        };
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(PgError::Url(redact(format!(
                "{url:?} does not start with postgres://; use postgres://USER:PASSWORD@HOST:PORT/DATABASE"
            ))));
        }
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| PgError::Url(redact(e.to_string())))?
            .application_name("pancake")
            .disable_statement_logging();
        let shown = format!(
            "postgres://{}@{}:{}/{}",
            options.get_username(),
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or("postgres")
        );
        Ok(Server {
            options,
            shown,
            password,
        })
    }

    pub fn addr(&self) -> String {
        format!("{}:{}", self.options.get_host(), self.options.get_port())
    }

    pub fn user(&self) -> &str {
        self.options.get_username()
    }

    /// The database named in the URL (`postgres` when none is).
    pub fn admin_database(&self) -> &str {
        self.options.get_database().unwrap_or("postgres")
    }

    /// `postgres://user@host:port/<database>`, for messages.
    pub fn shown_with(&self, database: &str) -> String {
        format!(
            "postgres://{}@{}:{}/{database}",
            self.user(),
            self.options.get_host(),
            self.options.get_port()
        )
    }

    /// A `psql` command line for `database` that reads the password from
    /// the environment or ~/.pgpass, not from the screen.
    pub fn psql(&self, database: &str) -> String {
        format!(
            "psql -h {} -p {} -U {} {database}",
            self.options.get_host(),
            self.options.get_port(),
            self.user()
        )
    }

    /// Hides the password in any text from the driver.
    pub fn redact(&self, message: String) -> String {
        match &self.password {
            Some(p) if !p.is_empty() => message.replace(p.as_str(), "***"),
            _ => message,
        }
    }

    fn options_for(&self, database: &str) -> PgConnectOptions {
        self.options.clone().database(database)
    }

    /// One connection to `database`.
    pub async fn connect(&self, database: &str) -> Result<PgConnection, PgError> {
        self.options_for(database)
            .connect()
            .await
            .map_err(|e| self.error(database, "connecting", e))
    }

    /// A pool of up to `size` connections to `database`.
    pub async fn pool(&self, database: &str, size: u32) -> Result<PgPool, PgError> {
        PgPoolOptions::new()
            .max_connections(size.max(1))
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(60))
            .idle_timeout(Duration::from_secs(30))
            .connect_with(self.options_for(database))
            .await
            .map_err(|e| self.error(database, "connecting", e))
    }

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
            sqlx::Error::PoolTimedOut => PgError::Gone {
                server: self.shown_with(database),
                message: "no connection could be made within 60 s".into(),
            },
            _ => PgError::Server {
                server: self.shown_with(database),
                action: action.to_owned(),
                message: self.redact(e.to_string()),
            },
        }
    }

    /// Creates `database` unless it exists. Returns whether it created it.
    pub async fn create_database(&self, database: &str) -> Result<bool, PgError> {
        let admin = self.admin_database().to_owned();
        let mut conn = self.connect(&admin).await?;
        if exists(&mut conn, database)
            .await
            .map_err(|e| self.error(&admin, "looking up databases", e))?
        {
            return Ok(false);
        }
        let sql = format!("CREATE DATABASE {}", quote_ident(database));
        match sqlx::raw_sql(&sql).execute(&mut conn).await {
            Ok(_) => Ok(true),
            // Another loader made it in the meantime.
            Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42P04") => Ok(false),
            Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42501") => {
                Err(PgError::CannotCreate {
                    server: self.shown.clone(),
                    user: self.user().to_owned(),
                    database: database.to_owned(),
                })
            }
            Err(e) => Err(self.error(&admin, "creating the database", e)),
        }
    }

    /// Drops `database` if it exists, ending other sessions on it.
    pub async fn drop_database(&self, database: &str) -> Result<(), PgError> {
        let admin = self.admin_database().to_owned();
        let mut conn = self.connect(&admin).await?;
        let sql = format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(database)
        );
        sqlx::raw_sql(&sql)
            .execute(&mut conn)
            .await
            .map_err(|e| self.error(&admin, &format!("dropping database {database}"), e))?;
        Ok(())
    }
}

async fn exists(conn: &mut PgConnection, database: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(database)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// `name` as a quoted SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

mod url {
    /// The password of a `scheme://user:password@host/...` URL, decoded.
    pub fn password(url: &str) -> Option<String> {
        let rest = url.split_once("://")?.1;
        let authority = rest.split(['/', '?']).next()?;
        let userinfo = authority.rsplit_once('@')?.0;
        let raw = userinfo.split_once(':')?.1;
        let mut out = Vec::new();
        let bytes = raw.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%'
                && i + 2 < bytes.len()
                && let Some(b) = raw
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        Some(String::from_utf8_lossy(&out).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_never_shown() {
        let s = Server::parse("postgres://ann:s3cr%40t@db.example:6543/admin").unwrap();
        assert_eq!(s.shown, "postgres://ann@db.example:6543/admin");
        assert_eq!(format!("{s:?}"), s.shown);
        assert_eq!(
            s.redact("password s3cr@t wrong".into()),
            "password *** wrong"
        );
        assert_eq!(s.admin_database(), "admin");
        assert_eq!(
            url::password("postgres://a:b%2Fc@h/d").as_deref(),
            Some("b/c")
        );
        assert_eq!(url::password("postgres://a@h/d"), None);
    }

    #[test]
    fn a_bad_url_says_what_a_good_one_looks_like() {
        let e = Server::parse("mysql://u:hunter2@h/d")
            .unwrap_err()
            .to_string();
        assert!(e.contains("postgres://USER:PASSWORD@HOST"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        let e = Server::parse("postgres://u:hunter2@h:notaport/d")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("chat"), "\"chat\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
