//! The bench report: `report.json` (everything), `report.md` (the table a
//! person reads) and `progress.svg` (each stage's progress over time, its
//! phases and its ceiling; [`super::chart`]).

use super::chart;
use super::measure::Measured;
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub date: String,
    pub machine: Machine,
    pub preset: String,
    pub scale: f64,
    pub stages: Vec<Stage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub memory_bytes: u64,
}

impl Machine {
    pub fn this() -> Machine {
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_kb: u64 = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0);
        Machine {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_bytes: memory_kb * 1024,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    pub stage: String,
    /// What is counted: "rows" or "events".
    pub unit: String,
    pub count: u64,
    pub per_sec: f64,
    /// What else the stage made, for people ("1,540,404 events").
    pub note: String,
    pub ceiling: Option<Ceiling>,
    /// Other ceilings the stage is measured against (load postgres: the
    /// whole load's, beside the plain COPY's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub more_ceilings: Vec<Ceiling>,
    /// load postgres: each module's share of the load.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modules: Vec<ModuleTime>,
    pub measured: Measured,
}

/// One module's share of a PostgreSQL load: its parts' transactions (summed
/// over the connections that wrote them at once) and its finishing.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleTime {
    pub module: String,
    pub events: u64,
    pub rows: u64,
    pub writing_s: f64,
    pub finishing_s: f64,
    /// The news module: building the feeds (part of finishing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feeds_s: Option<f64>,
}

impl Stage {
    /// A stage that counted `count` of `unit` in the time `measured` took.
    pub fn new(stage: &str, unit: &str, count: u64, note: String, measured: Measured) -> Stage {
        Stage {
            stage: stage.to_owned(),
            unit: unit.to_owned(),
            count,
            per_sec: count as f64 / measured.wall_s,
            note,
            ceiling: None,
            more_ceilings: Vec::new(),
            modules: Vec::new(),
            measured,
        }
    }

    /// The same stage beside its ceiling: `what` ran at `per_sec` in the
    /// stage's unit.
    pub fn beside(mut self, what: String, per_sec: f64) -> Stage {
        let ceiling = Ceiling {
            what,
            per_sec,
            ratio: self.per_sec / per_sec,
        };
        match self.ceiling {
            None => self.ceiling = Some(ceiling),
            Some(_) => self.more_ceilings.push(ceiling),
        }
        self
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Ceiling {
    /// What the ceiling is, e.g. "decode-only pass".
    pub what: String,
    pub per_sec: f64,
    /// The stage's rate over the ceiling's, in the same unit.
    pub ratio: f64,
}

impl Report {
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let json = serde_json::to_string_pretty(self).expect("the report serializes");
        std::fs::write(dir.join("report.json"), json + "\n")?;
        std::fs::write(dir.join("report.md"), self.markdown())?;
        chart::draw(self, &dir.join(chart::FILE)).map_err(|e| std::io::Error::other(e.to_string()))
    }

    pub fn markdown(&self) -> String {
        let mut md = format!(
            "# pancake bench: {} x{} ({})\n\nMachine: {} cores, {:.1} GB memory.\n\n",
            self.preset,
            self.scale,
            self.date,
            self.machine.cores,
            self.machine.memory_bytes as f64 / 1e9
        );
        md.push_str("| stage | per second | ceiling | ratio | wall s | CPU s | peak memory | files read | files written | sent |\n");
        md.push_str("|---|---|---|---|---|---|---|---|---|---|\n");
        for s in &self.stages {
            let all: Vec<&Ceiling> = s.ceiling.iter().chain(&s.more_ceilings).collect();
            let (ceiling, ratio) = if all.is_empty() {
                ("-".into(), "-".into())
            } else {
                let each = |f: &dyn Fn(&Ceiling) -> String| {
                    all.iter().map(|c| f(c)).collect::<Vec<_>>().join("; ")
                };
                (
                    each(&|c| format!("{} {} ({})", whole(c.per_sec), s.unit, c.what)),
                    each(&|c| format!("{:.2}", c.ratio)),
                )
            };
            md.push_str(&format!(
                "| {} | {} {} | {} | {} | {:.1} | {:.1} | {} | {} | {} | {} |\n",
                s.stage,
                whole(s.per_sec),
                s.unit,
                ceiling,
                ratio,
                s.measured.wall_s,
                s.measured.cpu_s,
                crate::progress::bytes(s.measured.peak_rss_bytes),
                crate::progress::bytes(s.measured.file_bytes_read),
                crate::progress::bytes(s.measured.file_bytes_written),
                s.measured
                    .sent
                    .as_ref()
                    .map_or("-".into(), |sent| crate::progress::bytes(sent.bytes)),
            ));
        }
        md.push('\n');
        for s in &self.stages {
            md.push_str(&format!(
                "- {}: {} {}; {}",
                s.stage,
                whole(s.count as f64),
                s.unit,
                s.note
            ));
            if let Some(sent) = &s.measured.sent {
                md.push_str(&format!("; sent {}", sent.what));
            }
            let phases: Vec<String> = s
                .measured
                .phases
                .iter()
                .map(|p| format!("{} {:.1} s", p.name, p.end_s - p.start_s))
                .collect();
            if !phases.is_empty() {
                md.push_str(&format!("; phases: {}", phases.join(", ")));
            }
            md.push('\n');
        }
        for s in self.stages.iter().filter(|s| !s.modules.is_empty()) {
            md.push_str(&format!(
                "\n{}, per module (modules load at once, so the shares add up to more than the wall time):\n\n| module | events | rows | writing parts s | finishing s | of which feeds s | share s |\n|---|---|---|---|---|---|---|\n",
                s.stage
            ));
            for m in &s.modules {
                md.push_str(&format!(
                    "| {} | {} | {} | {:.1} | {:.1} | {} | {:.1} |\n",
                    m.module,
                    whole(m.events as f64),
                    whole(m.rows as f64),
                    m.writing_s,
                    m.finishing_s,
                    m.feeds_s.map_or("-".into(), |f| format!("{f:.1}")),
                    m.writing_s + m.finishing_s,
                ));
            }
        }
        md.push_str(&format!(
            "\nPeak memory is the process's resident peak during the stage. Files read and written count bytes through read(2) and write(2) (/proc/self/io): files and pipes, not sockets; sent counts what the stage sent to its server by its own count. Each stage's progress over time, its phases and its ceiling are in {}.\n",
            chart::FILE
        ));
        md
    }
}

/// 1234567.8 -> "1,234,568".
pub(super) fn whole(v: f64) -> String {
    crate::progress::count(v.max(0.0).round() as u64)
}
