//! Event contract v2 against v1, on a stream v1 wrote (tests/fixtures/
//! contract-v1): the same dump transformed again gives the same events, ids
//! included, in fewer bytes; and every stage refuses the v1 stream before
//! touching anything, saying to re-run transform.

mod common;

use common::{database_url, pancake, pancake_ok, psql, text};
use pancake_proto::dump::DumpKind;
use pancake_proto::events::{Event, Reject, to_v1};
use pancake_proto::{Manifest, PartReader, ReadOptions, events_v1};
use prost::Message as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/contract-v1")
}

/// A copy of the fixture in a temporary folder: no stage may write into
/// the repository's copy.
fn copy_of_fixture() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let status = Command::new("cp")
        .args(["-a", "--"])
        .arg(fixture().join("dump"))
        .arg(fixture().join("stream"))
        .arg(tmp.path())
        .status()
        .unwrap();
    assert!(status.success());
    tmp
}

/// The records of a part, read by hand (a v2 reader refuses v1 parts):
/// one gzip member of length-delimited messages, header first and trailer
/// last.
fn frames(path: &Path) -> Vec<Vec<u8>> {
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut bytes)
        .unwrap();
    let mut rest = bytes.as_slice();
    let mut out = Vec::new();
    while !rest.is_empty() {
        let len = prost::encoding::decode_varint(&mut rest).unwrap() as usize;
        out.push(rest[..len].to_vec());
        rest = &rest[len..];
    }
    assert!(out.len() >= 2, "{}: header and trailer", path.display());
    out[1..out.len() - 1].to_vec()
}

fn v2_records<R: pancake_proto::Record>(dir: &Path, table: &str, file: &str) -> Vec<R> {
    let options = ReadOptions::expect::<R>(DumpKind::EventStream, table);
    let mut reader = PartReader::open(&dir.join(file), &options).unwrap();
    let mut out = Vec::new();
    while let Some(r) = reader.next_record::<R>().unwrap() {
        out.push(r);
    }
    out
}

#[test]
fn a_v2_stream_holds_the_events_of_the_v1_stream_of_the_same_dump_ids_included() {
    let tmp = copy_of_fixture();
    let (dump, v1) = (tmp.path().join("dump"), tmp.path().join("stream"));
    let v2 = tmp.path().join("v2");
    pancake_ok(&[
        "transform",
        "--in",
        dump.to_str().unwrap(),
        "--out",
        v2.to_str().unwrap(),
        "--compression-level",
        "9",
    ]);
    let (old, new) = (Manifest::load(&v1).unwrap(), Manifest::load(&v2).unwrap());
    assert_eq!(old.tables.len(), new.tables.len());
    let (mut events, mut old_bytes, mut new_bytes) = (0, 0, 0);
    for (a, b) in old.tables.iter().zip(&new.tables) {
        assert_eq!(a.name, b.name);
        assert_eq!(a.record_type, "pancake.events.v1.Event");
        assert_eq!(b.record_type, "pancake.events.v2.Event");
        assert_eq!(a.parts.len(), b.parts.len(), "{}: parts", a.name);
        for (pa, pb) in a.parts.iter().zip(&b.parts) {
            let was: Vec<events_v1::Event> = frames(&v1.join(&pa.file))
                .iter()
                .map(|f| events_v1::Event::decode(f.as_slice()).unwrap())
                .collect();
            let is: Vec<Event> = v2_records(&v2, &b.name, &pb.file);
            assert_eq!(was.len(), is.len(), "{}: events", pb.file);
            for (i, (w, e)) in was.iter().zip(&is).enumerate() {
                assert_eq!(&to_v1(e), w, "{} event {i}", pb.file);
                assert_eq!(e.event_id.len(), 16);
            }
            events += is.len();
            old_bytes += pa.record_bytes;
            new_bytes += pb.record_bytes;
        }
    }
    assert_eq!(events, 1_710, "the fixture's events, all compared");
    // Rejects have no ids: byte for byte the same records.
    assert_eq!(old.sidecars.len(), new.sidecars.len());
    for (a, b) in old.sidecars.iter().zip(&new.sidecars) {
        assert_eq!(b.record_type, "pancake.events.v2.Reject");
        for (pa, pb) in a.parts.iter().zip(&b.parts) {
            let was = frames(&v1.join(&pa.file));
            let is: Vec<Vec<u8>> = v2_records::<Reject>(&v2, &b.name, &pb.file)
                .iter()
                .map(|r| r.encode_to_vec())
                .collect();
            assert_eq!(was, is, "{}", pb.file);
        }
    }
    assert_eq!(
        accounting(&old.sections["transform"]),
        accounting(&new.sections["transform"]),
        "the same accounting"
    );
    // Ids as 16 bytes instead of 36 characters: the events are smaller.
    assert!(
        new_bytes * 100 < old_bytes * 85,
        "v2 {new_bytes} bytes against v1 {old_bytes}"
    );
}

