//! The key a table is paged by, checked against its primary key and
//! indexes.
//!
//! The extractor pages by the column of the dump's key field. A clean table
//! has its primary key on it. A dirty legacy table whose rows repeat the key
//! cannot have a primary key there: it is a heap (or has a non-unique
//! clustered index) with, usually, a non-unique index on the key. Both are
//! read whole, since `WITH TIES` keeps rows with equal keys in one page; a
//! composite primary key is refused, and a table without any index on the
//! key is read with a warning that each page may scan it.

use super::{fetch_all, text};
use crate::connect::Connection;
use crate::error::ExtractError;
use crate::mapping::TableMapping;
use tiberius::ColumnData;

/// Checks the table's primary key against `key_column` (the paging key);
/// returns what is worth a warning. `table` is the table as messages name it.
pub(super) async fn check_key(
    conn: &mut Connection,
    addr: &str,
    mapping: &TableMapping,
    table: &str,
    key_column: &str,
) -> Result<Vec<String>, ExtractError> {
    let pk_rows = fetch_all(
        conn,
        "SELECT k.COLUMN_NAME FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS AS t \
         JOIN INFORMATION_SCHEMA.KEY_COLUMN_USAGE AS k ON k.CONSTRAINT_NAME = t.CONSTRAINT_NAME \
         AND k.TABLE_SCHEMA = t.TABLE_SCHEMA AND k.TABLE_NAME = t.TABLE_NAME \
         WHERE t.CONSTRAINT_TYPE = 'PRIMARY KEY' AND t.TABLE_SCHEMA = @P1 AND t.TABLE_NAME = @P2 \
         ORDER BY k.ORDINAL_POSITION",
        &[&mapping.schema, &mapping.name],
        addr,
        &format!("reading the primary key of {table}"),
    )
    .await?;
    let pk: Vec<String> = pk_rows
        .into_iter()
        .map(|r| text(r.into_iter().next()))
        .collect();
    if pk.len() > 1 {
        return Err(ExtractError::UnpageableKey {
            table: table.to_owned(),
            why: format!(
                "its primary key is composite ({}). The extractor pages by one integer key and the dump keys every row by one; give the table a single integer key column, or extract it with your own tooling",
                pk.join(", ")
            ),
        });
    }
    let warning = match pk.first() {
        Some(pk) if pk.eq_ignore_ascii_case(key_column) => None,
        Some(pk) => Some(format!(
            "{table} is paged by '{key_column}', not by its primary key '{pk}': make sure '{key_column}' is indexed"
        )),
        None => Some(match key_index(conn, addr, mapping, key_column).await {
            Some((name, false)) => format!(
                "{table} has no primary key: it is paged by '{key_column}' through its index {name}, which is not unique (rows with equal keys are read whole, each of them)"
            ),
            Some((name, true)) => format!(
                "{table} has no primary key: it is paged by '{key_column}' through its unique index {name}"
            ),
            None => format!(
                "{table} has no primary key: paging by '{key_column}' works (rows with equal keys stay together) but each page may scan the table unless the column is indexed"
            ),
        }),
    };
    Ok(warning.into_iter().collect())
}

/// An index whose first key column is `key_column`: its name and whether it
/// is unique, preferring a unique one. `None` when there is none, or when
/// `sys.indexes` cannot be read (the warning then says to check).
async fn key_index(
    conn: &mut Connection,
    addr: &str,
    mapping: &TableMapping,
    key_column: &str,
) -> Option<(String, bool)> {
    let rows = fetch_all(
        conn,
        "SELECT i.name, i.is_unique FROM sys.indexes AS i \
         JOIN sys.index_columns AS ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id \
         JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id \
         WHERE i.object_id = OBJECT_ID(@P1) AND ic.key_ordinal = 1 AND c.name = @P2 \
         ORDER BY i.is_unique DESC, i.index_id",
        &[&mapping.sql_name(), &key_column],
        addr,
        "reading the indexes",
    )
    .await
    .ok()?;
    let row = rows.into_iter().next()?;
    let mut cells = row.into_iter();
    let name = text(cells.next());
    let unique = matches!(cells.next(), Some(ColumnData::Bit(Some(true))));
    Some((name, unique))
}
