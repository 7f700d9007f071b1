//! The folder a stage writes (a dump or an event stream), from the moment a
//! run claims it to the moment it lets go.
//!
//! 1. [`OutputFolder::lock`] claims the folder (creating it when missing)
//!    with an exclusive OS file lock on [`LOCK_FILE`] inside it, and writes
//!    its pid there. A second writer is refused at once with
//!    [`FolderError::Busy`], naming that pid. The kernel releases the lock
//!    when the process ends, however it ends (kill -9 included), so a killed
//!    run never leaves a lock that blocks the next one.
//! 2. [`OutputFolder::prepare`] then judges what the folder holds, with the
//!    lock held, and says how the run starts ([`Start`]): from scratch, by
//!    continuing an unfinished run, or not at all because the output is
//!    already complete. What does not belong to the stage is never touched.
//! 3. Dropping the [`OutputFolder`] removes the lock file (and the folder, if
//!    this run created it and left it empty) and releases the lock.
//!
//! Readers find their files through the manifest, so the lock file a killed
//! run leaves behind is never read as data.

use crate::IoError;
use crate::manifest::{DumpKindName, MANIFEST_FILE, Manifest, ManifestError};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The file inside an output folder that the writing process holds locked.
pub const LOCK_FILE: &str = ".pancake.lock";

/// What a writing stage puts in its folder and how it treats what it finds
/// there.
#[derive(Debug, Clone, Copy)]
pub struct Stage {
    /// The manifest section only this stage writes (`generator`, `extract`,
    /// `transform`): a folder whose manifest has it holds this stage's
    /// output.
    pub section: &'static str,
    /// What the stage writes, for messages: "generated dump".
    pub output: &'static str,
    /// What one run of it is called, for messages: "extraction".
    pub run: &'static str,
    /// An unfinished output made with the same settings is continued (true)
    /// or made again from scratch (false).
    pub resume: bool,
    /// Output made with other settings is replaced without `--force` (true:
    /// the stage can always make it again), or refused (false).
    pub replace_other_settings: bool,
}

/// How a run starts, once [`OutputFolder::prepare`] has judged the folder.
#[derive(Debug)]
pub enum Start {
    /// Nothing of the stage's is there (the folder is new, empty, or was
    /// just emptied): write everything.
    Fresh,
    /// An unfinished run with the same settings; what it left uncommitted is
    /// removed: continue after its committed parts.
    Resume(Manifest),
    /// A complete output with the same settings: nothing to do.
    UpToDate(Manifest),
}

