//! The live progress bars, watched: off a terminal (where indicatif hides
//! them) a log line per bar every few seconds with what it counts, done,
//! expected, rate and ETA; and on every tick the `pancake_rate` gauge.

use indicatif::{ProgressBar, WeakProgressBar};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// The bars being watched. Stages run one after another, so a live bar
/// belongs to the stage last started.
static BARS: Mutex<Vec<WeakProgressBar>> = Mutex::new(Vec::new());
static STAGE: Mutex<&'static str> = Mutex::new("pancake");
static STOP: AtomicBool = AtomicBool::new(false);

fn bars() -> MutexGuard<'static, Vec<WeakProgressBar>> {
    BARS.lock().unwrap_or_else(|e| e.into_inner())
}

/// The stage now running: the live bars are its own.
pub fn set_stage(stage: &'static str) {
    *STAGE.lock().unwrap_or_else(|e| e.into_inner()) = stage;
}

/// The stage last started.
pub fn stage() -> &'static str {
    *STAGE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Watches `bar` (every bar of [`crate::progress::bar`] is).
pub fn watch(bar: &ProgressBar) {
    let mut bars = bars();
    bars.retain(|w| w.upgrade().is_some());
    bars.push(bar.downgrade());
}

/// Runs `f` with the bars drawn on the terminal cleared, then draws them
/// again. Without a live bar, just runs `f`.
pub fn with_bars_suspended(f: impl FnOnce()) {
    let live = bars()
        .iter()
        .filter_map(|w| w.upgrade())
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
    let live: Vec<ProgressBar> = bars()
        .iter()
        .filter_map(WeakProgressBar::upgrade)
        .filter(|b| !b.is_finished())
        .collect();
    if live.is_empty() {
        return;
    }
    let stage = stage();
    let mut rate = 0.0;
    for bar in live {
        let per_sec = bar.per_sec();
        rate += per_sec;
        if log {
            progress_line(stage, &bar, per_sec);
        }
    }
    super::metrics::rate(stage, rate);
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
