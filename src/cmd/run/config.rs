//! The migration file `pancake run --config` reads: one TOML file for the
//! whole migration (source, dump, event stream, targets). Unknown keys and
//! bad values are refused with the file, the line and the key; secrets come
//! from environment variables the file names, never from the file.

use anyhow::{Context, bail};
use pancake_extract::Isolation;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Migration {
    pub source: SourceConfig,
    pub dump: DumpConfig,
    pub transform: TransformConfig,
    #[serde(default)]
    pub postgres: Option<PostgresConfig>,
    #[serde(default)]
    pub rabbitmq: Option<RabbitConfig>,
}

/// A server: its URL written in the file (without a password), or the name
/// of the environment variable that holds it. Exactly one of the two.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    pub url: Option<String>,
    pub url_env: Option<String>,
}

/// `[source]`: the legacy SQL Server.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub url: Option<String>,
    pub url_env: Option<String>,
    /// A mapping file (see `pancake extract --print-mapping`).
    pub mapping: Option<PathBuf>,
    #[serde(default, deserialize_with = "positive_opt")]
    pub max_rows_per_sec: Option<u64>,
    #[serde(default = "two", deserialize_with = "positive")]
    pub connections: u64,
    #[serde(default = "ten_thousand", deserialize_with = "positive")]
    pub page_rows: u64,
    #[serde(default)]
    pub tables: Vec<String>,
    #[serde(default)]
    pub isolation: Isolation,
    #[serde(default = "sixty", deserialize_with = "positive")]
    pub query_timeout: u64,
    #[serde(default = "five")]
    pub retries: u32,
}

/// `[dump]`: where the extract writes, and how.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DumpConfig {
    pub folder: PathBuf,
    #[serde(default, deserialize_with = "positive_opt")]
    pub part_records: Option<u64>,
    #[serde(default, deserialize_with = "level_opt")]
    pub compression_level: Option<u32>,
}

/// `[transform]`: where the event stream goes, and how.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransformConfig {
    pub folder: PathBuf,
    #[serde(default)]
    pub threads: usize,
    #[serde(default, deserialize_with = "positive_opt")]
    pub part_records: Option<u64>,
    #[serde(default, deserialize_with = "date_opt")]
    pub site_start: Option<String>,
    #[serde(default, deserialize_with = "level_opt")]
    pub compression_level: Option<u32>,
}

/// `[postgres]`: one database per module.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresConfig {
    pub url: Option<String>,
    pub url_env: Option<String>,
    /// Modules on other servers: `chat = { url_env = "CHAT_DATABASE_URL" }`.
    #[serde(default)]
    pub module_urls: BTreeMap<String, Endpoint>,
    pub prefix: Option<String>,
    #[serde(default)]
    pub modules: Vec<String>,
    #[serde(default = "four", deserialize_with = "positive")]
    pub jobs: u64,
}

/// `[rabbitmq]`: the broker.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RabbitConfig {
    pub url: Option<String>,
    pub url_env: Option<String>,
    #[serde(default = "exchange")]
    pub exchange: String,
    #[serde(default)]
    pub mode: RabbitMode,
    #[serde(default = "one", deserialize_with = "positive")]
    pub batch: u64,
    #[serde(default)]
    pub declare_queues: bool,
    pub prefix: Option<String>,
    /// Messages published and not yet confirmed, at most (`--confirm-window`).
    #[serde(default = "thousand", deserialize_with = "positive")]
    pub confirm_window: u64,
    /// Spare the broker: publish at most this many events a second.
    #[serde(default, deserialize_with = "positive_opt")]
    pub max_events_per_sec: Option<u64>,
}

/// How events travel: routed by kind to the module queues, or once into
/// a RabbitMQ stream every module reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RabbitMode {
    #[default]
    Queues,
    Stream,
}

fn one() -> u64 {
    1
}
fn two() -> u64 {
    2
}
fn four() -> u64 {
    4
}
fn five() -> u32 {
    5
}
fn sixty() -> u64 {
    60
}
fn thousand() -> u64 {
    1_000
}
fn ten_thousand() -> u64 {
    10_000
}
fn exchange() -> String {
    "pancake.events".into()
}

fn positive<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let n = u64::deserialize(d)?;
    if n == 0 {
        return Err(serde::de::Error::custom("must be 1 or more, got 0"));
    }
    Ok(n)
}

fn positive_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    positive(d).map(Some)
}

fn level_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let n = u32::deserialize(d)?;
    if n > 9 {
        return Err(serde::de::Error::custom(format!(
            "a gzip level is 0 to 9, got {n}"
        )));
    }
    Ok(Some(n))
}

