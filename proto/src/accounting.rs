//! The `transform` section of an event stream's manifest: how far the
//! transform got, and the accounting that proves no row was lost. The
//! transform writes it; `verify` checks it against the parts; `inspect`
//! shows it.

use crate::manifest::Manifest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransformSection {
    /// The input dump, as given to the transform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// The input dump's own source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_source: Option<String>,
    /// XXH3 of the input's parts and the settings that shape the output: a
    /// resumed run must see the same.
    #[serde(default)]
    pub input_fingerprint: String,
    /// The earliest valid date (RFC 3339).
    #[serde(default)]
    pub site_start: String,
    /// Most events in one output part.
    #[serde(default)]
    pub part_events: u64,
    /// Per legacy table ("members", ...).
    #[serde(default)]
    pub tables: BTreeMap<String, TableAccount>,
    /// Events per kind name over all tables; zeros may be absent.
    #[serde(default)]
    pub kinds: BTreeMap<String, u64>,
    /// Rejects per reason name over all tables; zeros may be absent.
    #[serde(default)]
    pub rejects: BTreeMap<String, u64>,
}

/// One legacy table in the transform section. Counts cover only the input
/// parts whose output is committed (`parts_done`, a prefix).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableAccount {
    /// Parts of the table in the input dump.
    pub input_parts: u64,
    /// Input parts whose events and rejects are committed.
    pub parts_done: u64,
    /// Rows read.
    pub rows: u64,
    /// Rows that became one or more events.
    pub rows_with_events: u64,
    /// Rows that became a reject instead.
    pub rejected: u64,
    /// Rows turned into events after a repair (lone surrogates to U+FFFD).
    #[serde(default)]
    pub repaired: u64,
    /// Events per kind name; zeros may be absent.
    #[serde(default)]
    pub events: BTreeMap<String, u64>,
    /// Rejects per reason name; zeros may be absent.
    #[serde(default)]
    pub rejects: BTreeMap<String, u64>,
}

impl TableAccount {
    /// Adds another account's counts (not its part counts).
    pub fn add(&mut self, other: &TableAccount) {
        self.add_rows(other);
        for (k, n) in &other.events {
            *self.events.entry(k.clone()).or_default() += n;
        }
        for (k, n) in &other.rejects {
            *self.rejects.entry(k.clone()).or_default() += n;
        }
    }

    /// Adds another account's row counts: read, with events, rejected and
    /// repaired.
    fn add_rows(&mut self, other: &TableAccount) {
        self.rows += other.rows;
        self.rows_with_events += other.rows_with_events;
        self.rejected += other.rejected;
        self.repaired += other.repaired;
    }

    pub fn events_total(&self) -> u64 {
        self.events.values().sum()
    }

    /// Every input part of the table is transformed and committed.
    pub fn is_done(&self) -> bool {
        self.parts_done == self.input_parts
    }
}

pub(crate) const REJECTS_SUFFIX: &str = "_rejects";

impl TransformSection {
    /// Its name among the manifest's sections.
    pub const NAME: &'static str = "transform";

    /// Reads the section from the manifest's JSON.
    pub fn from_json(value: &serde_json::Value) -> Result<TransformSection, serde_json::Error> {
        TransformSection::deserialize(value)
    }

    /// The section of `manifest`: `None` without one, an error if it is not
    /// readable.
    pub fn of(manifest: &Manifest) -> Option<Result<TransformSection, serde_json::Error>> {
        manifest
            .sections
            .get(TransformSection::NAME)
            .map(TransformSection::from_json)
    }

    /// Writes the section into `manifest`.
    pub fn store(&self, manifest: &mut Manifest) {
        manifest.sections.insert(
            TransformSection::NAME.into(),
            serde_json::to_value(self).expect("the section serialises"),
        );
    }

    /// Recomputes the totals from the tables.
    pub fn total(&mut self) {
        let mut all = TableAccount::default();
        for t in self.tables.values() {
            all.add(t);
        }
        self.kinds = all.events;
        self.rejects = all.rejects;
    }

    /// The account of every table together, part counts included. Events
    /// per kind and rejects per reason are the section's own totals
    /// ([`kinds`](Self::kinds), [`rejects`](Self::rejects)), which `verify`
    /// checks are the sums over the tables.
    pub fn overall(&self) -> TableAccount {
        let mut all = TableAccount {
            events: self.kinds.clone(),
            rejects: self.rejects.clone(),
            ..TableAccount::default()
        };
        for t in self.tables.values() {
            all.input_parts += t.input_parts;
            all.parts_done += t.parts_done;
            all.add_rows(t);
        }
        all
    }

    /// The account behind `name`, a table of the stream or the
    /// `<table>_rejects` sidecar of one, with the table's name.
    pub fn account_of(&self, name: &str) -> Option<(&str, &TableAccount)> {
        self.tables
            .iter()
            .find(|(table, _)| {
                table.as_str() == name || name.strip_suffix(REJECTS_SUFFIX) == Some(table.as_str())
            })
            .map(|(table, account)| (table.as_str(), account))
    }

    /// How many tables are done ([`TableAccount::is_done`]).
    pub fn tables_done(&self) -> usize {
        self.tables.values().filter(|t| t.is_done()).count()
    }

    /// The sidecar that holds the rejects of `table`: `members_rejects`.
    pub fn rejects_sidecar(table: &str) -> String {
        format!("{table}{REJECTS_SUFFIX}")
    }
}
