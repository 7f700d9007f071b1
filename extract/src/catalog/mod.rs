//! What the server has, checked against the mapping before any row is read.
//!
//! A missing table or column, a type that cannot fill its field, or a key
//! the extractor cannot page by all fail here, with the name of what is
//! wrong, so that a long run never dies at table seven of eight.

mod key;

use crate::connect::{Connection, query_error};
use crate::error::{ColumnError, ExtractError};
use crate::fields::{FieldKind, fields_of};
use crate::mapping::TableMapping;
use crate::value::{SqlType, quote};
use prost_types::Timestamp;
use tiberius::{ColumnData, Row};

/// Facts about the session, recorded in the manifest.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub database: String,
    pub version: String,
    /// The server's clock (UTC) when the extraction started.
    pub now: Timestamp,
}

pub async fn session_info(conn: &mut Connection, addr: &str) -> Result<SessionInfo, ExtractError> {
    const SQL: &str = "SELECT DB_NAME() AS [database], \
        CONVERT(nvarchar(128), SERVERPROPERTY('ProductVersion')) AS [version], \
        SYSUTCDATETIME() AS [now]";
    let action = "reading the server's name, version and clock";
    let rows = conn
        .simple_query(SQL)
        .await
        .map_err(|e| query_error(e, addr, action))?
        .into_first_result()
        .await
        .map_err(|e| query_error(e, addr, action))?;
    let row = rows
        .into_iter()
        .next()
        .ok_or_else(|| ExtractError::Protocol {
            addr: addr.to_owned(),
            action: action.into(),
            message: "the server returned no row".into(),
        })?;
    let mut cells = row.into_iter();
    let text = |c: Option<ColumnData<'static>>| match c {
        Some(ColumnData::String(Some(s))) => s.into_owned(),
        _ => String::new(),
    };
    let database = text(cells.next());
    let version = text(cells.next());
    let now = match cells.next() {
        Some(data) => match crate::value::convert(SqlType::DateTime2, FieldKind::Time, data) {
            Ok((crate::value::Value::Time(t), _)) => t,
            _ => {
                return Err(ExtractError::Protocol {
                    addr: addr.to_owned(),
                    action: action.into(),
                    message: "SYSUTCDATETIME() did not return a time".into(),
                });
            }
        },
        None => Timestamp::default(),
    };
    Ok(SessionInfo {
        database,
        version,
        now,
    })
}

/// One field's column, as read.
#[derive(Debug, Clone)]
pub struct ColumnPlan {
    /// Index into the record's field list.
    pub field_index: usize,
    pub field: &'static str,
    pub kind: FieldKind,
    pub column: String,
    pub ty: SqlType,
}

/// How one table is read.
#[derive(Debug, Clone)]
pub struct TablePlan {
    /// The mapping as read: an optional field whose column the server lacks
    /// has none.
    pub mapping: TableMapping,
    pub key_column: String,
    /// The mapped columns, in field order (the key first).
    pub columns: Vec<ColumnPlan>,
    /// Things worth knowing that do not stop the run (no primary key, ...).
    pub warnings: Vec<String>,
}

impl TablePlan {
    /// A page: the next `@P1` rows after key `@P2`, up to the high-water key
    /// `@P3`. `WITH TIES` finishes a run of equal keys, so that a page
    /// always ends at a key boundary and `> @P2` never skips a row, even on
    /// a key that is not unique.
    pub fn page_sql(&self) -> String {
        let key = quote(&self.key_column);
        let list = self
            .columns
            .iter()
            .map(|c| c.ty.select_expr(&c.column))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "SELECT TOP (@P1) WITH TIES {list} FROM {} WHERE {key} > @P2 AND {key} <= @P3 ORDER BY {key}",
            self.mapping.sql_name()
        )
    }

    pub fn bounds_sql(&self) -> String {
        let key = quote(&self.key_column);
        format!(
            "SELECT MIN({key}), MAX({key}) FROM {}",
            self.mapping.sql_name()
        )
    }

    pub fn count_sql(&self) -> String {
        format!(
            "SELECT COUNT_BIG(*) FROM {} WHERE {} <= @P1",
            self.mapping.sql_name(),
            quote(&self.key_column)
        )
    }
}

struct ServerColumn {
    name: String,
    data_type: String,
    max_chars: Option<i32>,
    scale: Option<i32>,
    nullable: bool,
}

