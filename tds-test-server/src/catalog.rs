//! What the test server's database holds: tables, their columns and SQL
//! types, and which field of a dump record feeds each column.
//!
//! [`Catalog::legacy`] is exactly `datasets/sql/legacy-schema.sql`. Tests
//! edit it freely before starting a server: rename tables and columns, change
//! types, add columns, change primary keys.

use pancake_proto::LegacyTable;
use std::fmt;
use std::str::FromStr;

/// The length of a variable-length type: `n` or `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Len {
    N(u16),
    Max,
}

impl fmt::Display for Len {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Len::N(n) => write!(f, "{n}"),
            Len::Max => f.write_str("max"),
        }
    }
}

/// A SQL Server data type, as a column or a `CAST` target.
///
/// `char`, `varchar` and `text` hold single-byte text in code page 1252 (the
/// default `SQL_Latin1_General_CP1_CI_AS` collation): characters outside it
/// are stored as `?`, as SQL Server does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SqlType {
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    Bit,
    Decimal {
        precision: u8,
        scale: u8,
    },
    Numeric {
        precision: u8,
        scale: u8,
    },
    Money,
    SmallMoney,
    /// `float` (53 bits).
    Float,
    /// `real` (`float(24)`).
    Real,
    Date,
    DateTime,
    SmallDateTime,
    DateTime2 {
        scale: u8,
    },
    DateTimeOffset {
        scale: u8,
    },
    UniqueIdentifier,
    Char(u16),
    VarChar(Len),
    Text,
    NChar(u16),
    NVarChar(Len),
    NText,
    Binary(u16),
    VarBinary(Len),
}

