//! What several subcommands share: argument groups flattened into their
//! `Args` (the data set, how parts are written, the servers, the module
//! prefix, where module databases go) and the async runtime the loads run
//! on.

use anyhow::{Context, bail};
use pancake_datasets::Preset;
use pancake_load::postgres::news::rules::{DEFAULT_FEED_SIZE, MAX_FEED_SIZE};
use pancake_load::postgres::{DEFAULT_DATABASE_URL, PgOptions};
use pancake_load::rabbitmq::DEFAULT_AMQP_URL;
use pancake_proto::{PartLimits, WriteOptions};
use std::path::PathBuf;
use std::time::Duration;

/// The runtime the loads (and the bench's load stages) run on.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The data set: a preset, scaled.
#[derive(clap::Args)]
pub struct PresetArgs {
    /// Size of the data set: tiny (a few thousand rows, seconds), finland
    /// (about 1.5 million events) or sweden (about 500 million events).
    #[arg(long, default_value = "tiny")]
    pub preset: String,
    /// Multiplies every table's row count.
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
}

impl PresetArgs {
    /// The preset named by `--preset`, checked together with `--scale`.
    pub fn preset(&self) -> anyhow::Result<Preset> {
        let Some(preset) = Preset::by_name(&self.preset) else {
            bail!(
                "unknown preset {:?}; choose one of: {}",
                self.preset,
                Preset::names().join(", ")
            );
        };
        if !(self.scale.is_finite() && self.scale > 0.0) {
            bail!("--scale must be a positive number, got {}", self.scale);
        }
        Ok(preset)
    }
}

/// The RabbitMQ broker.
#[derive(clap::Args)]
pub struct AmqpArgs {
    /// The broker, amqp://USER:PASSWORD@HOST:PORT/VHOST (%2f is the
    /// default vhost). The password is never shown.
    #[arg(long, env = "AMQP_URL", hide_env_values = true, default_value = DEFAULT_AMQP_URL)]
    pub amqp_url: String,
}

/// The PostgreSQL server.
#[derive(clap::Args)]
pub struct DatabaseArgs {
    /// The server the module databases are created on,
    /// postgres://USER:PASSWORD@HOST:PORT/DATABASE; DATABASE is the one
    /// connected to for creating them. The password is never shown.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

/// The names of the module databases and queues: `<prefix>_<module>`.
#[derive(clap::Args)]
pub struct PrefixArgs {
    /// Module databases and queues are named <prefix>_<module>
    /// (pancake_profile, pancake_chat, ...); a trailing _ or . is dropped,
    /// and --prefix '' gives the bare module names.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "pancake",
        alias = "db-prefix",
        alias = "queue-prefix"
    )]
    pub prefix: String,
}

/// Where the module databases go.
#[derive(clap::Args)]
pub struct TargetArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Put a module on another server: --module-url chat=postgres://...
    /// (repeatable).
    #[arg(long, value_name = "MODULE=URL", value_parser = module_url)]
    pub module_url: Vec<(String, String)>,
    /// Load only these modules (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "M,...")]
    pub modules: Vec<String>,
    #[command(flatten)]
    pub prefix: PrefixArgs,
    /// Most connections writing at once (modules and parts load
    /// concurrently).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub jobs: u64,
    /// Drop the module databases of this prefix first and load from
    /// scratch. A database that holds tables pancake did not create is
    /// never dropped: the load is refused instead.
    #[arg(long)]
    pub reset: bool,
    /// Build keys and indexes before the bulk load instead of after it (for
    /// measuring; after is faster).
    #[arg(long)]
    pub indexes_first: bool,
    /// Seconds each connection may take to be made (TCP connect, handshake
    /// and login) before the load gives up on that server.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub connect_timeout: u64,
    /// The items each member's news feed keeps (the most recent ones).
    /// Loading again with another size builds the feeds again.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_FEED_SIZE, value_parser = clap::value_parser!(u32).range(1..=MAX_FEED_SIZE as i64))]
    pub news_feed_size: u32,
}

fn module_url(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(m, u)| (m.to_owned(), u.to_owned()))
        .ok_or_else(|| "expected MODULE=URL, e.g. chat=postgres://user@host/postgres".into())
}

impl TargetArgs {
    pub fn options(&self, input: PathBuf) -> PgOptions {
        let mut options = PgOptions::new(input, self.database.database_url.clone());
        options.module_urls = self.module_url.clone();
        options.modules = self.modules.clone();
        options.prefix = self.prefix.prefix.clone();
        options.jobs = self.jobs as usize;
        options.reset = self.reset;
        options.indexes_first = self.indexes_first;
        options.connect_timeout = Duration::from_secs(self.connect_timeout);
        options.news_feed_size = self.news_feed_size;
        options
    }
}

/// How a dump's parts are written.
#[derive(clap::Args)]
pub struct WriteArgs {
    /// gzip level of the parts, 0 (none) to 9 (smallest).
    #[arg(long, default_value_t = WriteOptions::DEFAULT_LEVEL, value_parser = clap::value_parser!(u32).range(0..=9))]
    pub compression_level: u32,
    /// Most records (rows) in one part, at most 100,000,000.
    #[arg(long, alias = "part-rows", default_value_t = PartLimits::DEFAULT_MAX_RECORDS, value_parser = clap::value_parser!(u64).range(1..=PartLimits::MAX_RECORDS))]
    pub part_records: u64,
    /// Most bytes of records (before compression) in one part.
    #[arg(long, default_value_t = PartLimits::DEFAULT_MAX_BYTES, value_parser = clap::value_parser!(u64).range(1..))]
    pub part_bytes: u64,
}

impl WriteArgs {
    pub fn options(&self) -> WriteOptions {
        WriteOptions {
            level: self.compression_level,
            limits: PartLimits {
                max_records: self.part_records,
                max_bytes: self.part_bytes,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TargetArgs;
    use clap::Parser;
    use std::path::PathBuf;

    #[derive(Parser)]
    struct Load {
        #[command(flatten)]
        target: TargetArgs,
    }

    fn databases(args: &[&str]) -> Vec<String> {
        let load = Load::try_parse_from(std::iter::once("load").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        let options = load.target.options(PathBuf::from("events"));
        ["profile", "chat"]
            .iter()
            .map(|m| options.database(m))
            .collect()
    }

    #[test]
    fn module_databases_are_pancake_s_unless_a_prefix_is_given() {
        assert_eq!(databases(&[]), ["pancake_profile", "pancake_chat"]);
        assert_eq!(databases(&["--prefix", "nc"]), ["nc_profile", "nc_chat"]);
        // The old spellings, with their separator, name the same databases.
        assert_eq!(
            databases(&["--db-prefix", "nc_"]),
            ["nc_profile", "nc_chat"]
        );
        assert_eq!(
            databases(&["--queue-prefix", "nc."]),
            ["nc_profile", "nc_chat"]
        );
        assert_eq!(databases(&["--prefix", ""]), ["profile", "chat"]);
    }
}