/// Checks `mapping` against the server and plans how to read the table.
pub async fn plan_table(
    conn: &mut Connection,
    addr: &str,
    mapping: &TableMapping,
) -> Result<TablePlan, ExtractError> {
    let table = mapping.display_name();
    let dump_table = mapping.table.name();
    let action = format!("reading the columns of {table}");
    let rows = fetch_all(
        conn,
        "SELECT c.COLUMN_NAME, c.DATA_TYPE, c.CHARACTER_MAXIMUM_LENGTH, c.NUMERIC_PRECISION, \
         c.NUMERIC_SCALE, c.IS_NULLABLE FROM INFORMATION_SCHEMA.COLUMNS AS c \
         WHERE c.TABLE_SCHEMA = @P1 AND c.TABLE_NAME = @P2 ORDER BY c.ORDINAL_POSITION",
        &[&mapping.schema, &mapping.name],
        addr,
        &action,
    )
    .await?;
    let server: Vec<ServerColumn> = rows
        .into_iter()
        .map(|row| {
            let mut c = row.into_iter();
            ServerColumn {
                name: text(c.next()),
                data_type: text(c.next()),
                max_chars: int(c.next()).and_then(|v| i32::try_from(v).ok()),
                scale: {
                    let _precision = c.next();
                    int(c.next()).and_then(|v| i32::try_from(v).ok())
                },
                nullable: text(c.next()).eq_ignore_ascii_case("YES"),
            }
        })
        .collect();
    if server.is_empty() {
        return Err(ExtractError::MissingTable {
            table,
            dump_table: dump_table.into(),
        });
    }

    let mut columns = Vec::new();
    let mut warnings = Vec::new();
    // The mapping as read: an optional column the server lacks is none.
    let mut effective = mapping.clone();
    for (index, (field, kind)) in fields_of(mapping.table).iter().enumerate() {
        let Some(column) = mapping.column(field) else {
            continue;
        };
        // Names compare as the default (case-insensitive) collation does.
        let Some(found) = server.iter().find(|c| c.name.eq_ignore_ascii_case(column)) else {
            if mapping.is_optional(field) {
                warnings.push(format!(
                    "{table} has no column '{column}' (an older schema?): {dump_table}.{field} is left NULL; if the site keeps it under another name, name it in a mapping file (--mapping)"
                ));
                effective.columns.insert((*field).to_owned(), String::new());
                continue;
            }
            return Err(ColumnError::Missing {
                table: table.clone(),
                column: column.into(),
                dump_table: dump_table.into(),
                field: (*field).into(),
                existing: server
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }
            .into());
        };
        let incompatible = || ColumnError::Incompatible {
            table: table.clone(),
            column: found.name.clone(),
            sql_type: found.data_type.clone(),
            dump_table: dump_table.into(),
            field: (*field).into(),
            kind: kind.describe(),
        };
        let ty = SqlType::parse(&found.data_type, found.max_chars, found.scale)
            .ok_or_else(incompatible)?;
        if let FieldKind::Key { .. } = kind {
            if !ty.fits(*kind) {
                return Err(ExtractError::UnpageableKey {
                    table: table.clone(),
                    why: format!(
                        "its key column '{}' is {}, not an integer. The extractor pages by an integer key and the dump's {dump_table}.{field} is one; map {field} to an integer (IDENTITY) column in a mapping file (--mapping)",
                        found.name, found.data_type
                    ),
                });
            }
            if found.nullable {
                return Err(ExtractError::UnpageableKey {
                    table: table.clone(),
                    why: format!(
                        "its key column '{}' allows NULL, and rows with a NULL key could never be paged to; map {field} to a NOT NULL column",
                        found.name
                    ),
                });
            }
        } else if !ty.fits(*kind) {
            return Err(incompatible().into());
        }
        columns.push(ColumnPlan {
            field_index: index,
            field,
            kind: *kind,
            column: found.name.clone(),
            ty,
        });
    }
    let key = columns[0].clone();

    warnings.extend(key::check_key(conn, addr, mapping, &table, &key.column).await?);
    Ok(TablePlan {
        mapping: effective,
        key_column: key.column.clone(),
        columns,
        warnings,
    })
}

/// The server's own estimate of a table's rows (no scan), for progress bars.
pub async fn estimate_rows(conn: &mut Connection, addr: &str, plan: &TablePlan) -> Option<u64> {
    let rows = fetch_all(
        conn,
        "SELECT SUM(p.rows) FROM sys.partitions AS p WHERE p.object_id = OBJECT_ID(@P1) AND p.index_id IN (0, 1)",
        &[&plan.mapping.sql_name()],
        addr,
        "estimating rows",
    )
    .await
    .ok()?;
    rows.into_iter()
        .next()
        .and_then(|r| int(r.into_iter().next()))
        .and_then(|v| u64::try_from(v).ok())
}

pub(crate) async fn fetch_all(
    conn: &mut Connection,
    sql: &str,
    params: &[&dyn tiberius::ToSql],
    addr: &str,
    action: &str,
) -> Result<Vec<Row>, ExtractError> {
    conn.query(sql, params)
        .await
        .map_err(|e| query_error(e, addr, action))?
        .into_first_result()
        .await
        .map_err(|e| query_error(e, addr, action))
}

fn text(c: Option<ColumnData<'static>>) -> String {
    match c {
        Some(ColumnData::String(Some(s))) => s.into_owned(),
        _ => String::new(),
    }
}

/// An integer cell of any width.
pub(crate) fn int(c: Option<ColumnData<'static>>) -> Option<i64> {
    match c? {
        ColumnData::U8(v) => v.map(i64::from),
        ColumnData::I16(v) => v.map(i64::from),
        ColumnData::I32(v) => v.map(i64::from),
        ColumnData::I64(v) => v,
        ColumnData::Numeric(v) => v.and_then(|n| i64::try_from(n.int_part()).ok()),
        _ => None,
    }
}
