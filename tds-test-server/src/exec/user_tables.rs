//! `SELECT` over a user table: read forward in key order with the
//! connection's cursor, a `WHERE` on the key column narrowing the scan, the
//! rest filtering rows; faults; and aggregates, from the manifest where it
//! can.

use super::bound::{BCond, BExpr, Row, Typed, eval, eval_cond};
use super::catalog_views::{Acc, order_by};
use super::names::{AggFunc, Binder, Scope, ScopeCol, check_denied};
use super::statements::{Item, bind_items, put_row, top_count};
use super::{Env, Out, Outcome};
use crate::catalog::{ColumnDef, SqlType, TableDef};
use crate::dump::{Bound, Cursor, TableParts};
use crate::record::{AnyRecord, FieldValue, KEY_FIELD, field_index};
use crate::server::SessionState;
use crate::sql::{CmpOp, IsolationLevel, Select};
use crate::tds::{self, OutColumn};
use crate::value::{SqlError, Value, extra_value, store};
use pancake_proto::LegacyTable;
use std::io;

/// How a table's columns read a record.
struct TableBinding<'a> {
    table: &'a TableDef,
    /// Per column: the record field feeding it.
    fields: Vec<Option<usize>>,
}

struct RecordRow<'a> {
    rec: &'a AnyRecord,
    binding: &'a TableBinding<'a>,
}

impl Row for RecordRow<'_> {
    fn col(&self, i: usize) -> Result<Value<'_>, SqlError> {
        let column: &ColumnDef = &self.binding.table.columns[i];
        match self.binding.fields[i] {
            Some(f) => store(self.rec.field(f), column),
            None => extra_value(column, self.rec.key()),
        }
    }
}

/// Whether a column holding the record key sorts as the key does.
fn key_order_preserving(ty: &SqlType) -> bool {
    ty.is_integer()
        || ty.is_decimal()
        || matches!(
            ty,
            SqlType::Float | SqlType::Real | SqlType::UniqueIdentifier
        )
}

fn flatten(c: BCond, out: &mut Vec<BCond>) {
    match c {
        BCond::And(cs) => cs.into_iter().for_each(|c| flatten(c, out)),
        c => out.push(c),
    }
}

/// Key bounds taken from the WHERE clause; the rest stays a filter.
struct KeyRange {
    lower: Option<Bound>,
    upper: Option<Bound>,
    /// A bound compared with NULL: no row can match.
    empty: bool,
}

fn tighten_lower(cur: Option<Bound>, new: Bound) -> Option<Bound> {
    Some(match cur {
        None => new,
        Some(c) if new.key > c.key || (new.key == c.key && !new.inclusive) => new,
        Some(c) => c,
    })
}

fn tighten_upper(cur: Option<Bound>, new: Bound) -> Option<Bound> {
    Some(match cur {
        None => new,
        Some(c) if new.key < c.key || (new.key == c.key && !new.inclusive) => new,
        Some(c) => c,
    })
}

fn key_range(conds: Vec<BCond>, key_col: Option<usize>) -> (KeyRange, Vec<BCond>) {
    let mut range = KeyRange {
        lower: None,
        upper: None,
        empty: false,
    };
    let mut rest = Vec::new();
    for c in conds {
        let bound = match (&c, key_col) {
            (BCond::Cmp(a, op, b), Some(k)) => match (&a.e, &b.e) {
                (BExpr::Col(i), BExpr::Const(v)) if *i == k => Some((*op, v.clone())),
                (BExpr::Const(v), BExpr::Col(i)) if *i == k => Some((op.flip(), v.clone())),
                _ => None,
            },
            _ => None,
        };
        match bound {
            Some((_, Value::Null)) => range.empty = true,
            Some((op, Value::Int(v))) if op != CmpOp::Ne => {
                let b = |inclusive| Bound { key: v, inclusive };
                match op {
                    CmpOp::Gt => range.lower = tighten_lower(range.lower, b(false)),
                    CmpOp::Ge => range.lower = tighten_lower(range.lower, b(true)),
                    CmpOp::Lt => range.upper = tighten_upper(range.upper, b(false)),
                    CmpOp::Le => range.upper = tighten_upper(range.upper, b(true)),
                    CmpOp::Eq => {
                        range.lower = tighten_lower(range.lower, b(true));
                        range.upper = tighten_upper(range.upper, b(true));
                    }
                    CmpOp::Ne => unreachable!(),
                }
            }
            _ => rest.push(c),
        }
    }
    (range, rest)
}

