//! What a committed input part tells the caller's [`Progress`]: each of
//! its output parts, and its rejects per reason. Taken from the part's
//! output before it is committed, told once the commit succeeded.

use crate::part::PartOutput;
use crate::{CommittedPart, Progress};
use std::collections::BTreeMap;

/// What a committed input part tells the caller's [`Progress`]: each of
/// its output parts, and its rejects per reason.
pub struct Told {
    input_bytes: u64,
    rows: u64,
    parts: Vec<(u32, u64, u64, f64)>,
    rejects: BTreeMap<String, u64>,
}

impl Told {
    /// `input_bytes`: the size of the input part's file.
    pub fn of(output: &PartOutput, input_bytes: u64) -> Told {
        let parts = output
            .events
            .iter()
            .zip(&output.seconds)
            .map(|(e, s)| (e.number, e.records, e.bytes, *s))
            .collect();
        Told {
            input_bytes,
            rows: output.account.rows,
            parts,
            rejects: output.account.rejects.clone(),
        }
    }

    pub fn tell(self, table: &str, progress: &dyn Progress) {
        progress.input_committed(table, self.rows, self.input_bytes);
        for (part, events, bytes, seconds) in self.parts {
            progress.part_committed(&CommittedPart {
                table,
                part,
                events,
                bytes,
                seconds,
            });
        }
        if self.rejects.values().any(|n| *n > 0) {
            progress.rows_rejected(table, &self.rejects);
        }
    }
}
