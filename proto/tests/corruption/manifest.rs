//! A dump's manifest against its parts: `verify` names each disagreement,
//! missing or misplaced part, and loading refuses counts no part can have.

use crate::common::{self, legacy_dump, problems, verify};
use crate::{TABLE, messages};
use pancake_proto::dump::DumpKind;
use pancake_proto::legacy;
use pancake_proto::manifest::{DumpKindName, MANIFEST_FILE};
use pancake_proto::verify::{Problem, VerifyReport, verify_dump};
use pancake_proto::{Manifest, ManifestError, ManifestWriter, PartEntry, Record};
use std::path::Path;

const PART_0: &str = "messages/part-000000.pb.gz";
const PART_1: &str = "messages/part-000001.pb.gz";

/// A complete dump of two parts of messages and verifies it.
fn dump() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let records = messages(200);
    legacy_dump(dir, TABLE, &records.chunks(100).collect::<Vec<_>>());
    let report = verify(dir);
    assert!(report.is_ok(), "{:?}", report.problems);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    tmp
}

fn edit_manifest(dir: &Path, change: impl FnOnce(&mut Manifest)) {
    let mut manifest = Manifest::load(dir).unwrap();
    change(&mut manifest);
    manifest.save(dir).unwrap();
}

fn part_mut(manifest: &mut Manifest, n: usize) -> &mut PartEntry {
    &mut manifest.tables[0].parts[n]
}

/// The report must hold exactly one problem, about `file`, and say `says`.
fn one_problem(report: &VerifyReport, file: &str, says: &str) -> Problem {
    let problem = problems(report, 1, file)[0].clone();
    assert_eq!(problem.file.as_deref(), Some(file), "{problem}");
    assert_eq!(problem.table.as_deref(), Some(TABLE), "{problem}");
    let text = problem.to_string();
    assert!(
        text.starts_with(&format!("{file}: ")),
        "names the file: {text}"
    );
    assert_eq!(text.matches(file).count(), 1, "names the file once: {text}");
    assert!(text.contains(says), "says {says:?}: {text}");
    problem
}

/// The fresh dump with `damage` done to the bytes of `file`, verified.
fn verify_damaged(file: &str, damage: impl FnOnce(&mut Vec<u8>)) -> VerifyReport {
    let tmp = dump();
    let path = tmp.path().join(file);
    let mut bytes = std::fs::read(&path).unwrap();
    damage(&mut bytes);
    std::fs::write(&path, &bytes).unwrap();
    verify(tmp.path())
}

/// The fresh dump, changed with `edit`, verified.
fn verify_edited(edit: impl FnOnce(&mut Manifest)) -> VerifyReport {
    let tmp = dump();
    edit_manifest(tmp.path(), edit);
    verify(tmp.path())
}

#[test]
fn a_manifest_disagreeing_with_a_part_is_a_problem() {
    type Edit = fn(&mut PartEntry);
    let cases: [(&str, Edit, &str); 7] = [
        (
            "records",
            |p| p.records += 1,
            "the record count is 101 in the manifest but 100 in the part",
        ),
        (
            "checksum",
            |p| p.checksum = "0000000000000000".into(),
            "the checksum is 0000000000000000 in the manifest",
        ),
        ("bytes", |p| p.bytes -= 1, "the size in bytes is"),
        (
            "record bytes",
            |p| p.record_bytes *= 2,
            "the record bytes is",
        ),
        (
            "key range",
            |p| p.key_range = Some([0, 1]),
            "the key range is Some([0, 1]) in the manifest but Some([1100, 1199])",
        ),
        (
            "no key range",
            |p| p.key_range = None,
            "the key range is None in the manifest",
        ),
        (
            "time range",
            |p| p.time_range = Some(["1900-01-01T00:00:00Z".into(), "2000-01-01T00:00:00Z".into()]),
            "the time range is",
        ),
    ];
    for (what, edit, says) in cases {
        let report = verify_edited(|m| edit(part_mut(m, 1)));
        let problem = one_problem(&report, PART_1, says);
        assert!(
            problem
                .reason
                .contains("the manifest disagrees with the part"),
            "{what}: {problem}"
        );
        assert_eq!(report.parts_checked, 2, "{what}");
        assert_eq!(
            report.records_checked, 100,
            "{what}: only the good part counts"
        );
    }

    // Several disagreements in one part are listed together.
    let report = verify_edited(|m| {
        let p = part_mut(m, 0);
        p.records = 5;
        p.checksum = "ffffffffffffffff".into();
    });
    let problem = one_problem(&report, PART_0, "the record count is 5");
    assert!(
        problem.reason.contains("the checksum is ffffffffffffffff"),
        "{problem}"
    );
}

