//! Logging in with tiberius: the right credentials and database get in;
//! anything else fails as SQL Server fails it.

mod common;

use common::*;
use tiberius::AuthMethod;

#[tokio::test]
async fn the_right_login_gets_a_session_in_the_database() {
    let (server, mut client) = serve_tiny_and_connect().await;
    let row = one_row(
        &mut client,
        "SELECT DB_NAME() AS [database], @@SPID AS spid",
    )
    .await;
    assert_eq!(row.get::<&str, _>("database"), Some("legacy"));
    assert!(row.get::<i16, _>("spid").unwrap() >= 50);
    // The database name is matched case-insensitively, as SQL Server does.
    let mut c = config(&server);
    c.database("LEGACY");
    connect_config(&server, c).await.unwrap();
    // No database named: the default one.
    let c = config_without_database(&server);
    let mut client = connect_config(&server, c).await.unwrap();
    let row = one_row(&mut client, "SELECT DB_NAME()").await;
    assert_eq!(row.get::<&str, _>(0), Some("legacy"));
}

#[tokio::test]
async fn a_wrong_password_or_user_fails_with_18456() {
    let server = serve_tiny().await;
    for (user, password) in [(USER, "wrong"), ("sa", PASSWORD), ("", "")] {
        let mut c = config(&server);
        c.authentication(AuthMethod::sql_server(user, password));
        let e = connect_config(&server, c).await.unwrap_err();
        let (code, class, message) = server_error(e);
        assert_eq!((code, class), (18456, 14));
        assert_eq!(message, format!("Login failed for user '{user}'."));
    }
    assert!(server.queries().is_empty());
}

#[tokio::test]
async fn an_unknown_database_fails_with_4060_then_18456() {
    let server = serve_tiny().await;
    let mut c = config(&server);
    c.database("legacy_dev");
    let e = connect_config(&server, c).await.unwrap_err();
    // tiberius reports the first error of the login response.
    let (code, class, message) = server_error(e);
    assert_eq!((code, class), (4060, 11));
    assert_eq!(
        message,
        "Cannot open database \"legacy_dev\" requested by the login. The login failed."
    );
}

#[tokio::test]
async fn other_credentials_and_database_names_are_configurable() {
    let mut config_ = pancake_tds_test_server::ServerConfig::new(tiny());
    config_.user = "migrator".into();
    config_.password = "p@ss;word w/ spaces".into();
    config_.database = "DatingSite".into();
    let server = serve(config_).await;
    let mut c = config(&server);
    c.authentication(AuthMethod::sql_server("migrator", "p@ss;word w/ spaces"));
    c.database("DatingSite");
    let mut client = connect_config(&server, c).await.unwrap();
    let row = one_row(&mut client, "SELECT DB_NAME()").await;
    assert_eq!(row.get::<&str, _>(0), Some("DatingSite"));
    assert_eq!(
        server.mssql_url(),
        format!(
            "mssql://migrator:p%40ss%3Bword%20w%2F%20spaces@127.0.0.1:{}/DatingSite?encrypt=false",
            server.port()
        )
    );
    // The default login is refused.
    let e = connect_config(&server, config(&server)).await.unwrap_err();
    assert_eq!(server_error(e).0, 18456);
}

#[tokio::test]
async fn an_ado_string_from_the_server_connects_with_tiberius() {
    let server = serve_tiny().await;
    let c = tiberius::Config::from_ado_string(&server.ado_string()).unwrap();
    let mut client = connect_config(&server, c).await.unwrap();
    let row = one_row(&mut client, "SELECT 1").await;
    assert_eq!(row.get::<i32, _>(0), Some(1));
}