fn date_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = String::deserialize(d)?;
    crate::cmd::transform::site_start(&s)
        .map_err(|e| serde::de::Error::custom(format!("{e:#}")))?;
    Ok(Some(s))
}

impl Migration {
    /// Reads and checks `path`.
    pub fn load(path: &Path) -> anyhow::Result<Migration> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the migration file {}", path.display()))?;
        Migration::parse(&text, path)
    }

    /// Parses `text`, read from `path` (for the messages).
    pub fn parse(text: &str, path: &Path) -> anyhow::Result<Migration> {
        let migration: Migration = toml::from_str(text)
            .map_err(|e| anyhow::anyhow!(super::toml_error::located(&e, text, path)))?;
        migration.check(path)?;
        Ok(migration)
    }

    /// What serde cannot say: one URL per server, no password in the file.
    fn check(&self, path: &Path) -> anyhow::Result<()> {
        let mut endpoints = vec![(
            "source".to_owned(),
            Endpoint::of(&self.source.url, &self.source.url_env),
        )];
        if let Some(pg) = &self.postgres {
            endpoints.push(("postgres".into(), Endpoint::of(&pg.url, &pg.url_env)));
            for (module, e) in &pg.module_urls {
                endpoints.push((format!("postgres.module_urls.{module}"), e.clone()));
            }
        }
        if let Some(r) = &self.rabbitmq {
            endpoints.push(("rabbitmq".into(), Endpoint::of(&r.url, &r.url_env)));
        }
        for (section, e) in endpoints {
            match (&e.url, &e.url_env) {
                (Some(_), Some(_)) => bail!(
                    "{}: [{section}] gives both url and url_env: give one",
                    path.display()
                ),
                (None, None) => bail!(
                    "{}: [{section}] needs url_env (the environment variable holding the URL) or url",
                    path.display()
                ),
                (Some(url), None) if holds_password(url) => bail!(
                    "{}: [{section}] url holds a password: a migration file must not hold secrets; put the URL in an environment variable and name it with url_env",
                    path.display()
                ),
                _ => {}
            }
        }
        if self.postgres.is_none() && self.rabbitmq.is_none() {
            bail!(
                "{}: no target: add a [postgres] or a [rabbitmq] section, or both",
                path.display()
            );
        }
        Ok(())
    }
}

impl Endpoint {
    pub fn of(url: &Option<String>, url_env: &Option<String>) -> Endpoint {
        Endpoint {
            url: url.clone(),
            url_env: url_env.clone(),
        }
    }

    /// The URL: written in the file, or read from the environment.
    pub fn resolve(&self, what: &str) -> anyhow::Result<String> {
        match (&self.url, &self.url_env) {
            (Some(url), _) => Ok(url.clone()),
            (None, Some(var)) => std::env::var(var).with_context(|| {
                format!("{what}: the environment variable {var} (named by url_env) is not set")
            }),
            (None, None) => bail!("{what}: no url or url_env"),
        }
    }

    /// Where the URL comes from, for the plan: `$NAME` or the URL itself.
    pub fn shown(&self) -> String {
        match (&self.url, &self.url_env) {
            (Some(url), _) => url.clone(),
            (None, Some(var)) => format!("${var}"),
            (None, None) => "(none)".into(),
        }
    }
}

/// Whether a URL or an ADO.NET connection string carries a password:
/// `scheme://user:password@host`, `?password=`, or `Password=`/`Pwd=`.
pub fn holds_password(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    if ["password=", "pwd="].iter().any(|k| {
        lower
            .match_indices(k)
            .any(|(i, _)| i == 0 || matches!(lower.as_bytes()[i - 1], b';' | b'?' | b'&' | b' '))
    }) {
        return true;
    }
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    match authority.rsplit_once('@') {
        Some((userinfo, _)) => userinfo.contains(':'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::holds_password;

    #[test]
    fn passwords_are_found_in_every_form() {
        for url in [
            "postgres://u:pw@h/db",
            "amqp://guest:guest@127.0.0.1:5672/%2f",
            "postgres://u@h/db?sslmode=require&password=pw",
            "Server=tcp:h,1433;User Id=sa;Password=pw",
            "server=h;uid=sa;pwd=pw",
        ] {
            assert!(holds_password(url), "{url}");
        }
        for url in [
            "postgres://u@h:5432/db",
            "mssql://sa@h:1433/legacy?encrypt=true",
            "Server=tcp:h,1433;User Id=sa;Encrypt=True",
            "postgres://h/db?passwordless=1",
        ] {
            assert!(!holds_password(url), "{url}");
        }
    }
}
