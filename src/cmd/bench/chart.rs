//! `progress.svg`: one panel per stage, each the stage's progress over
//! time (the share of its count done, from the samples), its phases as
//! named bands, and its ceiling as the line the stage would follow at the
//! ceiling's rate; beside each, a legend with every phase's duration.
//!
//! Progress rather than a rate between samples: work that lands a part at
//! a time makes a rate spike and drop to zero between parts, where the
//! share done climbs in steps a reader can follow, and a phase that counts
//! nothing (keys and indexes) shows as the flat stretch it is.

use super::measure::Phase;
use super::report::{Report, Stage, whole};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use std::error::Error;
use std::path::Path;

/// The chart's file name in the report's folder.
pub const FILE: &str = "progress.svg";

const WIDTH: u32 = 1100;
/// The legend beside each panel's plot.
const SIDE: u32 = 300;
const PANEL_HEIGHT: u32 = 320;
const TITLE_HEIGHT: u32 = 40;
/// The y axis runs past 100% to leave room for the phases' names.
const Y_TOP: f64 = 118.0;

/// Fills of the phase bands, in turn.
const BANDS: [RGBColor; 2] = [RGBColor(226, 235, 248), RGBColor(248, 238, 216)];
const PROGRESS: RGBColor = RGBColor(31, 119, 180);
const CEILING: RGBColor = RGBColor(214, 39, 40);

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

pub fn draw(report: &Report, path: &Path) -> Result<(), Box<dyn Error>> {
    let panels = report.stages.len().max(1);
    let root = SVGBackend::new(path, (WIDTH, TITLE_HEIGHT + PANEL_HEIGHT * panels as u32))
        .into_drawing_area();
    root.fill(&WHITE)?;
    let body = root.titled(
        &format!(
            "pancake bench, {} x{} ({}): each stage's progress, phases and ceiling",
            report.preset, report.scale, report.date
        ),
        ("sans-serif", 20),
    )?;
    for (stage, area) in report.stages.iter().zip(body.split_evenly((panels, 1))) {
        panel(stage, &area)?;
    }
    root.present()?;
    Ok(())
}

/// The time the stage's count takes at its ceiling's rate.
fn at_ceiling(stage: &Stage) -> Option<f64> {
    let c = stage.ceiling.as_ref().filter(|c| c.per_sec > 0.0)?;
    Some(stage.count as f64 / c.per_sec)
}

fn panel(stage: &Stage, area: &Area) -> Result<(), Box<dyn Error>> {
    let m = &stage.measured;
    let ratio = stage.ceiling.as_ref().map_or(String::new(), |c| {
        format!(", {:.2} of its ceiling", c.ratio)
    });
    let area = area.titled(
        &format!(
            "{}: {} {} in {:.1} s, {} {}/s{ratio}",
            stage.stage,
            whole(stage.count as f64),
            stage.unit,
            m.wall_s,
            whole(stage.per_sec),
            stage.unit,
        ),
        ("sans-serif", 16),
    )?;
    let (plot, side) = area.split_horizontally(WIDTH - SIDE);
    let x_max = at_ceiling(stage).unwrap_or(0.0).max(m.wall_s).max(1e-3);
    let mut chart = ChartBuilder::on(&plot)
        .margin(8)
        .margin_right(20)
        .x_label_area_size(38)
        .y_label_area_size(58)
        .build_cartesian_2d(0f64..x_max, 0f64..Y_TOP)?;
    chart
        .configure_mesh()
        .x_desc("seconds into the stage")
        .y_desc(format!("{}, % of all", counted(stage)))
        .y_labels(7)
        .y_label_formatter(&|v| {
            if *v <= 100.0 {
                format!("{v:.0}%")
            } else {
                String::new()
            }
        })
        .light_line_style(WHITE)
        .bold_line_style(BLACK.mix(0.08))
        .draw()?;

    // The phases: bands, then their names (after every band, so that no
    // band covers a name).
    for (i, p) in m.phases.iter().enumerate() {
        chart.draw_series([Rectangle::new(
            [(p.start_s, 0.0), (p.end_s, Y_TOP)],
            BANDS[i % BANDS.len()].filled(),
        )])?;
        chart.draw_series([PathElement::new(
            vec![(p.start_s, 0.0), (p.start_s, Y_TOP)],
            BLACK.mix(0.25),
        )])?;
    }
    let width = chart.plotting_area().dim_in_pixel().0 as f64;
    for (p, (x, row)) in m.phases.iter().zip(label_places(&m.phases, x_max, width)) {
        chart.draw_series([Text::new(
            p.name.clone(),
            (x, Y_TOP - 1.0 - row as f64 * 5.5),
            ("sans-serif", 12).into_font().color(&BLACK.mix(0.85)),
        )])?;
    }

    let last = m.samples.last().map_or(0, |s| s.1).max(1) as f64;
    chart.draw_series(LineSeries::new(
        m.samples.iter().map(|&(t, n)| (t, 100.0 * n as f64 / last)),
        PROGRESS.stroke_width(2),
    ))?;
    if let Some(seconds) = at_ceiling(stage) {
        chart.draw_series(DashedLineSeries::new(
            [(0.0, 0.0), (seconds, 100.0)],
            6,
            4,
            CEILING.stroke_width(2),
        ))?;
    }
    legend(stage, last, &side)
}

