//! The columns a real legacy site had beside the first schema (issue 15):
//! extracted into their fields exactly, and, on an older database that
//! lacks them, left NULL with a warning.

mod common;

use common::*;
use pancake_extract::{AnomalyKind, ExtractSection, Mapping};
use pancake_proto::legacy::{Flirt, Member, Message, RawText};
use pancake_proto::{LegacyTable, Manifest};
use pancake_tds_test_server::{Catalog, ServerConfig, same_rows};
use std::sync::{Arc, Mutex};

/// The columns issue 15 added, by table.
const LATER: [(&str, &[&str]); 3] = [
    ("Members", &["ProfileText", "HeightCm", "LastLoginAt"]),
    ("Flirts", &["Kind", "Note", "SenderIp", "SeenAt"]),
    (
        "Messages",
        &[
            "Subject",
            "SenderIp",
            "DeletedBySender",
            "DeletedByRecipient",
        ],
    ),
];

/// The legacy schema as it was before those columns.
fn older_catalog() -> Catalog {
    let mut c = Catalog::legacy();
    for (table, columns) in LATER {
        c.table_mut(table)
            .columns
            .retain(|col| !columns.contains(&col.name.as_str()));
    }
    c
}

#[derive(Default)]
struct Warnings(Mutex<Vec<String>>);

impl pancake_extract::Progress for Warnings {
    fn warning(&self, m: &str) {
        self.0.lock().unwrap().push(m.to_owned());
    }
}

fn raw_count(raw: &[RawText], column: &str) -> u64 {
    raw.iter().filter(|r| r.column == column).count() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_later_columns_come_through_as_the_dump_holds_them() {
    let dump = tiny_filled();
    let server = serve(ServerConfig::new(dump)).await;
    let out = tempfile::tempdir().unwrap();
    extract(options(&server, out.path())).await.unwrap();
    // Every field of every row, raw_texts included.
    same_rows(dump, out.path()).unwrap();

    // Lone surrogates in the new text columns came through raw, each
    // counted once, beside those of the old columns.
    let section = ExtractSection::of(&Manifest::load(out.path()).unwrap()).unwrap();
    let invalid = |table: &str| {
        section.tables[table]
            .anomalies
            .get(&AnomalyKind::InvalidUtf16)
            .copied()
            .unwrap_or(0)
    };
    let members = records::<Member>(dump, LegacyTable::Members);
    let flirts = records::<Flirt>(dump, LegacyTable::Flirts);
    let messages = records::<Message>(dump, LegacyTable::Messages);
    let in_profiles: u64 = members
        .iter()
        .map(|m| raw_count(&m.raw_texts, "profile_text"))
        .sum();
    let in_notes: u64 = flirts.iter().map(|f| raw_count(&f.raw_texts, "note")).sum();
    let in_subjects: u64 = messages
        .iter()
        .map(|m| raw_count(&m.raw_texts, "subject"))
        .sum();
    assert!(in_profiles > 0 && in_notes > 0 && in_subjects > 0);
    let all = |raw: &[RawText]| raw.len() as u64;
    assert_eq!(
        invalid("members"),
        members.iter().map(|m| all(&m.raw_texts)).sum::<u64>()
    );
    assert_eq!(invalid("flirts"), in_notes);
    assert_eq!(
        invalid("messages"),
        messages.iter().map(|m| all(&m.raw_texts)).sum::<u64>()
    );
    // Both values of each flag, and NULL and not for the rest, were there
    // to compare.
    assert!(messages.iter().any(|m| m.deleted_by_sender == Some(true)));
    assert!(messages.iter().any(|m| m.deleted_by_sender == Some(false)));
    assert!(members.iter().any(|m| m.height_cm.is_none()));
    assert!(members.iter().any(|m| m.height_cm == Some(32_767)));
    assert!(flirts.iter().any(|f| f.sender_ip.is_none()));
    assert!(flirts.iter().any(|f| f.seen_at.is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_database_without_the_later_columns_leaves_them_null() {
    let dump = tiny_filled();
    let mut config = ServerConfig::new(dump);
    config.catalog = older_catalog();
    let server = serve(config).await;
    let out = tempfile::tempdir().unwrap();
    let warnings = Arc::new(Warnings::default());
    // The default mapping, as a site's mapping file that predates the
    // columns gives it.
    pancake_extract::extract(options(&server, out.path()), warnings.clone())
        .await
        .unwrap();
    let w = warnings.0.lock().unwrap().join("\n");
    assert!(
        w.contains("dbo.Flirts has no column 'Kind' (an older schema?): flirts.kind is left NULL"),
        "{w}"
    );
    assert_eq!(w.matches("is left NULL").count(), 11, "{w}");
    // The query never names them.
    assert!(
        page_queries(&server, "Messages")
            .iter()
            .all(|q| !q.contains("[Subject]") && !q.contains("[DeletedBySender]"))
    );

    // The rows are the dump's with those fields empty.
    let got = records::<Member>(out.path(), LegacyTable::Members);
    let mut want = records::<Member>(dump, LegacyTable::Members);
    for m in &mut want {
        m.profile_text = None;
        m.height_cm = None;
        m.last_login_at = None;
        m.raw_texts.retain(|r| r.column != "profile_text");
    }
    assert_eq!(got, want);
    let got = records::<Flirt>(out.path(), LegacyTable::Flirts);
    let mut want = records::<Flirt>(dump, LegacyTable::Flirts);
    for f in &mut want {
        f.kind = None;
        f.note = None;
        f.sender_ip = None;
        f.seen_at = None;
        f.raw_texts.clear();
    }
    assert_eq!(got, want);
    let got = records::<Message>(out.path(), LegacyTable::Messages);
    let mut want = records::<Message>(dump, LegacyTable::Messages);
    for m in &mut want {
        m.subject = None;
        m.sender_ip = None;
        m.deleted_by_sender = None;
        m.deleted_by_recipient = None;
        m.raw_texts.retain(|r| r.column != "subject");
    }
    assert_eq!(got, want);

    // The manifest records the mapping as read: no column for them.
    let section = ExtractSection::of(&Manifest::load(out.path()).unwrap()).unwrap();
    assert_eq!(section.mapping["flirts"]["columns"]["kind"], "");
    assert_eq!(
        section.mapping["flirts"]["columns"]["sender_id"],
        "SenderId"
    );
    // A second run finds the same mapping and the dump up to date.
    let again = extract(options(&server, out.path())).await.unwrap();
    assert!(again.up_to_date);
}

#[tokio::test]
async fn a_later_column_named_in_a_mapping_file_must_exist() {
    let mut config = ServerConfig::new(tiny());
    config.catalog = older_catalog();
    let server = serve(config).await;
    let out = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mapping.toml");
    std::fs::write(&path, "[messages.columns]\nsubject = \"Subject\"\n").unwrap();
    let mut o = options(&server, out.path());
    o.mapping = Mapping::from_file(&path).unwrap();
    let e = extract_error(o).await;
    assert!(
        e.contains("column 'Subject' (the dump's messages.subject) is not in dbo.Messages"),
        "{e}"
    );
    assert!(no_page_read(&server));
}
