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
    // band covers a name), staggered in three rows so that short
    // neighbours do not print over each other.
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
    for (i, p) in m.phases.iter().enumerate() {
        chart.draw_series([Text::new(
            p.name.clone(),
            (p.start_s, Y_TOP - 1.0 - (i % 3) as f64 * 5.5),
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
