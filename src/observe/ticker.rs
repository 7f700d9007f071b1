//! The live progress bars, watched: off a terminal (where indicatif hides
//! them) a log line per bar every few seconds with what it counts, done,
//! expected, rate and ETA; and on every tick the `pancake_rate` gauge.

use indicatif::{ProgressBar, WeakProgressBar};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// A bar being watched, and the stage that made it.
struct Watched {
    stage: &'static str,
    bar: WeakProgressBar,
}

static BARS: Mutex<Vec<Watched>> = Mutex::new(Vec::new());
static STAGE: Mutex<&'static str> = Mutex::new("pancake");
static STOP: AtomicBool = AtomicBool::new(false);

fn bars() -> MutexGuard<'static, Vec<Watched>> {
    BARS.lock().unwrap_or_else(|e| e.into_inner())
}

/// The stage now running: bars made from now on belong to it.
pub fn set_stage(stage: &'static str) {
    *STAGE.lock().unwrap_or_else(|e| e.into_inner()) = stage;
}

/// The stage last started.
pub fn stage() -> &'static str {
    *STAGE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Watches `bar` (every bar of [`crate::progress::bar`] is).
pub fn watch(bar: &ProgressBar) {
    let stage = *STAGE.lock().unwrap_or_else(|e| e.into_inner());
    let mut bars = bars();
    bars.retain(|w| w.bar.upgrade().is_some());
    bars.push(Watched {
        stage,
        bar: bar.downgrade(),
    });
}

/// Runs `f` with the bars drawn on the terminal cleared, then draws them
/// again. Without a live bar, just runs `f`.
pub fn with_bars_suspended(f: impl FnOnce()) {
    let live = bars()
        .iter()
        .filter_map(|w| w.bar.upgrade())
        .find(|b| !b.is_hidden() && !b.is_finished());
    match live {
        Some(bar) => bar.suspend(f),
        None => f(),
    }
}

/// Starts the thread that logs progress lines every `every` (off a
/// terminal) and keeps the rate gauge current.
pub fn start(every: Duration) {
    let lines = !std::io::stderr().is_terminal();
    let spawned = std::thread::Builder::new()
        .name("pancake-ticker".into())
        .spawn(move || {
            let step = Duration::from_millis(250);
            let mut waited = Duration::ZERO;
            while !STOP.load(Ordering::Relaxed) {
                std::thread::sleep(step);
                waited += step;
                let log = lines && waited >= every;
                if log {
                    waited = Duration::ZERO;
                }
                tick(log);
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the progress ticker: no progress lines");
    }
}

/// Stops the ticker thread.
pub fn stop() {
    STOP.store(true, Ordering::Relaxed);
}

/// Per live bar: the rate gauge, and a line when `log`.
fn tick(log: bool) {
    let live: Vec<(&'static str, ProgressBar)> = bars()
        .iter()
        .filter_map(|w| Some((w.stage, w.bar.upgrade()?)))
        .filter(|(_, b)| !b.is_finished())
        .collect();
    let mut rates: Vec<(&'static str, f64)> = Vec::new();
    for (stage, bar) in live {
        let rate = bar.per_sec();
        match rates.iter_mut().find(|(s, _)| *s == stage) {
            Some((_, r)) => *r += rate,
            None => rates.push((stage, rate)),
        }
        if log {
            progress_line(stage, &bar, rate);
        }
    }
    for (stage, rate) in rates {
        super::metrics::rate(stage, rate);
    }
}

/// `progress stage=transform what="transforming" done=.. expected=.. rate=.. eta_seconds=..`.
fn progress_line(stage: &'static str, bar: &ProgressBar, rate: f64) {
    let done = bar.position();
    let expected = bar.length().unwrap_or(0);
    let eta = if rate > 0.0 && expected > done {
        ((expected - done) as f64 / rate).round() as u64
    } else {
        0
    };
    tracing::info!(
        stage,
        what = %bar.message(),
        done,
        expected,
        rate = rate.round() as u64,
        eta_seconds = eta,
        "progress"
    );
}
