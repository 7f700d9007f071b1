//! How fast a server serves one table on its own: the ceiling beside an
//! extraction's rate (`pancake bench --stages extract`, the `extract`
//! bench).
//!
//! [`serve_table`] logs in with the [raw client](crate::raw) (no TLS) and
//! reads the table the way the extractor pages it, but never decodes a row:
//! each reply is drained packet by packet and thrown away, and the row
//! count is the one the server's DONE tokens carry (`DoneRowCount`). What
//! is measured is the server's work and the socket, not a client's.
//!
//! The page statement is the extractor's (`TablePlan::page_sql` in
//! `pancake-extract`): `SELECT TOP (@P1) WITH TIES <columns> FROM t WHERE
//! key > @P2 AND key <= @P3 ORDER BY key` as an `sp_executesql` RPC with
//! `bigint` parameters, the same columns (those fed by a dump field) and
//! the same expressions (text as `varbinary`, `varchar` through `nvarchar`),
//! 10,000 rows a page. One difference lets the client find where the next
//! page starts without reading a row: the key column goes last, as
//! `CAST(key AS bigint)`, so that the last 8 bytes before the page's
//! DONEINPROC are its last key. The server does one cast more per row than
//! for the extractor. The upper bound `@P3` is `bigint`'s largest, where the
//! extractor reads `MAX(key)` first.
//!
//! [`Reading`] can instead ask for the whole table in one `SELECT <columns>
//! FROM t ORDER BY key` batch (no paging cost at all).
//!
//! `ends.rs` reads the end of each drained reply.

mod ends;

use crate::TableDef;
use crate::catalog::{Catalog, ColumnDef, Len, SqlType};
use crate::raw::{self, Login7, RPC, RawClient};
use anyhow::{Context, bail};
use ends::{batch_end, drain, page_end};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// The extractor's default page (`--page-rows`).
pub const EXTRACTOR_PAGE_ROWS: u32 = 10_000;

/// How long a reply may keep the client waiting before it gives up.
const REPLY_TIMEOUT: Duration = Duration::from_secs(120);

/// How the table is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// Rows per page of the extractor's page statement; `None` reads the
    /// whole table in one `SELECT ... ORDER BY key` batch.
    pub page_rows: Option<u32>,
    /// The packet size asked for at login (tiberius asks for 4096).
    pub packet_size: u32,
}

impl Default for Reading {
    /// As the extractor reads: pages of [`EXTRACTOR_PAGE_ROWS`], packets of
    /// 4096 bytes.
    fn default() -> Reading {
        Reading {
            page_rows: Some(EXTRACTOR_PAGE_ROWS),
            packet_size: 4096,
        }
    }
}

/// What serving a table took.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Served {
    /// Rows, as the server's DONE tokens count them.
    pub rows: u64,
    /// Bytes of the replies on the wire, packet headers included.
    pub bytes: u64,
    /// Requests sent (pages, or 1).
    pub requests: u64,
    /// From the first request to the end of the last reply (the connection
    /// and login are not counted).
    pub seconds: f64,
}

impl Served {
    pub fn rows_per_second(&self) -> f64 {
        self.rows as f64 / self.seconds.max(1e-9)
    }
}

/// Serves `table` (`dbo.Messages` or `Messages`), a table of
/// [`Catalog::legacy`], from the server at `addr`, logging in as `user`,
/// and reads it as the extractor does ([`Reading::default`]).
pub fn serve_table(
    addr: SocketAddr,
    user: &str,
    password: &str,
    table: &str,
) -> anyhow::Result<Served> {
    let catalog = Catalog::legacy();
    let Some(def) = catalog.table(table) else {
        let names: Vec<String> = catalog
            .tables
            .iter()
            .map(TableDef::qualified_name)
            .collect();
        bail!(
            "the legacy schema has no table {table:?} (tables: {})",
            names.join(", ")
        );
    };
    serve_table_with(addr, user, password, def, Reading::default())
}

/// Serves `table` as a server with it in its catalog serves it, read as
/// `reading` says. The key is the table's first primary key column, or the
/// first column of its index.
pub fn serve_table_with(
    addr: SocketAddr,
    user: &str,
    password: &str,
    table: &TableDef,
    reading: Reading,
) -> anyhow::Result<Served> {
    let name = table.qualified_name();
    read_table(addr, user, password, table, reading)
        .with_context(|| format!("serving {name} from the TDS server at {addr} (raw client)"))
}

