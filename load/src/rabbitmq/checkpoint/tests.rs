//! Checkpoints: one file per target, never applied to another target or
//! stream, and a folder that cannot take one found before publishing.

use super::*;
use crate::rabbitmq::DEFAULT_AMQP_URL;

fn options(url: &str) -> RabbitOptions {
    RabbitOptions::new("/nowhere".into(), url.into())
}

/// A checkpoint at the start of a stream, for the target of `options`.
pub(in crate::rabbitmq) fn fresh(options: &RabbitOptions) -> Checkpoint {
    let stream = StreamIdentity {
        created_at: "now".into(),
        parts_digest: "0".into(),
    };
    Checkpoint::start(
        LoadTarget::of(options).unwrap(),
        stream,
        Position::default(),
    )
}

#[test]
fn every_part_of_the_target_gives_its_own_checkpoint_file_without_the_password() {
    let base = options("amqp://guest:secret-one@127.0.0.1:5672/%2f");
    let path = Checkpoint::path(&base).unwrap();
    // Another user or password is the same target.
    let same = options("amqp://other:secret-two@127.0.0.1:5672/%2f");
    assert_eq!(Checkpoint::path(&same).unwrap(), path);
    let mut others = vec![
        options("amqp://guest:guest@127.0.0.1:5672/other"),
        options("amqp://guest:guest@127.0.0.1:5673/%2f"),
        options("amqp://guest:guest@rabbit.example.com:5672/%2f"),
    ];
    let changes: [fn(&mut RabbitOptions); 4] = [
        |o: &mut RabbitOptions| o.exchange = "x2".into(),
        |o: &mut RabbitOptions| o.batch = 100,
        |o: &mut RabbitOptions| o.stream = true,
        |o: &mut RabbitOptions| o.queue_prefix = "p2".into(),
    ];
    for change in changes {
        let mut o = base.clone();
        change(&mut o);
        others.push(o);
    }
    for o in &others {
        assert_ne!(Checkpoint::path(o).unwrap(), path, "{o:?}");
    }
    let text = serde_json::to_string(&fresh(&base)).unwrap();
    assert!(
        !text.contains("secret") && !text.contains("guest"),
        "{text}"
    );
}

#[test]
fn an_older_checkpoint_is_not_applied_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let o = RabbitOptions::new(dir.path().into(), DEFAULT_AMQP_URL.into());
    std::fs::create_dir_all(checkpoints_dir(dir.path())).unwrap();
    let old = checkpoints_dir(dir.path()).join("rabbitmq-pancake.events.json");
    std::fs::write(
        &old,
        r#"{"stream_created_at":"2026-01-01T00:00:00Z","exchange":"pancake.events","queue_prefix":"pancake","batch":1,"stream":false,"position":{"consumed":[3]},"events":3,"complete":true}"#,
    )
    .unwrap();
    let target = LoadTarget::of(&o).unwrap();
    let path = Checkpoint::path(&o).unwrap();
    let stream = StreamIdentity {
        created_at: "2026-01-01T00:00:00Z".into(),
        parts_digest: "0".into(),
    };
    let (found, ignored) = Checkpoint::find(dir.path(), &path, &target, &stream);
    assert!(found.is_none());
    assert_eq!(ignored.len(), 1, "{ignored:?}");
    assert_eq!(ignored[0].path, old);
    assert!(ignored[0].reason.contains("older format"), "{ignored:?}");
}

#[test]
fn an_unwritable_checkpoint_folder_is_found_before_anything_is_published() {
    // Tests run as root, where permission bits do not stop a write: a
    // regular file where the folder should be does.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(checkpoints_dir(dir.path()), b"not a folder").unwrap();
    let path = checkpoints_dir(dir.path()).join("rabbitmq-x-0.json");
    let e = Checkpoint::check_writable(&path).unwrap_err().to_string();
    assert!(e.contains("cannot write the checkpoint"), "{e}");
    assert!(e.contains("nothing was published"), "{e}");
    // Which folder, what was done to it, and what the system said.
    let folder = checkpoints_dir(dir.path());
    assert!(
        e.contains(&format!("{}: cannot create: ", folder.display())),
        "{e}"
    );
    let ok = tempfile::tempdir().unwrap();
    let path = checkpoints_dir(ok.path()).join("rabbitmq-x-0.json");
    Checkpoint::check_writable(&path).unwrap();
    assert!(!path.exists());
    assert_eq!(
        std::fs::read_dir(checkpoints_dir(ok.path()))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn a_prefix_with_or_without_its_separator_is_one_target() {
    let base = options("amqp://guest:guest@127.0.0.1:5672/%2f");
    let path = Checkpoint::path(&base).unwrap();
    for prefix in ["pancake_", "pancake."] {
        let mut o = base.clone();
        o.queue_prefix = prefix.into();
        assert_eq!(Checkpoint::path(&o).unwrap(), path, "{prefix}");
    }
    // Queues were once named `pancake.<module>`: a checkpoint for those
    // is for other queues.
    assert_eq!(LoadTarget::of(&base).unwrap().queue_prefix, "pancake_");
    let mut none = base.clone();
    none.queue_prefix = String::new();
    assert_ne!(Checkpoint::path(&none).unwrap(), path);
}
