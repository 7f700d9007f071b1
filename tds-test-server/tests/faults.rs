//! Faults armed while the server runs: cut connections, stalls, denied
//! tables, snapshot isolation turned off.

mod common;

use common::*;
use futures_util::TryStreamExt;
use pancake_proto::LegacyTable;
use pancake_proto::legacy::Message;
use pancake_tds_test_server::ServerConfig;
use std::time::{Duration, Instant};

const PAGE: &str = "SELECT TOP (@P1) WITH TIES [MessageId], CAST([Body] AS varbinary(max)) AS [Body] FROM [dbo].[Messages] WHERE [MessageId] > @P2 AND [MessageId] <= @P3 ORDER BY [MessageId]";

/// Reads a page's rows until the stream ends or fails: the keys read, and
/// whether it failed.
async fn read_page(client: &mut Conn, lower: i64) -> (Vec<i64>, Option<tiberius::error::Error>) {
    let mut keys = Vec::new();
    let stream = match client.query(PAGE, &[&97i64, &lower, &i64::MAX]).await {
        Ok(s) => s,
        Err(e) => return (keys, Some(e)),
    };
    let mut rows = stream.into_row_stream();
    loop {
        match rows.try_next().await {
            Ok(Some(row)) => keys.push(row.get::<i64, _>(0).unwrap()),
            Ok(None) => return (keys, None),
            Err(e) => return (keys, Some(e)),
        }
    }
}

#[tokio::test]
async fn drop_after_rows_cuts_the_connection_mid_page_the_given_number_of_times() {
    let server = serve_tiny().await;
    let messages = records::<Message>(tiny(), LegacyTable::Messages);
    let first_97: Vec<i64> = messages.iter().take(97).map(|m| m.message_id).collect();
    server.faults().drop_after_rows("messages", 50, 2);
    for _ in 0..2 {
        let mut client = connect(&server).await;
        let (keys, error) = read_page(&mut client, 0).await;
        assert_eq!(keys, first_97[..50], "the rows before the cut arrive");
        let error = error.expect("the page breaks off");
        assert!(
            !matches!(error, tiberius::error::Error::Server(_)),
            "a broken connection, not a server error: {error:?}"
        );
        // The connection is gone.
        assert!(client.simple_query("SELECT 1").await.is_err());
    }
    let mut client = connect(&server).await;
    let (keys, error) = read_page(&mut client, 0).await;
    assert!(error.is_none());
    assert_eq!(keys, first_97);
    // Other tables were never cut.
    server.faults().drop_after_rows("Messages", 10, 1);
    let r = rows(
        &mut client,
        "SELECT TOP (@P1) [MemberId] FROM [dbo].[Members] WHERE [MemberId] > @P2 ORDER BY [MemberId]",
        &[&100i64, &0i64],
    )
    .await;
    assert_eq!(r.len(), 100);
    // Nor are counts and bounds of the table.
    let r = rows(
        &mut client,
        "SELECT COUNT_BIG(*) FROM [dbo].[Messages] WHERE [MessageId] <= @P1",
        &[&i64::MAX],
    )
    .await;
    assert_eq!(r[0].get::<i64, _>(0), Some(messages.len() as i64));
    // A cut after more rows than the page has comes at its end, before DONE.
    server.faults().clear();
    server.faults().drop_after_rows("Messages", 1_000, 1);
    let (keys, error) = read_page(&mut client, 0).await;
    assert_eq!(keys.len(), 97);
    assert!(error.is_some());
}