/// Where each phase's name goes: (x, row). A name starts at its band, or
/// ends at the plot's right edge where it would run past it, in the first
/// of four rows where it prints over no other name (estimated widths).
fn label_places(phases: &[Phase], x_max: f64, width: f64) -> Vec<(f64, usize)> {
    const ROWS: usize = 4;
    let per_px = x_max / width.max(1.0);
    // Where each row is free from, in seconds.
    let mut free = [f64::NEG_INFINITY; ROWS];
    phases
        .iter()
        .map(|p| {
            let w = (p.name.chars().count() as f64 * 7.0 + 6.0) * per_px;
            let x = p.start_s.min(x_max - w).max(0.0);
            let row = (0..ROWS).find(|&r| free[r] <= x).unwrap_or_else(|| {
                (0..ROWS)
                    .min_by(|&a, &b| free[a].total_cmp(&free[b]))
                    .unwrap_or(0)
            });
            free[row] = x + w;
            (x, row)
        })
        .collect()
}

/// What the samples count, e.g. "rows copied".
fn counted(stage: &Stage) -> &str {
    match stage.measured.counted.as_str() {
        "" => &stage.unit,
        counted => counted,
    }
}

/// Beside the plot: what each line is, and each phase with its duration.
fn legend(stage: &Stage, last: f64, side: &Area) -> Result<(), Box<dyn Error>> {
    let text = ("sans-serif", 13).into_font();
    let bold = ("sans-serif", 13).into_font().style(FontStyle::Bold);
    let mut y = 16;
    let line = |side: &Area, y: &mut i32, s: &str, bold_line: bool| {
        let font = if bold_line { &bold } else { &text };
        let r = side.draw_text(s, &TextStyle::from(font.clone()), (34, *y));
        *y += 17;
        r
    };
    side.draw(&PathElement::new(
        vec![(4, y + 7), (28, y + 7)],
        PROGRESS.stroke_width(2),
    ))?;
    line(side, &mut y, "progress", true)?;
    line(
        side,
        &mut y,
        &format!("{}, % of {}", counted(stage), whole(last)),
        false,
    )?;
    if let Some(c) = &stage.ceiling {
        y += 6;
        side.draw(&DashedPathElement::new(
            vec![(4, y + 7), (28, y + 7)],
            6,
            4,
            CEILING.stroke_width(2),
        ))?;
        line(side, &mut y, "at the ceiling's rate", true)?;
        line(side, &mut y, &c.what, false)?;
        line(
            side,
            &mut y,
            &format!("{} {}/s", whole(c.per_sec), stage.unit),
            false,
        )?;
    }
    if !stage.measured.phases.is_empty() {
        y += 6;
        line(side, &mut y, "phases", true)?;
    }
    for (i, p) in stage.measured.phases.iter().enumerate() {
        side.draw(&Rectangle::new(
            [(8, y + 2), (24, y + 13)],
            BANDS[i % BANDS.len()].filled(),
        ))?;
        side.draw(&Rectangle::new([(8, y + 2), (24, y + 13)], BLACK.mix(0.3)))?;
        line(side, &mut y, &format!("{}: {}", p.name, seconds(p)), false)?;
    }
    Ok(())
}

