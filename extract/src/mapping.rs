//! Where each legacy table and column lives on the source server.
//!
//! The built-in mapping is the design's schema (`datasets/sql/legacy-schema.sql`):
//! `dbo.Members(MemberId, Nickname, ...)`. A site whose schema drifted gives a
//! TOML file that lists only what differs:
//!
//! ```toml
//! [members]
//! table = "legacy.Users"          # schema.table; "Users" alone means dbo.Users
//!
//! [members.columns]
//! member_id = "UserId"            # the key field's column is the paging key
//! nickname = "ScreenName"
//! portrait_url = ""               # the site never had it: always empty
//! ```
//!
//! Field names are the dump's (`proto/.../legacy.proto`); `pancake extract
//! --print-mapping` shows the whole effective mapping.
//!
//! Some fields came late to the schema (issue 15: a member's profile text,
//! height and last login; a flirt's kind, note, sender IP and seen time; a
//! message's subject, sender IP and deleted flags). An older database may
//! not have their columns: left to the default mapping, such a field whose
//! column the server lacks is read as NULL, with a warning. Named in a
//! mapping file, its column must exist like any other's.

use crate::fields::{FieldKind, fields_of};
use pancake_proto::{IoError, LegacyTable};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One legacy table's place on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableMapping {
    #[serde(skip)]
    pub table: LegacyTable,
    pub schema: String,
    pub name: String,
    /// Field name → column; an empty column means the source has none.
    pub columns: BTreeMap<String, String>,
    /// Fields whose column may be missing on the server (then read as
    /// NULL): the fields that came late to the schema that a mapping file
    /// did not name.
    #[serde(skip)]
    pub optional: BTreeSet<String>,
}

impl TableMapping {
    /// `[schema].[name]`, ready for SQL.
    pub fn sql_name(&self) -> String {
        format!(
            "{}.{}",
            crate::value::quote(&self.schema),
            crate::value::quote(&self.name)
        )
    }

    /// `schema.name`, for people.
    pub fn display_name(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// The column of field `field`, if the source has one.
    pub fn column(&self, field: &str) -> Option<&str> {
        self.columns
            .get(field)
            .map(String::as_str)
            .filter(|c| !c.is_empty())
    }

    /// Whether the server may lack `field`'s column (it is then read as
    /// NULL).
    pub fn is_optional(&self, field: &str) -> bool {
        self.optional.contains(field)
    }

    /// The column the table is paged by: the key field's.
    pub fn key_column(&self) -> &str {
        let (key_field, _) = fields_of(self.table)[0];
        self.column(key_field).unwrap_or_default()
    }
}

/// Every legacy table's place, in dump order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub tables: Vec<TableMapping>,
}

#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("the mapping file {path} is not valid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("the mapping file {path} names an unknown table '{table}': expected one of {expected}")]
    UnknownTable {
        path: PathBuf,
        table: String,
        expected: String,
    },
    #[error(
        "the mapping file {path} names an unknown field '{field}' of table '{table}': expected one of {expected}"
    )]
    UnknownField {
        path: PathBuf,
        table: String,
        field: String,
        expected: String,
    },
    #[error(
        "the mapping file {path} leaves the key field '{field}' of table '{table}' without a column: the extractor pages by it, so it must name one"
    )]
    NoKey {
        path: PathBuf,
        table: String,
        field: String,
    },
    #[error("the mapping file {path} gives table '{table}' an unusable name '{name}': {why}")]
    BadName {
        path: PathBuf,
        table: String,
        name: String,
        why: &'static str,
    },
}

/// Fields the legacy schema gained late (issue 15): a site's older database
/// may not have their columns.
pub(crate) fn later_fields(table: LegacyTable) -> &'static [&'static str] {
    match table {
        LegacyTable::Members => &["profile_text", "height_cm", "last_login_at"],
        LegacyTable::Flirts => &["kind", "note", "sender_ip", "seen_at"],
        LegacyTable::Messages => &[
            "subject",
            "sender_ip",
            "deleted_by_sender",
            "deleted_by_recipient",
        ],
        _ => &[],
    }
}

