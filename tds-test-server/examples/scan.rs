//! Measures how fast rows come out of the TDS test server: a keyset scan of a
//! table with tiberius (the extractor's page statement, text as varbinary),
//! and the same table drained by a raw client that does not decode rows.
//!
//!     cargo run --release -p pancake-tds-test-server --example scan -- finland Members 10000
//!
//! Arguments: preset (or a dump directory), table, rows per page.

use futures_util::TryStreamExt;
use pancake_tds_test_server::{Catalog, Server, ServerConfig, SqlType, prepare_preset};
use std::io::{Read, Write};
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

    // The server alone: one batch of the whole table, drained undecoded.
    let addr = server.addr();
    let whole = format!(
        "SELECT {} FROM [dbo].[{table}] ORDER BY [{key}]",
        items.join(", ")
    );
    let (rows, secs, mb) = tokio::task::spawn_blocking(move || raw_scan(addr, &whole)).await??;
    println!(
        "raw client: {rows} rows in {secs:.2} s: {:.0} rows/s, {:.0} MB/s on the wire",
        rows as f64 / secs,
        mb / secs
    );
    Ok(())
}

fn packet(ty: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![ty, 1];
    p.extend_from_slice(&((payload.len() + 8) as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0, 1, 0]);
    p.extend_from_slice(payload);
    p
}

fn read_message(s: &mut std::net::TcpStream) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let mut h = [0u8; 8];
        s.read_exact(&mut h)?;
        let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
        let start = out.len();
        out.resize(start + len - 8, 0);
        s.read_exact(&mut out[start..])?;
        if h[1] & 1 == 1 {
            return Ok(out);
        }
    }
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

/// Logs in with a minimal LOGIN7 and drains one batch's response.
fn raw_scan(addr: std::net::SocketAddr, sql: &str) -> anyhow::Result<(u64, f64, f64)> {
    let mut s = std::net::TcpStream::connect(addr)?;
    s.set_nodelay(true)?;
    s.write_all(&packet(
        0x12,
        &[
            0x00, 0x00, 0x0B, 0x00, 0x06, 0x01, 0x00, 0x11, 0x00, 0x01, 0xFF, 0, 0, 0, 0, 0, 0,
            0x02,
        ],
    ))?;
    read_message(&mut s)?;
    let fields = [
        utf16("scan"),
        utf16("pancake"),
        utf16("pancake-test-password")
            .iter()
            .map(|b| b.rotate_left(4) ^ 0xA5)
            .collect(),
        utf16("scan"),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        utf16("legacy"),
    ];
    let mut login = vec![0u8; 36];
    login[4..8].copy_from_slice(&0x7400_0004u32.to_le_bytes());
    login[8..12].copy_from_slice(&32_767u32.to_le_bytes());
    let mut data = Vec::new();
    let mut offset = 94usize;
    for f in &fields {
        login.extend_from_slice(&(offset as u16).to_le_bytes());
        login.extend_from_slice(&((f.len() / 2) as u16).to_le_bytes());
        data.extend_from_slice(f);
        offset += f.len();
    }
    login.extend_from_slice(&[0; 6]);
    for _ in 0..3 {
        login.extend_from_slice(&(offset as u16).to_le_bytes());
        login.extend_from_slice(&[0, 0]);
    }
    login.extend_from_slice(&[0; 4]);
    login.extend_from_slice(&data);
    let len = login.len() as u32;
    login[..4].copy_from_slice(&len.to_le_bytes());
    s.write_all(&packet(0x10, &login))?;
    read_message(&mut s)?;
    let mut batch = Vec::new();
    batch.extend_from_slice(&22u32.to_le_bytes());
    batch.extend_from_slice(&18u32.to_le_bytes());
    batch.extend_from_slice(&2u16.to_le_bytes());
    batch.extend_from_slice(&[0; 8]);
    batch.extend_from_slice(&1u32.to_le_bytes());
    batch.extend_from_slice(&utf16(sql));
    let started = Instant::now();
    let mut wire = Vec::new();
    for chunk in batch.chunks(32_000) {
        wire.extend_from_slice(&packet(0x01, chunk));
    }
    s.write_all(&wire)?;
    let reply = read_message(&mut s)?;
    let secs = started.elapsed().as_secs_f64();
    let done = &reply[reply.len() - 13..];
    let rows = u64::from_le_bytes(done[5..].try_into()?);
    Ok((rows, secs, reply.len() as f64 / 1e6))
}
