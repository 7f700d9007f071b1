//! Reading one part, streaming, trusting nothing in it.
//!
//! Memory is one decompression window plus the largest record, and a record
//! may not claim more than [`ReadOptions::max_record_bytes`]: a hostile length
//! prefix is refused before anything is allocated for it.

use super::PartError;
use super::frame::{Prefix, encode_varint, read_varint};
use crate::IoError;
use crate::dump::{DumpKind, PartHeader, PartTrailer};
use crate::record::{Record, schema_fingerprint};
use flate2::bufread::GzDecoder;
use prost::Message as _;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::Xxh3;

/// What a reader checks and allows.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The kind the header must name, if any.
    pub kind: Option<DumpKind>,
    /// The table the header must name, if any.
    pub table: Option<String>,
    /// The record type the header must name, if any.
    pub record_type: Option<String>,
    /// The part number the header must carry, if any.
    pub part_number: Option<u32>,
    /// The largest record accepted; `None` means
    /// [`ReadOptions::DEFAULT_MAX_RECORD_BYTES`], and more than that is not
    /// allowed either.
    pub max_record_bytes: Option<u64>,
}

impl ReadOptions {
    /// [`MAX_RECORD_BYTES`](super::MAX_RECORD_BYTES), 16 MiB.
    pub const DEFAULT_MAX_RECORD_BYTES: u64 = super::MAX_RECORD_BYTES;

    /// Expect a part of `table` holding records of type `R`.
    pub fn expect<R: Record>(kind: DumpKind, table: &str) -> ReadOptions {
        ReadOptions {
            kind: Some(kind),
            table: Some(table.to_owned()),
            record_type: Some(R::TYPE_NAME.to_owned()),
            ..ReadOptions::default()
        }
    }
}

/// Reads the records of one part in order, then checks the trailer.
///
/// Every error names the file and the record index. After the last record
/// [`next_frame`](PartReader::next_frame) returns `None` only once the
/// trailer's count and checksum match what was read and the gzip member ended
/// cleanly with nothing after it. Records are handed out as they stream, so a
/// stage must not commit anything of a part before that `None`: damage near
/// the end is only found there.
pub struct PartReader {
    path: PathBuf,
    input: BufReader<GzDecoder<BufReader<File>>>,
    header: PartHeader,
    max_record_bytes: u64,
    /// Records handed out so far; also the index of the next one.
    records: u64,
    record_bytes: u64,
    hasher: Xxh3,
    buf: Vec<u8>,
    trailer: Option<PartTrailer>,
}

