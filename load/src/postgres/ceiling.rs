//! The ceilings beside a load: the same rows, rendered beforehand, sent by
//! one plain `COPY ... FROM STDIN` per table into bare tables (no keys, no
//! indexes, no bookkeeping, no finishing steps), one table after another as
//! psql would. The loader's rows/s divided by this is how much of the
//! server's bulk pace it keeps.
//!
//! The whole-load ceiling adds to those COPYs what a load cannot do without:
//! the module's keys and indexes and its finishing script, run on the
//! copied tables as the loader runs them (one transaction each, the same
//! work memory, up to `--jobs` modules at once). What it leaves out is the
//! loader's own bookkeeping (parts, pending changes, resuming), so the
//! loader's rate over it is how close a load is to the least the server
//! must do.

use super::copy::CopyData;
use super::payload::PayloadCodec;
use super::project::PartRows;
use super::server::Server;
use super::{PgError, PgOptions, targets};
use crate::merge::MergeError;
use pancake_proto::dump::DumpKind;
use pancake_proto::events::Event;
use pancake_proto::{IoError, Manifest, PartReader, ReadOptions};
use sqlx::Connection as _;
use std::io::{Read as _, Write as _};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The binary COPY header and trailer that every rendered body carries.
const HEADER: usize = 19;
const TRAILER: usize = 2;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyCeiling {
    pub rows: u64,
    /// Bytes of COPY data sent.
    pub bytes: u64,
    /// The COPYs alone, rendering aside.
    pub elapsed: Duration,
    /// The keys, indexes and finishing scripts after the COPYs.
    pub keys_and_finishing: Duration,
}

impl CopyCeiling {
    /// The whole-load ceiling's time: COPYs, keys, indexes and finishing.
    pub fn whole_load(&self) -> Duration {
        self.elapsed + self.keys_and_finishing
    }
}

/// Renders every selected module's rows into files in `work` (not timed),
/// then times plain COPYs of them into fresh databases
/// `<prefix>_ceiling_<module>`, dropped afterwards.
pub async fn plain_copy(
    options: &PgOptions,
    work: &std::path::Path,
) -> Result<CopyCeiling, PgError> {
    let manifest = Manifest::load(&options.input).map_err(MergeError::from)?;
    let modules = targets(options)?;
    // (module, table index) -> file, header written.
    let mut files = Vec::new();
    for (spec, _, _) in &modules {
        for (i, table) in spec.postgres.tables.iter().enumerate() {
            let path = work.join(format!("{}.{}.copy", spec.name, table.name));
            let mut file = std::io::BufWriter::new(
                std::fs::File::create(&path).map_err(IoError::at("create", &path))?,
            );
            let header = CopyData::new().finish();
            file.write_all(&header[..HEADER])
                .map_err(IoError::at("write", &path))?;
            files.push((spec.name, i, path, file, 0u64));
        }
    }
    // The audit log's payloads compressed as the loader does: a dictionary
    // trained on the same sample of the stream.
    let mut codecs = Vec::new();
    for (spec, _, _) in &modules {
        codecs.push(match spec.postgres.payload_dictionary {
            true => {
                let samples = super::dictionary::sample(&options.input, &manifest)?;
                Some(Arc::new(PayloadCodec::train(&samples)))
            }
            false => None,
        });
    }
    for table in &manifest.tables {
        for part in &table.parts {
            let options_read = ReadOptions {
                part_number: Some(part.number),
                ..ReadOptions::expect::<Event>(DumpKind::EventStream, &table.name)
            };
            let path = options.input.join(&part.file);
            let mut reader = PartReader::open(&path, &options_read).map_err(MergeError::from)?;
            let mut rows: Vec<PartRows> = modules
                .iter()
                .zip(&codecs)
                .map(|((s, _, _), codec)| PartRows::with_payloads(s.postgres, codec.as_ref()))
                .collect();
            let mut record = 0;
            while let Some(event) = reader.next_record::<Event>().map_err(MergeError::from)? {
                record += 1;
                for ((spec, _, _), rows) in modules.iter().zip(&mut rows) {
                    if spec.consumes(event.kind()) {
                        (spec.postgres.project)(&event, rows).map_err(|cause| PgError::Event {
                            file: path.clone(),
                            record,
                            cause,
                        })?;
                    }
                }
            }
            for ((spec, _, _), rows) in modules.iter().zip(rows) {
                for (i, data) in rows.into_copies(spec.postgres).tables {
                    let n = data.rows();
                    let body = data.finish();
                    let entry = files
                        .iter_mut()
                        .find(|f| f.0 == spec.name && f.1 == i)
                        .expect("a file per table");
                    entry
                        .3
                        .write_all(&body[HEADER..body.len() - TRAILER])
                        .map_err(IoError::at("write", &entry.2))?;
                    entry.4 += n;
                }
            }
        }
    }
    let mut rendered = Vec::new();
    for (module, i, path, mut file, rows) in files {
        file.write_all(&(-1i16).to_be_bytes())
            .map_err(IoError::at("write", &path))?;
        file.flush().map_err(IoError::at("write", &path))?;
        rendered.push((module, i, path, rows));
    }

    let mut ceiling = CopyCeiling::default();
    let result = copy_then_finish(options, &modules, &rendered, &mut ceiling).await;
    for (spec, server, _) in &modules {
        server
            .drop_database(&scratch_name(options, spec.name))
            .await?;
    }
    for (_, _, path, _) in rendered {
        let _ = std::fs::remove_file(path);
    }
    result.map(|()| ceiling)
}

