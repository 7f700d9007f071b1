//! Writing one part, streaming: records go through the gzip encoder as they
//! come, so memory does not grow with the part.

use super::{FrameBuffer, PartError, PartLimits, PartSpec, RecordStats, temp_path};
use crate::IoError;
use crate::dump::{PartHeader, PartTrailer};
use crate::manifest::PartEntry;
use crate::record::{Record, schema_fingerprint};
use flate2::write::GzEncoder;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::Xxh3;

/// Bytes reach the gzip encoder in chunks of exactly this size (only the last
/// may be shorter), so the compressed bytes depend only on the bytes written
/// and not on how they were split into calls: the deflate backend's output
/// differs with the size of each write it is given.
const CHUNK: usize = 64 * 1024;

/// How parts are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// gzip level, 0 (store) to 9 (smallest). See [`WriteOptions::DEFAULT_LEVEL`].
    pub level: u32,
    pub limits: PartLimits,
}

impl WriteOptions {
    /// Level 1. Measured on this project's 2-core machines with the zlib-rs
    /// backend on generated message rows, one core: level 1 compresses at
    /// about 215 MB/s to 45% of the input, level 3 at 122 MB/s to 35%, level 6
    /// at 33 MB/s to 31%. The writer sits on the critical path of every stage,
    /// so the default buys 6.5 times the speed of level 6 for files about a
    /// third larger; `--compression-level` trades back when disk matters more.
    pub const DEFAULT_LEVEL: u32 = 1;
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            level: Self::DEFAULT_LEVEL,
            limits: PartLimits::default(),
        }
    }
}

/// Writes one part to `<dir>/<table>/part-NNNNNN.pb.gz`.
///
/// Until [`finish`](PartWriter::finish) the data lives in a `.tmp` file that
/// is deleted if the writer is dropped; a part under its final name is always
/// whole.
pub struct PartWriter {
    spec: PartSpec,
    path: PathBuf,
    temp: PathBuf,
    encoder: Option<GzEncoder<BufWriter<File>>>,
    limits: PartLimits,
    stats: RecordStats,
    hasher: Xxh3,
    scratch: Vec<u8>,
    /// Bytes not yet given to the encoder, less than [`CHUNK`].
    pending: Vec<u8>,
}