#[test]
fn a_listed_part_that_is_missing_is_a_problem() {
    let tmp = dump();
    std::fs::remove_file(tmp.path().join(PART_0)).unwrap();
    let report = verify(tmp.path());
    one_problem(
        &report,
        PART_0,
        "missing: the manifest lists it but there is no such file",
    );
    assert_eq!(report.records_checked, 100);
}

#[test]
fn a_damaged_part_is_a_problem_naming_it() {
    let report = verify_damaged(PART_1, |bytes| bytes.truncate(bytes.len() / 2));
    let problem = one_problem(&report, PART_1, "truncated at record");
    assert!(
        problem.reason.starts_with("truncated at record"),
        "{problem}"
    );

    let report = verify_damaged(PART_0, |bytes| {
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01; // the length in the gzip trailer
    });
    one_problem(&report, PART_0, "corrupt at record");
}

#[test]
fn parts_swapped_on_disk_are_a_problem() {
    let tmp = dump();
    let (a, b) = (tmp.path().join(PART_0), tmp.path().join(PART_1));
    let c = tmp.path().join("swap");
    std::fs::rename(&a, &c).unwrap();
    std::fs::rename(&b, &a).unwrap();
    std::fs::rename(&c, &b).unwrap();
    let report = verify(tmp.path());
    for (problem, file) in problems(&report, 2, "swapped").iter().zip([PART_0, PART_1]) {
        assert_eq!(problem.file.as_deref(), Some(file));
        assert!(
            problem.reason.contains("bad header: part number"),
            "{problem}"
        );
    }
}

#[test]
fn a_manifest_pointing_outside_the_table_folder_is_a_problem() {
    for file in [
        "../x",
        "../messages/part-000000.pb.gz",
        "/etc/passwd",
        "messages/part-000001.pb.gz",
        "flirts/part-000000.pb.gz",
    ] {
        let report = verify_edited(|m| part_mut(m, 0).file = file.into());
        let problem = &problems(&report, 1, file)[0];
        assert_eq!(problem.file.as_deref(), Some(file));
        assert!(
            problem.to_string().starts_with(&format!("{file}: ")),
            "{problem}"
        );
        assert!(
            problem
                .reason
                .contains("expected part 0 in \"messages/part-000000.pb.gz\""),
            "{problem}"
        );
    }
    // A part number out of place.
    let report = verify_edited(|m| part_mut(m, 1).number = 7);
    let problem = &problems(&report, 1, "part 7")[0];
    assert_eq!(problem.file.as_deref(), Some(PART_1));
    assert!(problem.reason.contains("lists part 7 as"), "{problem}");
}

#[test]
fn a_table_name_leading_outside_the_dump_is_a_problem() {
    // A table named "../elsewhere" whose part is where that name leads:
    // outside the dump. Verify must not read it.
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("dump");
    let table = "../elsewhere";
    let manifest =
        ManifestWriter::create(&dir, Manifest::new(DumpKindName::LegacyDump, "test")).unwrap();
    let entry = common::write_part(&dir, DumpKind::LegacyDump, table, 0, &messages(1));
    assert!(root.path().join("elsewhere/part-000000.pb.gz").exists());
    std::fs::write(root.path().join("elsewhere/secret.txt"), b"not the dump's").unwrap();
    manifest
        .commit_part(table, legacy::Message::TYPE_NAME, false, entry)
        .unwrap();
    manifest.finish().unwrap();

    let report = verify(&dir);
    let problem = &problems(&report, 1, table)[0];
    assert_eq!(problem.table.as_deref(), Some(table));
    assert_eq!(
        problem.file.as_deref(),
        Some("../elsewhere/part-000000.pb.gz")
    );
    assert!(
        problem.reason.contains("not a folder name inside the dump"),
        "{problem}"
    );
    assert_eq!(report.records_checked, 0);
    assert!(
        report.warnings.is_empty(),
        "files outside the dump are not listed: {:#?}",
        report.warnings
    );

    for name in ["", ".", "..", "/abs", "a/b", "./messages"] {
        let report = verify_edited(|m| m.tables[0].name = name.into());
        let first = &problems(&report, 2, name)[0];
        assert!(
            first.reason.contains("not a folder name"),
            "{name:?}: {first}"
        );
    }
}

