//! An event stream's `transform` section, checked against itself (rows read
//! = rows with events + rows rejected, totals = sums over the tables) and
//! against what its parts hold (events per kind, rejects per reason).

use super::{Held, Problem};
use crate::accounting::{REJECTS_SUFFIX, TransformSection};
use crate::events::{EventKind, RejectReason};
use crate::manifest::Manifest;
use crate::names::{EVENT_KINDS, REJECT_REASONS, kind_name, reason_name};
use std::collections::{BTreeMap, HashMap};

const UNBALANCED: &str = "the transform's accounting does not balance: re-run the transform";
const NOT_HELD: &str = "the event stream does not hold what the transform counted (altered after writing, or a transform bug): re-run the transform";

/// Checks the transform section against itself and against what the parts
/// hold. Tables with a damaged part are only checked against themselves:
/// the damage is reported already and their sums mean nothing.
pub(super) fn check_accounting(
    manifest: &Manifest,
    section: &TransformSection,
    held: &HashMap<&str, Held>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut problem = |table: Option<&str>, reason: String| {
        problems.push(Problem {
            table: table.map(str::to_owned),
            file: None,
            reason,
        })
    };
    let events_by_kind = Names {
        known: EVENT_KINDS.iter().map(|&k| kind_name(k)).collect(),
        of: event_kind_name,
    };
    let rejects_by_reason = Names {
        known: REJECT_REASONS.iter().map(|&r| reason_name(r)).collect(),
        of: reject_reason_name,
    };

    // The section's tables in the manifest's order, then any others.
    let mut order: Vec<&str> = manifest
        .tables
        .iter()
        .map(|t| t.name.as_str())
        .filter(|name| section.tables.contains_key(*name))
        .collect();
    for name in section.tables.keys() {
        if !order.contains(&name.as_str()) {
            order.push(name);
        }
    }
    let mut kinds_over_tables: BTreeMap<String, u64> = BTreeMap::new();
    let mut rejects_over_tables: BTreeMap<String, u64> = BTreeMap::new();
    for name in order {
        let account = &section.tables[name];
        let table = Some(name);
        for (kind, &n) in &account.events {
            add_to(&mut kinds_over_tables, kind, n);
        }
        for (reason, &n) in &account.rejects {
            add_to(&mut rejects_over_tables, reason, n);
        }

        // The section against itself.
        if account.parts_done > account.input_parts {
            problem(
                table,
                format!(
                    "{} done but the input has only {}; {UNBALANCED}",
                    count(account.parts_done, "input part"),
                    account.input_parts
                ),
            );
        } else if manifest.complete && account.parts_done < account.input_parts {
            problem(
                table,
                format!(
                    "the event stream is marked complete but only {} of its {} input parts were transformed; re-run the transform to finish it",
                    account.parts_done, account.input_parts
                ),
            );
        }
        let accounted = account.rows_with_events.saturating_add(account.rejected);
        if account.rows != accounted {
            problem(
                table,
                format!(
                    "{} read but {} with events + {} rejected = {accounted}; {UNBALANCED}",
                    count(account.rows, "row"),
                    account.rows_with_events,
                    account.rejected
                ),
            );
        }
        let by_reason = total(&account.rejects);
        if account.rejected != by_reason {
            problem(
                table,
                format!(
                    "{} rejected but its rejects by reason add up to {by_reason} ({}); {UNBALANCED}",
                    count(account.rejected, "row"),
                    listing(&account.rejects, &rejects_by_reason.known),
                ),
            );
        }

        // The section against the events.
        let counted_events = total(&account.events);
        match held.get(name) {
            None if manifest.any_table(name).is_none() => problem(
                table,
                format!(
                    "the transform counts {} but the event stream has no such table; {NOT_HELD}",
                    count(counted_events, "event")
                ),
            ),
            None => {}
            Some(events) => {
                let counted = count(counted_events, "event");
                match mismatch(
                    events,
                    counted_events,
                    &account.events,
                    &events_by_kind,
                    "in the parts",
                ) {
                    None => {}
                    Some(Mismatch::Total { held, diffs }) => problem(
                        table,
                        format!(
                            "the transform counts {counted} but its parts hold {held}{}; {NOT_HELD}",
                            in_brackets(&diffs)
                        ),
                    ),
                    Some(Mismatch::Names(diffs)) => problem(
                        table,
                        format!(
                            "its parts hold the {counted} the transform counts, but not of the kinds it counts: {}; {NOT_HELD}",
                            diffs.join("; ")
                        ),
                    ),
                }
            }
        }

        // The section against the rejects sidecar.
        let sidecar = TransformSection::rejects_sidecar(name);
        let rejected = count(account.rejected, "row");
        match held.get(sidecar.as_str()) {
            None if account.rejected > 0 || by_reason > 0 => problem(
                table,
                format!(
                    "{rejected} rejected but the event stream has no sidecar {sidecar}; {NOT_HELD}"
                ),
            ),
            None => {}
            Some(rejects) => {
                let where_ = format!("in {sidecar}");
                match mismatch(
                    rejects,
                    account.rejected,
                    &account.rejects,
                    &rejects_by_reason,
                    &where_,
                ) {
                    None => {}
                    Some(Mismatch::Total { held, diffs }) => problem(
                        table,
                        format!(
                            "{rejected} rejected but the sidecar {sidecar} holds {}{}; {NOT_HELD}",
                            count(held, "reject"),
                            in_brackets(&diffs)
                        ),
                    ),
                    Some(Mismatch::Names(diffs)) => problem(
                        table,
                        format!(
                            "the sidecar {sidecar} holds the {} the transform counts, but not for the reasons it counts: {}; {NOT_HELD}",
                            count(account.rejected, "reject"),
                            diffs.join("; ")
                        ),
                    ),
                }
            }
        }
    }

    // Data the section does not account for.
    for table in &manifest.tables {
        let records = held.get(table.name.as_str()).map_or(0, |h| h.records);
        if records > 0 && !section.tables.contains_key(&table.name) {
            problem(
                Some(&table.name),
                format!(
                    "holds {} that the transform section does not account for; {NOT_HELD}",
                    count(records, "event")
                ),
            );
        }
    }
    for sidecar in &manifest.sidecars {
        let Some(of) = sidecar.name.strip_suffix(REJECTS_SUFFIX) else {
            continue;
        };
        let records = held.get(sidecar.name.as_str()).map_or(0, |h| h.records);
        if records > 0 && !section.tables.contains_key(of) {
            problem(
                Some(&sidecar.name),
                format!(
                    "holds {} of a table {of:?} that the transform section does not account for; {NOT_HELD}",
                    count(records, "reject")
                ),
            );
        }
    }

    // The totals against the tables.
    for (what, totals, over_tables, names) in [
        ("event", &section.kinds, &kinds_over_tables, &events_by_kind),
        (
            "reject",
            &section.rejects,
            &rejects_over_tables,
            &rejects_by_reason,
        ),
    ] {
        let diffs = differences(totals, over_tables, &names.known, "over the tables");
        if !diffs.is_empty() {
            problem(
                None,
                format!(
                    "the transform section's {what} totals are not the sums over its tables: {}; {UNBALANCED}",
                    diffs.join("; ")
                ),
            );
        }
    }
    problems
}