impl PartWriter {
    /// Creates the part's folder and temporary file and writes the header.
    pub fn create(dir: &Path, spec: PartSpec, options: &WriteOptions) -> Result<Self, PartError> {
        let path = dir.join(spec.relative_path());
        let temp = temp_path(&path);
        let Some(fingerprint) = schema_fingerprint(&spec.record_type) else {
            return Err(PartError::UnknownRecordType {
                path,
                record_type: spec.record_type,
            });
        };
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(IoError::at("create the folder", folder))?;
        }
        let file = File::create(&temp).map_err(IoError::at("create", &temp))?;
        let encoder = flate2::GzBuilder::new().write(
            BufWriter::with_capacity(256 * 1024, file),
            flate2::Compression::new(options.level.min(9)),
        );
        let mut writer = PartWriter {
            path,
            temp,
            encoder: Some(encoder),
            limits: options.limits,
            stats: RecordStats::default(),
            hasher: Xxh3::new(),
            scratch: Vec::with_capacity(4096),
            pending: Vec::with_capacity(CHUNK),
            spec,
        };
        let header = PartHeader {
            format_version: crate::FORMAT_VERSION,
            kind: writer.spec.kind as i32,
            table: writer.spec.table.clone(),
            record_type: writer.spec.record_type.clone(),
            schema_fingerprint: fingerprint,
            part_number: writer.spec.part_number,
        };
        writer.write_framing(&header)?;
        Ok(writer)
    }

    /// Appends one record.
    pub fn write<R: Record>(&mut self, record: &R) -> Result<(), PartError> {
        self.scratch.clear();
        record
            .encode_length_delimited(&mut self.scratch)
            .expect("a Vec grows as needed");
        self.hasher.update(&self.scratch);
        self.stats.add(record, self.scratch.len() as u64);
        self.write_raw_scratch()
    }

    /// Appends records framed beforehand, as if each was passed to
    /// [`write`](PartWriter::write).
    pub fn write_frames(&mut self, frames: &FrameBuffer) -> Result<(), PartError> {
        self.hasher.update(&frames.bytes);
        self.stats.merge(&frames.stats);
        self.write_raw(&frames.bytes)
    }

    /// True once the part has reached its record or byte limit.
    pub fn is_full(&self) -> bool {
        self.limits
            .is_reached(self.stats.records, self.stats.record_bytes)
    }

    pub fn stats(&self) -> &RecordStats {
        &self.stats
    }

    pub fn spec(&self) -> &PartSpec {
        &self.spec
    }

    /// Writes the trailer, syncs the file to disk and gives it its final name.
    /// Returns the part's manifest entry.
    pub fn finish(mut self) -> Result<PartEntry, PartError> {
        let result = self.close();
        if result.is_err() {
            // Drop no longer sees an open encoder: clean up here.
            let _ = std::fs::remove_file(&self.temp);
        }
        result
    }

    fn close(&mut self) -> Result<PartEntry, PartError> {
        let checksum = self.hasher.digest();
        let trailer = PartTrailer {
            record_count: self.stats.records,
            checksum,
            record_bytes: self.stats.record_bytes,
        };
        self.write_framing(&trailer)?;
        let mut encoder = self.encoder.take().expect("finish runs once");
        encoder
            .write_all(&self.pending)
            .map_err(IoError::at("write", &self.temp))?;
        let file = encoder
            .finish()
            .map_err(IoError::at("write", &self.temp))?
            .into_inner()
            .map_err(|e| e.into_error())
            .map_err(IoError::at("write", &self.temp))?;
        file.sync_all().map_err(IoError::at("sync", &self.temp))?;
        let bytes = file
            .metadata()
            .map_err(IoError::at("stat", &self.temp))?
            .len();
        drop(file);
        std::fs::rename(&self.temp, &self.path)
            .map_err(IoError::at("rename into place", &self.path))?;
        Ok(PartEntry::new(
            self.spec.part_number,
            self.spec.relative_path(),
            bytes,
            checksum,
            &self.stats,
        ))
    }

    /// Writes the header or trailer: framed like a record, but neither
    /// counted nor part of the checksum.
    fn write_framing(&mut self, message: &impl prost::Message) -> Result<(), PartError> {
        self.scratch.clear();
        message
            .encode_length_delimited(&mut self.scratch)
            .expect("a Vec grows as needed");
        self.write_raw_scratch()
    }

    fn write_raw_scratch(&mut self) -> Result<(), PartError> {
        let scratch = std::mem::take(&mut self.scratch);
        let result = self.write_raw(&scratch);
        self.scratch = scratch;
        result
    }

    /// Passes `bytes` on to the encoder in whole [`CHUNK`]s, keeping the rest
    /// in `pending`.
    fn write_raw(&mut self, mut bytes: &[u8]) -> Result<(), PartError> {
        let encoder = self.encoder.as_mut().expect("not finished");
        let io = |cause| IoError::new("write", &self.temp, cause);
        while !bytes.is_empty() {
            if self.pending.is_empty() && bytes.len() >= CHUNK {
                let (chunk, rest) = bytes.split_at(CHUNK);
                encoder.write_all(chunk).map_err(io)?;
                bytes = rest;
            } else {
                let take = (CHUNK - self.pending.len()).min(bytes.len());
                self.pending.extend_from_slice(&bytes[..take]);
                bytes = &bytes[take..];
                if self.pending.len() == CHUNK {
                    encoder.write_all(&self.pending).map_err(io)?;
                    self.pending.clear();
                }
            }
        }
        Ok(())
    }
}

impl Drop for PartWriter {
    fn drop(&mut self) {
        // Not finished: an error or a panic elsewhere. Leave no half part.
        if self.encoder.take().is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}
