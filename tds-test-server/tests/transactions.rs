//! `@@TRANCOUNT` and savepoints, as SQL Server keeps them: `BEGIN TRAN`
//! nests, `COMMIT` takes one level, `ROLLBACK` ends the transaction or goes
//! back to a savepoint (`SAVE TRAN`), and every statement sees the count
//! its predecessors left, in one batch too; and `IF @@TRANCOUNT > 0 ...`.

mod common;

use common::*;

async fn trancount(client: &mut Conn) -> i32 {
    first_int(client, "SELECT @@TRANCOUNT").await.unwrap()
}

/// A batch that must fail, and its (number, message).
async fn fails(client: &mut Conn, sql: &str) -> (u32, String) {
    let e = match client.simple_query(sql).await {
        Err(e) => e,
        Ok(answer) => answer.into_results().await.expect_err(sql),
    };
    let (number, _, message) = server_error(e);
    (number, message)
}

#[tokio::test]
async fn trancount_follows_begin_commit_and_rollback() {
    let (_server, mut c) = serve_tiny_and_connect().await;
    assert_eq!(trancount(&mut c).await, 0);
    batch(&mut c, "BEGIN TRAN").await;
    assert_eq!(trancount(&mut c).await, 1);
    batch(&mut c, "BEGIN TRANSACTION inner_tran").await;
    assert_eq!(trancount(&mut c).await, 2);
    batch(&mut c, "COMMIT TRAN").await;
    assert_eq!(trancount(&mut c).await, 1);
    batch(&mut c, "BEGIN TRAN; BEGIN TRAN").await;
    assert_eq!(trancount(&mut c).await, 3);
    // ROLLBACK ends the transaction whatever its depth.
    batch(&mut c, "ROLLBACK").await;
    assert_eq!(trancount(&mut c).await, 0);
    // Each statement of a batch sees what the ones before it did.
    let results = batch(
        &mut c,
        "SELECT @@TRANCOUNT BEGIN TRAN SELECT @@TRANCOUNT COMMIT SELECT @@TRANCOUNT",
    )
    .await;
    let counts: Vec<Option<i32>> = results.iter().map(|r| r[0].get::<i32, _>(0)).collect();
    assert_eq!(counts, [Some(0), Some(1), Some(0)]);
    // And through sp_executesql.
    batch(&mut c, "BEGIN TRAN").await;
    let r = one_row_with(&mut c, "SELECT @@TRANCOUNT AS n, @P1 AS p", &[&1i32]).await;
    assert_eq!(r.get::<i32, _>(0), Some(1));
    batch(&mut c, "COMMIT").await;
}

#[tokio::test]
async fn save_tran_makes_a_savepoint_that_rollback_goes_back_to() {
    let (_server, mut c) = serve_tiny_and_connect().await;
    let no_transaction = (
        628,
        "Cannot issue SAVE TRANSACTION when there is no active transaction.".to_owned(),
    );
    assert_eq!(fails(&mut c, "SAVE TRAN s1").await, no_transaction);

    batch(&mut c, "BEGIN TRAN outer_tran; BEGIN TRAN").await;
    batch(&mut c, "SAVE TRAN s1; SAVE TRANSACTION s2").await;
    assert_eq!(trancount(&mut c).await, 2);
    // Back to a savepoint: the transaction stays, at its depth.
    batch(&mut c, "ROLLBACK TRAN s1").await;
    assert_eq!(trancount(&mut c).await, 2);
    // s2 came after s1: it is gone; s1 stays.
    let (number, message) = fails(&mut c, "ROLLBACK TRANSACTION s2").await;
    assert_eq!(
        (number, message.as_str()),
        (
            6401,
            "Cannot roll back s2. No transaction or savepoint of that name was found."
        )
    );
    batch(&mut c, "ROLLBACK TRAN s1").await;
    // Names are case-sensitive, and a failed ROLLBACK leaves all as it was.
    assert_eq!(fails(&mut c, "ROLLBACK TRAN OUTER_TRAN").await.0, 6401);
    assert_eq!(trancount(&mut c).await, 2);
    // The outermost BEGIN's name rolls the whole transaction back.
    batch(&mut c, "ROLLBACK TRAN outer_tran").await;
    assert_eq!(trancount(&mut c).await, 0);
    assert_eq!(fails(&mut c, "SAVE TRAN s1").await, no_transaction);

    // A savepoint named by an RPC's parameter; without one, error 137.
    batch(&mut c, "BEGIN TRAN").await;
    c.execute("SAVE TRAN @P1", &[&"from_param"]).await.unwrap();
    batch(&mut c, "ROLLBACK TRAN from_param").await;
    assert_eq!(trancount(&mut c).await, 1);
    assert_eq!(
        fails(&mut c, "SAVE TRAN @sp").await,
        (137, "Must declare the scalar variable \"@sp\".".to_owned())
    );
    // SAVE needs a name.
    assert_eq!(fails(&mut c, "SAVE TRAN").await.0, 102);
    batch(&mut c, "COMMIT").await;
    assert_eq!(trancount(&mut c).await, 0);
}

#[tokio::test]
async fn if_runs_its_statement_when_the_condition_holds() {
    // What pytds sends below TDS 7.2 to commit or roll back.
    let (_server, mut c) = serve_tiny_and_connect().await;
    batch(&mut c, "IF @@TRANCOUNT > 0 ROLLBACK").await;
    batch(&mut c, "IF @@TRANCOUNT > 0 COMMIT BEGIN TRANSACTION").await;
    // The IF governs the COMMIT alone: BEGIN ran.
    assert_eq!(trancount(&mut c).await, 1);
    batch(&mut c, "IF @@TRANCOUNT > 0 COMMIT BEGIN TRANSACTION").await;
    assert_eq!(trancount(&mut c).await, 1);
    batch(&mut c, "IF @@TRANCOUNT > 0 ROLLBACK").await;
    assert_eq!(trancount(&mut c).await, 0);
    let results = batch(&mut c, "IF 1 = 1 SELECT 7 AS n IF 1 = 0 SELECT 8 AS n").await;
    assert_eq!(results.len(), 1);
    assert_eq!(results[0][0].get::<i32, _>(0), Some(7));
    assert_eq!(fails(&mut c, "IF @@TRANCOUNT > 0").await.0, 102);
}
