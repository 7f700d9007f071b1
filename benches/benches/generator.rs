//! The synthetic generator's row making, per core: rows/s per table.
//!
//!     cargo bench -p pancake-benches --bench generator

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pancake_datasets::{Preset, World, rows};
use std::hint::black_box;
use std::time::Duration;

const ROWS: u64 = 20_000;

fn generator(c: &mut Criterion) {
    let world = World::new(1, Preset::FINLAND);
    let mut group = c.benchmark_group("generate_rows");
    group.throughput(Throughput::Elements(ROWS));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    group.bench_function("members", |b| {
        b.iter(|| {
            (0..ROWS)
                .filter(|&j| black_box(rows::member(&world, j)).row.is_some())
                .count()
        })
    });
    group.bench_function("messages", |b| {
        b.iter(|| {
            (0..ROWS)
                .filter(|&j| black_box(rows::message(&world, j)).row.is_some())
                .count()
        })
    });
    group.bench_function("photo_likes", |b| {
        b.iter(|| {
            (0..ROWS)
                .filter(|&j| black_box(rows::photo_like(&world, j)).row.is_some())
                .count()
        })
    });
    group.finish();
}

criterion_group!(benches, generator);
criterion_main!(benches);
