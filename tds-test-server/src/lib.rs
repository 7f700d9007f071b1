//! A small TDS 7.1 to 7.4 server (the SQL Server wire protocol) that serves
//! the legacy tables of a pancake dump, for testing the extractor where no
//! SQL Server can run.
//!
//! It speaks what tiberius 0.13 (`tds73`, `rustls`) needs, and what other
//! SQL Server clients send by default (python-tds reads every table in the
//! tests, at TDS 7.1 to 7.4, in the clear and over TLS): PRELOGIN (TLS 1.2
//! at most, optional), LOGIN7 with SQL authentication (LOGINACK with the
//! client's TDS version; below 7.3, `date`/`datetime2`/`datetimeoffset` as
//! `nvarchar` text; below 7.2, the narrower line numbers, row counts and
//! user types of TDS 7.1, and `text`/`ntext`/`image` parameters), SQL
//! batches, `sp_executesql` RPCs with parameters and transaction manager
//! requests, and answers with COLMETADATA, ROW/NBCROW, ENVCHANGE,
//! DONE/DONEINPROC/DONEPROC/RETURNSTATUS and ERROR tokens as SQL Server
//! does, in packets of the negotiated size.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use pancake_tds_test_server::{prepare_preset, Server, ServerConfig};
//! let dump = prepare_preset("tiny", 1.0, 1, std::path::Path::new("target/tds-test-server"))?;
//! let server = Server::start(ServerConfig::new(dump), "127.0.0.1:0".parse()?).await?;
//! println!("{}", server.mssql_url());
//! # Ok(()) }
//! ```
//!
//! # The database
//!
//! [`Catalog`] says which tables exist and how each column is fed from a
//! field of the dump's records; [`Catalog::legacy`] is
//! `datasets/sql/legacy-schema.sql`. A server serves it with its
//! constraints made to agree with the rows, as SQL Server would insist: a
//! table whose rows repeat its primary key (or hold NULL in it) is served
//! as a heap with a non-unique nonclustered index on the key, and a NOT NULL
//! column some row holds NULL in is served nullable, in
//! `INFORMATION_SCHEMA`, `sys.*` and the column metadata alike. A value is stored as SQL Server would
//! hold it in the column's type: `datetime` rounded to 1/300 s,
//! `smalldatetime` to the minute, `datetime2(s)` to its scale; `nchar(n)`
//! padded with spaces; `char`/`varchar`/`text` in code page 1252 with `?`
//! for what it cannot hold; strings longer than the column cut to it. A text
//! field holding a lone UTF-16 surrogate (the record's `raw_texts`) serves
//! its exact UTF-16 units. An integer into `uniqueidentifier` becomes
//! `00000000-0000-0000-XXXX-XXXXXXXXXXXX` (its big-endian bytes last, so
//! they sort as the integers). A column without a field (an extra column)
//! is NULL when nullable, otherwise derived from the row's key (the key
//! itself for integers, its digits for text, 2000-01-01 plus key mod 3650
//! days for dates). Every type can be selected directly, `text` and `ntext`
//! included (as TEXT/NTEXT tokens).
//!
//! # The SQL
//!
//! `src/sql/mod.rs` has the grammar. In short: `SELECT [TOP (n)
//! [WITH TIES]] items FROM table [WHERE ...] [ORDER BY key]` where an item is
//! a column, `*`, a nested `CAST(item AS type)`/`CONVERT(type, item)` with an
//! optional alias, `MIN`/`MAX`/`COUNT(*)`/`COUNT_BIG(*)`/`SUM`; constants
//! (`DB_NAME()`, `SERVERPROPERTY(..)`, `SYSUTCDATETIME()`, `@@VERSION`);
//! `INFORMATION_SCHEMA.COLUMNS`, `TABLES`, `TABLE_CONSTRAINTS` (joined with
//! `KEY_COLUMN_USAGE`), `sys.partitions`/`tables`/`schemas`/`indexes`/
//! `index_columns`/`columns` with `OBJECT_ID(..)`; `SET TRANSACTION
//! ISOLATION LEVEL ...`, `SET FMTONLY ON|OFF` (metadata only while on),
//! `SET <option> ON|OFF`; `USE` of the served database; `BEGIN TRAN`,
//! `COMMIT`, `ROLLBACK`, `SAVE TRAN` (nothing is written: they keep
//! `@@TRANCOUNT` and savepoints, and send the transaction's ENVCHANGEs). User tables are read in dump (key) order: `ORDER BY` may only
//! name the key column, ascending, and `WHERE` on the key column narrows the
//! scan (the rest filters rows). `JOIN` of user tables, `GROUP BY`, `OFFSET`,
//! `UNION` and anything else are `Msg 102` (syntax) or `Msg 50000` (not
//! implemented here).
//!
//! # Faults and the query log
//!
//! [`Server::faults`] arms cuts, stalls, denied tables and the snapshot
//! setting while the server runs; [`Server::queries`] lists every statement
//! with its parameters.
//!
//! [`same_rows`] checks that two dumps hold the same rows, for tests
//! that extract what this server serves.
//!
//! # Measuring, and talking TDS byte by byte
//!
//! [`raw`] is a minimal TDS client that sends exactly the packets a test
//! wants and reads replies without decoding rows; the wire-level tests use
//! it. [`ceiling::serve_table`] uses it to measure how fast the server
//! serves one table on its own (the ceiling beside the extractor's rate).
//!
//! # Layout
//!
//! The modules are private but for [`raw`] and [`ceiling`]; what callers
//! use of the others is re-exported here.
//!
//! - `server/`: [`Server`] and [`ServerConfig`]: the listener, a thread per
//!   connection, the login, and each request's statements.
//! - `tds/`: the wire format: packets, PRELOGIN and LOGIN7, RPC parameters,
//!   the tokens of a response.
//! - `tls.rs`: [`TlsConfig`], and TLS inside PRELOGIN packets.
//! - `sql/`: the T-SQL lexer, AST and parser.
//! - `exec/`: binding and running statements against user tables (read
//!   from the dump) and catalog views.
//! - `views/`: the catalog views' rows (`INFORMATION_SCHEMA`, `sys.*`;
//!   `indexes.rs`: `sys.indexes`, `sys.index_columns`, `sys.columns`).
//! - `value/`: SQL values: storing a dump field in a column, `CAST`,
//!   comparison, and [`SqlError`].
//! - `catalog/`: [`Catalog`], the tables and columns served and the
//!   fields feeding them (`types.rs`: [`SqlType`]; `served.rs`: the
//!   constraints made to agree with the dump's rows when a server loads it).
//! - `dump.rs`: the served dump's manifest and forward cursors over its
//!   parts; `record.rs`: typed access to a record's fields.
//! - `faults.rs`: [`Faults`] and the [`QueryLog`].
//! - `fill.rs`: a copy of a dump with the later legacy columns (profile
//!   text, height, flirt kind, note, sender IP, subject, deleted flags, ...)
//!   filled by key, edge values included, and `HandMadeDump`, a dump of
//!   given records, for tests.
//! - `raw/`: [`raw::RawClient`], the raw client (`request.rs`: what it
//!   sends; `reply.rs`: reading replies without result sets).
//! - `ceiling/`: [`ceiling::serve_table`], the server's serving rate.
//! - `compare.rs`: [`same_rows`]; `cli.rs`: [`cli_main`], the command line
//!   of the `tds_test_server` example.

