//! Sites whose schema drifted: renamed tables and columns through a mapping
//! file, other SQL types, and keys the extractor must refuse.

mod common;

use common::*;
use pancake_extract::Mapping;
use pancake_tds_test_server::{Catalog, Len, SqlType, same_rows};

/// The mapping a file holding `text` gives.
fn mapping(text: &str) -> Mapping {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mapping.toml");
    std::fs::write(&path, text).unwrap();
    Mapping::from_file(&path).unwrap()
}

fn renamed_catalog() -> Catalog {
    let mut catalog = Catalog::legacy();
    let users = catalog.table_mut("Members");
    users.schema = "legacy".into();
    users.name = "Users".into();
    users.rename_column("MemberId", "UserId");
    users.rename_column("Nickname", "ScreenName");
    catalog
        .table_mut("Messages")
        .rename_column("Body", "Text")
        .rename_column("ReadAt", "SeenAt");
    catalog
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_file_reads_renamed_tables_and_columns() {
    let server = serve_catalog(renamed_catalog()).await;
    let out = tempfile::tempdir().unwrap();
    let mut o = options(&server, out.path());
    o.mapping = mapping(
        r#"
        [members]
        table = "legacy.Users"
        [members.columns]
        member_id = "UserId"
        nickname = "ScreenName"

        [messages.columns]
        body = "Text"
        read_at = "SeenAt"
        "#,
    );
    extract(o).await.unwrap();
    same_rows(tiny(), out.path()).unwrap();
    let pages = page_queries(&server, "Users");
    assert!(pages[0].contains("[legacy].[Users]") && pages[0].contains("[UserId] > @P2"));
}

#[tokio::test]
async fn without_the_mapping_a_renamed_table_fails_before_any_row_is_read() {
    let server = serve_catalog(renamed_catalog()).await;
    let out = tempfile::tempdir().unwrap();
    let e = extract_error(options(&server, out.path())).await;
    assert!(
        e.contains("table dbo.Members (the dump's 'members') is not on the server"),
        "{e}"
    );
    assert!(e.contains("--mapping"), "{e}");
    assert!(no_page_read(&server));
    assert!(!out.path().join("manifest.json").exists());
}

#[tokio::test]
async fn a_missing_column_is_named_with_the_columns_that_exist() {
    let server = serve_catalog(renamed_catalog()).await;
    let out = tempfile::tempdir().unwrap();
    let mut o = options(&server, out.path());
    // The table is mapped, one renamed column is not.
    o.mapping =
        mapping("[members]\ntable = \"legacy.Users\"\n[members.columns]\nmember_id = \"UserId\"\n");
    let e = extract_error(o).await;
    assert!(
        e.contains("column 'Nickname' (the dump's members.nickname) is not in legacy.Users"),
        "{e}"
    );
    assert!(e.contains("ScreenName"), "{e}");
    assert!(no_page_read(&server));
}

#[tokio::test]
async fn a_column_of_the_wrong_kind_is_refused_with_its_type() {
    let server = serve_tiny().await;
    let out = tempfile::tempdir().unwrap();
    let mut o = options(&server, out.path());
    o.mapping = mapping("[members.columns]\nbirth_date = \"Gender\"\n");
    let e = extract_error(o).await;
    assert!(
        e.contains("column dbo.Members.Gender is tinyint, which cannot fill the dump's members.birth_date (a date)"),
        "{e}"
    );
}

/// The types a real site has, where they can hold the data set exactly.
fn wide_catalog() -> Catalog {
    let mut c = Catalog::legacy();
    c.table_mut("Members")
        .set_type("MemberId", SqlType::BigInt)
        .set_type("Gender", SqlType::SmallInt)
        .set_type("BirthDate", SqlType::DateTime2 { scale: 0 })
        .set_type("Email", SqlType::VarChar(Len::N(254)))
        .set_type("City", SqlType::NChar(100))
        .set_type("RegisteredAt", SqlType::DateTimeOffset { scale: 7 })
        .set_type("ApprovedAt", SqlType::DateTime2 { scale: 7 })
        .set_type("PortraitUrl", SqlType::NText);
    c.table_mut("Members")
        .column_mut("RegisteredAt")
        .unwrap()
        .offset_minutes = 120;
    c.table_mut("Flirts")
        .set_type(
            "FlirtId",
            SqlType::Decimal {
                precision: 19,
                scale: 0,
            },
        )
        .set_type("SenderId", SqlType::BigInt)
        .set_type(
            "RecipientId",
            SqlType::Numeric {
                precision: 10,
                scale: 0,
            },
        )
        .set_type("SentAt", SqlType::DateTime2 { scale: 3 });
    c.table_mut("Messages")
        .set_type("Body", SqlType::NVarChar(Len::Max))
        .set_type("ReadAt", SqlType::DateTimeOffset { scale: 0 });
    c.table_mut("Messages")
        .column_mut("ReadAt")
        .unwrap()
        .offset_minutes = -300;
    c.table_mut("Blocks")
        .set_type("BlockerId", SqlType::BigInt)
        .set_type(
            "BlockedId",
            SqlType::Decimal {
                precision: 12,
                scale: 2,
            },
        );
    c.table_mut("Photos")
        .set_type("Url", SqlType::NVarChar(Len::Max));
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_sql_types_give_the_same_records() {
    let server = serve_catalog(wide_catalog()).await;
    let out = tempfile::tempdir().unwrap();
    extract(options(&server, out.path())).await.unwrap();
    same_rows(tiny(), out.path()).unwrap();
}

#[tokio::test]
async fn a_composite_key_is_refused_clearly() {
    let mut catalog = Catalog::legacy();
    // Photos.MemberId never holds NULL in tiny, so the server keeps this key.
    catalog.table_mut("Photos").primary_key = vec!["PhotoId".into(), "MemberId".into()];
    let server = serve_catalog(catalog).await;
    let out = tempfile::tempdir().unwrap();
    let e = extract_error(options(&server, out.path())).await;
    assert!(
        e.contains(
            "cannot page through dbo.Photos: its primary key is composite (PhotoId, MemberId)"
        ),
        "{e}"
    );
    assert!(no_page_read(&server));
}

#[tokio::test]
async fn a_non_integer_key_is_refused_clearly() {
    let mut catalog = Catalog::legacy();
    let members = catalog.table_mut("Members");
    members.set_type("MemberId", SqlType::UniqueIdentifier);
    members.column_mut("MemberId").unwrap().field = None;
    let server = serve_catalog(catalog).await;
    let out = tempfile::tempdir().unwrap();
    let e = extract_error(options(&server, out.path())).await;
    assert!(
        e.contains("cannot page through dbo.Members: its key column 'MemberId' is uniqueidentifier, not an integer"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_without_a_primary_key_is_read_with_a_warning() {
    let mut catalog = Catalog::legacy();
    // Messages as a heap: its duplicate keys are still read whole.
    catalog.table_mut("Messages").primary_key.clear();
    let server = serve_catalog(catalog).await;
    let out = tempfile::tempdir().unwrap();
    struct Warnings(std::sync::Mutex<Vec<String>>);
    impl pancake_extract::Progress for Warnings {
        fn warning(&self, m: &str) {
            self.0.lock().unwrap().push(m.to_owned());
        }
    }
    let warnings = std::sync::Arc::new(Warnings(Default::default()));
    pancake_extract::extract(options(&server, out.path()), warnings.clone())
        .await
        .unwrap();
    let w = warnings.0.lock().unwrap().join("\n");
    assert!(w.contains("dbo.Messages has no primary key"), "{w}");
    same_rows(tiny(), out.path()).unwrap();
}
