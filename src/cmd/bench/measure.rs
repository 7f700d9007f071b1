//! What a stage costs the process: wall and CPU time, peak resident memory,
//! bytes read and written, its count over time and its phases. Stages run
//! in this process one after another, so each is measured by the
//! difference of the process's counters, and the peak is reset before each
//! (Linux's `/proc/self/clear_refs`).
//!
//! [`Count`] is what a stage's progress hooks report to: it adds to the
//! count the sampler reads, and turns the hooks that mark a new step of the
//! work (a table started, the COPY begun, keys and indexes built) into the
//! stage's [`Phase`]s.

use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How often the count is sampled for the chart.
const SAMPLE: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Default, Serialize)]
pub struct Measured {
    pub wall_s: f64,
    pub cpu_s: f64,
    /// Peak resident memory of the process during the stage.
    pub peak_rss_bytes: u64,
    /// Bytes through read(2) and write(2) and their kin (`rchar` and
    /// `wchar` of /proc/self/io): files and pipes. Sockets are not in
    /// them: Rust's sockets use send(2) and recv(2), which Linux does not
    /// count there; what a stage sends to a server is in `sent`.
    pub file_bytes_read: u64,
    pub file_bytes_written: u64,
    /// What the stage sent to its server, by its own count; `None` where
    /// it sends nothing or does not count it.
    pub sent: Option<Sent>,
    /// What `samples` count, e.g. "rows copied".
    pub counted: String,
    /// (seconds into the stage, count so far), in time order; the last is
    /// the stage's end.
    pub samples: Vec<(f64, u64)>,
    /// The steps of the stage's work, in order, from its progress hooks.
    pub phases: Vec<Phase>,
}

/// Bytes a stage sent over the network.
#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    pub bytes: u64,
    /// What the bytes are, e.g. "binary COPY data to PostgreSQL".
    pub what: String,
}

/// A named step of a stage, in seconds into the stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Phase {
    pub name: String,
    pub start_s: f64,
    pub end_s: f64,
}

/// A running measurement.
pub struct Meter {
    started: Instant,
    cpu: Duration,
    io: (u64, u64),
    count: Count,
    samples: Arc<Mutex<Vec<(f64, u64)>>>,
    stop: mpsc::Sender<()>,
    sampler: std::thread::JoinHandle<()>,
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
        let started = Instant::now();
        let count = Count::new(started);
        let samples = Arc::new(Mutex::new(vec![(0.0, 0)]));
        let (stop, stopped) = mpsc::channel();
        let sampler = {
            let (n, samples) = (count.n.clone(), samples.clone());
            std::thread::spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(SAMPLE) {
                    let n = n.load(Ordering::Relaxed);
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
            sampler,
        }
    }

    /// What the stage's progress hooks report to.
    pub fn count(&self) -> Count {
        self.count.clone()
    }

    pub fn finish(self) -> Measured {
        let wall = self.started.elapsed().as_secs_f64();
        let n = self.count.n.load(Ordering::Relaxed);
        let _ = self.stop.send(());
        let _ = self.sampler.join();
        let io = io_bytes();
        let mut samples = std::mem::take(&mut *self.samples.lock().expect("samples"));
        // The sampler may have taken one more after the end was read.
        samples.retain(|&(t, _)| t < wall);
        samples.push((wall, n));
        Measured {
            wall_s: wall,
            cpu_s: (cpu_time().saturating_sub(self.cpu)).as_secs_f64(),
            peak_rss_bytes: peak_rss(),
            file_bytes_read: io.0.saturating_sub(self.io.0),
            file_bytes_written: io.1.saturating_sub(self.io.1),
            sent: None,
            counted: self.count.counted.get().copied().unwrap_or("").to_owned(),
            samples,
            phases: self.count.phases(wall),
        }
    }
}

/// What a stage's progress hooks report to: its count, what is counted,
/// and when each phase began.
#[derive(Clone)]
pub struct Count {
    started: Instant,
    n: Arc<AtomicU64>,
    counted: Arc<OnceLock<&'static str>>,
    /// (phase, seconds into the stage it began), in the order begun.
    begun: Arc<Mutex<Vec<(String, f64)>>>,
}

impl Count {
    fn new(started: Instant) -> Count {
        Count {
            started,
            n: Arc::default(),
            counted: Arc::default(),
            begun: Arc::default(),
        }
    }

    pub(super) fn add(&self, what: &'static str, n: u64) {
        self.counted.get_or_init(|| what);
        self.n.fetch_add(n, Ordering::Relaxed);
    }

    /// `phase` begins now, unless it began before.
    pub(super) fn begin(&self, phase: &str) {
        let at = self.started.elapsed().as_secs_f64();
        let mut begun = self.begun.lock().expect("phases");
        if !begun.iter().any(|(name, _)| name == phase) {
            begun.push((phase.to_owned(), at));
        }
    }

