//! Serves a pancake data set over TDS for trying the extractor by hand:
//!
//!     cargo run --release -p pancake-extract --example tds_test_server -- --preset tiny --port 14330
//!
//! It prints the `MSSQL_URL` to use. See `pancake_tds_test_server::cli_main`.

fn main() -> anyhow::Result<()> {
    pancake_tds_test_server::cli_main()
}
