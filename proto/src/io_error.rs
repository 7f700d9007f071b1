//! The one shape of an I/O failure in pancake: which file or folder, what
//! pancake was doing to it, and what the operating system said.
//!
//! Every crate reports I/O the same way, in the same word order:
//!
//! ```text
//! /data/dump/Messages/part-00003.pb.gz: cannot open: No such file or directory (os error 2)
//! ```
//!
//! # The rule for every pancake error
//!
//! An error's message is complete: where it has a cause, it quotes the cause
//! inline and does **not** also return it from [`std::error::Error::source`].
//! So a caller that prints the chain (`anyhow`'s `{:#}`, or `pancake`'s
//! `main`) never shows a cause twice, and nothing has to remove repeats by
//! matching text.
//!
//! ```
//! use pancake_proto::IoError;
//! use std::path::Path;
//!
//! let path = Path::new("/no/such/manifest.json");
//! let error = std::fs::read(path).map_err(IoError::at("read", path)).unwrap_err();
//! assert!(error.to_string().starts_with("/no/such/manifest.json: cannot read: "));
//! assert!(std::error::Error::source(&error).is_none());
//! assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
//! ```

use std::path::{Path, PathBuf};

/// An I/O failure on `path` while pancake tried to `action` it.
#[derive(Debug, thiserror::Error)]
#[error("{}: cannot {action}: {cause}", .path.display())]
pub struct IoError {
    /// The file or folder, as the user named it or as pancake derived it.
    pub path: PathBuf,
    /// What pancake was doing, as a verb phrase: "open", "write the trailer to".
    pub action: &'static str,
    /// What the operating system said. Quoted in the message, so not a `source()`.
    pub cause: std::io::Error,
}

impl IoError {
    /// An I/O failure on `path` while doing `action`.
    pub fn new(action: &'static str, path: impl Into<PathBuf>, cause: std::io::Error) -> Self {
        IoError {
            path: path.into(),
            action,
            cause,
        }
    }

    /// For `map_err`: `File::open(&path).map_err(IoError::at("open", &path))?`.
    pub fn at<'a>(
        action: &'static str,
        path: &'a Path,
    ) -> impl FnOnce(std::io::Error) -> IoError + 'a {
        move |cause| IoError::new(action, path, cause)
    }

    /// The operating system's error kind, for callers that react to one
    /// (`NotFound`, `StorageFull`).
    pub fn kind(&self) -> std::io::ErrorKind {
        self.cause.kind()
    }
}
