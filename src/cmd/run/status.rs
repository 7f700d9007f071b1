//! Where each stage of a migration stands, read without touching anything:
//! the dump's and the stream's manifests, the module databases'
//! bookkeeping, the RabbitMQ checkpoint. `pancake run --print` shows it;
//! the reconciliation reads the targets through it too.

use super::plan::Plan;
use crate::cmd::args::runtime;
use crate::progress::count;
use pancake_extract::ExtractSection;
use pancake_load::postgres::PgOptions;
use pancake_load::postgres::standing::{self, Loaded};
use pancake_load::rabbitmq::{Checkpoint, RabbitOptions, StreamIdentity};
use pancake_proto::Manifest;
use pancake_proto::accounting::TransformSection;
use std::path::Path;

/// The manifest in `dir`, if one is there.
pub fn manifest(dir: &Path) -> anyhow::Result<Option<Manifest>> {
    if !Manifest::path(dir).exists() {
        return Ok(None);
    }
    Ok(Some(Manifest::load(dir)?))
}

/// What each module database holds of the stream in `options.input`.
pub fn postgres(options: &PgOptions) -> anyhow::Result<Vec<Loaded>> {
    let stream = manifest(&options.input)?;
    Ok(runtime()?.block_on(standing::loaded(options, stream.as_ref()))?)
}

/// This target's checkpoint, if it was taken on this stream.
pub fn rabbitmq(options: &RabbitOptions) -> anyhow::Result<Option<Checkpoint>> {
    let Some(stream) = manifest(&options.input)? else {
        return Ok(None);
    };
    let path = Checkpoint::path(options)?;
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    Ok(serde_json::from_str::<Checkpoint>(&text)
        .ok()
        .filter(|c| c.stream == StreamIdentity::of(&stream)))
}

/// Prints the plan, stage by stage, with what is done.
pub fn print(plan: &Plan) -> anyhow::Result<()> {
    println!("migration {}", plan.file.display());
    let dump = manifest(plan.dump())?;
    println!(
        "1. extract {} -> {}: {}",
        plan.source().shown(),
        plan.dump().display(),
        extract_state(dump.as_ref())
    );
    let stream = manifest(plan.events())?;
    println!(
        "2. transform {} -> {}: {}",
        plan.dump().display(),
        plan.events().display(),
        transform_state(stream.as_ref())
    );
    let mut n = 3;
    if let Some(pg) = &plan.migration.postgres {
        let state = match plan.postgres() {
            Ok(Some(options)) => postgres_state(&options, stream.as_ref()),
            Ok(None) => unreachable!("a [postgres] section gives options"),
            Err(e) => format!("cannot tell: {e:#}"),
        };
        let shown = super::config::Endpoint::of(&pg.url, &pg.url_env).shown();
        println!(
            "{n}. load postgres {} -> {shown}, prefix {}: {state}",
            plan.events().display(),
            pg.prefix.as_deref().unwrap_or("pancake"),
        );
        n += 1;
    }
    if let Some(r) = &plan.migration.rabbitmq {
        let state = match plan.rabbitmq() {
            Ok(Some(options)) => rabbit_state(&options, stream.as_ref()),
            Ok(None) => unreachable!("a [rabbitmq] section gives options"),
            Err(e) => format!("cannot tell: {e:#}"),
        };
        let shown = super::config::Endpoint::of(&r.url, &r.url_env).shown();
        println!(
            "{n}. load rabbitmq {} -> {shown}, exchange {}: {state}",
            plan.events().display(),
            r.exchange
        );
    }
    Ok(())
}

fn extract_state(dump: Option<&Manifest>) -> String {
    let Some(m) = dump else {
        return "not started".into();
    };
    let rows = count(m.totals().records);
    if m.complete {
        return format!("done ({rows} rows in {} tables)", m.tables.len());
    }
    let (done, tables) = ExtractSection::of(m).map_or((0, 0), |s| {
        (s.tables.values().filter(|t| t.done).count(), s.tables.len())
    });
    format!(
        "partly done ({rows} rows, {} parts; {done} of {tables} tables finished)",
        m.totals().parts
    )
}

fn transform_state(stream: Option<&Manifest>) -> String {
    let Some(m) = stream else {
        return "not started".into();
    };
    let Some(Ok(s)) = TransformSection::of(m) else {
        return "partly done (no accounting yet)".into();
    };
    let all = s.overall();
    let what = format!(
        "{} rows into {} events and {} rejects",
        count(all.rows),
        count(all.events_total()),
        count(all.rejected)
    );
    if m.complete {
        format!("done ({what})")
    } else {
        format!(
            "partly done ({} of {} input parts; {what})",
            all.parts_done, all.input_parts
        )
    }
}

fn postgres_state(options: &PgOptions, stream: Option<&Manifest>) -> String {
    let loaded = match postgres(options) {
        Ok(l) => l,
        Err(e) => return format!("cannot tell: {e:#}"),
    };
    let parts: u64 = stream.map_or(0, |s| s.tables.iter().map(|t| t.parts.len() as u64).sum());
    let finished = loaded
        .iter()
        .filter(|m| m.finished && m.this_stream == Some(true));
    if stream.is_some_and(|s| s.complete) && finished.count() == loaded.len() {
        return format!("done ({} modules, {parts} parts each)", loaded.len());
    }
    if loaded.iter().all(|m| m.parts == 0) {
        return "not started".into();
    }
    let each: Vec<String> = loaded
        .iter()
        .map(|m| format!("{} {}/{parts}", m.module, m.parts))
        .collect();
    format!("partly done (parts loaded: {})", each.join(", "))
}

fn rabbit_state(options: &RabbitOptions, stream: Option<&Manifest>) -> String {
    match rabbitmq(options) {
        Err(e) => format!("cannot tell: {e:#}"),
        Ok(None) => "not started".into(),
        Ok(Some(c)) if c.complete => format!("done ({} events confirmed)", count(c.events)),
        Ok(Some(c)) => format!(
            "partly done ({} of {} events confirmed)",
            count(c.events),
            count(stream.map_or(0, |s| s.tables.iter().map(|t| t.records()).sum()))
        ),
    }
}