fn read_table(
    addr: SocketAddr,
    user: &str,
    password: &str,
    table: &TableDef,
    reading: Reading,
) -> anyhow::Result<Served> {
    let Some(key) = table.primary_key.first().or(table.index.first()) else {
        bail!("it has neither a primary key nor an index to order it by");
    };
    if reading.page_rows == Some(0) {
        bail!("pages of 0 rows would never end");
    }
    let login = Login7::new(user, password).packet_size(reading.packet_size);
    let (mut client, reply) = RawClient::log_in(addr, &login).context("logging in")?;
    if let Some(number) = raw::first_error(&reply)? {
        let message = raw::error_message(&reply).unwrap_or_default();
        bail!("the login of {user:?} was refused: Msg {number}: {message}");
    }
    match raw::loginack_version(&reply) {
        None => bail!("the login's reply has no LOGINACK"),
        // `ends.rs` reads DONE tokens of TDS 7.2 and later (8-byte row
        // counts); a server below 7.2 sends narrower ones.
        Some(version) if raw::done_len(version) != raw::done_len(raw::TDS_7_4) => {
            bail!(
                "the server answered with TDS {version:#010x}; the ceiling reads TDS 7.2 and later"
            )
        }
        Some(_) => {}
    }
    client.get_mut().set_read_timeout(Some(REPLY_TIMEOUT))?;

    let from = format!("{}.{}", quote(&table.schema), quote(&table.name));
    let k = quote(key);
    let started = Instant::now();
    let mut served = Served {
        rows: 0,
        bytes: 0,
        requests: 0,
        seconds: 0.0,
    };
    match reading.page_rows {
        Some(page) => {
            let columns = select_list(
                table
                    .columns
                    .iter()
                    .filter(|c| !c.name.eq_ignore_ascii_case(key)),
            );
            let sql = format!(
                "SELECT TOP (@P1) WITH TIES {columns}CAST({k} AS bigint) AS {k} FROM {from} \
                 WHERE {k} > @P2 AND {k} <= @P3 ORDER BY {k}"
            );
            let mut after = i64::MIN;
            loop {
                let params = [i64::from(page), after, i64::MAX];
                client.send(RPC, &raw::executesql_with_bigints(&sql, &params))?;
                let reply = drain(&mut client)?;
                served.bytes += reply.bytes;
                served.requests += 1;
                let (rows, last) = page_end(&reply)?;
                served.rows += rows;
                if rows < u64::from(page) {
                    break;
                }
                match last {
                    Some(last) if last > after => after = last,
                    _ => bail!("a page of {rows} rows after key {after} did not end past it"),
                }
            }
        }
        None => {
            let columns = select_list(table.columns.iter());
            let columns = match columns.trim_end_matches(", ") {
                "" => k.as_str(),
                list => list,
            };
            let sql = format!("SELECT {columns} FROM {from} ORDER BY {k}");
            let mut batch = raw::all_headers();
            batch.extend_from_slice(&raw::utf16(&sql));
            client.send(raw::SQL_BATCH, &batch)?;
            let reply = drain(&mut client)?;
            served.bytes = reply.bytes;
            served.requests = 1;
            served.rows = batch_end(&reply)?;
        }
    }
    served.seconds = started.elapsed().as_secs_f64();
    Ok(served)
}

/// The columns a dump field feeds, as the extractor selects them, each
/// followed by `, `.
fn select_list<'a>(columns: impl Iterator<Item = &'a ColumnDef>) -> String {
    let mut out = String::new();
    for c in columns.filter(|c| c.field.is_some()) {
        out.push_str(&select_expr(c));
        out.push_str(", ");
    }
    out
}

/// As `SqlType::select_expr` in `pancake-extract`: text travels as its
/// UTF-16 bytes, `varchar` turned into `nvarchar` by the server first.
fn select_expr(c: &ColumnDef) -> String {
    let col = quote(&c.name);
    let chars = |len: Len| match len {
        Len::N(n) => Some(u32::from(n)),
        Len::Max => None,
    };
    let bin = |chars: Option<u32>| match chars {
        Some(n) if n <= 4000 => "varbinary(8000)",
        _ => "varbinary(max)",
    };
    let wide = |chars: Option<u32>| match chars {
        Some(n) if n <= 4000 => format!("nvarchar({n})"),
        _ => "nvarchar(max)".to_owned(),
    };
    let (unicode, chars) = match c.sql_type {
        SqlType::NVarChar(len) => (true, chars(len)),
        SqlType::NChar(n) => (true, Some(u32::from(n))),
        SqlType::NText => (true, None),
        SqlType::VarChar(len) => (false, chars(len)),
        SqlType::Char(n) => (false, Some(u32::from(n))),
        SqlType::Text => (false, None),
        _ => return col,
    };
    if unicode {
        format!("CAST({col} AS {}) AS {col}", bin(chars))
    } else {
        format!(
            "CAST(CAST({col} AS {}) AS {}) AS {col}",
            wide(chars),
            bin(chars)
        )
    }
}

/// `[name]`, with `]` doubled.
fn quote(name: &str) -> String {
    format!("[{}]", name.replace(']', "]]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_selected_as_the_extractor_selects_them() {
        let c = |ty| ColumnDef::new("C]x", Some("f"), ty, true);
        for (ty, expr) in [
            (SqlType::Int, "[C]]x]"),
            (
                SqlType::NVarChar(Len::N(50)),
                "CAST([C]]x] AS varbinary(8000)) AS [C]]x]",
            ),
            (SqlType::NText, "CAST([C]]x] AS varbinary(max)) AS [C]]x]"),
            (
                SqlType::VarChar(Len::N(45)),
                "CAST(CAST([C]]x] AS nvarchar(45)) AS varbinary(8000)) AS [C]]x]",
            ),
            (
                SqlType::Char(5000),
                "CAST(CAST([C]]x] AS nvarchar(max)) AS varbinary(max)) AS [C]]x]",
            ),
        ] {
            assert_eq!(select_expr(&c(ty)), expr, "{ty:?}");
        }
        let extra = ColumnDef::new("Extra", None, SqlType::Int, true);
        assert_eq!(select_list([c(SqlType::Int), extra].iter()), "[C]]x], ");
    }
}
