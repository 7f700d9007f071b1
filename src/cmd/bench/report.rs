//! The bench report: `report.json` (everything), `report.md` (the table a
//! person reads) and `events-per-second.svg` (each stage's rate over time).

use super::measure::Measured;
use plotters::prelude::*;
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
    pub measured: Measured,
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
        self.chart(&dir.join("events-per-second.svg"))
            .map_err(|e| std::io::Error::other(e.to_string()))
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
        md.push_str("| stage | per second | ceiling | ratio | wall s | CPU s | peak memory | read | written |\n");
        md.push_str("|---|---|---|---|---|---|---|---|---|\n");
        for s in &self.stages {
            let (ceiling, ratio) = match &s.ceiling {
                Some(c) => (
                    format!("{} {} ({})", whole(c.per_sec), s.unit, c.what),
                    format!("{:.2}", c.ratio),
                ),
                None => ("-".into(), "-".into()),
            };
            md.push_str(&format!(
                "| {} | {} {} | {} | {} | {:.1} | {:.1} | {} | {} | {} |\n",
                s.stage,
                whole(s.per_sec),
                s.unit,
                ceiling,
                ratio,
                s.measured.wall_s,
                s.measured.cpu_s,
                crate::progress::bytes(s.measured.peak_rss_bytes),
                crate::progress::bytes(s.measured.bytes_read),
                crate::progress::bytes(s.measured.bytes_written),
            ));
        }
        md.push('\n');
        for s in &self.stages {
            md.push_str(&format!(
                "- {}: {} {}; {}\n",
                s.stage,
                whole(s.count as f64),
                s.unit,
                s.note
            ));
        }
        md.push_str("\nPeak memory is the process's resident peak during the stage; read and written count bytes through system calls (files and sockets). The rate over time is in events-per-second.svg.\n");
        md
    }

    /// Each stage's rate between samples, on its own time axis.
    fn chart(&self, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
        let series: Vec<(String, Vec<(f64, f64)>)> = self
            .stages
            .iter()
            .map(|s| {
                let points = s
                    .measured
                    .samples
                    .windows(2)
                    .filter(|w| w[1].0 > w[0].0)
                    .map(|w| (w[1].0, (w[1].1 - w[0].1) as f64 / (w[1].0 - w[0].0)))
                    .collect();
                (format!("{} ({}/s)", s.stage, s.unit), points)
            })
            .collect();
        let max_t = series
            .iter()
            .flat_map(|(_, p)| p.iter().map(|x| x.0))
            .fold(1.0, f64::max);
        let max_rate = series
            .iter()
            .flat_map(|(_, p)| p.iter().map(|x| x.1))
            .fold(1.0, f64::max)
            * 1.1;
        let root = SVGBackend::new(path, (960, 540)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!(
                    "pancake bench, {} x{}: rate over time",
                    self.preset, self.scale
                ),
                ("sans-serif", 20),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(0f64..max_t, 0f64..max_rate)?;
        chart
            .configure_mesh()
            .x_desc("seconds into the stage")
            .y_desc("per second")
            .y_label_formatter(&|v| whole(*v))
            .draw()?;
        for (i, (label, points)) in series.into_iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE)
            .draw()?;
        root.present()?;
        Ok(())
    }
}

/// 1234567.8 -> "1,234,568".
fn whole(v: f64) -> String {
    crate::progress::count(v.max(0.0).round() as u64)
}
