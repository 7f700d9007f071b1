//! A copy of a dump with the legacy columns added for issue 15 filled by
//! key, for tests that must see them served and extracted whatever the
//! generator puts there: NULLs, empty text, text at the column's limit,
//! characters outside the BMP, lone surrogates (kept in `raw_texts`), the
//! extreme `smallint` and `tinyint` values, IPv4 and IPv6 addresses, both
//! `bit` values.
//!
//! Every value fits its column, so a server stores it unchanged and an
//! extraction of the copy equals the copy. Timestamps are the row's own
//! plus whole seconds, so they keep `datetime`'s 1/300 s precision.

use pancake_proto::dump::DumpKind;
use pancake_proto::legacy::{Flirt, Member, Message, RawText};
use pancake_proto::{
    IoError, LegacyTable, Manifest, ManifestWriter, PartReader, PartSpec, PartWriter, ReadOptions,
    Record, WriteOptions,
};
use prost_types::Timestamp;
use std::path::Path;

/// Writes to `dst` a copy of the legacy dump in `src` whose members,
/// flirts and messages have their later columns (`profile_text`,
/// `height_cm`, `last_login_at`; `kind`, `note`, `sender_ip`, `seen_at`;
/// `subject`, `sender_ip`, `deleted_by_sender`, `deleted_by_recipient`)
/// set from each row's key. Other tables are copied as they are; the
/// generator's sidecars and sections are left out.
pub fn fill_later_columns(src: &Path, dst: &Path) -> anyhow::Result<()> {
    let original = Manifest::load(src)?;
    let mut manifest = original.clone();
    manifest.tables.clear();
    manifest.sidecars.clear();
    manifest.sections.clear();
    manifest.source = format!("{} (later columns filled)", original.source);
    std::fs::create_dir_all(dst).map_err(IoError::at("create", dst))?;
    let writer = ManifestWriter::create(dst, manifest)?;
    for entry in &original.tables {
        let Some(table) = LegacyTable::from_name(&entry.name) else {
            continue;
        };
        let parts: Vec<u32> = entry.parts.iter().map(|p| p.number).collect();
        let files: Vec<String> = entry.parts.iter().map(|p| p.file.clone()).collect();
        let copy = Copy {
            src,
            dst,
            writer: &writer,
            table,
            parts: &parts,
            files: &files,
        };
        use pancake_proto::legacy as l;
        match table {
            LegacyTable::Members => copy.run::<Member>(fill_member)?,
            LegacyTable::Flirts => copy.run::<Flirt>(fill_flirt)?,
            LegacyTable::Messages => copy.run::<Message>(fill_message)?,
            LegacyTable::Blocks => copy.run::<l::Block>(|_| {})?,
            LegacyTable::Favorites => copy.run::<l::Favorite>(|_| {})?,
            LegacyTable::ProfileVisits => copy.run::<l::ProfileVisit>(|_| {})?,
            LegacyTable::Photos => copy.run::<l::Photo>(|_| {})?,
            LegacyTable::PhotoLikes => copy.run::<l::PhotoLike>(|_| {})?,
            LegacyTable::SearchProfiles => copy.run::<l::SearchProfile>(|_| {})?,
        }
    }
    writer.finish()?;
    Ok(())
}

struct Copy<'a> {
    src: &'a Path,
    dst: &'a Path,
    writer: &'a ManifestWriter,
    table: LegacyTable,
    parts: &'a [u32],
    files: &'a [String],
}

impl Copy<'_> {
    fn run<R: Record + 'static>(&self, mut fill: impl FnMut(&mut R)) -> anyhow::Result<()> {
        let name = self.table.name();
        self.writer.declare_table(name, R::TYPE_NAME, false)?;
        for (&number, file) in self.parts.iter().zip(self.files) {
            let options = ReadOptions {
                part_number: Some(number),
                ..ReadOptions::expect::<R>(DumpKind::LegacyDump, name)
            };
            let reader = PartReader::open(&self.src.join(file), &options)?;
            let spec = PartSpec::of::<R>(DumpKind::LegacyDump, name, number);
            let mut out = PartWriter::create(self.dst, spec, &WriteOptions::default())?;
            for record in reader.records::<R>() {
                let mut record = record?;
                fill(&mut record);
                out.write(&record)?;
            }
            self.writer
                .commit_part(name, R::TYPE_NAME, false, out.finish()?)?;
        }
        Ok(())
    }
}

/// Text with a lone high surrogate in the middle: the lossy string (U+FFFD
/// in its place, as the generator and the extractor keep it) and the raw
/// entry for `column`.
fn lone_surrogate(column: &str, before: &str, after: &str) -> (String, RawText) {
    let mut units: Vec<u16> = before.encode_utf16().collect();
    units.push(0xd800);
    units.extend(after.encode_utf16());
    let lossy = char::decode_utf16(units.iter().copied())
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    let raw = RawText {
        column: column.to_owned(),
        utf16le: units.iter().flat_map(|u| u.to_le_bytes()).collect(),
    };
    (lossy, raw)
}

