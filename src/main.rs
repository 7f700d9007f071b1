//! `pancake`: the command line. Thin on purpose: it parses flags, wires a
//! stage from the crates, shows progress and prints summaries.

mod cmd;
mod observe;
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
    #[command(flatten)]
    observe: observe::Args,
}

#[derive(Subcommand)]
enum Command {
    Generate(cmd::generate::Args),
    Extract(cmd::extract::Args),
    Transform(cmd::transform::Args),
    Load(cmd::load::Args),
    Seed(cmd::seed::Args),
    Bench(cmd::bench::Args),
    Verify(cmd::verify::Args),
    Inspect(cmd::inspect::Args),
    Run(cmd::run::Args),
}

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = Cli::parse();
    let observing = match observe::start(&cli.observe) {
        Ok(observing) => observing,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Generate(args) => cmd::generate::run(args),
        Command::Extract(args) => cmd::extract::run(args),
        Command::Transform(args) => cmd::transform::run(args),
        Command::Load(args) => cmd::load::run(args),
        Command::Seed(args) => cmd::seed::run(args),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Verify(args) => cmd::verify::run(args),
        Command::Inspect(args) => cmd::inspect::run(args),
        Command::Run(args) => cmd::run::run(args),
    };
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            // The error and its causes on one line, joined by ": " ({:#}).
            // Every error quotes its cause inline only when it does not
            // also return it as its source, so each cause shows once.
            // JSON logs get it as one more JSON line.
            let error = format!("{e:#}");
            match cli.observe.log_format {
                observe::logs::Format::Json => observe::stage::failed(&error),
                observe::logs::Format::Text => eprintln!("error: {error}"),
            }
            ExitCode::FAILURE
        }
    };
    observing.finish();
    code
}

/// Rust ignores SIGPIPE, so `pancake inspect ... | head` would panic on the
/// closed pipe. A command-line tool should simply stop, as `cat` does.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any other thread exists;
    // it only resets one signal's disposition to the default.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
