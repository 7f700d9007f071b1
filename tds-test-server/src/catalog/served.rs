//! The catalog a server serves: the one it was given, with the constraints
//! made to agree with the rows of its dump.
//!
//! SQL Server cannot hold a row that breaks a constraint, so a dirty legacy
//! database has its dirt only where no constraint forbids it. When a server
//! loads its dump it reads every record once and:
//!
//! - a table whose rows repeat its primary key (or hold NULL in it) loses
//!   the key and is served as a heap with a non-unique nonclustered index on
//!   the key columns (`TableDef::index`);
//! - a NOT NULL column that some row holds NULL in is served nullable.
//!
//! Everything else stays as given: a clean table keeps its clustered
//! primary key, and a column that never holds NULL keeps NOT NULL.

use super::{Catalog, TableDef};
use crate::dump::DumpIndex;
use crate::record::{AnyRecord, FieldValue, KEY_FIELD, field_index, fields};
use pancake_proto::dump::DumpKind;
use pancake_proto::{LegacyTable, PartReader, ReadOptions};
use std::collections::{HashMap, HashSet};
use std::io;

/// What the rows of one dump table hold.
#[derive(Debug, Default)]
struct RowFacts {
    /// Whether two records share a key.
    key_repeats: bool,
    /// Per record field: whether some record holds NULL in it.
    nulls: Vec<bool>,
}

/// `catalog` with its constraints made to agree with the rows of `dump`
/// (see the module docs).
pub(crate) fn served(mut catalog: Catalog, dump: &DumpIndex) -> io::Result<Catalog> {
    let mut sources: Vec<LegacyTable> = catalog.tables.iter().map(|t| t.source).collect();
    sources.sort_by_key(|t| t.name());
    sources.dedup();
    let facts: HashMap<LegacyTable, RowFacts> = std::thread::scope(|s| {
        let scans: Vec<_> = sources
            .iter()
            .map(|&t| (t, s.spawn(move || row_facts(dump, t))))
            .collect();
        scans
            .into_iter()
            .map(|(t, h)| {
                let facts = h
                    .join()
                    .unwrap_or_else(|_| Err(io::Error::other("a dump scan panicked")))?;
                Ok((t, facts))
            })
            .collect::<io::Result<_>>()
    })?;
    for table in &mut catalog.tables {
        let facts = &facts[&table.source];
        for column in &mut table.columns {
            let field = column
                .field
                .as_deref()
                .and_then(|f| field_index(table.source, f));
            if let Some(i) = field
                && facts.nulls[i]
            {
                column.nullable = true;
            }
        }
        if !table.primary_key.is_empty() && !primary_key_holds(table, facts.key_repeats, dump)? {
            table.index = std::mem::take(&mut table.primary_key);
        }
    }
    Ok(catalog)
}

/// Whether `table`'s primary key is unique and never NULL over the rows
/// served. The columns are those of the served catalog, so nullable ones
/// are the ones some row holds NULL in.
fn primary_key_holds(table: &TableDef, key_repeats: bool, dump: &DumpIndex) -> io::Result<bool> {
    let columns: Vec<_> = table
        .primary_key
        .iter()
        .filter_map(|k| table.column(k))
        .collect();
    if columns.iter().any(|c| c.nullable) {
        return Ok(false);
    }
    let fields: Vec<Option<usize>> = columns
        .iter()
        .map(|c| {
            c.field
                .as_deref()
                .and_then(|f| field_index(table.source, f))
        })
        .collect();
    // The usual case: the key field alone, whose records are in key order.
    if fields == [Some(KEY_FIELD)] {
        return Ok(!key_repeats);
    }
    // Any other key: every tuple once. An extra column's value is derived
    // from the record key, which stands for it.
    let mut seen = HashSet::new();
    let mut unique = true;
    scan(dump, table.source, |rec| {
        let tuple: Vec<String> = fields
            .iter()
            .map(|f| match f {
                Some(i) => format!("{:?}", rec.field(*i)),
                None => rec.key().to_string(),
            })
            .collect();
        unique &= seen.insert(tuple);
    })?;
    Ok(unique)
}

fn row_facts(dump: &DumpIndex, table: LegacyTable) -> io::Result<RowFacts> {
    let mut facts = RowFacts {
        key_repeats: false,
        nulls: vec![false; fields(table).len()],
    };
    let mut last = None;
    scan(dump, table, |rec| {
        let key = rec.key();
        facts.key_repeats |= last == Some(key);
        last = Some(key);
        for (i, null) in facts.nulls.iter_mut().enumerate() {
            *null |= matches!(rec.field(i), FieldValue::Null);
        }
    })?;
    Ok(facts)
}

/// Calls `each` with every record of `table`, in dump order, without
/// touching the counters of what connections read.
fn scan(dump: &DumpIndex, table: LegacyTable, mut each: impl FnMut(&AnyRecord)) -> io::Result<()> {
    let options = ReadOptions {
        kind: Some(DumpKind::LegacyDump),
        table: Some(table.name().to_owned()),
        record_type: Some(table.record_type().to_owned()),
        ..ReadOptions::default()
    };
    for part in &dump.parts(table).parts {
        let path = part.path.display();
        let mut reader = PartReader::open(&part.path, &options)
            .map_err(|e| io::Error::other(format!("cannot read the dump: {e}")))?;
        while let Some(bytes) = reader
            .next_frame()
            .map_err(|e| io::Error::other(format!("cannot read the dump: {e}")))?
        {
            let record = AnyRecord::decode(table, bytes).map_err(|e| {
                io::Error::other(format!(
                    "{path}: record {}: {e}",
                    reader.records_read().saturating_sub(1)
                ))
            })?;
            each(&record);
        }
    }
    Ok(())
}