/// `member_id` → `MemberId`: the design's naming.
fn pascal_case(field: &str) -> String {
    field
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

impl Default for Mapping {
    /// The design's schema.
    fn default() -> Mapping {
        let tables = LegacyTable::ALL
            .iter()
            .map(|&table| TableMapping {
                table,
                schema: "dbo".into(),
                name: table.sql_name().into(),
                columns: fields_of(table)
                    .iter()
                    .map(|(field, _)| ((*field).to_owned(), pascal_case(field)))
                    .collect(),
                optional: later_fields(table)
                    .iter()
                    .map(|f| (*f).to_owned())
                    .collect(),
            })
            .collect();
        Mapping { tables }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableOverride {
    table: Option<String>,
    #[serde(default)]
    columns: BTreeMap<String, String>,
}

impl Mapping {
    /// The default mapping with a file's overrides applied.
    pub fn from_file(path: &Path) -> Result<Mapping, MappingError> {
        let text =
            std::fs::read_to_string(path).map_err(IoError::at("read the mapping file", path))?;
        Mapping::from_toml(&text, path)
    }

    fn from_toml(text: &str, path: &Path) -> Result<Mapping, MappingError> {
        let overrides: BTreeMap<String, TableOverride> =
            toml::from_str(text).map_err(|e| MappingError::Syntax {
                path: path.to_path_buf(),
                message: e.message().to_owned(),
            })?;
        let mut mapping = Mapping::default();
        let known = || {
            LegacyTable::ALL
                .iter()
                .map(|t| t.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        for (table_name, o) in overrides {
            let Some(entry) = mapping
                .tables
                .iter_mut()
                .find(|t| t.table.name() == table_name)
            else {
                return Err(MappingError::UnknownTable {
                    path: path.to_path_buf(),
                    table: table_name,
                    expected: known(),
                });
            };
            if let Some(full) = o.table {
                let bad = |why| MappingError::BadName {
                    path: path.to_path_buf(),
                    table: table_name.clone(),
                    name: full.clone(),
                    why,
                };
                let (schema, name) = match full.split_once('.') {
                    Some((s, n)) => (s.trim(), n.trim()),
                    None => ("dbo", full.trim()),
                };
                if schema.is_empty() || name.is_empty() {
                    return Err(bad("write it as schema.table or table"));
                }
                if name.contains('.') {
                    return Err(bad(
                        "only schema.table is supported (no database or server prefix)",
                    ));
                }
                entry.schema = strip_brackets(schema);
                entry.name = strip_brackets(name);
            }
            for (field, column) in o.columns {
                let fields = fields_of(entry.table);
                let Some((_, kind)) = fields.iter().find(|(f, _)| *f == field) else {
                    return Err(MappingError::UnknownField {
                        path: path.to_path_buf(),
                        table: table_name.clone(),
                        field,
                        expected: fields
                            .iter()
                            .map(|(f, _)| *f)
                            .collect::<Vec<_>>()
                            .join(", "),
                    });
                };
                if matches!(kind, FieldKind::Key { .. }) && column.trim().is_empty() {
                    return Err(MappingError::NoKey {
                        path: path.to_path_buf(),
                        table: table_name.clone(),
                        field,
                    });
                }
                // Named in the file: its column must exist.
                entry.optional.remove(&field);
                entry.columns.insert(field, strip_brackets(column.trim()));
            }
        }
        Ok(mapping)
    }

    pub fn table(&self, table: LegacyTable) -> &TableMapping {
        self.tables
            .iter()
            .find(|t| t.table == table)
            .expect("every table is mapped")
    }

    /// The mapping as TOML, complete, for `--print-mapping` and as a
    /// starting point for a site's own file. An optional field is printed
    /// as a comment (naming it would make its column required), so the
    /// text reads back as the same mapping.
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        for t in &self.tables {
            out.push_str(&format!(
                "[{}]\ntable = \"{}\"\n\n[{}.columns]\n",
                t.table.name(),
                t.display_name(),
                t.table.name()
            ));
            for (field, _) in fields_of(t.table) {
                let column = t.columns.get(*field).map(String::as_str).unwrap_or("");
                if t.is_optional(field) {
                    out.push_str(&format!(
                        "# {field} = \"{column}\"  # optional: NULL if the server has no such column\n"
                    ));
                } else {
                    out.push_str(&format!("{field} = \"{column}\"\n"));
                }
            }
            out.push('\n');
        }
        out
    }

    /// The mapping as JSON, as the manifest records it.
    pub fn to_json(&self) -> serde_json::Value {
        self.tables
            .iter()
            .map(|t| {
                (
                    t.table.name().to_owned(),
                    serde_json::to_value(t).expect("a mapping serialises"),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    }
}

fn strip_brackets(name: &str) -> String {
    name.strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Mapping, MappingError> {
        Mapping::from_toml(text, Path::new("site.toml"))
    }

    #[test]
    fn the_default_is_the_design_schema() {
        let m = Mapping::default();
        let members = m.table(LegacyTable::Members);
        assert_eq!(members.sql_name(), "[dbo].[Members]");
        assert_eq!(members.key_column(), "MemberId");
        assert_eq!(members.column("portrait_url"), Some("PortraitUrl"));
        let likes = m.table(LegacyTable::PhotoLikes);
        assert_eq!(likes.key_column(), "LikeId");
        assert_eq!(likes.column("liked_at"), Some("LikedAt"));
        let visits = m.table(LegacyTable::ProfileVisits);
        assert_eq!(visits.display_name(), "dbo.ProfileVisits");
        let profiles = m.table(LegacyTable::SearchProfiles);
        assert_eq!(profiles.sql_name(), "[dbo].[SearchProfiles]");
        assert_eq!(profiles.key_column(), "MemberId");
        assert_eq!(profiles.column("seeking_gender"), Some("SeekingGender"));
        assert_eq!(profiles.column("age_min"), Some("AgeMin"));
        assert!(!profiles.is_optional("city"));
    }

    #[test]
    fn every_default_column_is_in_the_schema_script() {
        let sql = pancake_datasets::LEGACY_SCHEMA_SQL;
        for t in Mapping::default().tables {
            let start = sql
                .find(&format!("CREATE TABLE dbo.{} (", t.name))
                .unwrap_or_else(|| panic!("{} in the schema", t.name));
            let body = &sql[start..start + sql[start..].find(");").unwrap()];
            for column in t.columns.values() {
                assert!(
                    body.contains(&format!("\n    {column} ")),
                    "{}.{column} is not in legacy-schema.sql",
                    t.name
                );
            }
        }
    }

    #[test]
    fn a_file_overrides_only_what_it_names() {
        let m = parse(
            r#"
            [members]
            table = "legacy.[Users]"
            [members.columns]
            member_id = "UserId"
            portrait_url = ""
            [messages.columns]
            body = "Text"
            "#,
        )
        .unwrap();
        let members = m.table(LegacyTable::Members);
        assert_eq!(members.sql_name(), "[legacy].[Users]");
        assert_eq!(members.key_column(), "UserId");
        assert_eq!(members.column("portrait_url"), None);
        assert_eq!(members.column("nickname"), Some("Nickname"));
        let messages = m.table(LegacyTable::Messages);
        assert_eq!(messages.sql_name(), "[dbo].[Messages]");
        assert_eq!(messages.column("body"), Some("Text"));
        assert_ne!(m, Mapping::default());
    }

    #[test]
    fn mistakes_in_a_file_are_named() {
        let e = parse("[memberz]\ntable = \"X\"").unwrap_err().to_string();
        assert!(
            e.contains("'memberz'") && e.contains("members, flirts"),
            "{e}"
        );
        let e = parse("[members.columns]\nnick = \"N\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("'nick'") && e.contains("nickname"), "{e}");
        let e = parse("[flirts.columns]\nflirt_id = \"\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("key field 'flirt_id'"), "{e}");
        let e = parse("[flirts]\ntable = \"db.dbo.Flirts\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("schema.table"), "{e}");
        let e = parse("[flirts]\ntabel = \"Flirts\"")
            .unwrap_err()
            .to_string();
        assert!(e.contains("site.toml") && e.contains("tabel"), "{e}");
    }

    #[test]
    fn an_unreadable_file_says_so_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("site.toml");
        let e = Mapping::from_file(&path).unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with(&format!(
                "{}: cannot read the mapping file: ",
                path.display()
            )),
            "{text}"
        );
        // The cause is quoted in the message, so not returned again.
        assert!(std::error::Error::source(&e).is_none(), "{e:?}");
    }

    #[test]
    fn the_printed_mapping_reads_back_the_same() {
        let m = parse("[photos]\ntable = \"media.Pictures\"").unwrap();
        assert_eq!(parse(&m.to_toml()).unwrap(), m);
        let m = parse("[messages.columns]\nsubject = \"Title\"").unwrap();
        let text = m.to_toml();
        assert!(text.contains("\nsubject = \"Title\"\n"), "{text}");
        assert!(
            text.contains("\n# sender_ip = \"SenderIp\"  # optional"),
            "{text}"
        );
        assert_eq!(parse(&text).unwrap(), m);
    }

    #[test]
    fn later_fields_are_optional_until_a_file_names_them() {
        let m = Mapping::default();
        let members = m.table(LegacyTable::Members);
        assert!(members.is_optional("height_cm"));
        assert!(!members.is_optional("nickname"));
        assert_eq!(members.column("height_cm"), Some("HeightCm"));
        let flirts = m.table(LegacyTable::Flirts);
        assert!(flirts.is_optional("kind") && flirts.is_optional("note"));
        let m = parse("[messages.columns]\nsubject = \"Title\"\nsender_ip = \"\"").unwrap();
        let messages = m.table(LegacyTable::Messages);
        assert!(!messages.is_optional("subject"));
        assert_eq!(messages.column("sender_ip"), None);
        assert!(messages.is_optional("deleted_by_sender"));
        // Every later field is a field of its table.
        for table in LegacyTable::ALL {
            for field in later_fields(table) {
                assert!(fields_of(table).iter().any(|(f, _)| f == field), "{field}");
            }
        }
    }
}
