//! The served catalog never claims what SQL Server could not hold: a table
//! whose rows repeat its key is a heap with a non-unique index on it, a
//! column some row holds NULL in is nullable, and `INFORMATION_SCHEMA`,
//! `sys.*` and the TDS column metadata say the same.

mod common;

use common::*;
use pancake_proto::legacy::{Block, Member, Photo};
use pancake_tds_test_server::raw::{Login7, RawClient};
use pancake_tds_test_server::{Catalog, HandMadeDump, LegacyTable, Server, ServerConfig};

/// The nullable bit of the COLMETADATA flags of the one column `sql`
/// selects, read with the raw client (tiberius does not expose it).
fn metadata_nullable(server: &Server, sql: &str) -> bool {
    let (mut s, _) = RawClient::log_in(server.addr(), &Login7::new(USER, PASSWORD)).unwrap();
    let reply = s.sql_batch(sql).unwrap();
    assert_eq!(reply[0], 0x81, "{sql}: COLMETADATA first");
    assert_eq!(u16::from_le_bytes([reply[1], reply[2]]), 1, "{sql}");
    // UserType (4 bytes), then the flags: bit 0 is nullable.
    u16::from_le_bytes([reply[7], reply[8]]) & 1 == 1
}

/// What the server says of one table, every way it says it.
#[derive(Debug)]
struct Served {
    table: String,
    /// (column, IS_NULLABLE = 'YES', sys.columns.is_nullable, the
    /// COLMETADATA nullable bit, whether some row holds NULL in it).
    columns: Vec<(String, bool, bool, bool, bool)>,
    /// `PRIMARY KEY` columns in `INFORMATION_SCHEMA`.
    primary_key: Vec<String>,
    /// `sys.indexes`: (index_id, type, is_unique, is_primary_key, key
    /// columns by name).
    indexes: Vec<(i32, u8, bool, bool, Vec<String>)>,
    /// Whether two rows share the first column's value (the key).
    key_repeats: bool,
}

async fn served(server: &Server, client: &mut Conn, table: &str) -> Served {
    let (schema, name) = table.split_once('.').unwrap();
    let info = rows(
        client,
        "SELECT COLUMN_NAME, IS_NULLABLE FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = @P1 AND TABLE_NAME = @P2 ORDER BY ORDINAL_POSITION",
        &[&schema, &name],
    )
    .await;
    let sys = rows(
        client,
        "SELECT c.name, c.is_nullable FROM sys.columns AS c WHERE c.object_id = OBJECT_ID(@P1) ORDER BY c.column_id",
        &[&table],
    )
    .await;
    assert_eq!(info.len(), sys.len(), "{table}");
    let mut columns = Vec::new();
    for (i, s) in info.iter().zip(&sys) {
        let column = i.get::<&str, _>(0).unwrap().to_owned();
        assert_eq!(s.get::<&str, _>(0), Some(column.as_str()), "{table}");
        let nulls = rows(
            client,
            &format!("SELECT COUNT(*) FROM {table} WHERE [{column}] IS NULL"),
            &[],
        )
        .await[0]
            .get::<i32, _>(0)
            .unwrap();
        columns.push((
            column.clone(),
            i.get::<&str, _>(1) == Some("YES"),
            s.get::<bool, _>(1).unwrap(),
            metadata_nullable(server, &format!("SELECT TOP (0) [{column}] FROM {table}")),
            nulls > 0,
        ));
    }
    let primary_key = rows(
        client,
        "SELECT k.COLUMN_NAME FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS AS t JOIN INFORMATION_SCHEMA.KEY_COLUMN_USAGE AS k ON k.CONSTRAINT_NAME = t.CONSTRAINT_NAME AND k.TABLE_SCHEMA = t.TABLE_SCHEMA AND k.TABLE_NAME = t.TABLE_NAME WHERE t.CONSTRAINT_TYPE = 'PRIMARY KEY' AND t.TABLE_SCHEMA = @P1 AND t.TABLE_NAME = @P2 ORDER BY k.ORDINAL_POSITION",
        &[&schema, &name],
    )
    .await
    .iter()
    .map(|r| r.get::<&str, _>(0).unwrap().to_owned())
    .collect();
    let mut indexes = Vec::new();
    for r in rows(
        client,
        "SELECT i.index_id, i.type, i.is_unique, i.is_primary_key FROM sys.indexes AS i WHERE i.object_id = OBJECT_ID(@P1) ORDER BY i.index_id",
        &[&table],
    )
    .await
    {
        let id = r.get::<i32, _>(0).unwrap();
        let keys = rows(
            client,
            "SELECT c.name FROM sys.index_columns AS ic JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id WHERE ic.object_id = OBJECT_ID(@P1) AND ic.index_id = @P2 ORDER BY ic.key_ordinal",
            &[&table, &id],
        )
        .await
        .iter()
        .map(|r| r.get::<&str, _>(0).unwrap().to_owned())
        .collect();
        indexes.push((
            id,
            r.get::<u8, _>(1).unwrap(),
            r.get::<bool, _>(2).unwrap(),
            r.get::<bool, _>(3).unwrap(),
            keys,
        ));
    }
    let key = &columns[0].0;
    let keys: Vec<i64> = rows(
        client,
        &format!("SELECT CAST([{key}] AS bigint) FROM {table} ORDER BY [{key}]"),
        &[],
    )
    .await
    .iter()
    .map(|r| r.get::<i64, _>(0).unwrap())
    .collect();
    Served {
        table: table.to_owned(),
        columns,
        primary_key,
        indexes,
        key_repeats: keys.windows(2).any(|w| w[0] == w[1]),
    }
}