#[tokio::test]
async fn stall_delays_page_queries_past_a_client_timeout() {
    let server = serve_tiny().await;
    server.faults().stall("dbo.Flirts", Duration::from_secs(30));
    let mut client = connect(&server).await;
    let page = "SELECT TOP (@P1) WITH TIES [FlirtId] FROM [dbo].[Flirts] WHERE [FlirtId] > @P2 AND [FlirtId] <= @P3 ORDER BY [FlirtId]";
    let started = Instant::now();
    let timed_out = tokio::time::timeout(Duration::from_millis(300), async {
        rows(&mut client, page, &[&10i64, &0i64, &i64::MAX]).await
    })
    .await;
    assert!(timed_out.is_err());
    assert!(started.elapsed() < Duration::from_secs(5));
    // Other statements and tables answer at once.
    let mut other = connect(&server).await;
    let r = rows(
        &mut other,
        "SELECT MIN([FlirtId]), MAX([FlirtId]) FROM [dbo].[Flirts]",
        &[],
    )
    .await;
    assert_eq!(r[0].get::<i64, _>(0), Some(5_000_000_001));
    // Cleared, the page comes.
    server.faults().stall("Flirts", Duration::ZERO);
    assert_eq!(
        rows(&mut other, page, &[&10i64, &0i64, &i64::MAX])
            .await
            .len(),
        10
    );
    // A short stall only delays.
    server.faults().stall("Flirts", Duration::from_millis(200));
    let started = Instant::now();
    assert_eq!(
        rows(&mut other, page, &[&10i64, &0i64, &i64::MAX])
            .await
            .len(),
        10
    );
    assert!(started.elapsed() >= Duration::from_millis(200));
    // Stopping the server does not wait for the stalled connection.
    server.faults().stall("Flirts", Duration::from_secs(60));
    let mut stalled = connect(&server).await;
    let _ = tokio::time::timeout(Duration::from_millis(100), async {
        rows(&mut stalled, page, &[&10i64, &0i64, &i64::MAX]).await
    })
    .await;
    let started = Instant::now();
    drop(server);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn deny_select_fails_data_queries_with_229() {
    let server = serve_tiny().await;
    server.faults().deny_select("Members");
    let mut client = connect(&server).await;
    let expected = (
        229,
        14,
        "The SELECT permission was denied on the object 'Members', database 'legacy', schema 'dbo'."
            .to_owned(),
    );
    let denied: [(&str, Vec<&dyn tiberius::ToSql>); 4] = [
        (
            "SELECT TOP (@P1) WITH TIES [MemberId] FROM [dbo].[Members] WHERE [MemberId] > @P2 AND [MemberId] <= @P3 ORDER BY [MemberId]",
            vec![&10i64, &0i64, &100i64],
        ),
        (
            "SELECT MIN([MemberId]), MAX([MemberId]) FROM [dbo].[Members]",
            vec![],
        ),
        (
            "SELECT COUNT_BIG(*) FROM [dbo].[Members] WHERE [MemberId] <= @P1",
            vec![&100i64],
        ),
        (
            "SELECT SUM(p.rows) FROM sys.partitions AS p WHERE p.object_id = OBJECT_ID(@P1) AND p.index_id IN (0, 1)",
            vec![&"[dbo].[Members]"],
        ),
    ];
    for (sql, params) in &denied {
        let e = client.query(*sql, params).await.unwrap_err();
        assert_eq!(server_error(e), expected, "{sql}");
    }
    // The catalog is still visible, and other tables readable.
    let cols = rows(
        &mut client,
        "SELECT c.COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS AS c WHERE c.TABLE_SCHEMA = @P1 AND c.TABLE_NAME = @P2",
        &[&"dbo", &"Members"],
    )
    .await;
    assert_eq!(cols.len(), 13);
    assert_eq!(
        first_int(&mut client, "SELECT COUNT(*) FROM dbo.Photos").await,
        Some(300)
    );
    server.faults().grant_select("dbo.members");
    assert_eq!(
        first_int(&mut client, "SELECT COUNT(*) FROM dbo.Members").await,
        Some(597)
    );
}

#[tokio::test]
async fn snapshot_isolation_fails_with_3952_when_the_database_does_not_allow_it() {
    let mut config = ServerConfig::new(tiny());
    config.allow_snapshot = false;
    let server = serve(config).await;
    let mut snap = connect(&server).await;
    // Setting the level succeeds; the first read fails.
    batch(&mut snap, "SET TRANSACTION ISOLATION LEVEL SNAPSHOT").await;
    let e = snap
        .query(
            "SELECT COUNT_BIG(*) FROM [dbo].[Members] WHERE [MemberId] <= @P1",
            &[&5i64],
        )
        .await
        .unwrap_err();
    assert_eq!(
        server_error(e),
        (
            3952,
            16,
            "Snapshot isolation transaction failed accessing database 'legacy' because snapshot isolation is not allowed in this database. Use ALTER DATABASE to allow snapshot isolation.".to_owned()
        )
    );
    // Read committed is fine, on this connection and others.
    let mut rc = connect(&server).await;
    assert_eq!(
        first_int(&mut rc, "SELECT COUNT(*) FROM dbo.Members").await,
        Some(597)
    );
    batch(&mut snap, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED").await;
    assert_eq!(
        first_int(&mut snap, "SELECT COUNT(*) FROM dbo.Members").await,
        Some(597)
    );
    // Allowed while running.
    batch(&mut snap, "SET TRANSACTION ISOLATION LEVEL SNAPSHOT").await;
    server.faults().set_allow_snapshot(true);
    assert_eq!(
        first_int(&mut snap, "SELECT COUNT(*) FROM dbo.Members").await,
        Some(597)
    );
}
