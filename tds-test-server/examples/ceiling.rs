//! The serving ceiling of a running test server (or any server with the
//! legacy tables): every legacy table read with the extractor's pages by
//! the raw client, which decodes no row. For measuring `pancake extract`
//! against a server in another process, alternating the two:
//!
//!     cargo run --release -p pancake-tds-test-server --example ceiling -- 127.0.0.1:14330
//!
//! Arguments: the server's address, then optionally the user and password
//! (the test server's defaults otherwise).

use pancake_tds_test_server::LegacyTable;
use pancake_tds_test_server::ceiling::serve_table;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addr = args
        .first()
        .map_or("127.0.0.1:14330", String::as_str)
        .parse()?;
    let user = args.get(1).map_or("pancake", String::as_str);
    let password = args.get(2).map_or("pancake-test-password", String::as_str);
    let (mut rows, mut seconds) = (0u64, 0f64);
    for table in LegacyTable::ALL {
        let served = serve_table(addr, user, password, table.sql_name())?;
        println!(
            "{:<16} {:>10} rows {:>8.2} s {:>10.0} rows/s",
            table.sql_name(),
            served.rows,
            served.seconds,
            served.rows_per_second()
        );
        rows += served.rows;
        seconds += served.seconds;
    }
    println!(
        "{:<16} {rows:>10} rows {seconds:>8.2} s {:>10.0} rows/s",
        "total",
        rows as f64 / seconds
    );
    Ok(())
}
