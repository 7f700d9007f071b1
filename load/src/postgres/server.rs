//! The servers module databases live on: URLs, connecting, creating the
//! databases, and telling the person at the terminal what went wrong
//! without ever showing a password.

use super::PgError;
use super::url;
use sqlx::ConnectOptions as _;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use std::str::FromStr;
use std::time::Duration;

/// How long a connection may take, TCP connect plus the handshake and
/// login, unless `--connect-timeout` says otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A PostgreSQL server, from a `postgres://` URL: the database in its path
/// is the one connected to for creating module databases.
#[derive(Clone)]
pub struct Server {
    options: PgConnectOptions,
    /// `postgres://user@host:port/db`, safe to print.
    pub shown: String,
    password: Option<String>,
    /// The flag the URL came from (`--database-url`, `--module-url chat=`),
    /// for messages.
    pub flag: String,
    /// For each connection: TCP connect, handshake and login.
    pub connect_timeout: Duration,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Server {
    /// A server from `--database-url`.
    pub fn parse(url: &str) -> Result<Server, PgError> {
        Server::parse_from(url, "--database-url")
    }

    /// A server from the URL given with `flag`, which messages name.
    pub fn parse_from(url: &str, flag: &str) -> Result<Server, PgError> {
        let password = url::password(url);
        let redact = |m: String| match &password {
            Some(p) if !p.is_empty() => m.replace(p.as_str(), "***"),
            _ => m,
        };
        let bad = |detail: String| {
            PgError::Url(redact(format!(
                "{flag} is not a valid PostgreSQL URL: {detail}"
            )))
        };
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(bad(format!(
                "{url:?} does not start with postgres://; use postgres://USER:PASSWORD@HOST:PORT/DATABASE"
            )));
        }
        if !url::names_host(url) {
            return Err(bad(format!(
                "{url:?} names no host: write the server's host name or address, postgres://USER:PASSWORD@HOST:PORT/DATABASE (for a Unix socket: postgres:///DATABASE?host=/run/postgresql&user=USER)"
            )));
        }
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| bad(e.to_string()))?
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
            flag: flag.to_owned(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        })
    }

    /// The same server, each connection given `timeout` to be made.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Server {
        self.connect_timeout = timeout;
        self
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

    /// One connection to `database`, made within the connect timeout.
    /// Nothing is retried: a refused connection fails at once.
    pub async fn connect(&self, database: &str) -> Result<PgConnection, PgError> {
        let options = self.options_for(database);
        match tokio::time::timeout(self.connect_timeout, options.connect()).await {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(e)) => Err(self.connect_error(database, e)),
            Err(_) => Err(self.timed_out()),
        }
    }

    /// Whether `database` exists.
    pub async fn database_exists(&self, database: &str) -> Result<bool, PgError> {
        let admin = self.admin_database().to_owned();
        let mut conn = self.connect(&admin).await?;
        let found = exists(&mut conn, database)
            .await
            .map_err(|e| self.error(&admin, "looking up databases", e));
        let _ = sqlx::Connection::close(conn).await;
        found
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
        // The name is quoted as an identifier.
        match sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
        {
            Ok(_) => Ok(true),
            // Another loader made it in the meantime (42P04; 23505 when both
            // created it at once); the load lock decides which one goes on.
            Err(sqlx::Error::Database(db))
                if matches!(db.code().as_deref(), Some("42P04") | Some("23505")) =>
            {
                Ok(false)
            }
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
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
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
    fn a_url_without_a_host_is_refused_naming_its_flag() {
        for url in ["postgres://", "postgres://u:hunter2@/d", "postgresql:///d"] {
            let e = Server::parse_from(url, "--module-url chat=")
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("--module-url chat="), "{e}");
            assert!(e.contains("names no host"), "{e}");
            assert!(!e.contains("hunter2"), "{e}");
        }
        let s = Server::parse("postgres:///d?host=/run/postgresql&user=u").unwrap();
        assert_eq!(s.flag, "--database-url");
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("chat"), "\"chat\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
