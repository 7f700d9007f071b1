//! Both shapes a legacy table has on a server that holds it as it is: a
//! clean table with its primary key, and a heap whose rows repeat the key,
//! with a non-unique index on it. Both are read whole; a key the extractor
//! cannot page by is still refused.

mod common;

use common::*;
use pancake_proto::legacy::{self, Block, Photo};
use pancake_tds_test_server::{Catalog, HandMadeDump, LegacyTable, ServerConfig, same_rows};
use prost_types::Timestamp;
use std::path::Path;
use std::sync::{Arc, Mutex};

struct Warnings(Mutex<Vec<String>>);

impl pancake_extract::Progress for Warnings {
    fn warning(&self, m: &str) {
        self.0.lock().unwrap().push(m.to_owned());
    }
}

fn at(seconds: i64) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos: 0 })
}

/// Photos 1 to 5 (clean), and blocks whose key 2 is there three times and
/// key 4 twice, in key order; every other table empty.
fn write_dump(dir: &Path) {
    let block = |id: i32, blocker: i32| Block {
        block_id: id,
        blocker_id: Some(blocker),
        blocked_id: Some(100 + blocker),
        created_at: at(1_600_000_000 + i64::from(blocker)),
        removed_at: None,
    };
    let photo = |id: i32| Photo {
        photo_id: id,
        member_id: Some(1),
        url: Some(format!("https://example.com/{id}.jpg")),
        uploaded_at: at(1_500_000_000 + i64::from(id)),
        ..Default::default()
    };
    let dump = HandMadeDump::create(dir).unwrap();
    dump.table::<legacy::Member>(LegacyTable::Members, &[])
        .unwrap()
        .table::<legacy::Flirt>(LegacyTable::Flirts, &[])
        .unwrap()
        .table::<legacy::Message>(LegacyTable::Messages, &[])
        .unwrap()
        .table(
            LegacyTable::Blocks,
            &[
                block(1, 1),
                block(2, 2),
                block(2, 3),
                block(2, 4),
                block(3, 5),
                block(4, 6),
                block(4, 7),
            ],
        )
        .unwrap()
        .table::<legacy::Favorite>(LegacyTable::Favorites, &[])
        .unwrap()
        .table::<legacy::ProfileVisit>(LegacyTable::ProfileVisits, &[])
        .unwrap()
        .table(LegacyTable::Photos, &(1..=5).map(photo).collect::<Vec<_>>())
        .unwrap()
        .table::<legacy::PhotoLike>(LegacyTable::PhotoLikes, &[])
        .unwrap()
        .table::<legacy::SearchProfile>(LegacyTable::SearchProfiles, &[])
        .unwrap();
    dump.finish().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_table_and_a_heap_with_repeated_keys_are_read_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    write_dump(&dump);
    let server = serve(ServerConfig::new(&dump)).await;
    let out = tmp.path().join("out");
    let mut options = options(&server, &out);
    // Pages of two rows: key 2's three rows must come in one page.
    options.page_rows = 2;
    let warnings = Arc::new(Warnings(Default::default()));
    pancake_extract::extract(options, warnings.clone())
        .await
        .unwrap();
    let counts = same_rows(&dump, &out).unwrap();
    assert!(counts.contains(&("blocks", 7)), "{counts:?}");
    assert!(counts.contains(&("photos", 5)), "{counts:?}");

    let w = warnings.0.lock().unwrap().join("\n");
    assert!(
        w.contains("dbo.Blocks has no primary key: it is paged by 'BlockId' through its index IX_Blocks_BlockId, which is not unique"),
        "{w}"
    );
    assert!(
        !w.contains("dbo.Photos"),
        "the clean table is as before: {w}"
    );
    let pages = page_queries(&server, "Blocks");
    assert!(!pages.is_empty());
    for sql in &pages {
        assert!(
            sql.contains("TOP (@P1) WITH TIES")
                && sql.contains("WHERE [BlockId] > @P2 AND [BlockId] <= @P3 ORDER BY [BlockId]"),
            "{sql}"
        );
    }
}

#[tokio::test]
async fn a_heap_whose_key_allows_null_is_still_refused() {
    let mut catalog = Catalog::legacy();
    // Messages repeat their key in tiny: served as a heap.
    catalog
        .table_mut("Messages")
        .column_mut("MessageId")
        .unwrap()
        .nullable = true;
    let server = serve_catalog(catalog).await;
    let out = tempfile::tempdir().unwrap();
    let e = extract_error(options(&server, out.path())).await;
    assert!(
        e.contains("cannot page through dbo.Messages: its key column 'MessageId' allows NULL"),
        "{e}"
    );
    assert!(no_page_read(&server));
}
