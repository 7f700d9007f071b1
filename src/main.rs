//! `pancake`: the command line. Thin on purpose: it parses flags, wires a
//! stage from the crates, shows progress and prints summaries.

mod cmd;
mod progress;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Migrate a dating site's legacy SQL Server history into event-driven
/// modules: generate or extract dumps, transform them into domain events,
/// load the events into RabbitMQ or PostgreSQL.
#[derive(Parser)]
#[command(name = "pancake", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Generate(cmd::generate::Args),
    Verify(cmd::verify::Args),
    Inspect(cmd::inspect::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate(args) => cmd::generate::run(args),
        Command::Verify(args) => cmd::verify::run(args),
        Command::Inspect(args) => cmd::inspect::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