pub(super) fn table_select(
    s: &Select,
    env: &Env<'_>,
    state: &mut SessionState,
    table: &TableDef,
    alias: Option<String>,
    out: &mut Out<'_>,
) -> io::Result<Outcome> {
    // Bind.
    let mut scope = Scope::default();
    scope.add(
        alias.unwrap_or_else(|| table.name.clone()),
        table
            .columns
            .iter()
            .map(|c| ScopeCol {
                name: c.name.clone(),
                ty: c.sql_type,
                nullable: c.nullable,
            })
            .collect(),
    );
    let binding = TableBinding {
        table,
        fields: table
            .columns
            .iter()
            .map(|c| {
                c.field
                    .as_deref()
                    .and_then(|f| field_index(table.source, f))
            })
            .collect(),
    };
    let key_col = binding
        .fields
        .iter()
        .position(|f| *f == Some(KEY_FIELD))
        .filter(|&i| table.columns[i].sql_type.is_integer());
    let order_col = binding
        .fields
        .iter()
        .position(|f| *f == Some(KEY_FIELD))
        .filter(|&i| key_order_preserving(&table.columns[i].sql_type));
    let b = Binder { env, scope: &scope };
    let bound = (|| {
        let (items, cols) = bind_items(s, &b)?;
        let filter = s.filter.as_ref().map(|f| b.cond(f)).transpose()?;
        let order = order_by(s, &b)?;
        let top = top_count(s, &b)?;
        Ok::<_, SqlError>((items, cols, filter, order, top))
    })();
    let (items, cols, filter, order, top) = match bound {
        Ok(x) => x,
        Err(e) => return Ok(e.into()),
    };
    for (t, desc) in &order {
        let by_key = matches!(t.e, BExpr::Col(i) if Some(i) == order_col);
        if *desc || !by_key {
            return Ok(SqlError::server(format!(
                "the TDS test server can only ORDER BY the key column of {} ascending (the order of its dump)",
                table.qualified_name()
            ))
            .into());
        }
    }
    if let Err(e) = check_denied(env, table) {
        return Ok(e.into());
    }
    if state.isolation == IsolationLevel::Snapshot && !env.shared.faults.allow_snapshot() {
        return Ok(SqlError::new(
            3952,
            16,
            format!("Snapshot isolation transaction failed accessing database '{}' because snapshot isolation is not allowed in this database. Use ALTER DATABASE to allow snapshot isolation.", env.database),
        )
        .into());
    }

    let mut conds = Vec::new();
    if let Some(f) = filter {
        flatten(f, &mut conds);
    }
    let (range, residual) = key_range(conds, key_col);
    let parts = env.shared.dump.parts(table.source);
    let aggregate = items.iter().any(|i| matches!(i, Item::Agg(..)));
    if aggregate {
        return aggregate_select(env, &binding, parts, &items, &cols, &range, &residual, out);
    }

    // A page query: faults first.
    let faults = &env.shared.faults;
    let name = table.qualified_name();
    if let Some(delay) = faults.stall_for(&name)
        && !env.shared.sleep(delay)
    {
        return Ok(Outcome::Cut);
    }
    let cut_after = faults.take_drop(&name);

    tds::put_colmetadata(out.pw, &cols);
    let limit = top.map(|(n, _)| n);
    let with_ties = top.is_some_and(|(_, t)| t);
    let mut sent = 0u64;
    let nothing = range.empty || limit == Some(0);
    let cursor = state
        .cursors
        .entry(table.source)
        .or_insert_with(|| Cursor::new(table.source));
    if !nothing {
        cursor.seek(parts, range.lower);
    }
    let mut tie_key: Option<i64> = None;
    loop {
        if nothing {
            break;
        }
        let rec = match cursor.peek(&env.shared.dump) {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(error) => {
                return Ok(Outcome::Error {
                    error,
                    rows: Some(sent),
                });
            }
        };
        let key = rec.key();
        if let Some(upper) = range.upper
            && !upper.admits_below(key)
        {
            break;
        }
        if let Some(lower) = range.lower
            && !lower.admits(key)
        {
            cursor.consume();
            continue;
        }
        if let Some(n) = limit
            && sent >= n
        {
            // WITH TIES: the rows whose key equals the last one's.
            if !(with_ties && tie_key == Some(key)) {
                break;
            }
        }
        let row = RecordRow {
            rec,
            binding: &binding,
        };
        let keep = residual.iter().try_fold(true, |acc, c| {
            Ok::<_, SqlError>(acc && eval_cond(c, &row)? == Some(true))
        });
        match keep {
            Ok(false) => {
                cursor.consume();
                continue;
            }
            Ok(true) => {}
            Err(error) => {
                return Ok(Outcome::Error {
                    error,
                    rows: Some(sent),
                });
            }
        }
        {
            let mut values: Vec<Value<'_>> = Vec::with_capacity(items.len());
            for item in &items {
                let Item::Scalar(t) = item else { continue };
                match eval(&t.e, &row) {
                    Ok(v) => values.push(v),
                    Err(error) => {
                        return Ok(Outcome::Error {
                            error,
                            rows: Some(sent),
                        });
                    }
                }
            }
            put_row(out.pw, &values, &cols);
        }
        sent += 1;
        tie_key = Some(key);
        cursor.consume();
        if cut_after.is_some_and(|n| sent >= n) {
            out.pw.send_unfinished(out.w)?;
            return Ok(Outcome::Cut);
        }
        out.pw.flush_some(out.w)?;
    }
    if cut_after.is_some() {
        // Fewer rows than the cut: cut at the end instead.
        out.pw.send_unfinished(out.w)?;
        return Ok(Outcome::Cut);
    }
    Ok(Outcome::Done { rows: Some(sent) })
}

