//! The output folder's lifecycle: one writer at a time, a lock that dies with
//! its process, and what a run does with what it finds.

use pancake_proto::folder::{FolderError, LOCK_FILE, OutputFolder, Stage, Start};
use pancake_proto::manifest::{DumpKindName, Manifest};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const STAGE: Stage = Stage {
    section: "mine",
    output: "pancake thing",
    run: "thing run",
    resume: true,
    replace_other_settings: false,
};

/// A manifest as the stage writes it, `settings` in its section.
fn write_manifest(dir: &Path, section: &str, settings: &str, complete: bool) {
    let mut m = Manifest::new(DumpKindName::LegacyDump, "a test");
    m.complete = complete;
    m.sections
        .insert(section.into(), serde_json::json!({ "settings": settings }));
    m.declare("flirts", "pancake.legacy.v1.Flirt");
    std::fs::create_dir_all(dir.join("flirts")).unwrap();
    m.save(dir).unwrap();
}

/// The stage's check: the settings in the section must be `wanted`.
fn settings(wanted: &str) -> impl FnOnce(&Manifest) -> Option<String> {
    move |m| {
        let found = m.sections["mine"]["settings"].as_str().unwrap().to_owned();
        (found != wanted).then(|| format!("settings was {found}, now {wanted}"))
    }
}

/// Locks `dir` and judges it for `stage`, the run wanting settings
/// `wanted`: the folder, held until the caller drops it, and how the run
/// starts.
fn lock_and_prepare(dir: &Path, stage: &Stage, force: bool, wanted: &str) -> (OutputFolder, Start) {
    let folder = OutputFolder::lock(dir).unwrap();
    let start = folder.prepare(stage, force, settings(wanted)).unwrap();
    (folder, start)
}

/// Locks `dir` and judges it for `stage`, which must refuse it.
fn refused(dir: &Path, stage: &Stage, force: bool, wanted: &str) -> FolderError {
    let folder = OutputFolder::lock(dir).unwrap();
    folder.prepare(stage, force, settings(wanted)).unwrap_err()
}

/// `stage` starts afresh in `dir`, emptied but for the lock file; the
/// folder stays held until the caller drops it.
fn starts_fresh_and_empty(dir: &Path, stage: &Stage, force: bool, wanted: &str) -> OutputFolder {
    let (folder, start) = lock_and_prepare(dir, stage, force, wanted);
    assert!(matches!(start, Start::Fresh), "{start:?}");
    assert_eq!(names(dir), [LOCK_FILE], "only the lock file is left");
    folder
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_second_writer_is_refused_at_once_naming_the_folder_and_the_holders_pid() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let first = OutputFolder::lock(&dir).unwrap();
    let err = OutputFolder::lock(&dir).unwrap_err();
    let pid = std::process::id();
    assert!(
        matches!(err, FolderError::Busy { pid: Some(p), .. } if p == pid),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with(&format!(
            "{} is being written by another pancake process (pid {pid})",
            dir.display()
        )),
        "{err}"
    );
    drop(first);
    let _again = OutputFolder::lock(&dir).unwrap();
}

#[test]
fn a_writer_that_has_only_begun_is_busy_not_a_folder_holding_something_else() {
    // What the auditor saw: the second run judged the first one's half-made
    // folder ("is not empty and holds no pancake event stream").
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let first = OutputFolder::lock(&dir).unwrap();
    std::fs::create_dir(dir.join("flirts")).unwrap();
    std::fs::write(dir.join("flirts/part-000000.pb.gz.tmp"), b"half").unwrap();
    let err = OutputFolder::lock(&dir).unwrap_err();
    assert!(matches!(err, FolderError::Busy { .. }), "{err:?}");
    drop(first);

    // Two starting at the same instant: exactly one gets the folder.
    let barrier = std::sync::Barrier::new(2);
    let results: Vec<_> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    OutputFolder::lock(&dir)
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    let held = results.iter().filter(|r| r.is_ok()).count();
    let busy = results
        .iter()
        .filter(|r| matches!(r, Err(FolderError::Busy { .. })))
        .count();
    assert_eq!((held, busy), (1, 1), "{results:?}");
}

#[test]
fn letting_go_removes_the_lock_file_and_a_folder_the_run_made_and_left_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let made = tmp.path().join("made");
    drop(OutputFolder::lock(&made).unwrap());
    assert!(!made.exists(), "an empty folder this run made is removed");

    let kept = tmp.path().join("kept");
    std::fs::create_dir(&kept).unwrap();
    drop(OutputFolder::lock(&kept).unwrap());
    assert!(kept.exists(), "a folder that was there stays");
    assert!(names(&kept).is_empty(), "{:?}", names(&kept));

    let written = tmp.path().join("written");
    let folder = OutputFolder::lock(&written).unwrap();
    assert_eq!(names(&written), [LOCK_FILE]);
    write_manifest(&written, "mine", "a", true);
    drop(folder);
    assert_eq!(names(&written), ["flirts", "manifest.json"]);
}

