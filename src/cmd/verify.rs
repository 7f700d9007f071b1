//! `pancake verify`: every part against its trailer and the manifest.

use crate::observe::{Says, say};
use crate::progress;
use anyhow::Context;
use pancake_proto::verify::verify_dump;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Check a dump or event stream: every part is read whole and checked against
/// its trailer (count, checksum) and the manifest (count, size, checksum, key
/// and time ranges); an event stream's events per kind and rejects per reason
/// are checked against the transform's accounting. Exits non-zero and names
/// each bad part or table if any is wrong.
#[derive(clap::Args)]
pub struct Args {
    /// The dump or event stream folder (the one holding manifest.json).
    dir: PathBuf,
}

/// The `stage` of its log lines.
const STAGE: &str = "verify";

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let manifest = pancake_proto::Manifest::load(&args.dir)?;
    // A stream of another event contract is said once, not once per part.
    manifest.check_contract(&args.dir)?;
    let total = manifest
        .tables
        .iter()
        .chain(&manifest.sidecars)
        .map(|t| t.records())
        .fold(0u64, u64::saturating_add);
    let bar = progress::bar(total, "records");
    bar.set_message("verifying");
    let report = verify_dump(&args.dir, |records| bar.inc(records))
        .with_context(|| format!("verifying {}", args.dir.display()))?;
    bar.finish_and_clear();
    for warning in &report.warnings {
        say(Says::Warning, STAGE, "warning", &warning.to_string());
    }
    let dir = args.dir.display();
    if report.is_ok() {
        println!(
            "ok: {dir}: {} complete, {} parts, {} records, {} verified in {:.2} s ({} records/s)",
            report.manifest.kind.as_str(),
            report.parts_checked,
            progress::count(report.records_checked),
            progress::bytes(report.bytes_checked),
            started.elapsed().as_secs_f64(),
            progress::rate(report.records_checked, started.elapsed()),
        );
        if let Some(section) = &report.transform {
            let sum = |f: fn(&pancake_proto::verify::TableAccount) -> u64| {
                section.tables.values().map(f).fold(0, u64::saturating_add)
            };
            println!(
                "ok: the transform's accounting balances: {} rows read = {} with events + {} rejected; {} events and {} rejects held as counted",
                progress::count(sum(|t| t.rows)),
                progress::count(sum(|t| t.rows_with_events)),
                progress::count(sum(|t| t.rejected)),
                progress::count(section.kinds.values().fold(0, |a, &b| a.saturating_add(b))),
                progress::count(
                    section
                        .rejects
                        .values()
                        .fold(0, |a, &b| a.saturating_add(b))
                ),
            );
        } else if report.manifest.kind == pancake_proto::manifest::DumpKindName::EventStream {
            println!(
                "note: no transform section in the manifest: events and rejects were not checked against a transform's counts"
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    for problem in &report.problems {
        say(Says::Error, STAGE, "bad", &problem.to_string());
    }
    let failed = format!(
        "{dir} failed verification: {} problem(s) in {} parts checked; do not use it as it is: re-run the stage that wrote it",
        report.problems.len(),
        report.parts_checked,
    );
    say(Says::Error, STAGE, "error", &failed);
    Ok(ExitCode::FAILURE)
}
