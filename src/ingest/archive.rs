//! Archives of transcripts and exports, as bulk exports arrive: a
//! transcription service's "export all", a help desk's nightly dump, a
//! folder zipped or tarred to be sent. A zip (`calls.zip`) or tar archive
//! (`calls.tar`, `calls.tar.gz`, `calls.tgz`) is read as the folder it holds,
//! without unpacking it to disk: each entry is an input of its own, named
//! `calls.zip/2026-11/a.vtt` (the archive's path, then the entry's), so every
//! segment traces back to the archive and the file inside it. Entries are
//! chosen as a folder's files are (known extensions, no hidden entries, no
//! folder documentation, no macOS `__MACOSX` resource forks) and read in the
//! order of their names; a gzip entry is read as the file it holds, an
//! archive inside the archive is not opened.
//!
//! Only archives named so are opened (a `.docx` or `.xlsx`, zip archives too,
//! is a document read as such). A zip's entries may be stored or deflated, as
//! every zip tool writes them by default; a tar's regular files are read
//! (ustar, GNU long names and pax headers), links and devices left out. A
//! tar has no directory to look an entry up in, so it is read (and, gzipped,
//! decompressed) once per set of inputs and its files cut from it.

use std::io::Read;
use std::path::Path;

/// The most bytes read from one entry (as for a gzip file, 4 GiB): a small
/// archive whose entry expands past it is refused entry by entry.
const MAX_ENTRY: u64 = super::gzip::MAX_EXPANDED;

/// The kinds of archive read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Zip,
    /// A tar archive, gzipped or not (its bytes say which).
    Tar,
}

/// The kind of archive a path names by its extension: `.zip`; `.tar`,
/// `.tar.gz`, `.tgz`.
fn kind(path: &str) -> Option<Kind> {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".zip") {
        Some(Kind::Zip)
    } else if [".tar", ".tar.gz", ".tgz"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        Some(Kind::Tar)
    } else {
        None
    }
}

/// Whether a path names an archive read as a folder (zip or tar) by its
/// extension.
pub fn is_archive(path: &Path) -> bool {
    path.to_str().and_then(kind).is_some()
}

/// An entry a folder walk would not read whatever its extension: a folder,
/// anything under a hidden folder or itself hidden, macOS's `__MACOSX`
/// resource forks.
fn left_out(name: &str) -> bool {
    name.ends_with('/')
        || name
            .split('/')
            .any(|part| part.starts_with('.') || part == "__MACOSX")
}

/// The entries of an archive as input paths (`calls.zip/inner/a.vtt`),
/// sorted, each with the entry's own name; or why the archive cannot be read.
pub fn entries(archive: &str) -> Result<Vec<(String, String)>, String> {
    let names: Vec<String> = match kind(archive) {
        Some(Kind::Tar) => TarIndex::read(archive)?.files.into_keys().collect(),
        _ => open(archive)?
            .file_names()
            .filter_map(Result::ok)
            .map(|n| n.into_owned())
            .collect(),
    };
    let mut out: Vec<(String, String)> = names
        .into_iter()
        .filter(|n| !left_out(n))
        .map(|n| (format!("{archive}/{}", n.trim_start_matches('/')), n))
        .collect();
    out.sort();
    Ok(out)
}

/// A tar archive's bytes (decompressed when gzipped) and where each regular
/// file's bytes lie in them, by name (`./` left off, as `tar czf x.tgz .`
/// writes it).
struct TarIndex {
    bytes: Vec<u8>,
    files: std::collections::BTreeMap<String, std::ops::Range<usize>>,
}

impl TarIndex {
    fn read(archive: &str) -> Result<TarIndex, String> {
        let bytes = super::gzip::content(std::fs::read(archive).map_err(|e| e.to_string())?)?;
        let mut files = std::collections::BTreeMap::new();
        let mut tar = tar::Archive::new(bytes.as_slice());
        let entries = tar
            .entries()
            .map_err(|e| format!("not a readable tar archive ({e})"))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("not a readable tar archive ({e})"))?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = entry
                .path()
                .map_err(|e| format!("not a readable tar archive ({e})"))?
                .to_string_lossy()
                .trim_start_matches("./")
                .to_string();
            let start = entry.raw_file_position() as usize;
            let end = start.saturating_add(entry.size() as usize);
            if end > bytes.len() {
                return Err(format!(
                    "tar archive cut short inside {name:?} (was it still being copied?)"
                ));
            }
            files.insert(name, start..end);
        }
        Ok(TarIndex { bytes, files })
    }

    fn entry(&self, archive: &str, entry: &str) -> Result<Vec<u8>, String> {
        let range = self
            .files
            .get(entry)
            .or_else(|| self.files.get(&format!("/{entry}")))
            .ok_or_else(|| format!("no entry {entry:?} in {archive}"))?;
        Ok(self.bytes[range.clone()].to_vec())
    }
}

