//! What the loader's tests share: `tiny` as an event stream (made once per
//! test binary), streams written by hand, and what a load should deliver.
//! The broker's side is in [`rabbit`] (shared with the CLI's tests), the
//! PostgreSQL server's in [`pg`], and the hand-made stream of the
//! PostgreSQL tests in [`hand`].

#![allow(dead_code)]

pub mod hand;
pub mod pg;
pub mod rabbit;

pub use rabbit::*;

use pancake_datasets::{GenerateOptions, Preset, generate};
use pancake_proto::events::Event;
use pancake_transform::{TransformOptions, transform};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// `tiny` generated into `dir/tiny` and transformed into `dir/events` in
/// parts of `part_events`; returns the stream's folder.
pub fn tiny_stream(dir: &Path, part_events: u64) -> PathBuf {
    let dump = dir.join("tiny");
    let options = GenerateOptions {
        threads: 2,
        ..GenerateOptions::new(Preset::TINY, 1.0)
    };
    generate(&dump, &options, false, &()).unwrap();
    let out = dir.join("events");
    let mut t = TransformOptions::new(dump, out.clone());
    t.threads = 2;
    t.part_events = part_events;
    transform(&t, &()).unwrap();
    out
}

/// `tiny` in parts of 500 events, made once per test binary.
pub fn events() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let out = tiny_stream(tmp.path(), 500);
        (tmp, out)
    })
    .1
}

/// Every event of the stream, in global order.
pub fn all_events() -> Vec<Event> {
    pancake_load::EventMerge::open(events())
        .unwrap()
        .map(|e| e.unwrap())
        .collect()
}

/// Every event a module should get arrived at least once, and repeats stay
/// within `most_repeats`.
pub fn assert_complete(module: &pancake_load::ModuleSpec, got: &[Event], most_repeats: usize) {
    let expected: std::collections::BTreeSet<&[u8]> = all_events_cached()
        .iter()
        .filter(|e| module.consumes(e.kind()))
        .map(|e| e.event_id.as_slice())
        .collect();
    let seen: std::collections::BTreeSet<&[u8]> =
        got.iter().map(|e| e.event_id.as_slice()).collect();
    let missing: Vec<_> = expected.difference(&seen).take(3).collect();
    assert!(missing.is_empty(), "{}: missing {missing:?}", module.name);
    assert!(
        seen.is_subset(&expected),
        "{}: unexpected events",
        module.name
    );
    let repeats = got.len() - seen.len();
    assert!(
        repeats <= most_repeats,
        "{}: {repeats} repeats",
        module.name
    );
}

pub fn all_events_cached() -> &'static [Event] {
    static ALL: OnceLock<Vec<Event>> = OnceLock::new();
    ALL.get_or_init(all_events)
}

/// [`all_events_cached`] with ids as UUID text (contract v1's form), as
/// PostgreSQL shows them: for tests that compare rows with events.
#[allow(dead_code)]
pub fn all_events_as_text() -> &'static [pancake_proto::events_v1::Event] {
    static ALL: OnceLock<Vec<pancake_proto::events_v1::Event>> = OnceLock::new();
    ALL.get_or_init(|| {
        all_events_cached()
            .iter()
            .map(pancake_proto::events::to_v1)
            .collect()
    })
}

/// How many events of `kind` the stream has.
pub fn count_of(kind: pancake_proto::events::EventKind) -> u64 {
    all_events_cached()
        .iter()
        .filter(|e| e.kind() == kind)
        .count() as u64
}

/// Every event of the stream reached every module queue of `prefix` at
/// `url` that wants it, with at most `most_repeats` repeats in each.
pub async fn assert_every_event_arrived(url: &str, prefix: &str, most_repeats: usize) {
    let (connection, _) = pancake_load::rabbitmq::connect(url).await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    for module in pancake_load::MODULES {
        let want = all_events_cached()
            .iter()
            .filter(|e| module.consumes(e.kind()))
            .count();
        let queue = pancake_load::rabbitmq::queue_name(prefix, module);
        let got = drain(&channel, &queue, want).await;
        assert_complete(module, &got, most_repeats);
    }
}