/// A transform section's accounting: events by kind, rejects by reason,
/// and both per table.
fn accounting(section: &serde_json::Value) -> [serde_json::Value; 3] {
    let counts = ["kinds", "rejects", "tables"].map(|k| section[k].clone());
    assert!(counts.iter().all(|c| c.is_object()), "{section}");
    counts
}

/// Runs `pancake args`, which must exit 1 naming the contract found and
/// the way out; returns its stderr.
#[track_caller]
fn refused_with_the_way_out(args: &[&str]) -> String {
    let out = pancake(args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    for needle in [
        "pancake.events.v1",
        "this pancake reads only pancake.events.v2",
        "re-run `pancake transform`",
    ] {
        assert!(stderr.contains(needle), "{args:?}: {needle:?} in {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn every_stage_refuses_a_v1_stream_before_touching_anything_and_says_to_re_run_transform() {
    let tmp = copy_of_fixture();
    let stream = tmp.path().join("stream");
    let s = stream.to_str().unwrap();

    // A database of the prefix holds something: --reset must not drop it
    // for a stream the loader will not read.
    let prefix = format!("v1refused{}_", std::process::id());
    let profile = format!("{prefix}profile");
    psql(
        "postgres",
        &format!("DROP DATABASE IF EXISTS \"{profile}\""),
    );
    psql("postgres", &format!("CREATE DATABASE \"{profile}\"")).unwrap();
    psql(
        &profile,
        "CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)",
    )
    .unwrap();
    let mut load = Command::new(env!("CARGO_BIN_EXE_pancake"));
    load.args([
        "load",
        "postgres",
        "--in",
        s,
        "--db-prefix",
        &prefix,
        "--reset",
    ])
    .env("DATABASE_URL", database_url());
    let out = load.output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("re-run `pancake transform`"), "{stderr}");
    assert_eq!(
        psql(&profile, "SELECT x FROM kept").as_deref(),
        Some("7"),
        "the database the refused load was pointed at is untouched"
    );
    psql("postgres", &format!("DROP DATABASE \"{profile}\""));

    // RabbitMQ: refused before connecting, so no broker is needed here.
    refused_with_the_way_out(&[
        "load",
        "rabbitmq",
        "--in",
        s,
        "--amqp-url",
        "amqp://guest:guest@127.0.0.1:1/%2f",
    ]);
    let verify = refused_with_the_way_out(&["verify", s]);
    assert_eq!(
        verify.matches("re-run `pancake transform`").count(),
        1,
        "said once, not once per part: {verify}"
    );
    refused_with_the_way_out(&["inspect", s, "--records", "1"]);
    // Nothing was written into the stream: no checkpoint, no lock left.
    let mut names: Vec<String> = std::fs::read_dir(&stream)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut fixture_names: Vec<String> = std::fs::read_dir(fixture().join("stream"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    fixture_names.sort();
    assert_eq!(names, fixture_names);
}