/// The archive and the entry an input path names (`calls.zip/inner/a.vtt`
/// -> `calls.zip`, `inner/a.vtt`), when the archive is a file; `None` for any
/// other path.
pub fn split(path: &str) -> Option<(&str, &str)> {
    path.match_indices('/')
        .map(|(i, _)| i)
        .find(|&i| kind(&path[..i]).is_some() && Path::new(&path[..i]).is_file())
        .map(|i| (&path[..i], &path[i + 1..]))
}

type Archive = zip::ZipArchive<std::io::BufReader<std::fs::File>>;

fn open(archive: &str) -> Result<Archive, String> {
    let file = std::fs::File::open(archive).map_err(|e| e.to_string())?;
    zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| format!("not a readable zip archive ({e})"))
}

/// Archives opened while one set of inputs is read, for the next entry to
/// read from: opening one reads its whole directory, which, done once per
/// entry, made a 5,000-file archive ten times slower to read than its
/// folder. Each archive is open at most once per thread reading it at the
/// same time; all are closed when the pool is dropped.
#[derive(Default)]
pub struct Pool {
    idle: std::sync::Mutex<Vec<(String, Archive)>>,
    /// Tar archives read, by path (or why one cannot be).
    tars: std::sync::Mutex<
        std::collections::HashMap<String, Result<std::sync::Arc<TarIndex>, String>>,
    >,
    /// How many times an archive was opened.
    opened: std::sync::atomic::AtomicUsize,
}

impl Pool {
    /// The bytes of one entry of an archive; or why they cannot be read
    /// (encrypted, compressed by a method not read here, cut short, larger
    /// than 4 GiB).
    pub fn read_entry(&self, archive: &str, entry: &str) -> Result<Vec<u8>, String> {
        if kind(archive) == Some(Kind::Tar) {
            // read once, under the lock, so that no two threads decompress it
            let tar = {
                let mut tars = self.tars.lock().unwrap_or_else(|e| e.into_inner());
                tars.entry(archive.to_string())
                    .or_insert_with(|| {
                        self.opened
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        TarIndex::read(archive).map(std::sync::Arc::new)
                    })
                    .clone()?
            };
            return tar.entry(archive, entry);
        }
        let taken = {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            idle.iter()
                .position(|(p, _)| p == archive)
                .map(|i| idle.swap_remove(i).1)
        };
        let mut zip = match taken {
            Some(z) => z,
            None => {
                self.opened
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                open(archive)?
            }
        };
        let read = entry_bytes(&mut zip, archive, entry);
        self.idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((archive.to_string(), zip));
        read
    }
}

