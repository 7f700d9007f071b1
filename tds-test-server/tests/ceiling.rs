//! The serving-rate ceiling: every table served to the raw client, paged as
//! the extractor pages it or in one SELECT, counts the dump's rows.

mod common;

use common::*;
use pancake_proto::Manifest;
use pancake_tds_test_server::ceiling::{Reading, serve_table, serve_table_with};
use pancake_tds_test_server::{BackgroundServer, Catalog, ServerConfig};

fn dump_rows(dump: &std::path::Path, table: &str) -> u64 {
    Manifest::load(dump)
        .unwrap()
        .table(table)
        .expect("the table is in the dump")
        .records()
}

#[test]
fn every_table_serves_the_dumps_rows_paged_as_the_extractor_pages() {
    let server = BackgroundServer::start(ServerConfig::new(tiny())).unwrap();
    for def in Catalog::legacy().tables {
        let name = format!("dbo.{}", def.name);
        let served = serve_table(server.addr(), USER, PASSWORD, &name).unwrap();
        let rows = dump_rows(tiny(), def.source.name());
        assert!(rows > 0, "{name}");
        assert_eq!(served.rows, rows, "{name}");
        assert!(served.bytes > rows * 8, "{name}: {served:?}");
        assert!(served.seconds > 0.0 && served.rows_per_second() > 0.0);
        // One page of 10,000 rows holds all of tiny's table.
        assert_eq!(served.requests, 1, "{name}");
    }
    // The page statement is the extractor's, with its parameters.
    let pages = server.query_log().matching("SELECT TOP (@P1) WITH TIES");
    assert_eq!(pages.len(), Catalog::legacy().tables.len());
    let page = pages.iter().find(|q| q.sql.contains("[Messages]")).unwrap();
    assert!(
        page.sql
            .contains("CAST([Body] AS varbinary(8000)) AS [Body]")
            && page
                .sql
                .contains("CAST(CAST([SenderIp] AS nvarchar(45)) AS varbinary(8000))")
            && page
                .sql
                .contains("WHERE [MessageId] > @P2 AND [MessageId] <= @P3 ORDER BY [MessageId]"),
        "{}",
        page.sql
    );
    assert_eq!(page.param("@P1").and_then(|v| v.as_i64()), Some(10_000));
}

#[test]
fn small_pages_and_one_select_count_the_same_rows() {
    let server = BackgroundServer::start(ServerConfig::new(tiny())).unwrap();
    let catalog = Catalog::legacy();
    // Messages is a heap on tiny: its key repeats, and WITH TIES keeps
    // equal keys in one page.
    for table in ["Messages", "Members", "SearchProfiles"] {
        let def = catalog.table(table).unwrap();
        let rows = dump_rows(tiny(), def.source.name());
        let paged = Reading {
            page_rows: Some(97),
            ..Reading::default()
        };
        let served = serve_table_with(server.addr(), USER, PASSWORD, def, paged).unwrap();
        assert_eq!(served.rows, rows, "{table}");
        assert!(served.requests > rows / 97, "{table}: {served:?}");

        let whole = Reading {
            page_rows: None,
            packet_size: 32_767,
        };
        let served = serve_table_with(server.addr(), USER, PASSWORD, def, whole).unwrap();
        assert_eq!((served.rows, served.requests), (rows, 1), "{table}");
    }
}

#[test]
fn a_refused_login_or_an_unknown_table_says_so_without_the_password() {
    let server = BackgroundServer::start(ServerConfig::new(tiny())).unwrap();
    let wrong = "a-wrong-password";
    let e = serve_table(server.addr(), USER, wrong, "Messages").unwrap_err();
    let message = format!("{e:#}");
    assert!(
        message.contains("serving dbo.Messages from the TDS server at")
            && message.contains("Msg 18456"),
        "{message}"
    );
    assert!(!message.contains(wrong) && !format!("{e:?}").contains(wrong));

    let e = serve_table(server.addr(), USER, PASSWORD, "dbo.Nope").unwrap_err();
    assert!(e.to_string().contains("dbo.Members"), "{e}");

    // A table the server does not serve: its error comes back.
    let mut def = Catalog::legacy().table("Members").unwrap().clone();
    def.name = "Gone".into();
    let e = serve_table_with(server.addr(), USER, PASSWORD, &def, Reading::default()).unwrap_err();
    let message = format!("{e:#}");
    assert!(message.contains("Msg 208"), "{message}");
}
