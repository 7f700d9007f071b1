//! Before anything is published: every part the load will read checked
//! against its trailer and the manifest, so a damaged stream fails with
//! nothing sent.

use super::errors::RabbitError;
use super::progress::Progress;
use crate::merge::Position;
use pancake_proto::Manifest;
use pancake_proto::verify::Depth;
use std::path::Path;
use std::sync::Arc;

/// Checks every part the load will read against its trailer and the
/// manifest (record count, record bytes, checksum, file size: the checks
/// `pancake verify` makes short of decoding), in parallel, before anything
/// is published.
/// With a checkpoint, runs it has wholly confirmed are not read again.
/// Returns how many parts were checked.
pub(super) async fn check_stream(
    input: &Path,
    manifest: Manifest,
    resumed: Option<&Position>,
    progress: &Arc<dyn Progress>,
) -> Result<usize, RabbitError> {
    let mut jobs = Vec::new();
    let mut events = 0;
    let mut run = 0;
    for (t, table) in manifest.tables.iter().enumerate() {
        for (p, part) in table.parts.iter().enumerate() {
            let done = resumed
                .and_then(|at| at.consumed.get(run))
                .is_some_and(|&consumed| consumed == part.records);
            if !done {
                jobs.push((t, p));
                events += part.records;
            }
            run += 1;
        }
    }
    progress.checking(events);
    let count = jobs.len();
    let dir = input.to_path_buf();
    let on_part = progress.clone();
    let problems = tokio::task::spawn_blocking(move || {
        let parts: Vec<_> = jobs
            .iter()
            .map(|&(t, p)| (&manifest.tables[t], p))
            .collect();
        // Frames only: the checksum vouches for the bytes, and the merge
        // checks order and time ranges as it decodes.
        pancake_proto::verify::check_parts(&dir, &manifest, &parts, Depth::Frames, |n| {
            on_part.checked(n)
        })
    })
    .await
    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    if problems.is_empty() {
        return Ok(count);
    }
    Err(RabbitError::Damaged {
        dir: input.to_path_buf(),
        problems: problems
            .iter()
            .map(|p| match (&p.table, &p.file) {
                (Some(table), Some(_)) => format!("table {table}, {p}"),
                _ => p.to_string(),
            })
            .collect(),
    })
}