/// The key of an encoded record, read from its field 1 without decoding the
/// rest (0 when absent, as proto3 omits it).
fn frame_key(bytes: &[u8]) -> i64 {
    let mut i = 0;
    let varint = |i: &mut usize| -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *bytes.get(*i)?;
            *i += 1;
            v |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    };
    while i < bytes.len() {
        let Some(tag) = varint(&mut i) else { return 0 };
        let (field, wire) = (tag >> 3, tag & 7);
        match wire {
            0 => {
                let Some(v) = varint(&mut i) else { return 0 };
                if field == 1 {
                    return v as i64;
                }
            }
            1 => i += 8,
            5 => i += 4,
            2 => {
                let Some(len) = varint(&mut i) else { return 0 };
                i += len as usize;
            }
            _ => return 0,
        }
    }
    0
}

/// Counts the records of a table whose key is within `range`, from the
/// manifest where a part lies wholly inside it.
fn count_in_range(
    table: LegacyTable,
    parts: &TableParts,
    range: &KeyRange,
) -> Result<u64, SqlError> {
    let inside = |k: i64| {
        range.lower.is_none_or(|b| b.admits(k)) && range.upper.is_none_or(|b| b.admits_below(k))
    };
    let mut n = 0;
    for p in &parts.parts {
        match p.key_range {
            Some([lo, hi]) if inside(lo) && inside(hi) => n += p.records,
            Some([lo, hi])
                if range.upper.is_some_and(|b| !b.admits_below(lo))
                    || range.lower.is_some_and(|b| !b.admits(hi)) => {}
            _ => {
                let options = pancake_proto::ReadOptions {
                    table: Some(table.name().to_owned()),
                    record_type: Some(table.record_type().to_owned()),
                    ..Default::default()
                };
                let err = |e: pancake_proto::PartError| {
                    SqlError::server(format!("The TDS test server cannot read its dump: {e}"))
                };
                let mut reader = pancake_proto::PartReader::open(&p.path, &options).map_err(err)?;
                while let Some(frame) = reader.next_frame().map_err(err)? {
                    if inside(frame_key(frame)) {
                        n += 1;
                    }
                }
            }
        }
    }
    Ok(n)
}

