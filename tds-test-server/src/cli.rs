//! The command line of the `tds_test_server` example: serve a preset or a
//! dump until interrupted.
//!
//! ```text
//! cargo run --release -p pancake-extract --example tds_test_server -- --preset tiny --port 14330
//! ```

use crate::{Server, ServerConfig, TlsConfig, prepare_preset};
use clap::Parser;
use pancake_proto::IoError;
use std::path::PathBuf;

/// Serve a pancake legacy dump over TDS, as a SQL Server would.
#[derive(Debug, Parser)]
#[command(name = "tds_test_server")]
struct Args {
    /// Generate (or reuse) this preset's dump and serve it: tiny, finland, sweden.
    #[arg(long, default_value = "tiny", conflicts_with = "dump")]
    preset: String,
    /// Multiplies the preset's sizes.
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// The data set's seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Serve this dump directory instead of a preset.
    #[arg(long)]
    dump: Option<PathBuf>,
    /// Where generated dumps are kept.
    #[arg(long, default_value = "target/tds-test-server")]
    cache: PathBuf,
    #[arg(long, default_value_t = 14330)]
    port: u16,
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    #[arg(long, default_value = "legacy")]
    database: String,
    #[arg(long, default_value = "pancake")]
    user: String,
    #[arg(long, default_value = "pancake-test-password")]
    password: String,
    /// Offer TLS with a certificate made now; its CA is written to
    /// `<cache>/tds-test-server-ca.pem`.
    #[arg(long)]
    tls: bool,
    /// Print connections and statements.
    #[arg(long, short)]
    verbose: bool,
}

/// Parses the process's arguments and serves until killed.
pub fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dump = match &args.dump {
        Some(d) => d.clone(),
        None => {
            eprintln!(
                "preparing preset {} (scale {}, seed {}) in {}",
                args.preset,
                args.scale,
                args.seed,
                args.cache.display()
            );
            prepare_preset(&args.preset, args.scale, args.seed, &args.cache)?
        }
    };
    let mut config = ServerConfig::new(&dump);
    config.database = args.database.clone();
    config.user = args.user.clone();
    config.password = args.password.clone();
    config.verbose = args.verbose;
    let mut ca_file = None;
    if args.tls {
        let tls = TlsConfig::self_signed()?;
        std::fs::create_dir_all(&args.cache).map_err(IoError::at("create", &args.cache))?;
        let path = args.cache.join("tds-test-server-ca.pem");
        tls.write_ca_pem(&path)?;
        ca_file = Some(std::fs::canonicalize(&path).map_err(IoError::at("resolve", &path))?);
        config.tls = Some(tls);
    }
    let addr = std::net::ToSocketAddrs::to_socket_addrs(&(args.bind.as_str(), args.port))?
        .next()
        .ok_or_else(|| anyhow::anyhow!("--bind {} resolves to no address", args.bind))?;
    let server = Server::start_blocking(config, addr)?;
    let addr = server.addr();
    println!("serving {} on {addr} (Ctrl-C stops)", dump.display());
    // The ADO.NET form as `pancake extract --mssql-url` reads it.
    let ado = format!(
        "Server=tcp:{},{};Database={};User Id={};Password={};{}",
        addr.ip(),
        addr.port(),
        args.database,
        args.user,
        args.password,
        match &ca_file {
            Some(ca) => format!("Encrypt=True;TrustServerCertificateCA={}", ca.display()),
            None => "Encrypt=False".to_owned(),
        }
    );
    match &ca_file {
        Some(ca) => println!("MSSQL_URL={}&ca_file={}", server.mssql_url(), ca.display()),
        None => println!("MSSQL_URL={}", server.mssql_url()),
    }
    println!("or, as an ADO.NET connection string: {ado}");
    loop {
        std::thread::park();
    }
}
