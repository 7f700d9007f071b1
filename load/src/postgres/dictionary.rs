//! The payload dictionary of a module that compresses its payloads (the
//! audit log): trained once per database on a sample of the stream's
//! payloads, before any part is written, and kept in the database's
//! `payload_dictionaries`; every later load of that database (a resumed
//! one, a re-run) reads it back instead of training again, so every frame
//! in the table names a dictionary the table beside it holds.

use super::PgError;
use super::payload::{PayloadCodec, SAMPLE_BYTES, payload_bytes};
use super::server::Server;
use crate::merge::MergeError;
use pancake_proto::dump::DumpKind;
use pancake_proto::events::Event;
use pancake_proto::{Manifest, PartReader, ReadOptions};
use sqlx::postgres::PgConnection;
use std::path::Path;

/// Parts the sample is drawn from, spread over the stream: the payloads
/// of 2012 are not those of 2024.
const SAMPLED_PARTS: usize = 16;

/// The codec of `database`: its stored dictionary, or one trained on the
/// stream in `dir` and committed to the database before any payload is
/// compressed with it (a load that stops in between trains the same one
/// again: the same stream gives the same samples).
pub async fn codec_for(
    server: &Server,
    database: &str,
    conn: &mut PgConnection,
    dir: &Path,
    manifest: &Manifest,
) -> Result<PayloadCodec, PgError> {
    let stored: Option<Vec<u8>> = sqlx::query_scalar(
        "SELECT dictionary FROM payload_dictionaries ORDER BY dictionary_id LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| server.error(database, "reading the payload dictionary", e))?;
    if let Some(bytes) = stored {
        return PayloadCodec::with_dictionary(bytes).ok_or_else(|| PgError::BadDictionary {
            database: server.shown_with(database),
        });
    }
    let (dir, manifest) = (dir.to_owned(), manifest.clone());
    let (codec, samples, bytes) = tokio::task::spawn_blocking(move || {
        let samples = sample(&dir, &manifest)?;
        let bytes: usize = samples.iter().map(Vec::len).sum();
        Ok::<_, MergeError>((PayloadCodec::train(&samples), samples.len(), bytes))
    })
    .await
    .expect("the dictionary trainer panicked")?;
    if let Some((id, dictionary)) = codec.dictionary() {
        sqlx::query(
            "INSERT INTO payload_dictionaries (dictionary_id, dictionary, samples, sample_bytes)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(i64::from(id))
        .bind(dictionary)
        .bind(samples as i64)
        .bind(bytes as i64)
        .execute(&mut *conn)
        .await
        .map_err(|e| server.error(database, "storing the payload dictionary", e))?;
    }
    Ok(codec)
}

/// Payloads to train on: up to [`SAMPLE_BYTES`] of them, taken from the
/// start of [`SAMPLED_PARTS`] parts spread evenly over the stream. Reads
/// every part it samples only as far as its share.
pub fn sample(dir: &Path, manifest: &Manifest) -> Result<Vec<Vec<u8>>, MergeError> {
    let parts: Vec<(&str, &pancake_proto::PartEntry)> = manifest
        .tables
        .iter()
        .flat_map(|t| t.parts.iter().map(move |p| (t.name.as_str(), p)))
        .collect();
    if parts.is_empty() {
        return Ok(Vec::new());
    }
    let picked = SAMPLED_PARTS.min(parts.len());
    let share = SAMPLE_BYTES / picked;
    let mut samples = Vec::new();
    for i in 0..picked {
        let (table, entry) = parts[i * parts.len() / picked];
        let options = ReadOptions {
            part_number: Some(entry.number),
            ..ReadOptions::expect::<Event>(DumpKind::EventStream, table)
        };
        let mut reader = PartReader::open(&dir.join(&entry.file), &options)?;
        let mut taken = 0;
        while taken < share {
            let Some(event) = reader.next_record::<Event>()? else {
                break;
            };
            let payload = payload_bytes(&event);
            taken += payload.len();
            samples.push(payload);
        }
    }
    Ok(samples)
}