impl PartReader {
    /// Opens a part and reads and checks its header.
    pub fn open(path: &Path, options: &ReadOptions) -> Result<PartReader, PartError> {
        let file = File::open(path).map_err(IoError::at("open", path))?;
        let decoder = GzDecoder::new(BufReader::with_capacity(128 * 1024, file));
        let mut reader = PartReader {
            path: path.to_path_buf(),
            input: BufReader::with_capacity(128 * 1024, decoder),
            header: PartHeader::default(),
            max_record_bytes: options
                .max_record_bytes
                .map_or(super::MAX_RECORD_BYTES, |m| m.min(super::MAX_RECORD_BYTES)),
            records: 0,
            record_bytes: 0,
            hasher: Xxh3::new(),
            buf: Vec::new(),
            trailer: None,
        };
        reader.read_header(options)?;
        Ok(reader)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn header(&self) -> &PartHeader {
        &self.header
    }

    /// Records read so far.
    pub fn records_read(&self) -> u64 {
        self.records
    }

    /// The trailer, once every record has been read.
    pub fn trailer(&self) -> Option<&PartTrailer> {
        self.trailer.as_ref()
    }

    /// The next record's encoded bytes (without the length prefix), or `None`
    /// after the last record once the trailer has checked out.
    pub fn next_frame(&mut self) -> Result<Option<&[u8]>, PartError> {
        if self.trailer.is_some() {
            return Ok(None);
        }
        let index = self.records;
        let length = match self.read_prefix(index)? {
            Prefix::Length(length) => length,
            // Only reachable right after the header: a frame is read only
            // when bytes follow the previous one.
            Prefix::End => {
                return Err(PartError::MissingTrailer {
                    path: self.path.clone(),
                    records: self.records,
                });
            }
        };
        self.read_body(index, length)?;
        if self.at_end(index + 1)? {
            self.check_trailer(index)?;
            return Ok(None);
        }
        let mut prefix = [0u8; 10];
        let used = encode_varint(length, &mut prefix);
        self.hasher.update(&prefix[..used]);
        self.hasher.update(&self.buf);
        self.record_bytes += (used as u64) + length;
        self.records += 1;
        Ok(Some(&self.buf))
    }

    /// [`next_frame`](PartReader::next_frame) into `frame`, whose old
    /// contents are dropped: the reader's buffer and `frame` change places,
    /// so that a caller keeping frames (a merge, one per open part) copies
    /// none. False after the last record once the trailer has checked out.
    pub fn next_frame_into(&mut self, frame: &mut Vec<u8>) -> Result<bool, PartError> {
        if self.next_frame()?.is_none() {
            return Ok(false);
        }
        std::mem::swap(&mut self.buf, frame);
        Ok(true)
    }

    /// The next record decoded as `R`.
    pub fn next_record<R: Record>(&mut self) -> Result<Option<R>, PartError> {
        let index = self.records;
        let Some(bytes) = self.next_frame()? else {
            return Ok(None);
        };
        R::decode(bytes)
            .map(Some)
            .map_err(|cause| PartError::Decode {
                path: self.path.clone(),
                record: index,
                record_type: R::TYPE_NAME.to_owned(),
                cause,
            })
    }

    /// An iterator over the remaining records, decoded as `R`.
    pub fn records<R: Record>(self) -> Records<R> {
        Records {
            reader: self,
            done: false,
            _record: PhantomData,
        }
    }

    /// Reads to the end, checking every frame and the trailer without
    /// decoding the records. Returns the trailer.
    pub fn check_to_end(&mut self) -> Result<PartTrailer, PartError> {
        while self.next_frame()?.is_some() {}
        Ok(self.trailer.expect("set when next_frame ends"))
    }

    fn read_header(&mut self, options: &ReadOptions) -> Result<(), PartError> {
        let path = self.path.clone();
        let bad = move |detail: String| PartError::BadHeader {
            path: path.clone(),
            detail,
        };
        let length = match self.read_prefix(0) {
            Ok(Prefix::Length(length)) => length,
            Ok(Prefix::End) => return Err(bad("the part is empty".into())),
            // Only when the gzip header did not parse: damage further on in
            // the deflate data can surface here too, since the first read
            // decompresses a whole buffer.
            Err(PartError::Corrupt { detail, .. }) if self.input.get_ref().header().is_none() => {
                return Err(bad(format!("not a gzip stream ({detail})")));
            }
            Err(e) => return Err(e),
        };
        if length > 64 * 1024 {
            return Err(bad(format!(
                "it claims {length} bytes, far more than a header takes"
            )));
        }
        self.read_body(0, length)?;
        let header = PartHeader::decode(self.buf.as_slice())
            .map_err(|e| bad(format!("it does not decode ({e})")))?;
        if header.format_version != crate::FORMAT_VERSION {
            return Err(PartError::FormatVersion {
                path: self.path.clone(),
                found: header.format_version,
                supported: crate::FORMAT_VERSION,
            });
        }
        crate::events::check_contract(&self.path, &header.record_type)?;
        let kind = DumpKind::try_from(header.kind).unwrap_or(DumpKind::Unspecified);
        if kind == DumpKind::Unspecified {
            return Err(bad(format!("unknown dump kind {}", header.kind)));
        }
        if let Some(expected) = options.kind
            && kind != expected
        {
            return Err(bad(format!(
                "it belongs to a {}, expected a {}",
                kind.as_str_name(),
                expected.as_str_name()
            )));
        }
        let mismatch = |what: &str, expected: &str, found: &str| {
            bad(format!("{what} is {found:?}, expected {expected:?}"))
        };
        if let Some(table) = &options.table
            && &header.table != table
        {
            return Err(mismatch("table", table, &header.table));
        }
        if let Some(record_type) = &options.record_type
            && &header.record_type != record_type
        {
            return Err(mismatch("record type", record_type, &header.record_type));
        }
        if let Some(part) = options.part_number
            && header.part_number != part
        {
            return Err(mismatch(
                "part number",
                &part.to_string(),
                &header.part_number.to_string(),
            ));
        }
        match schema_fingerprint(&header.record_type) {
            None => {
                return Err(PartError::UnknownRecordType {
                    path: self.path.clone(),
                    record_type: header.record_type,
                });
            }
            Some(ours) if ours != header.schema_fingerprint => {
                return Err(bad(format!(
                    "schema fingerprint {} of {} differs from this build's {ours}: the part was written with another version of the schema",
                    header.schema_fingerprint, header.record_type
                )));
            }
            Some(_) => {}
        }
        self.header = header;
        Ok(())
    }

    fn read_prefix(&mut self, index: u64) -> Result<Prefix, PartError> {
        read_varint(&mut self.input).map_err(|e| stream_error(&self.path, index, e))
    }

    fn read_body(&mut self, index: u64, length: u64) -> Result<(), PartError> {
        if length > self.max_record_bytes {
            return Err(PartError::RecordTooLarge {
                path: self.path.clone(),
                record: index,
                length,
                limit: self.max_record_bytes,
            });
        }
        self.buf.clear();
        let read = (&mut self.input)
            .take(length)
            .read_to_end(&mut self.buf)
            .map_err(|e| stream_error(&self.path, index, e))?;
        if (read as u64) < length {
            return Err(PartError::Truncated {
                path: self.path.clone(),
                record: index,
            });
        }
        Ok(())
    }

    /// True when the gzip member has ended. Also checks that nothing follows
    /// the member in the file.
    fn at_end(&mut self, index: u64) -> Result<bool, PartError> {
        let path = &self.path;
        let ended = self
            .input
            .fill_buf()
            .map_err(|e| stream_error(path, index, e))?
            .is_empty();
        if ended {
            let file = self.input.get_mut().get_mut();
            let extra = file.fill_buf().map_err(|e| stream_error(path, index, e))?;
            if !extra.is_empty() {
                return Err(PartError::TrailingData {
                    path: self.path.clone(),
                    extra: if extra.len() < 64 * 1024 {
                        extra.len().to_string()
                    } else {
                        "64 KiB or more".into()
                    },
                });
            }
        }
        Ok(ended)
    }

    /// The frame in `buf` was the last in the stream: it must be a trailer
    /// matching what was read.
    fn check_trailer(&mut self, index: u64) -> Result<(), PartError> {
        let trailer =
            PartTrailer::decode(self.buf.as_slice()).map_err(|_| PartError::MissingTrailer {
                path: self.path.clone(),
                records: index + 1,
            })?;
        let mismatch = |field, in_trailer: String, read: String| PartError::TrailerMismatch {
            path: self.path.clone(),
            field,
            in_trailer,
            read,
        };
        if trailer.record_count != self.records {
            return Err(mismatch(
                "the record count",
                trailer.record_count.to_string(),
                self.records.to_string(),
            ));
        }
        if trailer.record_bytes != self.record_bytes {
            return Err(mismatch(
                "the record bytes",
                trailer.record_bytes.to_string(),
                self.record_bytes.to_string(),
            ));
        }
        let checksum = self.hasher.digest();
        if trailer.checksum != checksum {
            return Err(mismatch(
                "the checksum",
                super::checksum_hex(trailer.checksum),
                super::checksum_hex(checksum),
            ));
        }
        self.trailer = Some(trailer);
        Ok(())
    }
}

/// Maps an error of the gzip stream to what it means for the part.
fn stream_error(path: &Path, record: u64, e: io::Error) -> PartError {
    let path = path.to_path_buf();
    match e.kind() {
        io::ErrorKind::UnexpectedEof => PartError::Truncated { path, record },
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => PartError::Corrupt {
            path,
            record,
            detail: e.to_string(),
        },
        _ => IoError::new("read", path, e).into(),
    }
}

/// Iterator from [`PartReader::records`]. Stops after the first error.
pub struct Records<R> {
    reader: PartReader,
    done: bool,
    _record: PhantomData<R>,
}

impl<R> Records<R> {
    pub fn reader(&self) -> &PartReader {
        &self.reader
    }
}

impl<R: Record> Iterator for Records<R> {
    type Item = Result<R, PartError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.reader.next_record::<R>() {
            Ok(Some(record)) => Some(Ok(record)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}