#[allow(clippy::too_many_arguments)]
fn aggregate_select(
    env: &Env<'_>,
    binding: &TableBinding<'_>,
    parts: &TableParts,
    items: &[Item],
    cols: &[OutColumn],
    range: &KeyRange,
    residual: &[BCond],
    out: &mut Out<'_>,
) -> io::Result<Outcome> {
    let table = binding.table;
    let dump = &env.shared.dump;
    let key_col = binding.fields.iter().position(|f| *f == Some(KEY_FIELD));
    let on_key = |t: &Typed| {
        matches!(t.e, BExpr::Col(i) if Some(i) == key_col) && key_order_preserving(&t.ty)
    };
    let whole_table =
        residual.is_empty() && !range.empty && range.lower.is_none() && range.upper.is_none();
    // From the manifest: counts with key bounds only, MIN/MAX of the key over
    // the whole table.
    let fast = residual.is_empty()
        && items.iter().all(|i| match i {
            Item::Agg(AggFunc::Count | AggFunc::CountBig, None) => true,
            Item::Agg(AggFunc::Min | AggFunc::Max, Some(t)) => whole_table && on_key(t),
            _ => false,
        });
    let values: Result<Vec<Value<'static>>, SqlError> = if fast {
        items
            .iter()
            .map(|i| match i {
                Item::Agg(f @ (AggFunc::Min | AggFunc::Max), Some(_)) => match parts.key_range() {
                    None => Ok(Value::Null),
                    Some((lo, hi)) => {
                        let k = if *f == AggFunc::Min { lo } else { hi };
                        let column = &table.columns[key_col.expect("on the key")];
                        store(FieldValue::Int(k), column).map(Value::into_owned)
                    }
                },
                _ => {
                    if range.empty {
                        Ok(Value::Int(0))
                    } else {
                        count_in_range(table.source, parts, range).map(|n| Value::Int(n as i64))
                    }
                }
            })
            .collect()
    } else {
        // Scan with a cursor of its own: the connection's stays where its
        // pages left it.
        (|| {
            let mut acc: Vec<Acc> = items.iter().map(Acc::new).collect();
            if !range.empty {
                let mut cursor = Cursor::new(table.source);
                cursor.seek(parts, range.lower);
                while let Some(rec) = cursor.peek(dump)? {
                    let key = rec.key();
                    if range.upper.is_some_and(|u| !u.admits_below(key)) {
                        break;
                    }
                    if range.lower.is_none_or(|l| l.admits(key)) {
                        let row = RecordRow { rec, binding };
                        let mut keep = true;
                        for c in residual {
                            keep = keep && eval_cond(c, &row)? == Some(true);
                        }
                        if keep {
                            for (a, item) in acc.iter_mut().zip(items) {
                                a.add(item, &row)?;
                            }
                        }
                    }
                    cursor.consume();
                }
            }
            Ok(acc.into_iter().map(Acc::finish).collect())
        })()
    };
    match values {
        Err(e) => Ok(e.into()),
        Ok(values) => {
            tds::put_colmetadata(out.pw, cols);
            // COUNT gives an int: overflow as SQL Server does.
            for (v, c) in values.iter().zip(cols) {
                if let (Value::Int(n), SqlType::Int) = (v, &c.ty)
                    && i32::try_from(*n).is_err()
                {
                    return Ok(SqlError::overflow(&SqlType::Int).into());
                }
            }
            put_row(out.pw, &values, cols);
            Ok(Outcome::Done { rows: Some(1) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_key_from_a_frame() {
        use prost::Message as _;
        let m = pancake_proto::legacy::Message {
            message_id: 5_000_000_123,
            body: Some("x".into()),
            ..Default::default()
        };
        assert_eq!(frame_key(&m.encode_to_vec()), 5_000_000_123);
        let neg = pancake_proto::legacy::Member {
            member_id: -3,
            ..Default::default()
        };
        assert_eq!(frame_key(&neg.encode_to_vec()), -3);
        assert_eq!(
            frame_key(&pancake_proto::legacy::Member::default().encode_to_vec()),
            0
        );
    }
}