/// The COPYs of every module, one table after another; then the keys,
/// indexes and finishing steps of every module, up to `--jobs` at once as
/// the loader runs them, timed from the first to the last.
async fn copy_then_finish(
    options: &PgOptions,
    modules: &[(&'static crate::modules::ModuleSpec, Server, String)],
    rendered: &[(&str, usize, std::path::PathBuf, u64)],
    ceiling: &mut CopyCeiling,
) -> Result<(), PgError> {
    for (spec, server, _) in modules {
        let scratch = scratch_name(options, spec.name);
        server.drop_database(&scratch).await?;
        server.create_database(&scratch).await?;
        copy_module(server, &scratch, spec, rendered, ceiling).await?;
    }
    let started = Instant::now();
    let finishing = modules.iter().map(|(spec, server, _)| {
        keys_and_finishing(
            server,
            scratch_name(options, spec.name),
            spec,
            options.news_feed_size,
        )
    });
    let results: Vec<Result<(), PgError>> = {
        use futures_util::StreamExt as _;
        futures_util::stream::iter(finishing)
            .buffer_unordered(options.jobs.max(1))
            .collect()
            .await
    };
    ceiling.keys_and_finishing = started.elapsed();
    results.into_iter().collect()
}

/// The module's keys and indexes, then its finishing script, each in one
/// transaction with the loader's work memory.
async fn keys_and_finishing(
    server: &Server,
    database: String,
    spec: &crate::modules::ModuleSpec,
    feed_size: u32,
) -> Result<(), PgError> {
    let mut conn = server.connect(&database).await?;
    for (sql, action) in [
        (spec.postgres.indexes, "building keys and indexes"),
        (spec.postgres.finish, "running the module's finishing steps"),
    ] {
        if sql.is_empty() {
            continue;
        }
        let mut tx = super::schema::begin_with_memory(server, &database, &mut conn).await?;
        sqlx::raw_sql(sql)
            .execute(&mut *tx)
            .await
            .map_err(|e| server.error(&database, action, e))?;
        tx.commit()
            .await
            .map_err(|e| server.error(&database, action, e))?;
    }
    if spec.postgres.computed == super::project::Computed::NewsFeeds {
        // The feeds are the news module's finishing step, computed by the
        // loader: the ceiling computes them the same way.
        let action = "building the news feeds";
        let mut tx = super::schema::begin_with_memory(server, &database, &mut conn).await?;
        super::news::feeds::rebuild(&mut tx, feed_size)
            .await
            .map_err(|e| server.error(&database, action, sqlx::Error::Protocol(e.to_string())))?;
        tx.commit()
            .await
            .map_err(|e| server.error(&database, action, e))?;
    }
    let _ = conn.close().await;
    Ok(())
}

fn scratch_name(options: &PgOptions, module: &str) -> String {
    options.database(&format!("ceiling_{module}"))
}

async fn copy_module(
    server: &Server,
    database: &str,
    spec: &crate::modules::ModuleSpec,
    rendered: &[(&str, usize, std::path::PathBuf, u64)],
    ceiling: &mut CopyCeiling,
) -> Result<(), PgError> {
    let mut conn = server.connect(database).await?;
    // The bookkeeping schema first: later migrations reset its records.
    for script in std::iter::once(&super::schema::BOOKKEEPING).chain(spec.postgres.migrations) {
        sqlx::raw_sql(*script)
            .execute(&mut conn)
            .await
            .map_err(|e| server.error(database, "creating the tables", e))?;
    }
    for (module, i, path, rows) in rendered {
        if *module != spec.name {
            continue;
        }
        let table = &spec.postgres.tables[*i];
        let mut file = std::fs::File::open(path).map_err(IoError::at("open", path))?;
        let mut buf = vec![0u8; 1 << 20];
        let started = Instant::now();
        let mut copy = conn
            .copy_in_raw(&table.copy_statement())
            .await
            .map_err(|e| server.error(database, "starting COPY", e))?;
        loop {
            let n = file.read(&mut buf).map_err(IoError::at("read", path))?;
            if n == 0 {
                break;
            }
            ceiling.bytes += n as u64;
            copy.send(&buf[..n])
                .await
                .map_err(|e| server.error(database, "sending COPY data", e))?;
        }
        copy.finish()
            .await
            .map_err(|e| server.error(database, "finishing COPY", e))?;
        ceiling.elapsed += started.elapsed();
        ceiling.rows += rows;
    }
    let _ = conn.close().await;
    Ok(())
}
