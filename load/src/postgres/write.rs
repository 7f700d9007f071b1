//! The writers: `--jobs` tasks that take (module, part) units from the
//! decoder and load each in one transaction that also records the part as
//! loaded. Each writer keeps one connection per module database it writes.

use super::part::{self, PartWork, Unit};
use super::server::Server;
use super::{LoadedPart, PgError, Progress, Target};
use crate::modules::ModuleSpec;
use sqlx::Connection as _;
use sqlx::postgres::PgConnection;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Decodes the parts in `work` on a thread and loads the units with `jobs`
/// writers. Returns the events read.
pub(super) async fn load_parts(
    modules: &mut [Target],
    dir: &Path,
    work: Vec<PartWork>,
    jobs: usize,
    progress: &Arc<dyn Progress>,
) -> Result<u64, PgError> {
    if work.is_empty() {
        return Ok(0);
    }
    let specs: Vec<&'static ModuleSpec> = modules.iter().map(|m| m.spec).collect();
    let codecs: Vec<_> = modules.iter().map(|m| m.codec.clone()).collect();
    let (tx, rx) = tokio::sync::mpsc::channel::<Unit>(jobs);
    let dir = dir.to_owned();
    let told = progress.clone();
    let decoder = tokio::task::spawn_blocking(move || -> Result<u64, PgError> {
        let mut read = 0;
        for part in work {
            let units = part::decode(&dir, &part, &specs, &codecs)?;
            told.part_read(&part.table, part.entry.number, part.entry.bytes);
            read += units.0;
            for unit in units.1 {
                if tx.blocking_send(unit).is_err() {
                    // A writer failed; its error is the one to report.
                    return Ok(read);
                }
            }
        }
        Ok(read)
    });

    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let shared: Arc<Vec<(Server, String, &'static ModuleSpec)>> = Arc::new(
        modules
            .iter()
            .map(|m| (m.server.clone(), m.database.clone(), m.spec))
            .collect(),
    );
    let mut writers = tokio::task::JoinSet::new();
    for _ in 0..jobs {
        let rx = rx.clone();
        let shared = shared.clone();
        let progress = progress.clone();
        writers.spawn(async move {
            let mut done: Vec<(usize, u64, u64, u64, u64, std::time::Duration)> = Vec::new();
            // This writer's connection to each module database, made when
            // it first has a unit for it (within the connect timeout).
            let mut conns: Vec<Option<PgConnection>> = shared.iter().map(|_| None).collect();
            loop {
                let unit = { rx.lock().await.recv().await };
                let Some(unit) = unit else { break };
                let (server, database, spec) = &shared[unit.module];
                let part = format!("{}/part-{:06}", unit.table, unit.part);
                let (table, number) = (unit.table.clone(), unit.part);
                let events = unit.events;
                let module = unit.module;
                let nul: u64 = unit.copies.tables.iter().map(|(_, c)| c.nul_replaced).sum();
                let wrap = |e| PgError::Part {
                    database: server.shown_with(database),
                    part: part.clone(),
                    cause: Box::new(e),
                };
                let conn = match &mut conns[module] {
                    Some(conn) => conn,
                    slot => slot.insert(server.connect(database).await.map_err(&wrap)?),
                };
                let began = std::time::Instant::now();
                let (rows, bytes) = write_unit(conn, server, database, spec, unit)
                    .await
                    .map_err(wrap)?;
                progress.part_loaded(spec.name, events, rows);
                progress.part_committed(&LoadedPart {
                    module: spec.name,
                    table: &table,
                    part: number,
                    events,
                    rows,
                    bytes,
                    seconds: began.elapsed().as_secs_f64(),
                });
                done.push((module, events, rows, bytes, nul, began.elapsed()));
            }
            for conn in conns.into_iter().flatten() {
                let _ = conn.close().await;
            }
            Ok::<_, PgError>(done)
        });
    }
    let mut first_error = None;
    while let Some(result) = writers.join_next().await {
        let result = match result {
            Ok(result) => result,
            // A writer stopped below, after another one's error.
            Err(e) if e.is_cancelled() => continue,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        match result {
            Ok(done) => {
                for (module, events, rows, bytes, nul, took) in done {
                    let r = &mut modules[module].report;
                    r.parts_loaded += 1;
                    r.events += events;
                    r.rows += rows;
                    r.copy_bytes += bytes;
                    r.nul_replaced += nul;
                    r.copy_elapsed += took;
                }
            }
            Err(e) => {
                if first_error.is_none() {
                    first_error = Some(e);
                    // Stop the decoder and the other writers.
                    rx.lock().await.close();
                    writers.abort_all();
                }
            }
        }
    }
    let read = decoder.await.expect("the decoder panicked");
    if let Some(e) = first_error {
        return Err(e);
    }
    read
}

/// Loads one unit in one transaction, marking its part as loaded. Returns
/// the rows copied and the bytes of COPY data sent.
async fn write_unit(
    conn: &mut PgConnection,
    server: &Server,
    database: &str,
    spec: &'static ModuleSpec,
    unit: Unit,
) -> Result<(u64, u64), PgError> {
    let fail = |action: &str, e: sqlx::Error| server.error(database, action, e);
    let mut tx = conn
        .begin()
        .await
        .map_err(|e| fail("starting a transaction", e))?;
    let mut counts = BTreeMap::new();
    let mut total = 0;
    let mut bytes = 0;
    for (table, data) in unit.copies.tables {
        let table = &spec.postgres.tables[table];
        let rows = data.rows();
        let data = data.finish();
        bytes += data.len() as u64;
        copy_in(&mut tx, &table.copy_statement(), data)
            .await
            .map_err(|e| fail(&format!("copying into {}", table.name), e))?;
        counts.insert(table.name, rows);
        total += rows;
    }
    if !unit.copies.pending.is_empty() {
        let data = unit.copies.pending.finish();
        bytes += data.len() as u64;
        copy_in(
            &mut tx,
            "COPY pancake.pending (tbl, key, col, at) FROM STDIN (FORMAT binary)",
            data,
        )
        .await
        .map_err(|e| fail("copying changes for other parts", e))?;
    }
    sqlx::query("INSERT INTO pancake.parts (stream_table, part, events, rows) VALUES ($1, $2, $3, $4::jsonb)")
        .bind(&unit.table)
        .bind(unit.part as i32)
        .bind(unit.events as i64)
        .bind(serde_json::to_string(&counts).expect("counts serialize"))
        .execute(&mut *tx)
        .await
        .map_err(|e| fail("marking the part as loaded", e))?;
    tx.commit()
        .await
        .map_err(|e| fail("committing the part", e))?;
    Ok((total, bytes))
}

/// Sends a COPY body in 1 MiB messages, aborting the COPY on a failure so
/// the connection stays usable.
async fn copy_in(
    conn: &mut sqlx::PgConnection,
    statement: &str,
    body: Vec<u8>,
) -> Result<u64, sqlx::Error> {
    let mut copy = conn.copy_in_raw(statement).await?;
    for chunk in body.chunks(1 << 20) {
        if let Err(e) = copy.send(chunk).await {
            let _ = copy.abort("pancake: sending failed").await;
            return Err(e);
        }
    }
    copy.finish().await
}
