//! What a run starts from: the input dump, checked to be a complete legacy
//! dump; the `transform` section a fresh run writes (with the fingerprint of
//! its input and settings); and how the output folder is judged, so that an
//! unfinished transform with the same input and settings is continued and
//! any other is refused.

use crate::error::TransformError;
use crate::{TableAccount, TransformOptions, TransformSection};
use pancake_proto::folder::Stage;
use pancake_proto::manifest::DumpKindName;
use pancake_proto::{LegacyTable, Manifest};
use std::collections::BTreeMap;
use std::path::Path;

/// The input dump in `dir`, refused unless it is a complete legacy dump.
pub(crate) fn load_input(dir: &Path) -> Result<Manifest, TransformError> {
    let input = Manifest::load(dir)?;
    if input.kind != DumpKindName::LegacyDump {
        return Err(TransformError::NotLegacyDump {
            dir: dir.to_path_buf(),
        });
    }
    if !input.complete {
        return Err(TransformError::InputNotReady {
            dir: dir.to_path_buf(),
            why: "its manifest is not marked complete".into(),
        });
    }
    Ok(input)
}

/// The `transform` section of a fresh run: the input's fingerprint and the
/// settings, and an empty account per table.
pub(crate) fn fresh_section(
    options: &TransformOptions,
    input: &Manifest,
    tables: &[LegacyTable],
) -> TransformSection {
    // What shapes the output: the input's parts and the settings.
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for t in &input.tables {
        h.update(t.name.as_bytes());
        for p in &t.parts {
            h.update(p.file.as_bytes());
            h.update(p.checksum.as_bytes());
            h.update(&p.records.to_le_bytes());
        }
    }
    h.update(&options.site_start.to_le_bytes());
    h.update(&options.part_events.to_le_bytes());
    h.update(&options.write.level.to_le_bytes());
    TransformSection {
        input: Some(options.input.display().to_string()),
        input_source: Some(input.source.clone()),
        input_fingerprint: format!("{:016x}", h.digest()),
        site_start: pancake_proto::record::format_micros(options.site_start * 1_000_000),
        part_events: options.part_events,
        tables: tables
            .iter()
            .map(|t| {
                let account = TableAccount {
                    input_parts: input.table(t.name()).map_or(0, |e| e.parts.len() as u64),
                    ..TableAccount::default()
                };
                (t.name().to_owned(), account)
            })
            .collect(),
        kinds: BTreeMap::new(),
        rejects: BTreeMap::new(),
    }
}

/// The section of a manifest this crate wrote (unreadable counts as none).
pub(crate) fn section_of(manifest: &Manifest) -> Option<TransformSection> {
    TransformSection::of(manifest).and_then(Result::ok)
}

/// How `transform` treats the folder it is pointed at: an unfinished
/// transform is continued, one of other input or settings is refused (only
/// `--force` replaces it).
pub(crate) const STAGE: Stage = Stage {
    section: "transform",
    output: "pancake event stream",
    run: "transform",
    resume: true,
    replace_other_settings: false,
};

/// Why the transform in a manifest cannot be continued by one that wants
/// `wanted`: its input or settings differ.
pub(crate) fn difference(manifest: &Manifest, wanted: &TransformSection) -> Option<String> {
    let Some(found) = section_of(manifest) else {
        return Some("its transform section cannot be read".into());
    };
    if found.input_fingerprint == wanted.input_fingerprint {
        // Same settings; a resume also needs every table's account.
        return wanted
            .tables
            .keys()
            .find(|t| !found.tables.contains_key(*t))
            .map(|t| {
                format!("its transform section has no account of table {t} (edited by hand?)")
            });
    }
    let show = |v: &Option<String>| v.as_deref().unwrap_or("unknown").to_owned();
    Some(if found.site_start != wanted.site_start {
        format!(
            "--site-start was {}, now {}",
            found.site_start, wanted.site_start
        )
    } else if found.part_events != wanted.part_events {
        format!(
            "--part-records was {}, now {}",
            found.part_events, wanted.part_events
        )
    } else if found.input != wanted.input {
        format!(
            "--in was {}, now {}",
            show(&found.input),
            show(&wanted.input)
        )
    } else {
        "the input dump or the compression level changed since".into()
    })
}