/// Not a test on its own: the process `a_lock_held_by_a_killed_process_blocks_nothing`
/// starts, which takes the lock and waits to be killed.
#[test]
#[ignore = "run by a_lock_held_by_a_killed_process_blocks_nothing"]
fn hold_the_lock_until_killed() {
    let Some(dir) = std::env::var_os("PANCAKE_TEST_HOLD_LOCK") else {
        return;
    };
    let _folder = OutputFolder::lock(Path::new(&dir)).unwrap();
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[test]
fn a_lock_held_by_a_killed_process_blocks_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let mut holder = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "hold_the_lock_until_killed", "--ignored"])
        .env("PANCAKE_TEST_HOLD_LOCK", &dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = holder.id();
    let started = Instant::now();
    while std::fs::read_to_string(dir.join(LOCK_FILE)).ok().as_deref() != Some(&format!("{pid}\n"))
    {
        if let Some(status) = holder.try_wait().unwrap() {
            panic!("the holder ended ({status}) without taking the lock");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the holder took no lock in a minute"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let err = OutputFolder::lock(&dir).unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("another pancake process (pid {pid})")),
        "{err}"
    );

    holder.kill().unwrap(); // SIGKILL: no destructor runs
    holder.wait().unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join(LOCK_FILE)).unwrap(),
        format!("{pid}\n"),
        "kill -9 leaves the lock file behind"
    );
    let folder = OutputFolder::lock(&dir).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join(LOCK_FILE)).unwrap(),
        format!("{}\n", std::process::id())
    );
    // The leftover lock file is not "something else" in the folder.
    assert!(matches!(
        folder.prepare(&STAGE, false, settings("a")).unwrap(),
        Start::Fresh
    ));
}

#[test]
fn a_new_or_empty_folder_starts_fresh() {
    let tmp = tempfile::tempdir().unwrap();
    for dir in [tmp.path().join("new"), tmp.path().to_path_buf()] {
        let (_folder, start) = lock_and_prepare(&dir, &STAGE, false, "a");
        assert!(matches!(start, Start::Fresh), "{start:?}");
    }
}

#[test]
fn what_is_not_the_stages_own_output_is_refused_and_left_alone_even_with_force() {
    let tmp = tempfile::tempdir().unwrap();
    let refused_even_with_force = |dir: &Path| -> Vec<FolderError> {
        let before = names(dir);
        let errors = [false, true]
            .into_iter()
            .map(|force| refused(dir, &STAGE, force, "a"))
            .collect();
        assert_eq!(names(dir), before, "left alone");
        errors
    };

    let files = tmp.path().join("files");
    std::fs::create_dir(&files).unwrap();
    std::fs::write(files.join("thesis.tex"), b"precious").unwrap();
    for err in refused_even_with_force(&files) {
        assert!(matches!(err, FolderError::NotEmpty { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "{} is not empty and holds no pancake thing. Choose an empty or new folder for --out",
                files.display()
            )
        );
    }

    // A web app's manifest.json, say.
    let unreadable = tmp.path().join("unreadable");
    std::fs::create_dir(&unreadable).unwrap();
    std::fs::write(unreadable.join("manifest.json"), b"{\"name\": \"app\"}").unwrap();
    for err in refused_even_with_force(&unreadable) {
        assert!(matches!(err, FolderError::Unreadable { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains("cannot tell what the folder holds"), "{text}");
        assert!(text.contains("even with --force"), "{text}");
    }

    let other = tmp.path().join("other");
    write_manifest(&other, "another-stage", "a", true);
    for err in refused_even_with_force(&other) {
        assert!(matches!(err, FolderError::OtherOutput { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains("holds a legacy dump (a test), not a pancake thing"),
            "{text}"
        );
    }
}

#[test]
fn the_same_settings_complete_is_up_to_date_and_unfinished_resumes_without_what_was_uncommitted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    write_manifest(&dir, "mine", "a", true);
    let (folder, start) = lock_and_prepare(&dir, &STAGE, false, "a");
    assert!(matches!(start, Start::UpToDate(_)), "{start:?}");
    drop(folder);

    write_manifest(&dir, "mine", "a", false);
    std::fs::write(dir.join("flirts/part-000000.pb.gz.tmp"), b"half").unwrap();
    let (folder, start) = lock_and_prepare(&dir, &STAGE, false, "a");
    assert!(matches!(start, Start::Resume(_)), "{start:?}");
    assert!(names(&dir.join("flirts")).is_empty());
    drop(folder);

    // A stage that never continues makes it again instead.
    let remake = Stage {
        resume: false,
        ..STAGE
    };
    let _folder = starts_fresh_and_empty(&dir, &remake, false, "a");
}

#[test]
fn other_settings_are_refused_saying_what_differs_unless_the_stage_replaces_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    for complete in [false, true] {
        write_manifest(&dir, "mine", "a", complete);
        let err = refused(&dir, &STAGE, false, "b");
        let state = if complete {
            "a complete thing run made"
        } else {
            "an unfinished thing run"
        };
        assert!(
            err.to_string().starts_with(&format!(
                "{} holds {state} with other settings (settings was a, now b).",
                dir.display()
            )),
            "{err}"
        );
        assert!(err.to_string().contains("--force"), "{err}");
        assert!(Manifest::path(&dir).exists(), "left alone");
    }

    let replace = Stage {
        replace_other_settings: true,
        ..STAGE
    };
    let _folder = starts_fresh_and_empty(&dir, &replace, false, "b");
}

#[test]
fn force_empties_the_stages_output_but_keeps_the_folder_locked() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    write_manifest(&dir, "mine", "a", true);
    std::fs::write(dir.join("notes.txt"), b"kept with the output").unwrap();
    let folder = starts_fresh_and_empty(&dir, &STAGE, true, "a");
    let err = OutputFolder::lock(&dir).unwrap_err();
    assert!(
        matches!(err, FolderError::Busy { .. }),
        "still held: {err:?}"
    );
    drop(folder);
}