#[test]
fn a_manifest_of_another_kind_is_a_problem_for_every_part() {
    let report = verify_edited(|m| m.kind = DumpKindName::EventStream);
    for problem in problems(&report, 2, "event stream") {
        assert!(
            problem.reason.contains("expected a DUMP_KIND_EVENT_STREAM"),
            "{problem}"
        );
    }
}

#[test]
fn a_manifest_not_marked_complete_is_a_problem() {
    let report = verify_edited(|m| m.complete = false);
    let problem = &problems(&report, 1, "not complete")[0];
    assert_eq!(
        (problem.file.as_deref(), problem.table.as_deref()),
        (None, None)
    );
    assert!(problem.reason.contains("not marked complete"), "{problem}");
    // The parts themselves still verified.
    assert_eq!(report.records_checked, 200);
}

#[test]
fn an_invalid_or_missing_manifest_is_an_error() {
    let tmp = dump();
    let path = tmp.path().join(MANIFEST_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    for broken in [
        &text[..text.len() / 2],
        "",
        "null",
        "[]",
        "{\"format_version\": 1}",
        &text.replace("\"records\"", "\"rows\""),
        &text.replace("\"legacy-dump\"", "\"spreadsheet\""),
    ] {
        std::fs::write(&path, broken).unwrap();
        match verify_dump(tmp.path(), |_| {}) {
            Err(ManifestError::Invalid { path: p, .. }) => assert_eq!(p, path),
            other => panic!("{broken:?}: expected Invalid, got {other:?}"),
        }
    }
    let err = verify_dump(tmp.path(), |_| {}).err().unwrap();
    assert!(
        err.to_string()
            .starts_with(&format!("{}: not a valid manifest", path.display())),
        "{err}"
    );
    // The parser's words are in the message, so not also its source().
    assert!(std::error::Error::source(&err).is_none(), "{err:?}");

    std::fs::write(
        &path,
        text.replace("\"format_version\": 1", "\"format_version\": 2"),
    )
    .unwrap();
    match verify_dump(tmp.path(), |_| {}) {
        Err(ManifestError::FormatVersion {
            found: 2,
            supported: 1,
            ..
        }) => {}
        other => panic!("expected FormatVersion, got {other:?}"),
    }

    std::fs::remove_file(&path).unwrap();
    match verify_dump(tmp.path(), |_| {}) {
        Err(ManifestError::Missing { dir }) => assert_eq!(dir, tmp.path()),
        other => panic!("expected Missing, got {other:?}"),
    }
    match verify_dump(&tmp.path().join("nowhere"), |_| {}) {
        Err(ManifestError::Missing { .. }) => {}
        other => panic!("expected Missing, got {other:?}"),
    }
}

#[test]
fn a_manifest_claiming_counts_no_part_can_have_is_refused_when_read() {
    use pancake_proto::PartLimits;
    type Edit = fn(&mut PartEntry);
    let max = PartLimits::MAX_RECORDS;
    let cases: [(&str, Edit, String); 5] = [
        (
            "a quadrillion records",
            |p| p.records = 1_000_000_000_000_000,
            format!("it claims 1000000000000000 records, more than the {max} a part can hold"),
        ),
        (
            "one record over the limit",
            |p| {
                p.records = PartLimits::MAX_RECORDS + 1;
                p.record_bytes = u64::MAX;
            },
            format!(
                "it claims {} records, more than the {max} a part can hold",
                max + 1
            ),
        ),
        (
            "u64::MAX records",
            |p| p.records = u64::MAX,
            format!("it claims {} records", u64::MAX),
        ),
        (
            "more records than bytes",
            |p| p.records = p.record_bytes + 1,
            "bytes, but every record takes at least one byte".to_owned(),
        ),
        (
            "more bytes than records can take",
            |p| p.record_bytes = p.records * (17 << 20),
            "more than a record can take (16777216 bytes)".to_owned(),
        ),
    ];
    for (what, edit, says) in cases {
        let tmp = dump();
        edit_manifest_unchecked(tmp.path(), |m| edit(part_mut(m, 1)));
        let path = tmp.path().join(MANIFEST_FILE);
        let err = match Manifest::load(tmp.path()) {
            Err(e @ ManifestError::BadCount { .. }) => e,
            other => panic!("{what}: expected BadCount, got {other:?}"),
        };
        let text = err.to_string();
        assert!(
            text.starts_with(&format!(
                "{}: table \"messages\", part 1 (\"{PART_1}\"): ",
                path.display()
            )),
            "{what}: names the manifest, table and part: {text}"
        );
        assert!(text.contains(&says), "{what}: says {says:?}: {text}");
        assert!(
            text.ends_with("edited by hand: re-run the stage that wrote it"),
            "{what}: says what to do: {text}"
        );
        // Verify reads the manifest the same way.
        assert!(
            matches!(
                verify_dump(tmp.path(), |_| {}),
                Err(ManifestError::BadCount { part: 1, .. })
            ),
            "{what}"
        );
    }

    // A sidecar is checked like a table.
    let tmp = dump();
    edit_manifest_unchecked(tmp.path(), |m| {
        let mut sidecar = m.tables[0].clone();
        sidecar.name = "dirty_rows".into();
        sidecar.parts[0].records = u64::MAX;
        m.sidecars.push(sidecar);
    });
    match Manifest::load(tmp.path()) {
        Err(ManifestError::BadCount { table, part: 0, .. }) => assert_eq!(table, "dirty_rows"),
        other => panic!("expected BadCount, got {other:?}"),
    }

    // The limits themselves are fine: a part of that many records, of one
    // byte or of 16 MiB each, is one a writer can make.
    for record_bytes in [max, max * ((16 << 20) + 4)] {
        let tmp = dump();
        edit_manifest_unchecked(tmp.path(), |m| {
            let p = part_mut(m, 1);
            p.records = max;
            p.record_bytes = record_bytes;
        });
        let manifest = Manifest::load(tmp.path()).unwrap();
        assert_eq!(manifest.tables[0].records(), max + 100);
        // Only the part's own check finds the count is not the part's.
        let report = verify(tmp.path());
        one_problem(&report, PART_1, &format!("the record count is {max}"));
    }
}

/// Edits the manifest as text, so that what `Manifest::load` refuses can be
/// written too.
fn edit_manifest_unchecked(dir: &Path, change: impl FnOnce(&mut Manifest)) {
    let path = dir.join(MANIFEST_FILE);
    let mut manifest: Manifest = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    change(&mut manifest);
    manifest.save(dir).unwrap();
}

#[test]
fn stray_files_are_warnings_not_problems() {
    let tmp = dump();
    let dir = tmp.path();
    std::fs::write(dir.join("messages/part-000002.pb.gz.tmp"), b"half a part").unwrap();
    std::fs::copy(dir.join(PART_1), dir.join("messages/part-000002.pb.gz")).unwrap();
    let report = verify(dir);
    assert!(report.is_ok(), "{:#?}", report.problems);
    assert_eq!(report.warnings.len(), 2, "{:#?}", report.warnings);
    let tmp_warning = &report.warnings[1];
    assert_eq!(
        tmp_warning.file.as_deref(),
        Some("messages/part-000002.pb.gz.tmp")
    );
    assert!(
        tmp_warning.reason.contains("unfinished part"),
        "{tmp_warning}"
    );
    let unlisted = &report.warnings[0];
    assert_eq!(unlisted.file.as_deref(), Some("messages/part-000002.pb.gz"));
    assert!(
        unlisted.reason.contains("not listed in the manifest"),
        "{unlisted}"
    );
}
