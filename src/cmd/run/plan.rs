//! The stages a migration file asks for, as the options the subcommands
//! hand to the stage crates: extract, transform, then each load.

use super::config::{Endpoint, Migration, RabbitMode};
use crate::cmd::{extract, transform};
use anyhow::Context;
use pancake_extract::ExtractOptions;
use pancake_load::postgres::PgOptions;
use pancake_load::rabbitmq::RabbitOptions;
use pancake_proto::{PartLimits, WriteOptions};
use pancake_transform::TransformOptions;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A migration file, read and checked, and the stages it describes.
pub struct Plan {
    pub file: PathBuf,
    pub migration: Migration,
}

impl Plan {
    pub fn load(file: &Path) -> anyhow::Result<Plan> {
        Ok(Plan {
            file: file.to_path_buf(),
            migration: Migration::load(file)?,
        })
    }

    pub fn dump(&self) -> &Path {
        &self.migration.dump.folder
    }

    pub fn events(&self) -> &Path {
        &self.migration.transform.folder
    }

    /// Where the source's URL comes from.
    pub fn source(&self) -> Endpoint {
        let s = &self.migration.source;
        Endpoint::of(&s.url, &s.url_env)
    }

    /// `[source]` and `[dump]` as `pancake extract` would build them.
    pub fn extract(&self) -> anyhow::Result<ExtractOptions> {
        let s = &self.migration.source;
        let d = &self.migration.dump;
        let url = self.source().resolve("[source]")?;
        let source = extract::source(&url).context("[source]")?;
        let mut options = ExtractOptions::new(source, d.folder.clone());
        options.tables = extract::tables(&s.tables).context("[source] tables")?;
        options.mapping = extract::mapping(s.mapping.as_deref()).context("[source] mapping")?;
        options.page_rows = u32::try_from(s.page_rows).context("[source] page_rows")?;
        options.write = WriteOptions {
            level: d.compression_level.unwrap_or(WriteOptions::DEFAULT_LEVEL),
            limits: PartLimits {
                max_records: d.part_records.unwrap_or(PartLimits::DEFAULT_MAX_RECORDS),
                max_bytes: PartLimits::DEFAULT_MAX_BYTES,
            },
        };
        options.connections = s.connections as usize;
        options.max_rows_per_sec = s.max_rows_per_sec;
        options.isolation = s.isolation;
        options.query_timeout = Duration::from_secs(s.query_timeout);
        options.retries = s.retries;
        Ok(options)
    }

    /// `[transform]` as `pancake transform` would build it.
    pub fn transform(&self) -> anyhow::Result<TransformOptions> {
        let t = &self.migration.transform;
        let mut options = TransformOptions::new(self.dump().to_path_buf(), t.folder.clone());
        options.threads = t.threads;
        if let Some(n) = t.part_records {
            options.part_events = n;
        }
        if let Some(date) = &t.site_start {
            options.site_start = transform::site_start(date).context("[transform] site_start")?;
        }
        if let Some(level) = t.compression_level {
            options.write.level = level;
        }
        Ok(options)
    }

    /// `[postgres]` as `pancake load postgres` would build it, if there.
    pub fn postgres(&self) -> anyhow::Result<Option<PgOptions>> {
        let Some(pg) = &self.migration.postgres else {
            return Ok(None);
        };
        let url = Endpoint::of(&pg.url, &pg.url_env).resolve("[postgres]")?;
        let mut options = PgOptions::new(self.events().to_path_buf(), url);
        for (module, e) in &pg.module_urls {
            let url = e.resolve(&format!("[postgres] module_urls.{module}"))?;
            options.module_urls.push((module.clone(), url));
        }
        options.modules = pg.modules.clone();
        if let Some(prefix) = &pg.prefix {
            options.prefix = prefix.clone();
        }
        options.jobs = pg.jobs as usize;
        // Unknown modules and bad URLs now, not after the extract.
        pancake_load::postgres::targets(&options).context("[postgres]")?;
        Ok(Some(options))
    }

    /// `[rabbitmq]` as `pancake load rabbitmq` would build it, if there.
    pub fn rabbitmq(&self) -> anyhow::Result<Option<RabbitOptions>> {
        let Some(r) = &self.migration.rabbitmq else {
            return Ok(None);
        };
        let url = Endpoint::of(&r.url, &r.url_env).resolve("[rabbitmq]")?;
        let mut options = RabbitOptions::new(self.events().to_path_buf(), url);
        options.exchange = r.exchange.clone();
        options.declare_queues = r.declare_queues;
        if let Some(prefix) = &r.prefix {
            options.queue_prefix = prefix.clone();
        }
        options.stream = r.mode == RabbitMode::Stream;
        options.batch = r.batch as usize;
        options.confirm_window = r.confirm_window as usize;
        options.max_events_per_sec = r.max_events_per_sec;
        pancake_load::rabbitmq::LoadTarget::of(&options).context("[rabbitmq]")?;
        Ok(Some(options))
    }
}