/// A port on 127.0.0.1 that nothing listens on (it was free a moment ago).
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Writes a finished event stream to `dir`: each table a list of parts,
/// each part sorted by the stream's event order before it is written.
pub fn write_stream(dir: &Path, source: &str, tables: &[(&str, Vec<Vec<Event>>)]) {
    use pancake_proto::dump::DumpKind;
    use pancake_proto::manifest::DumpKindName;
    use pancake_proto::record::event_order;
    use pancake_proto::{
        Manifest, ManifestWriter, PartSpec, PartWriter, Record as _, WriteOptions,
    };
    let manifest =
        ManifestWriter::create(dir, Manifest::new(DumpKindName::EventStream, source)).unwrap();
    for (table, parts) in tables {
        manifest
            .declare_table(table, Event::TYPE_NAME, false)
            .unwrap();
        for (number, events) in parts.iter().enumerate() {
            let mut events = events.clone();
            events.sort_by(|a, b| event_order(a).cmp(&event_order(b)));
            let spec = PartSpec::of::<Event>(DumpKind::EventStream, table, number as u32);
            let mut writer = PartWriter::create(dir, spec, &WriteOptions::default()).unwrap();
            for event in &events {
                writer.write(event).unwrap();
            }
            let entry = writer.finish().unwrap();
            manifest
                .commit_part(table, Event::TYPE_NAME, false, entry)
                .unwrap();
        }
    }
    manifest.finish().unwrap();
}

/// A copy of the `tiny` event stream in `dir` (its checkpoints left out),
/// for a test that alters it.
pub fn copy_stream(dir: &Path) -> PathBuf {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name();
            if name == "checkpoints" {
                continue;
            }
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &to.join(&name));
            } else {
                std::fs::copy(entry.path(), to.join(&name)).unwrap();
            }
        }
    }
    let out = dir.join("events");
    copy(events(), &out);
    out
}

/// Runs `rabbitmqctl` with `args`, which must succeed.
pub fn rabbitmqctl(args: &[&str]) {
    let out = std::process::Command::new("rabbitmqctl")
        .args(args)
        .output()
        .expect("rabbitmqctl runs (scripts/services.sh installs it)");
    assert!(
        out.status.success(),
        "rabbitmqctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A vhost of its own that guest may use, deleted (with everything in it)
/// when dropped.
pub struct Vhost(pub String);

impl Vhost {
    pub fn new(tag: &str) -> Vhost {
        let name = unique(tag);
        rabbitmqctl(&["add_vhost", &name]);
        let vhost = Vhost(name);
        rabbitmqctl(&["set_permissions", "-p", &vhost.0, "guest", ".*", ".*", ".*"]);
        vhost
    }

    pub fn url(&self) -> String {
        url_with(Some(&self.0), None)
    }
}

impl Drop for Vhost {
    fn drop(&mut self) {
        let _ = std::process::Command::new("rabbitmqctl")
            .args(["delete_vhost", &self.0])
            .output();
    }
}

/// What a load reported through its progress.
#[derive(Default)]
pub struct Seen {
    pub events: std::sync::atomic::AtomicU64,
    pub retries: std::sync::Mutex<Vec<pancake_load::rabbitmq::Retry>>,
    /// Times the broker blocked publishing, and unblocked it.
    pub blocked: std::sync::atomic::AtomicU32,
    pub unblocked: std::sync::atomic::AtomicU32,
}

impl pancake_load::rabbitmq::Progress for Seen {
    fn events(&self, n: u64) {
        self.events
            .fetch_add(n, std::sync::atomic::Ordering::SeqCst);
    }
    fn reconnecting(&self, retry: &pancake_load::rabbitmq::Retry) {
        self.retries.lock().unwrap().push(retry.clone());
    }
    fn blocked(&self, _reason: &str) {
        self.blocked
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
    fn unblocked(&self) {
        self.unblocked
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Messages waiting in each of the module queues `<prefix>_<module>` that
/// exist (a missing queue counts as empty).
pub async fn queued(url: &str, prefix: &str) -> u64 {
    let (connection, _) = pancake_load::rabbitmq::connect(url).await.unwrap();
    let mut total = 0;
    for module in pancake_load::MODULES {
        // A passive declare of a missing queue closes the channel: one each.
        let channel = connection.create_channel().await.unwrap();
        let queue = pancake_load::rabbitmq::queue_name(prefix, module);
        if let Ok(q) = channel
            .queue_declare(
                queue.as_str().into(),
                lapin::options::QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                lapin::types::FieldTable::default(),
            )
            .await
        {
            total += u64::from(q.message_count());
        }
    }
    let _ = connection.close(200, "done".into()).await;
    total
}
