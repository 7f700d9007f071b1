//! Step 1, the indexes: a table's valid rows (the first of a run of equal
//! keys, passing the table's checks), read in parallel, for the member and
//! photo indexes every later check consults.

use crate::error::TransformError;
use crate::index::{self, MemberIndex};
use crate::rows::{Context, Row};
use pancake_proto::dump::DumpKind;
use pancake_proto::part::ReadOptions;
use pancake_proto::{LegacyTable, Manifest, PartReader, legacy};
use rayon::prelude::*;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Every valid member and when it registered: filled in place when the
/// dump's key ranges allow a dense index, collected first otherwise.
pub(crate) fn member_index(
    input: &Manifest,
    dir: &Path,
    cx: &Context,
    cancel: &AtomicBool,
    site_start: i64,
) -> Result<MemberIndex, TransformError> {
    let registered = |m: &legacy::Member| (m.member_id, m.registered_at.map_or(0, |t| t.seconds));
    let fill = input.table(LegacyTable::Members.name()).and_then(|entry| {
        let ranges: Option<Vec<[i64; 2]>> = entry.parts.iter().map(|p| p.key_range).collect();
        let ranges = ranges?;
        let min = ranges.iter().map(|r| r[0]).min()?;
        let max = ranges.iter().map(|r| r[1]).max()?;
        index::DenseFill::new(site_start, min, max, entry.records())
    });
    if let Some(fill) = fill {
        scan_valid::<legacy::Member, _>(
            input,
            dir,
            cx,
            cancel,
            || (),
            |_, m| {
                let (id, at) = registered(m);
                fill.add(id, at);
            },
        )?;
        if let Some(index) = fill.finish() {
            return Ok(index);
        }
    }
    Ok(MemberIndex::new(
        site_start,
        valid_rows(input, dir, cx, cancel, registered)?,
    ))
}

/// The valid rows of a table, as `pick` extracts them, read in parallel.
pub(crate) fn valid_rows<R: Row, T: Send>(
    input: &Manifest,
    dir: &Path,
    cx: &Context,
    cancel: &AtomicBool,
    pick: impl Fn(&R) -> T + Sync,
) -> Result<Vec<T>, TransformError> {
    let per_part = scan_valid(input, dir, cx, cancel, Vec::new, |out, row| {
        out.push(pick(row))
    })?;
    Ok(per_part.into_iter().flatten().collect())
}

/// Reads a table's parts in parallel and hands every valid row (the first
/// of a run of equal keys) to `step`, with one `init()` state per part.
fn scan_valid<R: Row, A: Send>(
    input: &Manifest,
    dir: &Path,
    cx: &Context,
    cancel: &AtomicBool,
    init: impl Fn() -> A + Sync,
    step: impl Fn(&mut A, &R) + Sync,
) -> Result<Vec<A>, TransformError> {
    let Some(entry) = input.table(R::TABLE.name()) else {
        return Ok(Vec::new());
    };
    let parts: Vec<_> = entry.parts.iter().enumerate().collect();
    parts
        .par_iter()
        .map(|&(i, p)| {
            let options = ReadOptions {
                part_number: Some(p.number),
                ..ReadOptions::expect::<R>(DumpKind::LegacyDump, R::TABLE.name())
            };
            let mut reader = PartReader::open(&dir.join(&p.file), &options)?;
            let mut previous = i
                .checked_sub(1)
                .and_then(|j| entry.parts[j].key_range)
                .map(|r| r[1]);
            let mut state = init();
            while let Some(row) = reader.next_record::<R>()? {
                let key = row.key();
                if (key.is_none() || key != previous) && row.check(cx).is_ok() {
                    step(&mut state, &row);
                }
                previous = key;
                if cancel.load(Ordering::Relaxed) {
                    return Err(TransformError::Cancelled);
                }
            }
            Ok(state)
        })
        .collect()
}