#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error(
        "{} is being written by another pancake process ({}). Two runs must not write one folder: wait for that one to end (or stop it), then run this again, or choose another --out",
        .dir.display(), pid_text(*.pid)
    )]
    Busy { dir: PathBuf, pid: Option<u32> },

    #[error(
        "{} is not empty and holds no {output}. Choose an empty or new folder for --out",
        .dir.display()
    )]
    NotEmpty { dir: PathBuf, output: &'static str },

    #[error(
        "{} holds {holds}, not a {output}, and pancake does not replace another stage's output, even with --force. Choose another --out, or delete the folder yourself first",
        .dir.display()
    )]
    OtherOutput {
        dir: PathBuf,
        holds: String,
        output: &'static str,
    },

    #[error(
        "{} has a manifest.json that cannot be read ({}), so pancake cannot tell what the folder holds and leaves it alone, even with --force. Delete the folder yourself to start over, or choose another --out",
        .dir.display(), manifest_problem(.error)
    )]
    Unreadable {
        dir: PathBuf,
        error: Box<ManifestError>,
    },

    #[error(
        "{} holds an unfinished {run} with other settings ({difference}). Re-run it with the settings it started with to finish it, use --force to start over, or choose another --out",
        .dir.display()
    )]
    UnfinishedOtherSettings {
        dir: PathBuf,
        run: &'static str,
        difference: String,
    },

    #[error(
        "{} holds a complete {run} made with other settings ({difference}). Use --force to replace it, or choose another --out",
        .dir.display()
    )]
    CompleteOtherSettings {
        dir: PathBuf,
        run: &'static str,
        difference: String,
    },

    #[error(transparent)]
    Manifest(#[from] ManifestError),

    #[error(transparent)]
    Io(#[from] IoError),
}

fn pid_text(pid: Option<u32>) -> String {
    match pid {
        Some(pid) => format!("pid {pid}"),
        None => "pid unknown".into(),
    }
}

/// Why a manifest could not be read, without the advice its own message
/// gives (re-running the stage that wrote it), which does not apply here.
fn manifest_problem(error: &ManifestError) -> String {
    match error {
        ManifestError::Io(IoError { action, cause, .. }) => format!("cannot {action} it: {cause}"),
        ManifestError::Missing { .. } => "it is missing".into(),
        ManifestError::Invalid { cause, .. } => format!("not a valid manifest: {cause}"),
        ManifestError::TooLarge { .. } => "it is too large to be a pancake manifest".into(),
        ManifestError::BadCount {
            table,
            part,
            detail,
            ..
        } => format!("table {table:?}, part {part}: {detail}"),
        ManifestError::FormatVersion {
            found, supported, ..
        } => format!("format version {found}; this pancake reads only version {supported}"),
    }
}

/// A folder this process holds exclusively until the value is dropped. Keep
/// it alive for as long as the run writes.
#[must_use = "the folder is only held while this value lives"]
#[derive(Debug)]
pub struct OutputFolder {
    dir: PathBuf,
    lock_path: PathBuf,
    file: File,
    /// This run made the folder, so it removes it again if it leaves it empty.
    created: bool,
}

impl OutputFolder {
    /// Claims `dir` for writing, creating it when missing. Another process
    /// holding it gets [`FolderError::Busy`] at once; nothing waits.
    pub fn lock(dir: &Path) -> Result<OutputFolder, FolderError> {
        let created = !dir.exists();
        let lock_path = dir.join(LOCK_FILE);
        // More than one round only when a holder removes the lock file
        // between our opening it and locking it.
        for _ in 0..100 {
            std::fs::create_dir_all(dir).map_err(IoError::at("create the folder", dir))?;
            let file = match File::options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&lock_path)
            {
                Ok(file) => file,
                // The folder was removed as we opened it: make it again.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(IoError::new("open the lock file", &lock_path, e).into()),
            };
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(FolderError::Busy {
                        dir: dir.to_path_buf(),
                        pid: holder_pid(&lock_path),
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(IoError::new(
                        "lock the folder (its file system must support file locks)",
                        &lock_path,
                        e,
                    )
                    .into());
                }
            }
            if !names_file(&lock_path, &file) {
                // Its holder removed it once done: the lock we hold is on a
                // file nobody else will open. Take the one the path names.
                continue;
            }
            let mut folder = OutputFolder {
                dir: dir.to_path_buf(),
                lock_path,
                file,
                created,
            };
            folder.write_pid()?;
            return Ok(folder);
        }
        Err(FolderError::Busy {
            dir: dir.to_path_buf(),
            pid: holder_pid(&lock_path),
        })
    }

    fn write_pid(&mut self) -> Result<(), FolderError> {
        let path = &self.lock_path;
        self.file
            .set_len(0)
            .map_err(IoError::at("write the lock file", path))?;
        self.file
            .write_all(format!("{}\n", std::process::id()).as_bytes())
            .map_err(IoError::at("write the lock file", path))?;
        Ok(())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Judges what the folder holds and makes it ready for `stage`:
    ///
    /// - empty (the lock file aside): [`Start::Fresh`];
    /// - files but no manifest: refused ([`FolderError::NotEmpty`]);
    /// - a manifest that cannot be read: refused, even with `force`;
    /// - another stage's output (no `stage.section` in the manifest):
    ///   refused, even with `force`;
    /// - the stage's output with `force`: emptied, [`Start::Fresh`];
    /// - made with other settings (`difference` says how): replaced when
    ///   `stage.replace_other_settings`, refused otherwise;
    /// - complete: [`Start::UpToDate`];
    /// - unfinished: its uncommitted files removed, [`Start::Resume`] when
    ///   `stage.resume`, emptied and [`Start::Fresh`] otherwise.
    ///
    /// `difference` gets the manifest found and says, when it was made with
    /// settings other than this run's, what differs ("--tables was ...").
    pub fn prepare(
        &self,
        stage: &Stage,
        force: bool,
        difference: impl FnOnce(&Manifest) -> Option<String>,
    ) -> Result<Start, FolderError> {
        let dir = &self.dir;
        if self.entries()?.is_empty() {
            return Ok(Start::Fresh);
        }
        if !dir.join(MANIFEST_FILE).exists() {
            return Err(FolderError::NotEmpty {
                dir: dir.clone(),
                output: stage.output,
            });
        }
        let manifest = Manifest::load(dir).map_err(|error| FolderError::Unreadable {
            dir: dir.clone(),
            error: Box::new(error),
        })?;
        if !manifest.sections.contains_key(stage.section) {
            return Err(FolderError::OtherOutput {
                dir: dir.clone(),
                holds: describe(&manifest),
                output: stage.output,
            });
        }
        if force {
            self.empty()?;
            return Ok(Start::Fresh);
        }
        if let Some(difference) = difference(&manifest) {
            if stage.replace_other_settings {
                self.empty()?;
                return Ok(Start::Fresh);
            }
            let (dir, run) = (dir.clone(), stage.run);
            return Err(if manifest.complete {
                FolderError::CompleteOtherSettings {
                    dir,
                    run,
                    difference,
                }
            } else {
                FolderError::UnfinishedOtherSettings {
                    dir,
                    run,
                    difference,
                }
            });
        }
        if manifest.complete {
            return Ok(Start::UpToDate(manifest));
        }
        if !stage.resume {
            self.empty()?;
            return Ok(Start::Fresh);
        }
        manifest.remove_uncommitted(dir)?;
        Ok(Start::Resume(manifest))
    }

    /// What the folder holds besides the lock file.
    fn entries(&self) -> Result<Vec<std::fs::DirEntry>, FolderError> {
        let read = IoError::at("read the folder", &self.dir);
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(read)? {
            let entry = entry.map_err(IoError::at("read the folder", &self.dir))?;
            if entry.file_name() != LOCK_FILE {
                entries.push(entry);
            }
        }
        Ok(entries)
    }

    /// Removes everything but the lock file, which stays locked throughout,
    /// so no other process can slip in while the folder is emptied.
    fn empty(&self) -> Result<(), FolderError> {
        for entry in self.entries()? {
            let path = entry.path();
            let is_dir = entry
                .file_type()
                .map_err(IoError::at("read the folder", &self.dir))?
                .is_dir();
            if is_dir {
                std::fs::remove_dir_all(&path)
                    .map_err(IoError::at("remove the previous output", &path))?;
            } else {
                std::fs::remove_file(&path)
                    .map_err(IoError::at("remove the previous output", &path))?;
            }
        }
        Ok(())
    }
}

impl Drop for OutputFolder {
    fn drop(&mut self) {
        // Removed while still locked, and only while the path still names
        // our file: a process that opened it meanwhile finds, once it gets
        // the lock, that the path names another file (or none), and starts
        // again. Nothing is removed where that cannot be checked.
        #[cfg(unix)]
        if names_file(&self.lock_path, &self.file) {
            let _ = std::fs::remove_file(&self.lock_path);
            if self.created {
                // Fails, as it should, unless the folder is empty.
                let _ = std::fs::remove_dir(&self.dir);
            }
        }
    }
}

/// True when `path` names the very file `file` has open.
#[cfg(unix)]
fn names_file(path: &Path, file: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(path), file.metadata()) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Without inode numbers to tell files apart, the lock file is never
/// removed, so the path always names the file that was opened.
#[cfg(not(unix))]
fn names_file(_path: &Path, _file: &File) -> bool {
    true
}

/// The pid the holder wrote into the lock file. The holder writes it just
/// after taking the lock, so an empty file is read again for a moment.
fn holder_pid(path: &Path) -> Option<u32> {
    for _ in 0..50 {
        let mut text = String::new();
        let read = File::open(path).and_then(|f| f.take(64).read_to_string(&mut text));
        match read {
            Ok(_) if text.trim().is_empty() => {
                std::thread::sleep(std::time::Duration::from_millis(2))
            }
            Ok(_) => return text.trim().parse().ok(),
            Err(_) => return None,
        }
    }
    None
}

/// What a pancake folder holds, in a few words, from its manifest.
fn describe(manifest: &Manifest) -> String {
    let kind = match manifest.kind {
        DumpKindName::LegacyDump => "a legacy dump",
        DumpKindName::EventStream => "an event stream",
    };
    if manifest.source.is_empty() {
        kind.into()
    } else {
        format!("{kind} ({})", manifest.source)
    }
}