fn entry_bytes(zip: &mut Archive, archive: &str, entry: &str) -> Result<Vec<u8>, String> {
    let index = zip
        .index_for_name(entry)
        .or_else(|| {
            (0..zip.len()).find(|&i| {
                zip.name_for_index(i)
                    .and_then(Result::ok)
                    .is_some_and(|n| n.trim_start_matches('/') == entry)
            })
        })
        .ok_or_else(|| format!("no entry {entry:?} in {archive}"))?;
    let f = zip
        .by_index(index)
        .map_err(|e| format!("entry not readable ({e})"))?;
    let mut out = Vec::with_capacity(f.size().min(MAX_ENTRY) as usize);
    f.take(MAX_ENTRY + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("entry not readable ({e})"))?;
    if out.len() as u64 > MAX_ENTRY {
        return Err(format!(
            "entry expands to more than {MAX_ENTRY} bytes: unpack the archive and split it"
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write_zip(path: &Path, files: &[(&str, &[u8])]) {
        let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
        for (name, data) in files {
            if name.ends_with('/') {
                w.add_directory(*name, zip::write::SimpleFileOptions::default())
                    .unwrap();
            } else {
                w.start_file(*name, zip::write::SimpleFileOptions::default())
                    .unwrap();
                w.write_all(data).unwrap();
            }
        }
        w.finish().unwrap();
    }

    #[test]
    fn entries_are_listed_as_paths_inside_the_archive() {
        let dir = tempfile::tempdir().unwrap();
        let z = dir.path().join("Calls.ZIP");
        assert!(!is_archive(Path::new("calls.zip.txt")));
        write_zip(
            &z,
            &[
                ("week 48/", b""),
                ("week 48/b.vtt", b"WEBVTT\n"),
                ("a.txt", b"Kim: The fee was too high.\n"),
                ("__MACOSX/week 48/._b.vtt", b"\0\0"),
                (".DS_Store", b"\0"),
            ],
        );
        assert!(is_archive(&z));
        let a = z.to_str().unwrap();
        let got = entries(a).unwrap();
        let names: Vec<&str> = got.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, ["a.txt", "week 48/b.vtt"]);
        let inner = &got[1].0;
        assert_eq!(split(inner), Some((a, "week 48/b.vtt")));
        let pool = Pool::default();
        assert_eq!(pool.read_entry(a, "week 48/b.vtt").unwrap(), b"WEBVTT\n");
        assert!(pool
            .read_entry(a, "c.txt")
            .unwrap_err()
            .contains("no entry"));
        assert_eq!(split(&format!("{}/x.txt", dir.path().display())), None);
    }

    #[test]
    fn entries_read_one_after_another_open_the_archive_once() {
        // was: opened, its whole directory read, once per entry (a
        // 5,000-file archive read in 2.9 s, its folder in 0.06 s)
        let dir = tempfile::tempdir().unwrap();
        let z = dir.path().join("calls.zip");
        let names: Vec<String> = (0..20).map(|i| format!("c{i:02}.txt")).collect();
        let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), n.as_bytes())).collect();
        write_zip(&z, &files);
        let pool = Pool::default();
        let a = z.to_str().unwrap();
        for n in &names {
            assert_eq!(pool.read_entry(a, n).unwrap(), n.as_bytes());
        }
        assert!(pool
            .read_entry(a, "none.txt")
            .unwrap_err()
            .contains("no entry"));
        assert_eq!(pool.opened.load(std::sync::atomic::Ordering::Relaxed), 1);
    }

    fn tar_bytes(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            // `append_data` writes a GNU long-name entry for names over 100 bytes
            b.append_data(&mut h, name, *data).unwrap();
        }
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, "./link.txt", "a.txt").unwrap();
        b.into_inner().unwrap()
    }

    #[test]
    fn a_tar_archive_gzipped_or_not_is_read_as_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let long = format!("./{}/c.vtt", "a-long-folder-name".repeat(8));
        let files: [(&str, &[u8]); 3] = [
            ("./a.txt", b"Kim: The fee was too high.\n"),
            ("./.hidden/b.txt", b"x"),
            (&long, b"WEBVTT\n"),
        ];
        let tar = tar_bytes(&files);
        let plain = dir.path().join("calls.tar");
        std::fs::write(&plain, &tar).unwrap();
        let zipped = dir.path().join("calls.TGZ");
        std::fs::write(&zipped, crate::ingest::gzip::gz(&tar)).unwrap();
        for t in [&plain, &zipped] {
            assert!(is_archive(t));
            let a = t.to_str().unwrap();
            let got = entries(a).unwrap();
            let names: Vec<&str> = got.iter().map(|(_, n)| n.as_str()).collect();
            assert_eq!(names, [&long[2..], "a.txt"], "no hidden entry, no link");
            assert_eq!(split(&got[0].0), Some((a, &long[2..])));
            let pool = Pool::default();
            assert_eq!(pool.read_entry(a, "a.txt").unwrap(), files[0].1);
            assert_eq!(pool.read_entry(a, &long[2..]).unwrap(), b"WEBVTT\n");
            assert!(pool
                .read_entry(a, "none.txt")
                .unwrap_err()
                .contains("no entry"));
            assert_eq!(pool.opened.load(std::sync::atomic::Ordering::Relaxed), 1);
            assert_eq!(Pool::default().read_entry(a, "a.txt").unwrap(), files[0].1);
        }
        let cut = dir.path().join("cut.tar");
        std::fs::write(&cut, &tar[..600]).unwrap();
        let err = entries(cut.to_str().unwrap()).unwrap_err();
        assert!(
            err.contains("cut short") || err.contains("not a readable tar"),
            "{err}"
        );
    }

    #[test]
    fn a_file_that_is_no_archive_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let z = dir.path().join("calls.zip");
        std::fs::write(&z, "PK\u{3}\u{4}").unwrap();
        let err = entries(z.to_str().unwrap()).unwrap_err();
        assert!(err.contains("not a readable zip archive"), "{err}");
    }
}
