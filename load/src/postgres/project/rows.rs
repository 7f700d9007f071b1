//! The rows of one module from one part, built up event by event: changes
//! to a row in the part are folded into it, the rest wait in
//! `pancake.pending`.

use super::{PgModule, ProjectError, problem};
use crate::postgres::copy::{CopyData, Value};
use crate::postgres::payload::{PayloadCodec, PayloadCompressor};
use pancake_proto::events::Event;
use std::collections::HashMap;
use std::sync::Arc;

/// The rows of one module from one part, and the changes for rows that are
/// not in it.
#[derive(Debug)]
pub struct PartRows {
    pub(super) tables: Vec<TableRows>,
    changes: Vec<Change>,
    /// For a module that compresses its payloads; made without a
    /// dictionary when first needed if none was given.
    payloads: Option<PayloadCompressor>,
}

#[derive(Debug, Default)]
pub(super) struct TableRows {
    pub(super) rows: Vec<Vec<Value>>,
    by_key: HashMap<[u8; 16], usize>,
}

#[derive(Debug)]
struct Change {
    table: usize,
    key: [u8; 16],
    column: &'static str,
    at: i64,
}

/// One part's rows for one module, encoded for COPY.
#[derive(Debug)]
pub struct PartCopies {
    /// (table index, COPY body), for tables that got rows.
    pub tables: Vec<(usize, CopyData)>,
    /// Rows for `pancake.pending`.
    pub pending: CopyData,
}

impl PartRows {
    pub fn new(module: &PgModule) -> PartRows {
        PartRows {
            tables: module.tables.iter().map(|_| TableRows::default()).collect(),
            changes: Vec::new(),
            payloads: None,
        }
    }

    /// Rows whose payloads are compressed with `codec` (the module
    /// database's dictionary).
    pub fn with_payloads(module: &PgModule, codec: Option<&Arc<PayloadCodec>>) -> PartRows {
        PartRows {
            payloads: codec.map(|c| PayloadCompressor::new(c.clone())),
            ..PartRows::new(module)
        }
    }

    /// The event's payload as a module that compresses them keeps it.
    pub(super) fn compress_payload(&mut self, event: &Event) -> Result<Vec<u8>, ProjectError> {
        self.payloads
            .get_or_insert_with(|| PayloadCompressor::new(Arc::new(PayloadCodec::plain())))
            .compress(event)
            .map_err(|e| problem(event, format!("its payload cannot be compressed: {e}")))
    }

    /// A new row of table `table`; its first value is its key.
    pub fn insert(&mut self, table: usize, row: Vec<Value>) {
        let rows = &mut self.tables[table];
        if let Value::Uuid(key) = row[0] {
            rows.by_key.insert(key, rows.rows.len());
        }
        rows.rows.push(row);
    }

    /// Sets `column` of the row `key` of `table` to `at`.
    pub fn change(&mut self, table: usize, key: Value, column: &'static str, at: i64) {
        if let Value::Uuid(key) = key {
            self.changes.push(Change {
                table,
                key,
                column,
                at,
            });
        }
    }

    /// Folds the changes into the rows they find and encodes everything.
    pub fn into_copies(mut self, module: &PgModule) -> PartCopies {
        let pending = self.fold(module);
        let tables = self
            .tables
            .into_iter()
            .enumerate()
            .filter(|(_, t)| !t.rows.is_empty())
            .map(|(i, t)| {
                let mut copy = CopyData::new();
                for row in &t.rows {
                    copy.row(row);
                }
                (i, copy)
            })
            .collect();
        PartCopies { tables, pending }
    }

    /// Applies each change to its row where the row is in this part; the
    /// rest become `pancake.pending` rows.
    pub(super) fn fold(&mut self, module: &PgModule) -> CopyData {
        let mut pending = CopyData::new();
        for change in std::mem::take(&mut self.changes) {
            let spec = &module.tables[change.table];
            let rows = &mut self.tables[change.table];
            match rows.by_key.get(&change.key) {
                Some(&i) => {
                    let row = &mut rows.rows[i];
                    row[spec.column(change.column)] = Value::Timestamp(change.at);
                    if spec.has_updated_at() {
                        let last = row.len() - 1;
                        let updated = row[last].micros().unwrap_or(change.at);
                        row[last] = Value::Timestamp(updated.max(change.at));
                    }
                }
                None => pending.row(&[
                    Value::Text(spec.name.to_owned()),
                    Value::Uuid(change.key),
                    Value::Text(change.column.to_owned()),
                    Value::Timestamp(change.at),
                ]),
            }
        }
        pending
    }
}
