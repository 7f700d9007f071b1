//! Two legacy dumps compared row by row, for tests that must prove an
//! extraction equals the data set the server served.

use pancake_proto::dump::DumpKind;
use pancake_proto::part::ReadOptions;
use pancake_proto::{LegacyTable, Manifest, PartReader, Record, legacy};
use std::path::Path;

/// Rows per table when two dumps hold the same rows in the same order.
pub type RowCounts = Vec<(&'static str, u64)>;

/// Checks that dumps `a` and `b` hold the same tables and, table by table,
/// equal records (every field, `raw_texts` included) in the same order. Part
/// boundaries may differ. Returns the row counts, or the first difference.
pub fn same_rows(a: &Path, b: &Path) -> Result<RowCounts, String> {
    let ma = Manifest::load(a).map_err(|e| e.to_string())?;
    let mb = Manifest::load(b).map_err(|e| e.to_string())?;
    let names = |m: &Manifest| m.tables.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
    if names(&ma) != names(&mb) {
        return Err(format!(
            "tables differ: {:?} vs {:?}",
            names(&ma),
            names(&mb)
        ));
    }
    let mut counts = Vec::new();
    for t in &ma.tables {
        let table = LegacyTable::from_name(&t.name).ok_or(format!("unknown table {}", t.name))?;
        use LegacyTable::*;
        let n = match table {
            Members => same::<legacy::Member>(a, b, &ma, &mb, table)?,
            Flirts => same::<legacy::Flirt>(a, b, &ma, &mb, table)?,
            Messages => same::<legacy::Message>(a, b, &ma, &mb, table)?,
            Blocks => same::<legacy::Block>(a, b, &ma, &mb, table)?,
            Favorites => same::<legacy::Favorite>(a, b, &ma, &mb, table)?,
            ProfileVisits => same::<legacy::ProfileVisit>(a, b, &ma, &mb, table)?,
            Photos => same::<legacy::Photo>(a, b, &ma, &mb, table)?,
            PhotoLikes => same::<legacy::PhotoLike>(a, b, &ma, &mb, table)?,
            SearchProfiles => same::<legacy::SearchProfile>(a, b, &ma, &mb, table)?,
        };
        counts.push((table.name(), n));
    }
    Ok(counts)
}

/// Every record of `table` in `dir`, in order, one part open at a time.
fn rows<R: Record + 'static>(
    dir: &Path,
    manifest: &Manifest,
    table: LegacyTable,
) -> impl Iterator<Item = Result<R, String>> {
    let parts = manifest
        .table(table.name())
        .map(|t| t.parts.clone())
        .unwrap_or_default();
    let dir = dir.to_path_buf();
    parts.into_iter().flat_map(move |part| {
        let options = ReadOptions {
            part_number: Some(part.number),
            ..ReadOptions::expect::<R>(DumpKind::LegacyDump, table.name())
        };
        let opened = PartReader::open(&dir.join(&part.file), &options).map_err(|e| e.to_string());
        let records: Box<dyn Iterator<Item = Result<R, String>>> = match opened {
            Ok(reader) => Box::new(reader.records::<R>().map(|r| r.map_err(|e| e.to_string()))),
            Err(e) => Box::new(std::iter::once(Err(e))),
        };
        records
    })
}

fn same<R: Record + PartialEq + std::fmt::Debug + 'static>(
    a: &Path,
    b: &Path,
    ma: &Manifest,
    mb: &Manifest,
    table: LegacyTable,
) -> Result<u64, String> {
    let mut left = rows::<R>(a, ma, table);
    let mut right = rows::<R>(b, mb, table);
    let mut n = 0u64;
    loop {
        match (left.next().transpose()?, right.next().transpose()?) {
            (None, None) => return Ok(n),
            (Some(x), Some(y)) if x == y => n += 1,
            (Some(x), Some(y)) => {
                return Err(format!(
                    "{} row {n} differs:\n  {x:?}\n  {y:?}",
                    table.name()
                ));
            }
            (Some(x), None) => {
                return Err(format!(
                    "{} has more rows in {} from row {n}: {x:?}",
                    table.name(),
                    a.display()
                ));
            }
            (None, Some(y)) => {
                return Err(format!(
                    "{} has more rows in {} from row {n}: {y:?}",
                    table.name(),
                    b.display()
                ));
            }
        }
    }
}
