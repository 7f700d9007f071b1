//! What a stage costs the process: wall and CPU time, peak resident memory,
//! bytes read and written, and its count over time. Stages run in this
//! process one after another, so each is measured by the difference of the
//! process's counters, and the peak is reset before each (Linux's
//! `/proc/self/clear_refs`).

use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the count is sampled for the chart.
const SAMPLE: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, Default, Serialize)]
pub struct Measured {
    pub wall_s: f64,
    pub cpu_s: f64,
    /// Peak resident memory of the process during the stage.
    pub peak_rss_bytes: u64,
    /// Bytes through read(2)/write(2) and friends, files and sockets.
    pub bytes_read: u64,
    pub bytes_written: u64,
    /// (seconds into the stage, count so far).
    pub samples: Vec<(f64, u64)>,
}

/// A running measurement; `count` is what the stage's progress adds to.
pub struct Meter {
    started: Instant,
    cpu: Duration,
    io: (u64, u64),
    pub count: Arc<AtomicU64>,
    samples: Arc<Mutex<Vec<(f64, u64)>>>,
    stop: Arc<AtomicBool>,
    sampler: Option<std::thread::JoinHandle<()>>,
}

impl Meter {
    pub fn start() -> Meter {
        // Hand memory an earlier stage freed back to the system first, so
        // that it does not count as this stage's. SAFETY: malloc_trim only
        // releases free memory of glibc's heap.
        #[cfg(target_env = "gnu")]
        unsafe {
            libc::malloc_trim(0);
        }
        // "5" resets the peak resident size (VmHWM) to the current one.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let count = Arc::new(AtomicU64::new(0));
        let samples = Arc::new(Mutex::new(vec![(0.0, 0)]));
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let sampler = {
            let (count, samples, stop) = (count.clone(), samples.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(SAMPLE);
                    let n = count.load(Ordering::Relaxed);
                    samples
                        .lock()
                        .expect("samples")
                        .push((started.elapsed().as_secs_f64(), n));
                }
            })
        };
        Meter {
            started,
            cpu: cpu_time(),
            io: io_bytes(),
            count,
            samples,
            stop,
            sampler: Some(sampler),
        }
    }

    pub fn finish(mut self) -> Measured {
        let wall = self.started.elapsed();
        self.stop.store(true, Ordering::Relaxed);
        if let Some(s) = self.sampler.take() {
            let _ = s.join();
        }
        let io = io_bytes();
        let mut samples = std::mem::take(&mut *self.samples.lock().expect("samples"));
        samples.push((wall.as_secs_f64(), self.count.load(Ordering::Relaxed)));
        Measured {
            wall_s: wall.as_secs_f64(),
            cpu_s: (cpu_time().saturating_sub(self.cpu)).as_secs_f64(),
            peak_rss_bytes: peak_rss(),
            bytes_read: io.0.saturating_sub(self.io.0),
            bytes_written: io.1.saturating_sub(self.io.1),
            samples,
        }
    }
}

/// User and system CPU time of the whole process so far.
fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct we hand it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// (rchar, wchar) of /proc/self/io.
fn io_bytes() -> (u64, u64) {
    let text = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    (field("rchar:"), field("wchar:"))
}

/// VmHWM of /proc/self/status, in bytes.
fn peak_rss() -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stage_that_allocates_and_counts_is_measured() {
        let meter = Meter::start();
        let big = vec![1u8; 64 << 20];
        meter.count.fetch_add(42, Ordering::Relaxed);
        std::hint::black_box(&big);
        let m = meter.finish();
        drop(big);
        assert!(m.peak_rss_bytes >= 64 << 20, "{}", m.peak_rss_bytes);
        assert_eq!(m.samples.last().unwrap().1, 42);
        assert!(m.wall_s > 0.0);
    }
}
