//! A SQL Server client that is not tiberius: python-tds (pytds), pinned in
//! `tests/clients/requirements.txt` and installed by `scripts/services.sh`
//! into a virtual environment of the checkout's
//! (`pancake_tds_test_server::python_clients`), running
//! `tests/clients/read_all.py` against a server. What it prints is parsed
//! here; its format is in the script's docs.
//!
//! A machine without the client fails the test and says to run
//! `scripts/services.sh`: it never skips into green.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The pinned Python packages.
fn requirements() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/requirements.txt")
}

/// Where `scripts/services.sh` installs them.
fn environment() -> PathBuf {
    pancake_tds_test_server::python_clients()
}

/// The environment's Python, once it is known to hold the pinned packages
/// (`scripts/services.sh` copies the requirements there after installing
/// them). Panics saying what to do otherwise.
pub fn python() -> PathBuf {
    let env = environment();
    let python = env.join("bin/python");
    let pinned = std::fs::read_to_string(requirements()).expect("the requirements file");
    let installed = std::fs::read_to_string(env.join("requirements.txt")).unwrap_or_default();
    let imports = || {
        Command::new(&python)
            .args(["-c", "import pytds, OpenSSL"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    assert!(
        installed == pinned && imports(),
        "python-tds, the SQL Server client this test reads the test server with, is not \
         installed in {} (as pinned in {}): run scripts/services.sh, which installs it",
        env.display(),
        requirements().display()
    );
    python
}

/// How `read_all.py` connects and reads.
#[derive(Debug, Clone, Default)]
pub struct Read {
    /// "7.1" to "7.4"; `None`: pytds's default (7.4).
    pub tds_version: Option<&'static str>,
    /// TLS, trusting this CA; the host is then `localhost` (the name the
    /// server's certificate has and pytds checks).
    pub ca_file: Option<PathBuf>,
    /// With `ca_file`: TLS for the login only.
    pub login_only_tls: bool,
    /// Tables read through `sp_executesql` with a parameter.
    pub parameterized: bool,
    /// Text decoded as pytds does by default, which fails on a lone
    /// surrogate.
    pub strict_text: bool,
}

/// Runs `read_all.py` against the server on `port`, logging in as `user`
/// with `password` (passed in the environment, never on the command line).
pub fn run(port: u16, user: &str, password: &str, read: &Read) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/read_all.py");
    let mut cmd = Command::new(python());
    cmd.arg(script)
        .args(["--port", &port.to_string(), "--database", "legacy"])
        .args(["--user", user])
        .env("PANCAKE_TDS_PASSWORD", password);
    match &read.ca_file {
        Some(ca) => {
            cmd.args(["--host", "localhost", "--cafile"]).arg(ca);
            if read.login_only_tls {
                cmd.arg("--login-only-tls");
            }
        }
        None => {
            cmd.args(["--host", "127.0.0.1"]);
        }
    }
    if let Some(v) = read.tds_version {
        cmd.args(["--tds-version", v]);
    }
    if read.parameterized {
        cmd.arg("--parameterized");
    }
    if read.strict_text {
        cmd.arg("--strict-text");
    }
    cmd.output().expect("python runs")
}

/// One table as the client read it.
#[derive(Debug)]
pub struct TableRead {
    /// `schema.table`.
    pub name: String,
    pub key: String,
    pub columns: Vec<String>,
    /// pytds's type codes.
    pub types: Vec<i64>,
    pub rows: Vec<Vec<Value>>,
}

/// What a successful run printed.
#[derive(Debug)]
pub struct Session {
    /// `@@TRANCOUNT` right after connecting.
    pub trancount: i64,
    /// The TDS version the login agreed, as hex (`74000004`).
    pub tds_version: String,
    pub tables: Vec<TableRead>,
    /// `@@TRANCOUNT` after pytds's commit, at the end.
    pub trancount_after_commit: Option<i64>,
}

/// Parses a run's standard output.
pub fn parse(stdout: &[u8]) -> Session {
    let text = std::str::from_utf8(stdout).expect("UTF-8 output");
    let mut lines = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")));
    let first = lines.next().expect("a session line");
    let mut session = Session {
        trancount: first["session"]["trancount"].as_i64().expect("trancount"),
        tds_version: first["session"]["tds_version"].as_str().unwrap().to_owned(),
        tables: Vec::new(),
        trancount_after_commit: None,
    };
    let strings = |v: &Value| -> Vec<String> {
        let list = v.as_array().expect("a list");
        list.iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    };
    for line in lines {
        match line {
            Value::Object(o) if o.contains_key("committed") => {
                session.trancount_after_commit = o["committed"]["trancount"].as_i64();
            }
            Value::Array(row) => session
                .tables
                .last_mut()
                .expect("a table line before rows")
                .rows
                .push(row),
            header => session.tables.push(TableRead {
                name: header["table"].as_str().unwrap().to_owned(),
                key: header["key"].as_str().unwrap().to_owned(),
                columns: strings(&header["columns"]),
                types: header["types"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_i64().unwrap())
                    .collect(),
                rows: Vec::new(),
            }),
        }
    }
    session
}

/// Runs `read_all.py` and parses what it read; panics with its standard
/// error if it failed.
pub fn read_all(port: u16, user: &str, password: &str, read: &Read) -> Session {
    let out = run(port, user, password, read);
    assert!(
        out.status.success(),
        "read_all.py {read:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    parse(&out.stdout)
}
