//! `pancake seed`: a developer's local databases in one command: generate
//! a data set, transform it, load it into PostgreSQL. Each step reuses what
//! an earlier run left (the same dump, the same stream, the loaded parts).

use super::args::{PresetArgs, TargetArgs, runtime};
use super::load_postgres::{Bars, STAGE, log_end, print_summary, table_rows};
use crate::observe::stage;
use crate::progress;
use anyhow::Context;
use indicatif::MultiProgress;
use pancake_datasets::{GenerateOptions, generate};
use pancake_load::postgres;
use pancake_transform::{TransformOptions, transform};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// Generate a data set, transform it and load it into one PostgreSQL
/// database per module, for a developer's machine. Ends with each
/// module's database, its row counts and how to connect.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: PresetArgs,
    /// The folder that keeps the dump and the event stream, as
    /// dumps/<set> and events/<set> in it.
    #[arg(long, default_value = ".")]
    work_dir: PathBuf,
    #[command(flatten)]
    target: TargetArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let preset = args.data.preset()?;
    let scale = args.data.scale;
    let set = if scale == 1.0 {
        preset.name.to_owned()
    } else {
        format!("{}-x{scale}", preset.name)
    };
    let dump = args.work_dir.join("dumps").join(&set);
    let events = args.work_dir.join("events").join(&set);
    let started = Instant::now();
    let multi = MultiProgress::new();

    // 1. generate (nothing to do when the folder holds this exact dump).
    let bar = super::generate::Bar::new(
        multi.add(progress::bar(preset.scaled(scale).total_rows(), "rows")),
        preset.name,
        &dump,
    );
    bar.bar.set_message("generating");
    let options = GenerateOptions::new(preset, scale);
    let generated = generate(&dump, &options, false, &bar)
        .with_context(|| format!("generating {set} into {}", dump.display()))?;
    bar.bar.finish_and_clear();
    super::generate::log_end(&generated);
    println!(
        "1/3 dump {}: {} rows{}",
        dump.display(),
        progress::count(generated.section.total_rows()),
        if generated.up_to_date {
            " (already there)"
        } else {
            ""
        }
    );

    // 2. transform (resumes, or nothing to do when complete).
    let live = super::transform::Live::new(multi.add(progress::bar(0, "rows")), &dump, &events);
    let transformed = transform(&TransformOptions::new(dump.clone(), events.clone()), &live)
        .with_context(|| format!("transforming {} into {}", dump.display(), events.display()));
    live.bar.finish_and_clear();
    if let Ok(report) = &transformed {
        super::transform::log_end(report);
    }
    let transformed = transformed?;
    println!(
        "2/3 event stream {}: {} events, {} rows rejected{}",
        events.display(),
        progress::count(transformed.section.kinds.values().sum::<u64>()),
        progress::count(transformed.section.rejects.values().sum::<u64>()),
        if transformed.up_to_date {
            " (already there)"
        } else {
            ""
        }
    );

    // 3. load.
    let options = args.target.options(events.clone());
    let shown = postgres::server::Server::parse(&options.database_url)?.shown;
    stage::started(STAGE, &events.display().to_string(), &shown);
    let bars = Arc::new(Bars::new(multi.clone()));
    let report = runtime()?.block_on(postgres::load(&options, bars.clone()));
    bars.clear();
    let report = report.with_context(|| format!("loading {}", events.display()))?;
    log_end(&report);
    println!("3/3 loaded into PostgreSQL:");
    print_summary(&report);
    println!(
        "\nseeded {set} in {:.1} s. Your module databases:",
        started.elapsed().as_secs_f64()
    );
    for m in &report.modules {
        println!("  {:<9} {:<52} {}", m.module, m.database, table_rows(m));
    }
    if let Some(first) = report.modules.first() {
        println!(
            "connect with, e.g.: {}   (password from DATABASE_URL; PGPASSWORD=... or ~/.pgpass)",
            first.psql
        );
    }
    Ok(ExitCode::SUCCESS)
}