/// Checks that everything the server says of `s` agrees, with the rows too,
/// and with the declared schema where the rows allow it.
fn check(s: &Served, declared: &Catalog) {
    let table = &s.table;
    let def = declared.table(table).unwrap();
    for (column, info, sys, wire, holds_null) in &s.columns {
        assert_eq!(
            (info, sys),
            (wire, wire),
            "{table}.{column}: views and metadata"
        );
        let declared_nullable = def.column(column).unwrap().nullable;
        assert_eq!(
            *wire,
            declared_nullable || *holds_null,
            "{table}.{column}: nullable exactly when declared so or holding NULL"
        );
    }
    let key = vec![s.columns[0].0.clone()];
    if s.key_repeats {
        assert!(s.primary_key.is_empty(), "{table}: a PK over repeated keys");
        assert_eq!(
            s.indexes,
            vec![(0, 0, false, false, vec![]), (2, 2, false, false, key)],
            "{table}: a heap with a non-unique nonclustered index on the key"
        );
    } else {
        assert_eq!(s.primary_key, key, "{table}: keeps its primary key");
        assert_eq!(
            s.indexes,
            vec![(1, 1, true, true, key)],
            "{table}: a clustered primary key"
        );
    }
}

async fn check_all(server: &Server) -> Vec<Served> {
    let mut client = connect(server).await;
    let tables: Vec<String> = rows(
        &mut client,
        "SELECT TABLE_SCHEMA, TABLE_NAME FROM INFORMATION_SCHEMA.TABLES",
        &[],
    )
    .await
    .iter()
    .map(|r| {
        format!(
            "{}.{}",
            r.get::<&str, _>(0).unwrap(),
            r.get::<&str, _>(1).unwrap()
        )
    })
    .collect();
    let mut all = Vec::new();
    for t in &tables {
        let s = served(server, &mut client, t).await;
        check(&s, &Catalog::legacy());
        all.push(s);
    }
    all
}

#[tokio::test]
async fn every_table_of_tiny_is_served_as_a_server_could_hold_it() {
    let server = serve_tiny().await;
    let all = check_all(&server).await;
    assert_eq!(all.len(), 9);
    // tiny is dirty on purpose: both shapes and widened columns show.
    assert!(all.iter().any(|s| s.key_repeats), "{all:#?}");
    assert!(all.iter().any(|s| !s.key_repeats), "{all:#?}");
    let declared = Catalog::legacy();
    assert!(
        all.iter().any(|s| s.columns.iter().any(|c| c.4
            && !declared
                .table(&s.table)
                .unwrap()
                .column(&c.0)
                .unwrap()
                .nullable)),
        "some NOT NULL column of the schema holds NULL in tiny"
    );
}

fn member(id: i32, nickname: Option<&str>) -> Member {
    Member {
        member_id: id,
        nickname: nickname.map(str::to_owned),
        email: Some(format!("m{id}@example.com")),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_hand_made_dump_is_served_as_its_rows_allow() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dump");
    let block = |id: i32| Block {
        block_id: id,
        blocker_id: Some(1),
        blocked_id: Some(2),
        ..Default::default()
    };
    let photo = |id: i32| Photo {
        photo_id: id,
        member_id: Some(1),
        url: Some(format!("https://example.com/{id}.jpg")),
        ..Default::default()
    };
    let dump = HandMadeDump::create(&dir).unwrap();
    dump.table(
        LegacyTable::Members,
        &[member(1, Some("a")), member(2, None), member(3, Some("c"))],
    )
    .unwrap()
    .table(
        LegacyTable::Blocks,
        &[block(1), block(2), block(2), block(2), block(3)],
    )
    .unwrap()
    .table(LegacyTable::Photos, &[photo(1), photo(2)])
    .unwrap();
    dump.finish().unwrap();

    let server = serve(ServerConfig::new(&dir)).await;
    let all = check_all(&server).await;
    let get = |t: &str| all.iter().find(|s| s.table == t).unwrap();
    assert!(get("dbo.Blocks").key_repeats);
    assert!(get("dbo.Blocks").primary_key.is_empty());
    assert_eq!(get("dbo.Members").primary_key, ["MemberId"]);
    assert_eq!(get("dbo.Photos").primary_key, ["PhotoId"]);
    let nullable = |t: &str, c: &str| get(t).columns.iter().find(|x| x.0 == c).unwrap().3;
    assert!(nullable("dbo.Members", "Nickname"));
    assert!(!nullable("dbo.Members", "Email"));
    assert!(!nullable("dbo.Members", "MemberId"));
    // Blocks.CreatedAt is NULL in every row made here: nullable too.
    assert!(nullable("dbo.Blocks", "CreatedAt"));
    assert!(!nullable("dbo.Photos", "Url"));
}