/// A phase's duration, to two significant decimals below 10 s.
fn seconds(p: &Phase) -> String {
    let d = p.end_s - p.start_s;
    if d < 10.0 {
        format!("{d:.2} s")
    } else {
        format!("{d:.1} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::bench::measure::Measured;
    use crate::cmd::bench::report::{Ceiling, Machine};

    fn phase(name: &str, start_s: f64, end_s: f64) -> Phase {
        Phase {
            name: name.into(),
            start_s,
            end_s,
        }
    }

    fn report() -> Report {
        let load = Stage {
            stage: "load-postgres".into(),
            unit: "rows".into(),
            count: 1000,
            per_sec: 100.0,
            note: String::new(),
            ceiling: Some(Ceiling {
                what: "plain COPY of the same rows".into(),
                per_sec: 400.0,
                ratio: 0.25,
            }),
            more_ceilings: Vec::new(),
            modules: Vec::new(),
            measured: Measured {
                wall_s: 10.0,
                counted: "rows copied".into(),
                samples: vec![(0.0, 0), (3.0, 0), (5.0, 600), (7.0, 1000), (10.0, 1000)],
                phases: vec![
                    phase("setup", 0.0, 2.0),
                    phase("COPY", 2.0, 7.0),
                    phase("keys and indexes", 7.0, 9.9),
                    phase("finishing", 9.9, 10.0),
                ],
                ..Measured::default()
            },
        };
        let generate = Stage {
            stage: "generate".into(),
            unit: "rows".into(),
            count: 10,
            per_sec: 10.0,
            note: String::new(),
            ceiling: None,
            more_ceilings: Vec::new(),
            modules: Vec::new(),
            measured: Measured {
                wall_s: 1.0,
                counted: "rows generated".into(),
                samples: vec![(0.0, 0), (1.0, 10)],
                phases: vec![
                    phase("members", 0.0, 0.97),
                    phase("blocks", 0.97, 0.98),
                    phase("favorites", 0.98, 0.99),
                    phase("photos", 0.99, 1.0),
                ],
                ..Measured::default()
            },
        };
        Report {
            date: "today".into(),
            machine: Machine {
                cores: 2,
                memory_bytes: 1 << 30,
            },
            preset: "tiny".into(),
            scale: 1.0,
            stages: vec![generate, load],
        }
    }

    #[test]
    fn the_chart_names_each_phase_its_duration_and_the_ceiling() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        draw(&report(), &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        for text in [
            ">\nCOPY\n<",
            ">\nkeys and indexes\n<",
            "keys and indexes: 2.90 s",
            "finishing: 0.10 s",
            "plain COPY of the same rows",
            "400 rows/s",
            "rows copied, % of all",
            "seconds into the stage",
        ] {
            assert!(svg.contains(text), "{text:?} not in the chart");
        }
    }

    #[test]
    fn names_of_neighbouring_short_phases_take_rows_of_their_own_and_stay_in_the_plot() {
        let r = report();
        let phases = &r.stages[0].measured.phases;
        let places = label_places(phases, 1.0, 700.0);
        let rows: Vec<usize> = places.iter().map(|p| p.1).collect();
        assert_eq!(rows, [0, 0, 1, 2]);
        // "favorites" would run past the right edge from 0.98: it ends
        // there instead.
        let favorites = places[2].0;
        assert!(favorites < 0.98, "{favorites}");
        assert!(favorites + 9.0 * 7.0 / 700.0 <= 1.0, "{favorites}");
    }
}
