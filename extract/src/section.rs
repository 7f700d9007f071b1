//! The manifest's `extract` section: what a run promised to read, and how
//! far it got.
//!
//! A run fixes, before reading any row, each table's key bounds (the
//! high-water key is the largest key when the run started). Every page reads
//! only keys up to it, so rows inserted while the extraction runs (or
//! between a crash and the re-run) stay out, and a resumed run reads exactly
//! the key range an uninterrupted run would have. After a table's last part
//! the server counts the rows up to the high-water key, and the manifest
//! keeps that count next to the dump's own.

use crate::connect::Isolation;
use crate::value::AnomalyKind;
use pancake_proto::Manifest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const SECTION: &str = "extract";

/// How many anomalies per table the manifest lists by key; all are counted.
pub const ANOMALY_EXAMPLES: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtractSection {
    /// `mssql://user@host:port/database`, never the password.
    pub source: String,
    pub database: String,
    pub server_version: String,
    pub isolation: Isolation,
    pub page_rows: u32,
    pub part_rows: u64,
    pub part_bytes: u64,
    pub compression_level: u32,
    /// The effective mapping, table by table.
    pub mapping: serde_json::Value,
    pub tables: BTreeMap<String, TableState>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableState {
    /// `schema.table` on the server.
    pub source_table: String,
    pub key_column: String,
    /// Smallest and largest key when the run started; `None` for an empty
    /// table. Keys above the largest are not read.
    pub key_bounds: Option<[i64; 2]>,
    /// True once every page is in a committed part.
    pub done: bool,
    /// The server's `COUNT_BIG(*)` of keys up to the high-water key, taken
    /// when the table was done; equal to the dump's rows unless rows were
    /// deleted or inserted below it during the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_rows: Option<u64>,
    /// Connections lost or queries timed out and retried.
    #[serde(default)]
    pub retries: u64,
    /// Values that did not fit their field, by kind, in committed parts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub anomalies: BTreeMap<AnomalyKind, u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anomaly_examples: Vec<AnomalyExample>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnomalyExample {
    pub key: i64,
    pub field: String,
    pub kind: AnomalyKind,
    pub detail: String,
}

impl ExtractSection {
    pub fn of(manifest: &Manifest) -> Option<ExtractSection> {
        serde_json::from_value(manifest.sections.get(SECTION)?.clone()).ok()
    }

    pub fn store(&self, manifest: &mut Manifest) {
        manifest.sections.insert(
            SECTION.into(),
            serde_json::to_value(self).expect("the section serialises"),
        );
    }

    /// Why a run with `wanted` settings cannot continue this one, if it
    /// cannot. Bounds and progress are the run's own and do not count.
    pub fn difference(&self, wanted: &ExtractSection) -> Option<String> {
        let ours: Vec<&String> = self.tables.keys().collect();
        let theirs: Vec<&String> = wanted.tables.keys().collect();
        // Each setting as the message shows it: what, was, now.
        let settings: [(&str, String, String); 6] = [
            ("source", self.source.clone(), wanted.source.clone()),
            ("database", self.database.clone(), wanted.database.clone()),
            (
                "--isolation",
                self.isolation.as_str().into(),
                wanted.isolation.as_str().into(),
            ),
            (
                "--part-records",
                self.part_rows.to_string(),
                wanted.part_rows.to_string(),
            ),
            (
                "--part-bytes",
                self.part_bytes.to_string(),
                wanted.part_bytes.to_string(),
            ),
            ("--tables", format!("{ours:?}"), format!("{theirs:?}")),
        ];
        let changed = settings.into_iter().find(|(_, was, now)| was != now);
        let changed = changed.map(|(what, was, now)| format!("{what} was {was}, now {now}"));
        // The mapping is compared whole, and too long to show.
        changed.or_else(|| {
            (self.mapping != wanted.mapping).then(|| "mapping was one mapping, now another".into())
        })
    }
}