impl SqlType {
    /// The type's name as `INFORMATION_SCHEMA.COLUMNS.DATA_TYPE` gives it.
    pub fn name(&self) -> &'static str {
        match self {
            SqlType::TinyInt => "tinyint",
            SqlType::SmallInt => "smallint",
            SqlType::Int => "int",
            SqlType::BigInt => "bigint",
            SqlType::Bit => "bit",
            SqlType::Decimal { .. } => "decimal",
            SqlType::Numeric { .. } => "numeric",
            SqlType::Money => "money",
            SqlType::SmallMoney => "smallmoney",
            SqlType::Float => "float",
            SqlType::Real => "real",
            SqlType::Date => "date",
            SqlType::DateTime => "datetime",
            SqlType::SmallDateTime => "smalldatetime",
            SqlType::DateTime2 { .. } => "datetime2",
            SqlType::DateTimeOffset { .. } => "datetimeoffset",
            SqlType::UniqueIdentifier => "uniqueidentifier",
            SqlType::Char(_) => "char",
            SqlType::VarChar(_) => "varchar",
            SqlType::Text => "text",
            SqlType::NChar(_) => "nchar",
            SqlType::NVarChar(_) => "nvarchar",
            SqlType::NText => "ntext",
            SqlType::Binary(_) => "binary",
            SqlType::VarBinary(_) => "varbinary",
        }
    }

    /// `CHARACTER_MAXIMUM_LENGTH`: characters (bytes for binary types), -1
    /// for `max`, `None` for non-text types.
    pub fn character_maximum_length(&self) -> Option<i32> {
        let len = |l: &Len| match l {
            Len::N(n) => i32::from(*n),
            Len::Max => -1,
        };
        match self {
            SqlType::Char(n) | SqlType::NChar(n) | SqlType::Binary(n) => Some(i32::from(*n)),
            SqlType::VarChar(l) | SqlType::NVarChar(l) | SqlType::VarBinary(l) => Some(len(l)),
            SqlType::Text => Some(2_147_483_647),
            SqlType::NText => Some(1_073_741_823),
            _ => None,
        }
    }

    /// `NUMERIC_PRECISION`.
    pub fn numeric_precision(&self) -> Option<u8> {
        match self {
            SqlType::TinyInt => Some(3),
            SqlType::SmallInt => Some(5),
            SqlType::Int => Some(10),
            SqlType::BigInt => Some(19),
            SqlType::Decimal { precision, .. } | SqlType::Numeric { precision, .. } => {
                Some(*precision)
            }
            SqlType::Money => Some(19),
            SqlType::SmallMoney => Some(10),
            SqlType::Float => Some(53),
            SqlType::Real => Some(24),
            _ => None,
        }
    }

    /// `NUMERIC_SCALE`.
    pub fn numeric_scale(&self) -> Option<i32> {
        match self {
            SqlType::TinyInt | SqlType::SmallInt | SqlType::Int | SqlType::BigInt => Some(0),
            SqlType::Decimal { scale, .. } | SqlType::Numeric { scale, .. } => {
                Some(i32::from(*scale))
            }
            SqlType::Money | SqlType::SmallMoney => Some(4),
            _ => None,
        }
    }

    /// `DATETIME_PRECISION`.
    pub fn datetime_precision(&self) -> Option<i16> {
        match self {
            SqlType::Date | SqlType::SmallDateTime => Some(0),
            SqlType::DateTime => Some(3),
            SqlType::DateTime2 { scale } | SqlType::DateTimeOffset { scale } => {
                Some(i16::from(*scale))
            }
            _ => None,
        }
    }

    pub(crate) fn is_integer(&self) -> bool {
        matches!(
            self,
            SqlType::TinyInt | SqlType::SmallInt | SqlType::Int | SqlType::BigInt
        )
    }

    pub(crate) fn is_unicode(&self) -> bool {
        matches!(
            self,
            SqlType::NChar(_) | SqlType::NVarChar(_) | SqlType::NText
        )
    }

    pub(crate) fn is_ansi(&self) -> bool {
        matches!(self, SqlType::Char(_) | SqlType::VarChar(_) | SqlType::Text)
    }

    pub(crate) fn is_text(&self) -> bool {
        self.is_unicode() || self.is_ansi()
    }

    pub(crate) fn is_binary(&self) -> bool {
        matches!(self, SqlType::Binary(_) | SqlType::VarBinary(_))
    }

    pub(crate) fn is_decimal(&self) -> bool {
        matches!(
            self,
            SqlType::Decimal { .. }
                | SqlType::Numeric { .. }
                | SqlType::Money
                | SqlType::SmallMoney
        )
    }

    /// The scale of a decimal-family type.
    pub(crate) fn scale(&self) -> u8 {
        match self {
            SqlType::Decimal { scale, .. } | SqlType::Numeric { scale, .. } => *scale,
            SqlType::Money | SqlType::SmallMoney => 4,
            SqlType::DateTime2 { scale } | SqlType::DateTimeOffset { scale } => *scale,
            _ => 0,
        }
    }

    pub(crate) fn is_datetime(&self) -> bool {
        matches!(
            self,
            SqlType::DateTime
                | SqlType::SmallDateTime
                | SqlType::DateTime2 { .. }
                | SqlType::DateTimeOffset { .. }
        )
    }
}

impl fmt::Display for SqlType {
    /// T-SQL spelling: `nvarchar(50)`, `decimal(18,2)`, `datetime2(7)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.name();
        match self {
            SqlType::Decimal { precision, scale } | SqlType::Numeric { precision, scale } => {
                write!(f, "{name}({precision},{scale})")
            }
            SqlType::DateTime2 { scale } | SqlType::DateTimeOffset { scale } => {
                write!(f, "{name}({scale})")
            }
            SqlType::Char(n) | SqlType::NChar(n) | SqlType::Binary(n) => write!(f, "{name}({n})"),
            SqlType::VarChar(l) | SqlType::NVarChar(l) | SqlType::VarBinary(l) => {
                write!(f, "{name}({l})")
            }
            _ => f.write_str(name),
        }
    }
}

impl FromStr for SqlType {
    type Err = String;

    /// Parses a T-SQL type as `CAST` accepts it: `int`, `nvarchar(max)`,
    /// `decimal(18, 2)`, `datetime2(0)`, `[nvarchar](50)`.
    fn from_str(s: &str) -> Result<SqlType, String> {
        crate::sql::parse_type(s)
    }
}

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
    /// Column names of the primary key, in key order; empty for a heap.
    pub primary_key: Vec<String>,
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
        for k in &mut self.primary_key {
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
}

/// The served database: its tables.
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
            for k in &t.primary_key {
                if t.column(k).is_none() {
                    return Err(format!(
                        "{}: primary key column {k} does not exist",
                        t.qualified_name()
                    ));
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
