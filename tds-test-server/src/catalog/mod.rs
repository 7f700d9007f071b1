//! What the test server's database holds: tables, their columns and SQL
//! types, and which field of a dump record feeds each column.
//!
//! [`Catalog::legacy`] is exactly `datasets/sql/legacy-schema.sql`. Tests
//! edit it freely before starting a server: rename tables and columns, change
//! types, add columns, change primary keys.

mod served;
mod types;

pub(crate) use served::served;
pub use types::{Len, SqlType};

use pancake_proto::LegacyTable;

/// One column of a served table.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    pub name: String,
    /// The proto field of the table's dump records that feeds this column
    /// (`"member_id"`, `"nickname"`, ...). `None` makes an extra column the
    /// server fills itself: NULL when the column is nullable, otherwise a
    /// value derived from the row's key (see the crate docs).
    pub field: Option<String>,
    pub sql_type: SqlType,
    pub nullable: bool,
    /// For `datetimeoffset` columns: the offset (minutes east of UTC) the
    /// stored values carry. The instant is the dump's, so a value at offset
    /// +120 reads as the dump's UTC time plus two hours, `+02:00`.
    pub offset_minutes: i16,
}

impl ColumnDef {
    pub fn new(name: &str, field: Option<&str>, sql_type: SqlType, nullable: bool) -> ColumnDef {
        ColumnDef {
            name: name.to_owned(),
            field: field.map(str::to_owned),
            sql_type,
            nullable,
            offset_minutes: 0,
        }
    }
}

/// One served table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDef {
    pub schema: String,
    pub name: String,
    /// The dump table whose records are the rows.
    pub source: LegacyTable,
    pub columns: Vec<ColumnDef>,
    /// Column names of the clustered primary key, in key order; empty for a
    /// heap.
    pub primary_key: Vec<String>,
    /// Column names of a non-unique nonclustered index (`IX_<table>_<columns>`),
    /// in key order; empty for none. The server serves a table whose rows
    /// repeat its primary key as a heap with this index on the key instead
    /// (see [`Catalog`]).
    pub index: Vec<String>,
}

impl TableDef {
    /// A column by name, case-insensitively (the default collation is CI).
    pub fn column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    pub fn column_mut(&mut self, name: &str) -> Option<&mut ColumnDef> {
        self.columns
            .iter_mut()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// Renames a column, in the primary key too. Panics if there is none of
    /// that name (tests only).
    pub fn rename_column(&mut self, old: &str, new: &str) -> &mut TableDef {
        let column = self
            .column_mut(old)
            .unwrap_or_else(|| panic!("no column {old}"));
        column.name = new.to_owned();
        for k in self.primary_key.iter_mut().chain(&mut self.index) {
            if k.eq_ignore_ascii_case(old) {
                *k = new.to_owned();
            }
        }
        self
    }

    /// Changes a column's type. Panics if there is no column of that name.
    pub fn set_type(&mut self, column: &str, sql_type: SqlType) -> &mut TableDef {
        self.column_mut(column)
            .unwrap_or_else(|| panic!("no column {column}"))
            .sql_type = sql_type;
        self
    }

    /// `schema.name`, as error messages show it.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// The name of the primary key constraint: `PK_<table>`.
    pub fn primary_key_name(&self) -> String {
        format!("PK_{}", self.name)
    }

    /// The name of the non-unique index: `IX_<table>_<columns>`.
    pub fn index_name(&self) -> String {
        format!("IX_{}_{}", self.name, self.index.join("_"))
    }
}

/// The served database: its tables.
///
/// A server does not serve the catalog it is given as it is: when it loads
/// the dump it makes the constraints agree with the rows, as SQL Server
/// would insist (see `served.rs`). A table whose rows repeat its primary key
/// is served as a heap with a non-unique nonclustered index on the key, and
/// a NOT NULL column some row holds NULL in is served nullable.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    pub tables: Vec<TableDef>,
}

