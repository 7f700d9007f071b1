//! Measures how fast rows come out of the TDS test server: a keyset scan of a
//! table with tiberius (the extractor's page statement, text as varbinary),
//! and the same table drained by the raw client, which does not decode rows
//! (`pancake_tds_test_server::ceiling`): paged, and in one SELECT.
//!
//!     cargo run --release -p pancake-tds-test-server --example scan -- finland Members 10000
//!
//! Arguments: preset (or a dump directory), table, rows per page.

use futures_util::TryStreamExt;
use pancake_tds_test_server::ceiling::{Reading, serve_table_with};
use pancake_tds_test_server::{Catalog, Server, ServerConfig, SqlType, prepare_preset};
use std::time::Instant;
use tiberius::{AuthMethod, Client, ColumnData, Config, EncryptionLevel};
use tokio::net::TcpStream;
use tokio_util::compat::TokioAsyncWriteCompatExt;

fn item(c: &pancake_tds_test_server::ColumnDef) -> String {
    match c.sql_type {
        SqlType::NVarChar(pancake_tds_test_server::Len::Max) => {
            format!("CAST([{0}] AS varbinary(max)) AS [{0}]", c.name)
        }
        SqlType::NVarChar(_) => format!("CAST([{0}] AS varbinary(8000)) AS [{0}]", c.name),
        _ => format!("[{}]", c.name),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let source = args.first().map_or("finland", String::as_str);
    let table = args.get(1).map_or("Members", String::as_str);
    let page: i64 = args.get(2).map_or(Ok(10_000), |s| s.parse())?;
    let dump = if std::path::Path::new(source).join("manifest.json").exists() {
        source.into()
    } else {
        prepare_preset(
            source,
            1.0,
            1,
            std::path::Path::new("target/tds-test-server"),
        )?
    };
    let server = Server::start(ServerConfig::new(&dump), "127.0.0.1:0".parse()?).await?;
    let catalog = Catalog::legacy();
    let def = catalog.table(table).expect("a legacy table");
    let key = &def.primary_key[0];
    let items: Vec<String> = def.columns.iter().map(item).collect();
    let sql = format!(
        "SELECT TOP (@P1) WITH TIES {} FROM [dbo].[{table}] WHERE [{key}] > @P2 AND [{key}] <= @P3 ORDER BY [{key}]",
        items.join(", ")
    );

    let mut config = Config::new();
    config.host("127.0.0.1");
    config.port(server.port());
    config.authentication(AuthMethod::sql_server("pancake", "pancake-test-password"));
    config.database("legacy");
    config.encryption(EncryptionLevel::NotSupported);
    let tcp = TcpStream::connect(server.addr()).await?;
    tcp.set_nodelay(true)?;
    let mut client = Client::connect(config, tcp.compat_write()).await?;

    let started = Instant::now();
    let mut lower = i64::MIN;
    let mut rows = 0u64;
    let mut bytes = 0u64;
    loop {
        let mut stream = client
            .query(&sql, &[&page, &lower, &i64::MAX])
            .await?
            .into_row_stream();
        let mut n = 0;
        while let Some(row) = stream.try_next().await? {
            for (i, cell) in row.into_iter().enumerate() {
                match cell {
                    // The key is the first column.
                    ColumnData::I32(Some(k)) if i == 0 => lower = i64::from(k),
                    ColumnData::I64(Some(k)) if i == 0 => lower = k,
                    ColumnData::Binary(Some(b)) => bytes += b.len() as u64,
                    _ => {}
                }
            }
            n += 1;
        }
        rows += n as u64;
        if n == 0 {
            break;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "tiberius: {rows} rows of {table} in {secs:.2} s: {:.0} rows/s ({:.1} MB of text)",
        rows as f64 / secs,
        bytes as f64 / 1e6
    );
    drop(client);

    // The server alone, drained undecoded by the raw client: paged as the
    // extractor pages, then in one batch of the whole table.
    let addr = server.addr();
    let def = def.clone();
    let readings = [
        (
            "paged",
            Reading {
                page_rows: Some(u32::try_from(page)?),
                packet_size: 4096,
            },
        ),
        (
            "one select",
            Reading {
                page_rows: None,
                packet_size: 32_767,
            },
        ),
    ];
    for (how, reading) in readings {
        let def = def.clone();
        let served = tokio::task::spawn_blocking(move || {
            serve_table_with(addr, "pancake", "pancake-test-password", &def, reading)
        })
        .await??;
        println!(
            "raw client, {how}: {} rows in {:.2} s: {:.0} rows/s, {:.0} MB/s on the wire",
            served.rows,
            served.seconds,
            served.rows_per_second(),
            served.bytes as f64 / 1e6 / served.seconds
        );
    }
    Ok(())
}
