//! Output folder: a lock so two runs cannot write one folder, and a staging
//! folder moved into place only when every file is complete.
//!
//! Why: a nightly job that is killed halfway must leave yesterday's results
//! intact and readable, and two jobs pointed at the same folder must not mix
//! their files. The lock is the file `<out>.whyline-lock`, created exclusively
//! and holding the owner's pid (a dead owner's lock is taken over); the staging folder is
//! `<out>.whyline-staging`; the swap renames the old folder aside, the
//! staging folder into place, then deletes the old one.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// This process's lock files and staging folders, for
/// [`clean_up_after_interrupt`]. A commit holds this mutex while it swaps
/// the folders, so an interrupt never removes a folder half-way into place.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending() -> MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Remove this process's staging folders and lock files: the CLI calls it
/// when the user interrupts a run (Ctrl-C, or the scheduler's SIGTERM),
/// then exits with code 130. The previous results stay as they were; a
/// commit under way finishes first. Holds the mutex until the process
/// exits, so no commit starts after it.
pub fn clean_up_after_interrupt() {
    let mut g = pending();
    for p in g.drain(..).rev() {
        let _ = if p.is_dir() {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
    }
    std::mem::forget(g);
}

fn untrack(g: &mut MutexGuard<'static, Vec<PathBuf>>, p: &Path) {
    g.retain(|q| q != p);
}

/// A held lock on an output folder; released (file removed) on drop.
pub struct OutputLock {
    path: PathBuf,
}

impl OutputLock {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        let mut g = pending();
        let _ = std::fs::remove_file(&self.path);
        untrack(&mut g, &self.path);
    }
}

fn sibling(out: &Path, suffix: &str) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "whyline-out".into());
    out.with_file_name(format!("{name}{suffix}"))
}

/// Take the lock for `out`, or fail with [`Error::Locked`] when another
/// live process holds it. The lock file holds the owner's process id; a lock
/// left by a process that no longer exists (checked through `/proc` where
/// there is one) is taken over.
pub fn lock(out: &Path) -> Result<OutputLock> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let path = sibling(out, ".whyline-lock");
    for _ in 0..2 {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                let _ = writeln!(f, "{}", std::process::id());
                pending().push(path.clone());
                return Ok(OutputLock { path });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let owner = std::fs::read_to_string(&path).unwrap_or_default();
                let owner = owner.trim();
                let proc_fs = Path::new("/proc/self").exists();
                let stale = proc_fs
                    && owner.parse::<u32>().is_ok()
                    && !Path::new("/proc").join(owner).exists();
                if stale {
                    let _ = std::fs::remove_file(&path);
                    continue;
                }
                return Err(Error::Locked {
                    path: out.to_path_buf(),
                    msg: format!(
                        "lock file {} held by process {owner}; remove it if no whyline runs",
                        path.display()
                    ),
                });
            }
            Err(e) => return Err(Error::io(&path, e)),
        }
    }
    Err(Error::Locked {
        path: out.to_path_buf(),
        msg: format!("could not take {}", path.display()),
    })
}

/// A staging folder for `out`; files are written into [`Staging::dir`] and
/// [`Staging::commit`] moves it into place.
pub struct Staging {
    dir: PathBuf,
    out: PathBuf,
}

impl Staging {
    /// Create a fresh staging folder (removing a leftover one from a killed
    /// run). Requires the lock.
    pub fn new(out: &Path, _lock: &OutputLock) -> Result<Self> {
        let dir = sibling(out, ".whyline-staging");
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        }
        // a run killed between the two renames of a commit left only the old folder aside
        let old = sibling(out, ".whyline-old");
        if old.exists() && !out.exists() {
            std::fs::rename(&old, out).map_err(|e| Error::io(&old, e))?;
        }
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        pending().push(dir.clone());
        Ok(Self {
            dir,
            out: out.to_path_buf(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Write one file into the staging folder (fsynced).
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<()> {
        crate::util::write_atomic(&self.dir.join(name), bytes)
    }

    /// Move the staging folder into place, replacing the previous results.
    pub fn commit(self) -> Result<()> {
        let mut g = pending();
        self.swap()?;
        untrack(&mut g, &self.dir);
        Ok(())
    }

    fn swap(&self) -> Result<()> {
        let old = sibling(&self.out, ".whyline-old");
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
        }
        if self.out.exists() {
            if !self.out.is_dir() {
                return Err(Error::Config(format!(
                    "--out {} exists and is not a folder",
                    self.out.display()
                )));
            }
            std::fs::rename(&self.out, &old).map_err(|e| Error::io(&self.out, e))?;
        }
        std::fs::rename(&self.dir, &self.out).map_err(|e| Error::io(&self.dir, e))?;
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_on_the_same_folder_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("res");
        let l = lock(&out).unwrap();
        assert!(matches!(lock(&out), Err(Error::Locked { .. })));
        drop(l);
        assert!(lock(&out).is_ok());
    }

    #[test]
    fn commit_replaces_previous_results_and_abandoned_staging_leaves_them() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("res");
        let l = lock(&out).unwrap();
        let s = Staging::new(&out, &l).unwrap();
        s.write("a.txt", b"one").unwrap();
        s.commit().unwrap();
        assert_eq!(std::fs::read(out.join("a.txt")).unwrap(), b"one");
        // a run that dies before commit leaves the old results
        let s = Staging::new(&out, &l).unwrap();
        s.write("a.txt", b"half").unwrap();
        drop(s);
        assert_eq!(std::fs::read(out.join("a.txt")).unwrap(), b"one");
        let s = Staging::new(&out, &l).unwrap();
        s.write("b.txt", b"two").unwrap();
        s.commit().unwrap();
        assert!(!out.join("a.txt").exists());
        assert_eq!(std::fs::read(out.join("b.txt")).unwrap(), b"two");
    }
}