    /// `phase` begins now, even if it was begun before: it begins when the
    /// last of several concurrent parties (modules) enters it.
    fn begin_last(&self, phase: &str) {
        let at = self.started.elapsed().as_secs_f64();
        let mut begun = self.begun.lock().expect("phases");
        match begun.iter_mut().find(|(name, _)| name == phase) {
            Some((_, start)) => *start = at,
            None => begun.push((phase.to_owned(), at)),
        }
    }

    /// Names the time from the stage's start until the first phase began,
    /// when no phase has begun yet.
    pub(super) fn before_that(&self, phase: &str) {
        let mut begun = self.begun.lock().expect("phases");
        if begun.is_empty() {
            begun.push((phase.to_owned(), 0.0));
        }
    }

    /// The phases: each ends where the next begins, the last at `wall`.
    fn phases(&self, wall: f64) -> Vec<Phase> {
        let mut begun = self.begun.lock().expect("phases").clone();
        begun.sort_by(|a, b| a.1.total_cmp(&b.1));
        let ends = begun.iter().skip(1).map(|b| b.1).chain([wall]);
        begun
            .iter()
            .zip(ends)
            .map(|((name, start), end)| Phase {
                name: name.clone(),
                start_s: start.min(wall),
                end_s: end.min(wall),
            })
            .collect()
    }
}

impl pancake_datasets::Progress for Count {
    fn table_started(&self, table: pancake_proto::LegacyTable, _rows: u64) {
        self.before_that("setup");
        self.begin(table.name());
    }
    fn rows_done(&self, rows: u64) {
        self.add("rows generated", rows);
    }
}

impl pancake_transform::Progress for Count {
    fn phase(&self, name: &str, _rows: u64) {
        self.before_that("setup");
        self.begin(name);
    }
    fn events(&self, n: u64) {
        self.add("events written", n);
    }
}

/// A load into PostgreSQL: setup (databases, locks, schemas), the COPY of
/// every part, then per module keys and indexes and the finishing steps.
/// Modules finish concurrently; a phase ends when the last module leaves
/// it.
impl pancake_load::postgres::Progress for Count {
    fn started(&self, _modules: &[(&'static str, u64)]) {
        self.before_that("setup");
        self.begin("COPY");
    }
    fn part_loaded(&self, _module: &'static str, _events: u64, rows: u64) {
        self.add("rows copied", rows);
    }
    fn finishing(&self, _module: &'static str) {
        self.begin("keys and indexes");
    }
    fn indexes_built(&self, _module: &'static str) {
        self.begin_last("finishing");
    }
}

/// A load into RabbitMQ: setup, the parts checked against their trailers,
/// then publishing with confirms.
impl pancake_load::rabbitmq::Progress for Count {
    fn checking(&self, _events: u64) {
        self.before_that("setup");
        self.begin("checking parts");
    }
    fn started(&self, _events: u64) {
        self.before_that("setup");
        self.begin("publishing");
    }
    fn events(&self, n: u64) {
        self.add("events published", n);
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
    use pancake_load::postgres::Progress as _;

    #[test]
    fn a_stage_that_allocates_and_counts_is_measured() {
        let meter = Meter::start();
        let big = vec![1u8; 64 << 20];
        meter.count().add("rows", 42);
        std::hint::black_box(&big);
        let m = meter.finish();
        drop(big);
        assert!(m.peak_rss_bytes >= 64 << 20, "{}", m.peak_rss_bytes);
        assert_eq!(m.samples.last().unwrap().1, 42);
        assert_eq!(m.counted, "rows");
        assert!(m.wall_s > 0.0);
    }

    #[test]
    fn the_samples_end_at_the_stage_end_in_time_order() {
        let meter = Meter::start();
        std::thread::sleep(SAMPLE * 3 + SAMPLE / 2);
        let m = meter.finish();
        assert!(m.samples.len() >= 3, "{:?}", m.samples);
        assert!(
            m.samples.windows(2).all(|w| w[0].0 <= w[1].0),
            "{:?}",
            m.samples
        );
        assert_eq!(m.samples.last().unwrap().0, m.wall_s);
    }

    #[test]
    fn a_phase_ends_when_the_last_module_leaves_it() {
        let meter = Meter::start();
        let count = meter.count();
        let tick = || std::thread::sleep(Duration::from_millis(2));
        tick();
        count.started(&[("profile", 1), ("chat", 1)]);
        tick();
        count.finishing("profile");
        tick();
        count.finishing("chat");
        count.indexes_built("profile");
        tick();
        count.indexes_built("chat");
        tick();
        let m = meter.finish();
        let names: Vec<&str> = m.phases.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["setup", "COPY", "keys and indexes", "finishing"]);
        assert_eq!(m.phases[0].start_s, 0.0);
        for w in m.phases.windows(2) {
            assert_eq!(w[0].end_s, w[1].start_s, "{:?}", m.phases);
            assert!(w[0].start_s < w[0].end_s, "{:?}", m.phases);
        }
        assert_eq!(m.phases[3].end_s, m.wall_s);
        // "finishing" begins at chat's indexes, the later of the two.
        assert!(m.phases[3].start_s - m.phases[2].start_s >= 0.004);
    }
}
