//! Shared inputs for the criterion benches: realistic records from the
//! synthetic generator, so benches measure what the stages really move.

use pancake_datasets::{Preset, World, rows};
use pancake_proto::legacy;

/// The first `n` rows of Messages of the finland preset (text-heavy).
pub fn messages(n: u64) -> Vec<legacy::Message> {
    let world = World::new(1, Preset::FINLAND);
    (0..n)
        .filter_map(|j| rows::message(&world, j).row)
        .collect()
}

/// The first `n` rows of Members of the finland preset.
pub fn members(n: u64) -> Vec<legacy::Member> {
    let world = World::new(1, Preset::FINLAND);
    (0..n).filter_map(|j| rows::member(&world, j).row).collect()
}

/// The first `n` rows of Flirts of the finland preset (small records).
pub fn flirts(n: u64) -> Vec<legacy::Flirt> {
    let world = World::new(1, Preset::FINLAND);
    (0..n).filter_map(|j| rows::flirt(&world, j).row).collect()
}
