//! Data the load suites share: `finland` x0.1 as an event stream.

use pancake_datasets::{GenerateOptions, Preset, generate};
use pancake_transform::{TransformOptions, transform};
use std::path::{Path, PathBuf};

/// `finland` x0.1, generated and transformed (default parts) into `dir`.
pub fn finland_stream(dir: &Path) -> PathBuf {
    let dump = dir.join("finland-0.1");
    let options = GenerateOptions::new(Preset::FINLAND, 0.1);
    generate(&dump, &options, false, &()).expect("generate finland x0.1");
    let events = dir.join("events");
    transform(&TransformOptions::new(dump, events.clone()), &()).expect("the transform succeeds");
    events
}