/// `units` UTF-16 units of text with a character outside the BMP in it.
fn long_text(units: usize) -> String {
    let mut s = String::from("Hiihto 🎿 ja sauna. ");
    while s.encode_utf16().count() < units {
        s.push_str("Pidän järvistä ja metsästä. ");
    }
    while s.encode_utf16().count() > units {
        s.pop();
    }
    s
}

/// A short line, some empty, some at the column's limit, some with a lone
/// surrogate: by `k`.
fn text(k: i64, limit: usize, column: &str, raw: &mut Vec<RawText>) -> Option<String> {
    // The value is replaced: so is any exact legacy text the dump kept for it.
    raw.retain(|r| r.column != column);
    match k.rem_euclid(6) {
        0 => None,
        1 => Some(String::new()),
        2 => Some(long_text(limit)),
        3 => {
            let (s, r) = lone_surrogate(column, "Moi ", " 👋");
            raw.push(r);
            Some(s)
        }
        4 => Some(format!("Terveisiä numero {k} ❤")),
        _ => Some("Hei!".into()),
    }
}

fn ip(k: i64) -> Option<String> {
    match k.rem_euclid(4) {
        0 => None,
        1 => Some(format!("192.0.2.{}", k.rem_euclid(256))),
        2 => Some("2001:0db8:85a3:0000:0000:8a2e:0370:7334".into()),
        // 45 characters, the column's limit.
        _ => Some("0000:0000:0000:0000:0000:ffff:255.255.255.255".into()),
    }
}

fn later(t: Option<Timestamp>, seconds: i64) -> Option<Timestamp> {
    t.map(|t| Timestamp {
        seconds: t.seconds + seconds,
        nanos: t.nanos,
    })
}

fn fill_member(m: &mut Member) {
    let k = i64::from(m.member_id);
    m.profile_text = text(k, 2000, "profile_text", &mut m.raw_texts);
    m.height_cm = match k.rem_euclid(5) {
        0 => None,
        1 => Some(0),
        2 => Some(32_767),
        _ => Some(150 + (k.rem_euclid(50)) as u32),
    };
    m.last_login_at = if k % 3 == 0 {
        None
    } else {
        later(m.registered_at, 3_600 + k)
    };
}

fn fill_flirt(f: &mut Flirt) {
    let k = f.flirt_id;
    f.kind = Some(match k.rem_euclid(13) {
        0 => 0,
        1 => 255,
        n => 1 + (n % 4) as u32,
    });
    f.note = text(k + 1, 200, "note", &mut f.raw_texts);
    f.sender_ip = ip(k);
    f.seen_at = if k % 2 == 0 {
        None
    } else {
        later(f.sent_at, 60 + k % 1000)
    };
}

fn fill_message(m: &mut Message) {
    let k = m.message_id;
    m.subject = text(k + 2, 200, "subject", &mut m.raw_texts);
    m.sender_ip = ip(k + 1);
    m.deleted_by_sender = Some(k % 3 == 0);
    m.deleted_by_recipient = Some(k % 5 == 0);
}

/// A legacy dump written by hand, one part per table, for tests that need
/// exactly these rows (in key order, as the server serves only such dumps).
#[doc(hidden)]
pub struct HandMadeDump {
    dir: std::path::PathBuf,
    writer: ManifestWriter,
}

impl HandMadeDump {
    /// Starts a dump in `dir` (made if missing).
    pub fn create(dir: &Path) -> anyhow::Result<HandMadeDump> {
        let manifest = Manifest::new(
            pancake_proto::manifest::DumpKindName::LegacyDump,
            "a dump made by hand for a test",
        );
        Ok(HandMadeDump {
            dir: dir.to_path_buf(),
            writer: ManifestWriter::create(dir, manifest)?,
        })
    }

    /// Writes `records` as table `table`'s only part.
    pub fn table<R: Record + 'static>(
        &self,
        table: LegacyTable,
        records: &[R],
    ) -> anyhow::Result<&HandMadeDump> {
        let name = table.name();
        self.writer.declare_table(name, R::TYPE_NAME, false)?;
        let spec = PartSpec::of::<R>(DumpKind::LegacyDump, name, 0);
        let mut out = PartWriter::create(&self.dir, spec, &WriteOptions::default())?;
        for record in records {
            out.write(record)?;
        }
        self.writer
            .commit_part(name, R::TYPE_NAME, false, out.finish()?)?;
        Ok(self)
    }

    /// Marks the dump complete.
    pub fn finish(self) -> anyhow::Result<()> {
        self.writer.finish()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_exactly_the_limit() {
        assert_eq!(long_text(2000).encode_utf16().count(), 2000);
        assert_eq!(long_text(200).encode_utf16().count(), 200);
    }

    #[test]
    fn a_lone_surrogate_keeps_its_units() {
        let (s, raw) = lone_surrogate("note", "a", "b");
        assert_eq!(s, "a\u{fffd}b");
        assert_eq!(raw.utf16le, vec![0x61, 0, 0x00, 0xd8, 0x62, 0]);
    }
}