mod catalog;
pub mod ceiling;
mod cli;
mod compare;
mod dump;
mod exec;
mod faults;
mod fill;
pub mod raw;
mod record;
mod server;
mod sql;
mod tds;
mod tls;
mod value;
mod views;

pub use catalog::{Catalog, ColumnDef, Len, SqlType, TableDef};
pub use cli::main as cli_main;
pub use compare::{RowCounts, same_rows};
pub use faults::{Faults, LoggedQuery, ParamValue, QueryLog, RequestKind};
/// For tests that need the issue-15 columns filled whatever the generator
/// does.
#[doc(hidden)]
pub use fill::{HandMadeDump, fill_later_columns};
pub use pancake_proto::LegacyTable;
pub use server::{BackgroundServer, Server, ServerConfig, ServerStats};
pub use sql::IsolationLevel;
pub use tls::TlsConfig;
pub use value::SqlError;

use pancake_proto::IoError;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Generates (or reuses, when up to date and written with this build's
/// schema) the legacy dump of a preset in
/// `dir/<preset>-scale<scale>-seed<seed>` and returns that directory.
///
/// Safe to call from parallel tests of one process; a fresh dump is written
/// beside its final name and moved there once whole.
pub fn prepare_preset(preset: &str, scale: f64, seed: u64, dir: &Path) -> anyhow::Result<PathBuf> {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let p = pancake_datasets::Preset::by_name(preset).ok_or_else(|| {
        anyhow::anyhow!(
            "unknown preset {preset:?} (presets: {})",
            pancake_datasets::Preset::names().join(", ")
        )
    })?;
    let out = dir.join(format!("{preset}-scale{scale}-seed{seed}"));
    let options = pancake_datasets::GenerateOptions {
        preset: p,
        scale,
        seed,
        threads: 0,
        write: pancake_proto::WriteOptions::default(),
    };
    if out.exists() {
        // The generator's own check compares options, not the schema: a dump
        // cached by a build with other record types is made again.
        let force = !readable_by_this_build(&out);
        pancake_datasets::generate(&out, &options, force, &())?;
        return Ok(out);
    }
    std::fs::create_dir_all(dir).map_err(IoError::at("create", dir))?;
    let temp = dir.join(format!(
        ".{preset}-scale{scale}-seed{seed}.tmp-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&temp);
    pancake_datasets::generate(&temp, &options, false, &())?;
    match std::fs::rename(&temp, &out) {
        Ok(()) => {}
        // Another process got there first: use its dump.
        Err(_) if out.exists() => {
            let _ = std::fs::remove_dir_all(&temp);
            pancake_datasets::generate(&out, &options, false, &())?;
        }
        Err(e) => return Err(IoError::new("rename", &temp, e).into()),
    }
    Ok(out)
}

/// Whether the first part of every table of the dump in `dir` has this
/// build's schema fingerprint (false when anything cannot be read).
fn readable_by_this_build(dir: &Path) -> bool {
    let Ok(manifest) = pancake_proto::Manifest::load(dir) else {
        return false;
    };
    manifest
        .all_tables()
        .filter_map(|t| t.parts.first())
        .all(|p| pancake_proto::PartReader::open(&dir.join(&p.file), &Default::default()).is_ok())
}

/// Where `scripts/services.sh` installs the pinned Python test clients
/// (python-tds, prometheus_client): `$PANCAKE_PYTHON_CLIENTS`, or
/// `target/python-clients` in this checkout, so that two checkouts pinning
/// different versions never undo each other's install. For tests.
#[doc(hidden)]
pub fn python_clients() -> std::path::PathBuf {
    std::env::var_os("PANCAKE_PYTHON_CLIENTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/python-clients")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_folder_that_cannot_be_made_is_named_in_the_error() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("a-file");
        std::fs::write(&file, b"").unwrap();
        let cache = file.join("cache");
        let e = prepare_preset("tiny", 1.0, 1, &cache).unwrap_err();
        let message = e.to_string();
        assert!(
            message.starts_with(&format!("{}: cannot create: ", cache.display())),
            "{message}"
        );
        assert!(e.source().is_none(), "{e:?}");
    }

    #[test]
    fn a_cached_dump_this_build_cannot_read_is_made_again() {
        let tmp = tempfile::tempdir().unwrap();
        let dump = prepare_preset("tiny", 0.2, 1, tmp.path()).unwrap();
        let manifest = pancake_proto::Manifest::load(&dump).unwrap();
        let first = dump.join(&manifest.table("members").unwrap().parts[0].file);
        // As a part written with another schema, this build cannot read it.
        std::fs::write(&first, b"not a part of this schema").unwrap();
        assert!(!readable_by_this_build(&dump));
        let again = prepare_preset("tiny", 0.2, 1, tmp.path()).unwrap();
        assert_eq!(again, dump);
        assert!(readable_by_this_build(&dump));
    }
}
