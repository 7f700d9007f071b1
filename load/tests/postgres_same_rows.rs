//! The PostgreSQL loader against a real server, twice: loading the same
//! stream again changes nothing, and building indexes first loads the
//! same rows as building them after.
//!
//! Needs PostgreSQL on 127.0.0.1:5432 (scripts/services.sh starts it) or at
//! DATABASE_URL. Every test has its own database prefix (`t<pid>_<tag>`)
//! and drops its databases when it ends, passed or failed.

mod common;

use common::events;
use common::pg::*;
use pancake_load::postgres::PgOptions;
use std::collections::BTreeSet;

/// Digests of every data table of `module` and of the loader's bookkeeping
/// (but the times parts were loaded at).
async fn digest(options: &PgOptions, module: &str) -> Vec<(String, String)> {
    let data = DATA_TABLES.iter().find(|(m, _)| *m == module).unwrap().1;
    // The audit log's payload dictionary is kept beside its rows.
    let beside: &[&str] = match module {
        "audit" => &["payload_dictionaries"],
        _ => &[],
    };
    let tables: Vec<&str> = data.iter().chain(beside).copied().collect();
    let mut conn = module_db(options, module).await;
    let present: BTreeSet<String> =
        sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .into_iter()
            .collect();
    assert_eq!(
        present,
        tables
            .iter()
            // chat's thread_members is a view of its threads (schema v3),
            // digested through the view.
            .map(|t| t.replace("thread_members", "threads"))
            .collect::<BTreeSet<_>>(),
        "{module}: the digest covers every table"
    );
    let mut out = Vec::new();
    for table in &tables {
        let sql = format!(
            "SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM {table} t"
        );
        out.push((table.to_string(), text(&mut conn, &sql).await.unwrap()));
    }
    for (name, sql) in [
        (
            "pancake.parts",
            "SELECT count(*) || ' ' || coalesce(md5(string_agg(concat_ws('|', stream_table, part, events, rows::text), ',' ORDER BY stream_table, part)), '') FROM pancake.parts",
        ),
        (
            "pancake.stream",
            "SELECT concat_ws('|', fingerprint, created_at, source, finished_at, indexes_built) FROM pancake.stream",
        ),
        (
            "pancake.pending",
            "SELECT count(*)::text FROM pancake.pending",
        ),
        (
            "pancake.schema_version",
            "SELECT string_agg(concat_ws('|', module, version, applied_at), ',') FROM pancake.schema_version",
        ),
    ] {
        out.push((
            name.to_owned(),
            text(&mut conn, sql).await.unwrap_or_default(),
        ));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loading_the_same_stream_again_changes_nothing() {
    let options = options("again", &[]);
    let _cleanup = fresh(&options).await;
    let first = load_ok(&options).await;
    let mut before = Vec::new();
    for (module, _) in DATA_TABLES {
        before.push(digest(&options, module).await);
    }

    let second = load_ok(&options).await;
    assert!(second.up_to_date(), "{second:#?}");
    assert_eq!(second.events_read, 0);
    let parts = part_count(events());
    for (m, earlier) in second.modules.iter().zip(&first.modules) {
        assert!(m.up_to_date && !m.created, "{}", m.module);
        assert_eq!(
            (m.parts_loaded, m.parts_skipped),
            (0, parts),
            "{}",
            m.module
        );
        assert_eq!((m.events, m.rows), (0, 0), "{}", m.module);
        assert_eq!(m.tables, earlier.tables, "{}", m.module);
    }
    for ((module, tables), earlier) in DATA_TABLES.iter().zip(before) {
        let now = digest(&options, module).await;
        assert_eq!(now, earlier, "{module}");
        for table in *tables {
            let rows = &now.iter().find(|(t, _)| t == table).unwrap().1;
            assert!(
                !rows.starts_with("0 "),
                "{module}.{table} is empty: the digest proves little"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn building_indexes_first_loads_the_same_rows() {
    let mut first = options("idxfirst", &["chat", "alerts", "profile"]);
    first.indexes_first = true;
    let later = options("idxlater", &["chat", "alerts", "profile"]);
    let _cleanup = (fresh(&first).await, fresh(&later).await);
    load_ok(&first).await;
    load_ok(&later).await;
    for module in ["chat", "alerts", "profile"] {
        let tables = |d: Vec<(String, String)>| {
            d.into_iter()
                .filter(|(t, _)| !t.starts_with("pancake."))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            tables(digest(&first, module).await),
            tables(digest(&later, module).await),
            "{module}"
        );
    }
}
