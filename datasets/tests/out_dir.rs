//! What `generate` does with the folder it is pointed at.

mod common;

use common::*;
use pancake_datasets::{GenerateError, Preset, generate};
use pancake_proto::folder::LOCK_FILE;
use pancake_proto::{FolderError, Manifest, OutputFolder};

#[test]
fn an_identical_complete_dump_is_kept_and_anything_else_generated_is_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    let first = generate_into(&dir, &options(Preset::TINY, 1.0, 1, 2));
    assert!(!first.up_to_date);

    let again = generate_into(&dir, &options(Preset::TINY, 1.0, 1, 2));
    assert!(again.up_to_date, "the same request is already on disk");
    assert_eq!(again.section, first.section);

    let forced = generate(&dir, &options(Preset::TINY, 1.0, 1, 2), true, &()).unwrap();
    assert!(!forced.up_to_date);

    // Another seed replaces the dump.
    let other = generate_into(&dir, &options(Preset::TINY, 1.0, 2, 2));
    assert!(!other.up_to_date);
    let manifest = Manifest::load(&dir).unwrap();
    assert_eq!(
        pancake_datasets::GeneratorSection::of(&manifest)
            .unwrap()
            .seed,
        2
    );
}

#[test]
fn a_run_cut_short_is_replaced_by_a_whole_one() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    let whole = generate_into(&dir, &options(Preset::TINY, 1.0, 1, 2));
    // What a crash leaves: an incomplete manifest, a missing part, a .tmp.
    let mut manifest = Manifest::load(&dir).unwrap();
    manifest.complete = false;
    manifest.save(&dir).unwrap();
    std::fs::remove_file(dir.join("photos/part-000000.pb.gz")).unwrap();
    std::fs::write(dir.join("photos/part-000001.pb.gz.tmp"), b"half").unwrap();

    let redone = generate_into(&dir, &options(Preset::TINY, 1.0, 1, 2));
    assert!(
        !redone.up_to_date,
        "an incomplete dump is never taken as done"
    );
    assert_eq!(redone.section, whole.section);
    let report = pancake_proto::verify::verify_dump(&dir, |_| {}).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

#[test]
fn a_folder_with_other_files_is_refused_and_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("thesis.tex"), b"precious").unwrap();
    let err = generate(tmp.path(), &options(Preset::TINY, 1.0, 1, 2), true, &()).unwrap_err();
    assert!(
        matches!(err, GenerateError::Folder(FolderError::NotEmpty { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("not empty"));
    assert_eq!(
        std::fs::read(tmp.path().join("thesis.tex")).unwrap(),
        b"precious"
    );
}

#[test]
fn a_scale_that_is_not_positive_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for scale in [0.0, -1.0, f64::NAN] {
        let err =
            generate(tmp.path(), &options(Preset::TINY, scale, 1, 2), false, &()).unwrap_err();
        assert!(matches!(err, GenerateError::BadScale(_)));
    }
}

#[test]
fn a_folder_another_process_is_writing_is_refused_and_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    generate_into(&dir, &options(Preset::TINY, 1.0, 1, 2));
    let held = OutputFolder::lock(&dir).unwrap();

    // Even a run that would replace the dump (another seed, --force) keeps
    // its hands off while another process holds the folder.
    let err = generate(&dir, &options(Preset::TINY, 1.0, 2, 2), true, &()).unwrap_err();
    assert!(
        matches!(err, GenerateError::Folder(FolderError::Busy { .. })),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with(&format!(
            "{} is being written by another pancake process (pid {})",
            dir.display(),
            std::process::id()
        )),
        "{err}"
    );
    let manifest = Manifest::load(&dir).unwrap();
    assert_eq!(
        pancake_datasets::GeneratorSection::of(&manifest)
            .unwrap()
            .seed,
        1
    );
    drop(held);

    let again = generate_into(&dir, &options(Preset::TINY, 1.0, 1, 2));
    assert!(again.up_to_date);
    assert!(
        !dir.join(LOCK_FILE).exists(),
        "the lock file goes with the run"
    );
}
