//! `pancake run --config migration.toml`: the whole migration from one
//! file. Runs extract, transform, then each load, through the same calls
//! the subcommands make, each resuming where it stopped; then reconciles
//! every legacy table from the source's count to the rows loaded, and
//! fails unless it balances.

pub mod config;
pub mod plan;
pub mod reconcile;
pub mod status;
mod toml_error;

use anyhow::Context;
use plan::Plan;
use std::path::PathBuf;
use std::process::ExitCode;

/// Run a whole migration described by one TOML file: extract from the
/// legacy SQL Server, transform, load into PostgreSQL and/or RabbitMQ.
/// Each stage resumes where an earlier run stopped and skips what is
/// complete, so running the same command again continues. Ends with a
/// reconciliation per legacy table (source rows, dump rows, events,
/// rejects, events per module) and exits non-zero unless it balances.
///
/// Secrets stay out of the file: it names the environment variables that
/// hold the URLs (url_env = "MSSQL_URL"). See examples/migration.toml.
#[derive(clap::Args)]
pub struct Args {
    /// The migration file (TOML).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Show the plan and what is already done, stage by stage, and change
    /// nothing.
    #[arg(long)]
    print: bool,
    /// Also write the reconciliation to FILE as JSON.
    #[arg(long, value_name = "FILE")]
    report_json: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let plan = Plan::load(&args.config)?;
    if args.print {
        status::print(&plan)?;
        return Ok(ExitCode::SUCCESS);
    }
    // Every setting first, so a bad one stops the run before any stage.
    let extract = plan.extract()?;
    let transform = plan.transform()?;
    let postgres = plan.postgres()?;
    let rabbitmq = plan.rabbitmq()?;

    println!("== extract");
    super::extract::extract_showing_progress(extract)?;
    println!("== transform");
    super::transform::transform_showing_progress(&transform)?;
    if let Some(options) = &postgres {
        println!("== load postgres");
        super::load_postgres::load_showing_progress(options)?;
    }
    if let Some(options) = &rabbitmq {
        println!("== load rabbitmq");
        super::load::publish_showing_progress(options)?;
    }

    println!("== reconciliation");
    let loaded = postgres.as_ref().map(status::postgres).transpose()?;
    let checkpoint = rabbitmq.as_ref().map(status::rabbitmq).transpose()?;
    let report = reconcile::reconcile(
        plan.dump(),
        plan.events(),
        loaded.as_deref(),
        rabbitmq.as_ref().map(|r| {
            (
                r.exchange.as_str(),
                checkpoint.as_ref().and_then(|c| c.as_ref()),
            )
        }),
    )?;
    reconcile::print(&report);
    if let Some(path) = &args.report_json {
        let json = serde_json::to_string_pretty(&report).expect("the report serialises");
        std::fs::write(path, json + "\n")
            .with_context(|| format!("writing the report to {}", path.display()))?;
    }
    if report.balanced {
        Ok(ExitCode::SUCCESS)
    } else {
        anyhow::bail!(
            "the migration does not balance: {}",
            report.problems.join("; ")
        )
    }
}