impl Catalog {
    /// Exactly `datasets/sql/legacy-schema.sql`: nine tables in `dbo`, each
    /// fed by the dump table of the same name.
    pub fn legacy() -> Catalog {
        use SqlType::*;
        let nv = |n| NVarChar(Len::N(n));
        let v = |n| VarChar(Len::N(n));
        // (column, field, type, nullable)
        type Col = (&'static str, &'static str, SqlType, bool);
        let table = |source: LegacyTable, columns: &[Col]| TableDef {
            schema: "dbo".into(),
            name: source.sql_name().into(),
            source,
            columns: columns
                .iter()
                .map(|(name, field, ty, nullable)| {
                    ColumnDef::new(name, Some(field), *ty, *nullable)
                })
                .collect(),
            primary_key: vec![columns[0].0.to_owned()],
            index: Vec::new(),
        };
        Catalog {
            tables: vec![
                table(
                    LegacyTable::Members,
                    &[
                        ("MemberId", "member_id", Int, false),
                        ("Nickname", "nickname", nv(50), false),
                        ("Email", "email", nv(254), false),
                        ("Gender", "gender", TinyInt, false),
                        ("BirthDate", "birth_date", Date, false),
                        ("City", "city", nv(100), true),
                        ("RegisteredAt", "registered_at", DateTime, false),
                        ("ApprovedAt", "approved_at", DateTime, true),
                        ("PortraitUrl", "portrait_url", nv(400), true),
                        ("DeletedAt", "deleted_at", DateTime, true),
                        ("ProfileText", "profile_text", nv(2000), true),
                        ("HeightCm", "height_cm", SmallInt, true),
                        ("LastLoginAt", "last_login_at", DateTime, true),
                    ],
                ),
                table(
                    LegacyTable::Flirts,
                    &[
                        ("FlirtId", "flirt_id", BigInt, false),
                        ("SenderId", "sender_id", Int, false),
                        ("RecipientId", "recipient_id", Int, false),
                        ("SentAt", "sent_at", DateTime, false),
                        ("Kind", "kind", TinyInt, false),
                        ("Note", "note", nv(200), true),
                        ("SenderIp", "sender_ip", v(45), true),
                        ("SeenAt", "seen_at", DateTime, true),
                    ],
                ),
                table(
                    LegacyTable::Messages,
                    &[
                        ("MessageId", "message_id", BigInt, false),
                        ("SenderId", "sender_id", Int, false),
                        ("RecipientId", "recipient_id", Int, false),
                        ("Body", "body", nv(2000), false),
                        ("SentAt", "sent_at", DateTime, false),
                        ("ReadAt", "read_at", DateTime, true),
                        ("Subject", "subject", nv(200), true),
                        ("SenderIp", "sender_ip", v(45), true),
                        ("DeletedBySender", "deleted_by_sender", Bit, false),
                        ("DeletedByRecipient", "deleted_by_recipient", Bit, false),
                    ],
                ),
                table(
                    LegacyTable::Blocks,
                    &[
                        ("BlockId", "block_id", Int, false),
                        ("BlockerId", "blocker_id", Int, false),
                        ("BlockedId", "blocked_id", Int, false),
                        ("CreatedAt", "created_at", DateTime, false),
                        ("RemovedAt", "removed_at", DateTime, true),
                    ],
                ),
                table(
                    LegacyTable::Favorites,
                    &[
                        ("FavoriteId", "favorite_id", Int, false),
                        ("MemberId", "member_id", Int, false),
                        ("FavoriteMemberId", "favorite_member_id", Int, false),
                        ("CreatedAt", "created_at", DateTime, false),
                        ("RemovedAt", "removed_at", DateTime, true),
                    ],
                ),
                table(
                    LegacyTable::ProfileVisits,
                    &[
                        ("VisitId", "visit_id", BigInt, false),
                        ("VisitorId", "visitor_id", Int, false),
                        ("VisitedId", "visited_id", Int, false),
                        ("VisitedAt", "visited_at", DateTime, false),
                    ],
                ),
                table(
                    LegacyTable::Photos,
                    &[
                        ("PhotoId", "photo_id", Int, false),
                        ("MemberId", "member_id", Int, false),
                        ("Url", "url", nv(400), false),
                        ("UploadedAt", "uploaded_at", DateTime, false),
                    ],
                ),
                table(
                    LegacyTable::PhotoLikes,
                    &[
                        ("LikeId", "like_id", BigInt, false),
                        ("PhotoId", "photo_id", Int, false),
                        ("MemberId", "member_id", Int, false),
                        ("LikedAt", "liked_at", DateTime, false),
                    ],
                ),
                table(
                    LegacyTable::SearchProfiles,
                    &[
                        ("MemberId", "member_id", Int, false),
                        ("SeekingGender", "seeking_gender", TinyInt, true),
                        ("AgeMin", "age_min", TinyInt, false),
                        ("AgeMax", "age_max", TinyInt, false),
                        ("City", "city", nv(100), true),
                    ],
                ),
            ],
        }
    }

    /// A table by name (`"Members"`) or `schema.name` (`"dbo.Members"`),
    /// case-insensitively.
    pub fn table(&self, name: &str) -> Option<&TableDef> {
        let (schema, name) = split_name(name);
        self.tables.iter().find(|t| {
            t.name.eq_ignore_ascii_case(name)
                && schema.is_none_or(|s| t.schema.eq_ignore_ascii_case(s))
        })
    }

    /// Like [`Catalog::table`], for editing. Panics if there is none (tests
    /// only).
    pub fn table_mut(&mut self, name: &str) -> &mut TableDef {
        let (schema, bare) = split_name(name);
        self.tables
            .iter_mut()
            .find(|t| {
                t.name.eq_ignore_ascii_case(bare)
                    && schema.is_none_or(|s| t.schema.eq_ignore_ascii_case(s))
            })
            .unwrap_or_else(|| panic!("no table {name}"))
    }

    /// Checks what a server needs: known fields for each table's record
    /// type, existing primary key columns, unique names.
    pub fn validate(&self) -> Result<(), String> {
        for (i, t) in self.tables.iter().enumerate() {
            if self.tables[..i].iter().any(|o| {
                o.name.eq_ignore_ascii_case(&t.name) && o.schema.eq_ignore_ascii_case(&t.schema)
            }) {
                return Err(format!("table {} is listed twice", t.qualified_name()));
            }
            for (j, c) in t.columns.iter().enumerate() {
                if t.columns[..j]
                    .iter()
                    .any(|o| o.name.eq_ignore_ascii_case(&c.name))
                {
                    return Err(format!("{}: column {} twice", t.qualified_name(), c.name));
                }
                if let Some(field) = &c.field
                    && crate::record::field_index(t.source, field).is_none()
                {
                    return Err(format!(
                        "{}.{}: {} records have no field {field:?} (fields: {})",
                        t.qualified_name(),
                        c.name,
                        t.source.record_type(),
                        crate::record::fields(t.source).join(", ")
                    ));
                }
            }
            for (what, columns) in [("primary key", &t.primary_key), ("index", &t.index)] {
                for k in columns {
                    if t.column(k).is_none() {
                        return Err(format!(
                            "{}: {what} column {k} does not exist",
                            t.qualified_name()
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

fn split_name(name: &str) -> (Option<&str>, &str) {
    match name.rsplit_once('.') {
        Some((schema, name)) => (Some(schema), name),
        None => (None, name),
    }
}
