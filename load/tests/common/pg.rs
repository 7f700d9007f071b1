//! Shared set-up for the PostgreSQL tests: the server of DATABASE_URL, each
//! test's own databases (`t<pid>_<tag>_<module>`), dropped when it ends.

use super::events;
use pancake_load::postgres::{DEFAULT_DATABASE_URL, PgOptions, drop_databases};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use std::str::FromStr as _;

pub fn db_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned())
}

pub fn server() -> PgConnectOptions {
    PgConnectOptions::from_str(&db_url()).expect("DATABASE_URL is a postgres:// URL")
}

pub fn host_port() -> String {
    let s = server();
    format!("{}:{}", s.get_host(), s.get_port())
}

/// Options for `tiny` into the test's own databases, `t<pid>_<tag>_<module>`.
pub fn options(tag: &str, modules: &[&str]) -> PgOptions {
    let mut options = PgOptions::new(events().to_path_buf(), db_url());
    options.prefix = format!("t{}_{tag}", std::process::id());
    options.modules = modules.iter().map(|m| (*m).to_owned()).collect();
    options
}

/// Drops the databases of `options` when the test ends, passed or not.
pub struct Cleanup(PgOptions);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let options = self.0.clone();
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(drop_databases(&options))
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("dropping the test databases: {e}"),
            Err(_) => eprintln!("dropping the test databases panicked"),
        }
    }
}

/// Drops what an earlier run with the same pid may have left, and the
/// databases again at the end.
pub async fn fresh(options: &PgOptions) -> Cleanup {
    drop_databases(options)
        .await
        .unwrap_or_else(|e| panic!("dropping old test databases: {e}"));
    Cleanup(options.clone())
}

pub async fn scalar(conn: &mut PgConnection, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}