/// What the values a part holds are called: event kinds or reject reasons.
struct Names {
    /// The known names, in the order problems list them.
    known: Vec<&'static str>,
    /// The name of a value as the parts hold it.
    of: fn(i32) -> String,
}

/// How what a table or sidecar holds differs from what the section counts.
enum Mismatch {
    /// It holds `held` records, not the number counted; `diffs` name the
    /// kinds or reasons that differ.
    Total { held: u64, diffs: Vec<String> },
    /// The number agrees but not the kinds or reasons.
    Names(Vec<String>),
}

/// `held` against `counted` records, `by_name` per kind or reason; none
/// when they agree, or when a part of it is damaged: its sums mean nothing
/// and the damage is reported already.
fn mismatch(
    held: &Held,
    counted: u64,
    by_name: &BTreeMap<String, u64>,
    names: &Names,
    where_held: &str,
) -> Option<Mismatch> {
    if held.damaged {
        return None;
    }
    let in_parts: BTreeMap<String, u64> = held
        .values
        .iter()
        .map(|(value, n)| ((names.of)(value), n))
        .collect();
    let diffs = differences(by_name, &in_parts, &names.known, where_held);
    if held.records != counted {
        Some(Mismatch::Total {
            held: held.records,
            diffs,
        })
    } else {
        (!diffs.is_empty()).then_some(Mismatch::Names(diffs))
    }
}

/// "1 row", "2 rows".
fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn add_to(map: &mut BTreeMap<String, u64>, name: &str, n: u64) {
    let sum = map.entry(name.to_owned()).or_default();
    *sum = sum.saturating_add(n);
}

fn total(counts: &BTreeMap<String, u64>) -> u64 {
    counts.values().fold(0, |a, &b| a.saturating_add(b))
}

fn event_kind_name(kind: i32) -> String {
    match EventKind::try_from(kind) {
        Ok(EventKind::Unspecified) | Err(_) => format!("kind {kind}"),
        Ok(kind) => kind_name(kind).to_owned(),
    }
}

fn reject_reason_name(reason: i32) -> String {
    match RejectReason::try_from(reason) {
        Ok(RejectReason::Unspecified) | Err(_) => format!("reason {reason}"),
        Ok(reason) => reason_name(reason).to_owned(),
    }
}

/// The names in `counted` or `held`, the known ones in `known`'s order first.
fn names_in_order<'a>(
    known: &[&'a str],
    counted: &'a BTreeMap<String, u64>,
    held: &'a BTreeMap<String, u64>,
) -> Vec<&'a str> {
    let mut names: Vec<&str> = known.to_vec();
    for name in counted.keys().chain(held.keys()) {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    names
}

/// "null_required 5, bad_date 1": the nonzero counts, known names first.
fn listing(counts: &BTreeMap<String, u64>, known: &[&str]) -> String {
    let empty = BTreeMap::new();
    let parts: Vec<String> = names_in_order(known, counts, &empty)
        .into_iter()
        .filter_map(|name| match counts.get(name) {
            Some(&n) if n > 0 => Some(format!("{name} {n}")),
            _ => None,
        })
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

/// Each name whose count differs: "registration-approved: 500 counted, 499
/// in the parts". An absent name counts zero; a name that is not one of
/// `known` is flagged as such.
fn differences(
    counted: &BTreeMap<String, u64>,
    held: &BTreeMap<String, u64>,
    known: &[&str],
    where_held: &str,
) -> Vec<String> {
    names_in_order(known, counted, held)
        .into_iter()
        .filter_map(|name| {
            let c = counted.get(name).copied().unwrap_or(0);
            let h = held.get(name).copied().unwrap_or(0);
            (c != h).then(|| {
                let unknown = if known.contains(&name) {
                    ""
                } else {
                    " (unknown)"
                };
                format!("{name}{unknown}: {c} counted, {h} {where_held}")
            })
        })
        .collect()
}

fn in_brackets(diffs: &[String]) -> String {
    if diffs.is_empty() {
        String::new()
    } else {
        format!(" ({})", diffs.join("; "))
    }
}
