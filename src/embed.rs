//! Embed: the sentence-embedding interface every later stage uses, and the
//! on-disk embedding cache.
//!
//! Why: classification, clustering and evaluation all consume embeddings; they
//! depend on this trait, not on candle, so they can be unit-tested with a
//! deterministic fake and so a researcher can swap the encoder without touching
//! them. The real implementation lives in [`crate::model`].
//!
//! The cache makes a nightly re-run embed only texts it has not seen. It is
//! content-addressed by (model fingerprint, exact text) and laid out as a few
//! append-only shard files per model (`cache/embeddings-v2/<fingerprint>/<xx>.bin`),
//! not one file per embedding, so 50k entries load in milliseconds. Appends
//! take an advisory lock on the shard and write whole records; every record
//! carries a checksum, so a record torn by a crash is skipped, never returned.
//! Pruning deletes or rewrites whole shards (atomic rename), oldest first.

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Something that turns texts into L2-normalised vectors.
pub trait Embedder: Send + Sync {
    /// Stable fingerprint of the model (weights + tokenizer + pooling + max length):
    /// two embedders with the same fingerprint give the same vectors.
    fn fingerprint(&self) -> &str;
    /// The embedding space: embedders that agree here give vectors a trained
    /// head can use interchangeably (the same weights run at another
    /// precision: equal up to quantisation error). Defaults to the fingerprint.
    fn space(&self) -> &str {
        self.fingerprint()
    }
    /// Embedding dimension.
    fn dim(&self) -> usize;
    /// Embed texts; output is in input order, one vector of `dim()` per text.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;
    /// Embed many texts in chunks of `chunk`, calling `progress(done)` after
    /// each; the result equals `embed(texts)`. A cache overrides this to look
    /// every text up once instead of once per chunk.
    fn embed_chunked(
        &self,
        texts: &[&str],
        chunk: usize,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<Vec<f32>>> {
        let mut out = Vec::with_capacity(texts.len());
        for c in texts.chunks(chunk.max(1)) {
            out.extend(self.embed(c)?);
            progress(out.len());
        }
        Ok(out)
    }
    /// Layer features for trained heads: each text's embedding followed by
    /// the L2-normalised mean-pooled hidden states after each encoder layer
    /// in `layers` (0: the embedding layer), `dim() · (1 + layers.len())`
    /// values, the first `dim()` equal to [`Self::embed`]'s. With no layers,
    /// [`Self::embed_chunked`]. Embedders without hidden states refuse.
    fn embed_layers(
        &self,
        texts: &[&str],
        layers: &[usize],
        chunk: usize,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<Vec<f32>>> {
        if layers.is_empty() {
            return self.embed_chunked(texts, chunk, progress);
        }
        Err(Error::Config(format!(
            "embedder {} has no hidden layers to read (layers {layers:?} asked for)",
            self.fingerprint()
        )))
    }
}

/// Cache name of layer features: the embedder's fingerprint and the layers
/// (so each combination is cached apart from the plain embeddings).
pub fn layers_fingerprint(fingerprint: &str, layers: &[usize]) -> String {
    let mut s = fingerprint.to_string();
    for l in layers {
        s.push_str(&format!("-l{l}"));
    }
    s
}

/// Directory of the current on-disk layout (bump on any format change, so an
/// older layout is ignored rather than misread).
const LAYOUT: &str = "embeddings-v2";
const MAGIC: &[u8; 4] = b"WLE2";
const SHARDS: usize = 64;
/// Default bound on the cache size: 2 GiB (about 1.3 million 384-d vectors).
pub const DEFAULT_MAX_BYTES: u64 = 2 << 30;

type Key = [u8; 32];

fn key(fingerprint: &str, text: &str) -> Key {
    let mut h = Sha256::new();
    h.update(fingerprint.as_bytes());
    h.update([0x1f]);
    h.update(text.as_bytes());
    h.finalize().into()
}

/// Record checksum: the first 8 bytes of sha256 (sha2 is fast and already a
/// dependency); catches torn or corrupted records.
fn checksum(parts: &[&[u8]]) -> u64 {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    let d = h.finalize();
    u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

/// f32s as little-endian bytes.
fn f32_bytes(v: &[f32]) -> std::borrow::Cow<'_, [u8]> {
    #[cfg(target_endian = "little")]
    {
        // SAFETY: f32 has no padding and any initialised memory is valid u8;
        // the slice covers exactly the vector's bytes.
        std::borrow::Cow::Borrowed(unsafe {
            std::slice::from_raw_parts(v.as_ptr().cast::<u8>(), std::mem::size_of_val(v))
        })
    }
    #[cfg(not(target_endian = "little"))]
    {
        std::borrow::Cow::Owned(v.iter().flat_map(|x| x.to_le_bytes()).collect())
    }
}

/// Little-endian bytes (a multiple of 4) back to f32s.
fn bytes_f32(data: &[u8]) -> Vec<f32> {
    let n = data.len() / 4;
    #[cfg(target_endian = "little")]
    {
        let mut v = vec![0f32; n];
        // SAFETY: every bit pattern is a valid f32; the destination holds exactly
        // n * 4 bytes and does not overlap the source.
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), v.as_mut_ptr().cast::<u8>(), n * 4);
        }
        v
    }
    #[cfg(not(target_endian = "little"))]
    {
        data.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }
}

fn encode_record(out: &mut Vec<u8>, k: &Key, v: &[f32]) {
    let dim = (v.len() as u32).to_le_bytes();
    let data = f32_bytes(v);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(k);
    out.extend_from_slice(&dim);
    out.extend_from_slice(&data);
    out.extend_from_slice(&checksum(&[k, &dim, &data]).to_le_bytes());
}

/// Walk the valid records of a shard's bytes (skipping torn/corrupt ones).
fn for_each_record(bytes: &[u8], mut f: impl FnMut(&Key, &[u8])) -> usize {
    let mut pos = 0;
    let mut bad = 0;
    while pos + 40 <= bytes.len() {
        let ok = (|| {
            if &bytes[pos..pos + 4] != MAGIC {
                return None;
            }
            let k: &Key = bytes[pos + 4..pos + 36].try_into().ok()?;
            let dim_b = &bytes[pos + 36..pos + 40];
            let dim = u32::from_le_bytes(dim_b.try_into().ok()?) as usize;
            let end = pos.checked_add(40 + dim * 4 + 8)?;
            if end > bytes.len() {
                return None;
            }
            let data = &bytes[pos + 40..pos + 40 + dim * 4];
            let sum = u64::from_le_bytes(bytes[end - 8..end].try_into().ok()?);
            if sum != checksum(&[k, dim_b, data]) {
                return None;
            }
            f(k, data);
            Some(end)
        })();
        match ok {
            Some(end) => pos = end,
            None => {
                bad += 1;
                // resynchronise on the next magic
                match memchr::memmem::find(&bytes[pos + 1..], MAGIC) {
                    Some(off) => pos += 1 + off,
                    None => break,
                }
            }
        }
    }
    bad
}

/// Sizes and counts, for `whyline cache stats`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CacheStats {
    pub root: String,
    pub models: Vec<ModelStats>,
    pub entries: u64,
    pub bytes: u64,
    pub max_bytes: u64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelStats {
    pub fingerprint: String,
    pub entries: u64,
    pub bytes: u64,
    /// Records skipped as torn or corrupt.
    pub damaged: u64,
}

/// What `prune` did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PruneReport {
    pub files_removed: u64,
    pub bytes_before: u64,
    pub bytes_after: u64,
}

/// On-disk embedding cache under `<root>/embeddings`.
#[derive(Debug, Clone)]
pub struct EmbeddingCache {
    root: PathBuf,
    max_bytes: u64,
}

impl EmbeddingCache {
    /// `$WHYLINE_HOME/cache` (default `<XDG cache>/whyline/cache`), bounded by
    /// `WHYLINE_CACHE_MAX_BYTES` or [`DEFAULT_MAX_BYTES`].
    pub fn open_default() -> Result<Self> {
        let home = crate::model::store::default_home()?;
        let mut c = Self::open(&home.join("cache"))?;
        if let Ok(v) = std::env::var("WHYLINE_CACHE_MAX_BYTES") {
            c.max_bytes = v.trim().parse().map_err(|_| {
                Error::Config(format!("WHYLINE_CACHE_MAX_BYTES=`{v}` is not a byte count"))
            })?;
        }
        Ok(c)
    }

    pub fn open(root: &Path) -> Result<Self> {
        let dir = root.join(LAYOUT);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(Self {
            root: root.to_path_buf(),
            max_bytes: DEFAULT_MAX_BYTES,
        })
    }

    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    fn model_dir(&self, fingerprint: &str) -> Result<PathBuf> {
        if fingerprint.is_empty()
            || !fingerprint
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(Error::Config(format!(
                "embedding cache: fingerprint `{fingerprint}` is not a plain name"
            )));
        }
        Ok(self.root.join(LAYOUT).join(fingerprint))
    }

    fn shard_path(dir: &Path, k: &Key) -> PathBuf {
        dir.join(format!("{:02x}.bin", k[0] as usize % SHARDS))
    }

    /// Cached vectors for `texts` (None where missing or of another dimension).
    pub fn get_many(
        &self,
        fingerprint: &str,
        dim: usize,
        texts: &[&str],
    ) -> Result<Vec<Option<Vec<f32>>>> {
        let dir = self.model_dir(fingerprint)?;
        let keys: Vec<Key> = texts.iter().map(|t| key(fingerprint, t)).collect();
        let mut by_shard: HashMap<PathBuf, HashSet<Key>> = HashMap::new();
        for k in &keys {
            by_shard
                .entry(Self::shard_path(&dir, k))
                .or_default()
                .insert(*k);
        }
        let mut found: HashMap<Key, Vec<f32>> = HashMap::new();
        for (path, wanted) in by_shard {
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io(&path, e)),
            };
            for_each_record(&bytes, |k, data| {
                if data.len() == dim * 4 && wanted.contains(k) && !found.contains_key(k) {
                    found.insert(*k, bytes_f32(data));
                }
            });
        }
        Ok(keys.iter().map(|k| found.get(k).cloned()).collect())
    }

    /// Append vectors; each shard is written under its lock in one call.
    pub fn put_many(&self, fingerprint: &str, items: &[(&str, &[f32])]) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let dir = self.model_dir(fingerprint)?;
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let mut by_shard: HashMap<PathBuf, Vec<u8>> = HashMap::new();
        for (text, v) in items {
            let k = key(fingerprint, text);
            encode_record(
                by_shard.entry(Self::shard_path(&dir, &k)).or_default(),
                &k,
                v,
            );
        }
        let mut shards: Vec<_> = by_shard.into_iter().collect();
        shards.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, buf) in shards {
            append_locked(&path, &buf)?;
        }
        if self.max_bytes > 0 && self.total_bytes()? > self.max_bytes {
            // leave headroom so the next writes do not compact again at once
            self.prune(self.max_bytes / 10 * 9)?;
        }
        Ok(())
    }

    fn shard_files(&self) -> Result<Vec<(PathBuf, std::fs::Metadata)>> {
        let base = self.root.join(LAYOUT);
        let mut out = Vec::new();
        let rd = match std::fs::read_dir(&base) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(Error::io(&base, e)),
        };
        for model in rd.flatten() {
            let Ok(files) = std::fs::read_dir(model.path()) else {
                continue;
            };
            for f in files.flatten() {
                let p = f.path();
                if p.extension().is_some_and(|e| e == "bin") {
                    if let Ok(md) = f.metadata() {
                        out.push((p, md));
                    }
                }
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    fn total_bytes(&self) -> Result<u64> {
        Ok(self.shard_files()?.iter().map(|(_, m)| m.len()).sum())
    }

    /// Entries and bytes per model.
    pub fn stats(&self) -> Result<CacheStats> {
        let mut models: HashMap<String, ModelStats> = HashMap::new();
        for (path, md) in self.shard_files()? {
            let fp = path
                .parent()
                .and_then(|p| p.file_name())
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
            let mut n = 0u64;
            let mut seen = HashSet::new();
            let damaged = for_each_record(&bytes, |k, _| {
                if seen.insert(*k) {
                    n += 1;
                }
            });
            let s = models.entry(fp.clone()).or_insert(ModelStats {
                fingerprint: fp,
                entries: 0,
                bytes: 0,
                damaged: 0,
            });
            s.entries += n;
            s.bytes += md.len();
            s.damaged += damaged as u64;
        }
        let mut models: Vec<ModelStats> = models.into_values().collect();
        models.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
        Ok(CacheStats {
            root: self.root.display().to_string(),
            entries: models.iter().map(|m| m.entries).sum(),
            bytes: models.iter().map(|m| m.bytes).sum(),
            max_bytes: self.max_bytes,
            models,
        })
    }

    /// Bring the cache under `max_bytes`: compact shards (drop duplicates and
    /// damaged records), then delete whole shards, least recently written first.
    /// `max_bytes = 0` empties it.
    pub fn prune(&self, max_bytes: u64) -> Result<PruneReport> {
        let files = self.shard_files()?;
        let before: u64 = files.iter().map(|(_, m)| m.len()).sum();
        let mut report = PruneReport {
            bytes_before: before,
            ..Default::default()
        };
        let mut files: Vec<(PathBuf, std::time::SystemTime, u64)> = Vec::new();
        for (p, _) in self.shard_files()? {
            let size = compact_shard(&p)?;
            let mtime = std::fs::metadata(&p)
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            files.push((p, mtime, size));
        }
        files.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        let mut total: u64 = files.iter().map(|f| f.2).sum();
        for (p, _, size) in files {
            if total <= max_bytes {
                break;
            }
            match std::fs::remove_file(&p) {
                Ok(()) => {
                    total -= size;
                    report.files_removed += 1;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => total -= size,
                Err(e) => return Err(Error::io(&p, e)),
            }
        }
        report.bytes_after = total;
        Ok(report)
    }
}

/// Open `path` for append and lock it; re-open if a concurrent prune replaced it.
fn append_locked(path: &Path, buf: &[u8]) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    for _ in 0..8 {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        f.lock().map_err(|e| Error::io(path, e))?;
        let same = match (f.metadata(), std::fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
            _ => false,
        };
        if !same {
            continue;
        }
        f.write_all(buf).map_err(|e| Error::io(path, e))?;
        f.flush().map_err(|e| Error::io(path, e))?;
        return Ok(());
    }
    Err(Error::Locked {
        path: path.to_path_buf(),
        msg: "shard kept being replaced".into(),
    })
}

/// Rewrite a shard without duplicate or damaged records (under its lock).
fn compact_shard(path: &Path) -> Result<u64> {
    let f = match std::fs::OpenOptions::new().append(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(Error::io(path, e)),
    };
    f.lock().map_err(|e| Error::io(path, e))?;
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let mut out = Vec::with_capacity(bytes.len());
    let mut seen = HashSet::new();
    let damaged = for_each_record(&bytes, |k, data| {
        if seen.insert(*k) {
            encode_record(&mut out, k, &bytes_f32(data));
        }
    });
    if out.len() != bytes.len() || damaged > 0 {
        crate::util::write_atomic(path, &out)?;
    }
    Ok(out.len() as u64)
}

/// An [`Embedder`] that serves repeated texts from an [`EmbeddingCache`] and
/// embeds only the rest (each distinct text once).
pub struct CachedEmbedder {
    inner: Arc<dyn Embedder>,
    cache: EmbeddingCache,
    hits: std::sync::atomic::AtomicU64,
    misses: std::sync::atomic::AtomicU64,
}

impl CachedEmbedder {
    pub fn new(inner: Arc<dyn Embedder>, cache: EmbeddingCache) -> Self {
        Self {
            inner,
            cache,
            hits: Default::default(),
            misses: Default::default(),
        }
    }

    /// (texts served from the cache, texts embedded) so far.
    pub fn counts(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.hits.load(Relaxed), self.misses.load(Relaxed))
    }
}

impl CachedEmbedder {
    /// Look every text up once; embed the missing ones (each distinct text
    /// once) in chunks of `chunk`, storing each chunk as soon as it is done (an
    /// interrupted run keeps what it computed); `progress(done)` counts texts.
    fn lookup_then_embed(
        &self,
        texts: &[&str],
        chunk: usize,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<Vec<f32>>> {
        self.lookup_then_compute(texts, &[], chunk, progress)
    }

    /// The cached path of [`Embedder::embed_layers`] (and, with no layers, of
    /// `embed`): layer features are cached under [`layers_fingerprint`], and
    /// the embedding part of fresh ones is stored as a plain embedding too.
    fn lookup_then_compute(
        &self,
        texts: &[&str],
        layers: &[usize],
        chunk: usize,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<Vec<f32>>> {
        use std::sync::atomic::Ordering::Relaxed;
        let base = self.inner.fingerprint();
        let fp = layers_fingerprint(base, layers);
        let dim = self.inner.dim();
        let width = dim * (1 + layers.len());
        let mut out = self.cache.get_many(&fp, width, texts)?;
        let mut missing: Vec<&str> = Vec::new();
        let mut seen = HashSet::new();
        for (i, v) in out.iter().enumerate() {
            if v.is_none() && seen.insert(texts[i]) {
                missing.push(texts[i]);
            }
        }
        let hits = texts.len() - out.iter().filter(|v| v.is_none()).count();
        self.hits.fetch_add(hits as u64, Relaxed);
        self.misses.fetch_add(missing.len() as u64, Relaxed);
        progress(hits);
        if !missing.is_empty() {
            // Layer features also store their embedding part as a plain
            // embedding, unless the plain cache has it already.
            let plain_known: HashSet<&str> = if layers.is_empty() {
                HashSet::new()
            } else {
                self.cache
                    .get_many(base, dim, &missing)?
                    .iter()
                    .zip(&missing)
                    .filter(|(v, _)| v.is_some())
                    .map(|(_, t)| *t)
                    .collect()
            };
            let mut by_text: HashMap<&str, Vec<f32>> = HashMap::with_capacity(missing.len());
            for c in missing.chunks(chunk.max(1)) {
                let fresh = if layers.is_empty() {
                    self.inner.embed(c)?
                } else {
                    self.inner
                        .embed_layers(c, layers, usize::MAX, &mut |_| {})?
                };
                if fresh.len() != c.len() || fresh.iter().any(|v| v.len() != width) {
                    return Err(Error::Other(format!(
                        "embedder returned {} vectors for {} texts (or not {width} values each)",
                        fresh.len(),
                        c.len()
                    )));
                }
                let items: Vec<(&str, &[f32])> = c
                    .iter()
                    .zip(&fresh)
                    .map(|(t, v)| (*t, v.as_slice()))
                    .collect();
                self.cache.put_many(&fp, &items)?;
                if !layers.is_empty() {
                    let plain: Vec<(&str, &[f32])> = items
                        .iter()
                        .filter(|(t, _)| !plain_known.contains(t))
                        .map(|(t, v)| (*t, &v[..dim]))
                        .collect();
                    self.cache.put_many(base, &plain)?;
                }
                by_text.extend(c.iter().copied().zip(fresh));
                progress(hits + by_text.len());
            }
            for (i, v) in out.iter_mut().enumerate() {
                if v.is_none() {
                    *v = by_text.get(texts[i]).cloned();
                }
            }
        }
        out.into_iter()
            .enumerate()
            .map(|(i, v)| v.ok_or_else(|| Error::Other(format!("no embedding for text {i}"))))
            .collect()
    }
}

impl Embedder for CachedEmbedder {
    fn fingerprint(&self) -> &str {
        self.inner.fingerprint()
    }
    fn space(&self) -> &str {
        self.inner.space()
    }
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.lookup_then_embed(texts, usize::MAX, &mut |_| {})
    }
    fn embed_chunked(
        &self,
        texts: &[&str],
        chunk: usize,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<Vec<f32>>> {
        self.lookup_then_embed(texts, chunk, progress)
    }
    fn embed_layers(
        &self,
        texts: &[&str],
        layers: &[usize],
        chunk: usize,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<Vec<f32>>> {
        self.lookup_then_compute(texts, layers, chunk, progress)
    }
}

/// Read the texts of `whyline embed`: one per line (a final newline does not
/// add an empty text; a trailing `\r` is dropped), or with `field`, the string
/// field `field` of each JSON Lines record. `-` reads stdin. Bad records are
/// errors naming the file and line, because row *i* of the output must be
/// record *i* of the input.
pub fn read_texts(path: &str, field: Option<&str>) -> Result<Vec<String>> {
    let bytes = if path == "-" {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut b).map_err(|e| Error::io("-", e))?;
        b
    } else {
        std::fs::read(path).map_err(|e| Error::io(path, e))?
    };
    // gzip-compressed texts (`texts.jsonl.gz`), as `run` reads them
    let bytes = crate::ingest::gzip::content(bytes)
        .map_err(|msg| Error::input(crate::Location::file(path), msg))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        Error::input(crate::Location::line(path, line), "not valid UTF-8")
    })?;
    let body = text.strip_suffix('\n').unwrap_or(&text);
    if body.is_empty() && text.is_empty() {
        return Ok(vec![]);
    }
    let mut out = Vec::new();
    for (i, line) in body.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let Some(field) = field else {
            out.push(line.to_string());
            continue;
        };
        let loc = || crate::Location::line(path, i as u64 + 1);
        let v: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| Error::input(loc(), format!("not a JSON object: {e}")))?;
        match v.get(field) {
            Some(serde_json::Value::String(s)) => out.push(s.clone()),
            Some(_) => {
                return Err(Error::input(
                    loc(),
                    format!("field `{field}` is not a string"),
                ))
            }
            None => return Err(Error::input(loc(), format!("no field `{field}`"))),
        }
    }
    Ok(out)
}

/// A row-major float32 matrix as a NumPy `.npy` (format 1.0) file's bytes.
pub fn npy_bytes(rows: &[Vec<f32>], dim: usize) -> Result<Vec<u8>> {
    let mut header = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {dim}), }}",
        rows.len()
    );
    // magic(6) + version(2) + len(2) + header + '\n' is a multiple of 64
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + rows.len() * dim * 4);
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for (i, r) in rows.iter().enumerate() {
        if r.len() != dim {
            return Err(Error::Other(format!(
                "row {i} has {} values, expected {dim}",
                r.len()
            )));
        }
        for x in r {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    Ok(out)
}

/// `{"text", "embedding"}` JSON Lines.
pub fn jsonl_bytes(texts: &[String], rows: &[Vec<f32>]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for (t, r) in texts.iter().zip(rows) {
        #[derive(serde::Serialize)]
        struct Line<'a> {
            text: &'a str,
            embedding: &'a [f32],
        }
        serde_json::to_writer(
            &mut out,
            &Line {
                text: t,
                embedding: r,
            },
        )
        .map_err(|e| Error::Other(e.to_string()))?;
        out.push(b'\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic fake: the vector is a function of the text's bytes.
    struct Fake;
    impl Embedder for Fake {
        fn fingerprint(&self) -> &str {
            "fake-v1"
        }
        fn dim(&self) -> usize {
            4
        }
        fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
            Ok(texts
                .iter()
                .map(|t| {
                    let s = crate::util::sha256_hex(t.as_bytes());
                    s.as_bytes()[..4]
                        .iter()
                        .map(|b| *b as f32 / 255.0)
                        .collect()
                })
                .collect())
        }
    }

    #[test]
    fn second_call_is_served_from_cache_with_identical_values() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EmbeddingCache::open(dir.path()).unwrap();
        let e = CachedEmbedder::new(Arc::new(Fake), cache.clone());
        let texts = ["a", "b", "a", ""];
        let first = e.embed(&texts).unwrap();
        assert_eq!(e.counts(), (0, 3));
        let e2 = CachedEmbedder::new(Arc::new(Fake), cache.clone());
        let second = e2.embed(&texts).unwrap();
        assert_eq!(e2.counts(), (4, 0));
        assert_eq!(first, second);
        assert_eq!(cache.stats().unwrap().entries, 3);
    }

    /// Counts the texts it is asked to embed.
    struct Counting(std::sync::atomic::AtomicUsize);
    impl Embedder for Counting {
        fn fingerprint(&self) -> &str {
            "fake-v1"
        }
        fn dim(&self) -> usize {
            4
        }
        fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
            self.0
                .fetch_add(texts.len(), std::sync::atomic::Ordering::Relaxed);
            Fake.embed(texts)
        }
    }

    #[test]
    fn chunked_cached_embedding_equals_one_call_and_embeds_only_misses() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EmbeddingCache::open(dir.path()).unwrap();
        let texts: Vec<String> = (0..50).map(|i| format!("text {}", i % 40)).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        // warm the cache with the first 20 distinct texts
        CachedEmbedder::new(Arc::new(Fake), cache.clone())
            .embed(&refs[..20])
            .unwrap();
        let inner = Arc::new(Counting(Default::default()));
        let e = CachedEmbedder::new(inner.clone(), cache.clone());
        let mut seen = Vec::new();
        let got = e.embed_chunked(&refs, 7, &mut |d| seen.push(d)).unwrap();
        assert_eq!(got, Fake.embed(&refs).unwrap());
        // 40 distinct texts, 20 cached: only the other 20 reach the encoder
        assert_eq!(inner.0.load(std::sync::atomic::Ordering::Relaxed), 20);
        assert_eq!(seen.first(), Some(&30), "cache hits are reported first");
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    }

    /// A fake with "layers": layer `l`'s part is the embedding times `l + 2`.
    struct Layered(std::sync::atomic::AtomicUsize);
    impl Embedder for Layered {
        fn fingerprint(&self) -> &str {
            "fake-v1"
        }
        fn dim(&self) -> usize {
            4
        }
        fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
            self.0
                .fetch_add(texts.len(), std::sync::atomic::Ordering::Relaxed);
            Fake.embed(texts)
        }
        fn embed_layers(
            &self,
            texts: &[&str],
            layers: &[usize],
            _chunk: usize,
            _progress: &mut dyn FnMut(usize),
        ) -> Result<Vec<Vec<f32>>> {
            Ok(self
                .embed(texts)?
                .into_iter()
                .map(|e| {
                    let mut v = e.clone();
                    for &l in layers {
                        v.extend(e.iter().map(|x| x * (l as f32 + 2.0)));
                    }
                    v
                })
                .collect())
        }
    }

    #[test]
    fn layer_features_are_cached_apart_and_fill_the_plain_cache() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EmbeddingCache::open(dir.path()).unwrap();
        let inner = Arc::new(Layered(Default::default()));
        let e = CachedEmbedder::new(inner.clone(), cache.clone());
        let texts = ["a", "b", "a"];
        let f = e.embed_layers(&texts, &[5, 4], 10, &mut |_| {}).unwrap();
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].len(), 12);
        assert_eq!(
            f[0][4..8],
            f[0][..4].iter().map(|x| x * 7.0).collect::<Vec<_>>()[..]
        );
        assert_eq!(inner.0.load(std::sync::atomic::Ordering::Relaxed), 2);
        // the same layers again: all from the cache
        let again = e.embed_layers(&texts, &[5, 4], 10, &mut |_| {}).unwrap();
        assert_eq!(again, f);
        assert_eq!(inner.0.load(std::sync::atomic::Ordering::Relaxed), 2);
        // the plain embeddings were stored on the way: no encoder call
        let plain = e.embed(&texts).unwrap();
        assert_eq!(plain, Fake.embed(&texts).unwrap());
        assert_eq!(inner.0.load(std::sync::atomic::Ordering::Relaxed), 2);
        // other layers are other cache entries; the plain ones are not stored twice
        let other = e.embed_layers(&texts, &[4], 10, &mut |_| {}).unwrap();
        assert_eq!(other[0].len(), 8);
        assert_eq!(inner.0.load(std::sync::atomic::Ordering::Relaxed), 4);
        // 2 plain + 2 with layers 5,4 + 2 with layer 4
        assert_eq!(cache.stats().unwrap().entries, 6);
    }

    #[test]
    fn embedders_without_layers_refuse_them() {
        let err = Fake
            .embed_layers(&["a"], &[3], 10, &mut |_| {})
            .unwrap_err();
        assert!(err.to_string().contains("no hidden layers"), "{err}");
        assert_eq!(
            Fake.embed_layers(&["a"], &[], 10, &mut |_| {}).unwrap(),
            Fake.embed(&["a"]).unwrap()
        );
    }

    #[test]
    fn torn_record_is_skipped_and_later_records_still_found() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EmbeddingCache::open(dir.path()).unwrap();
        cache.put_many("m", &[("x", &[1.0, 2.0])]).unwrap();
        let k = key("m", "x");
        let shard = EmbeddingCache::shard_path(&dir.path().join(LAYOUT).join("m"), &k);
        // a crash mid-append leaves half a record
        let mut torn = Vec::new();
        encode_record(&mut torn, &key("m", "y"), &[3.0, 4.0]);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&shard)
            .unwrap();
        f.write_all(&torn[..torn.len() / 2]).unwrap();
        drop(f);
        // same shard as "x", written after the torn bytes
        let k2 = (0..10_000)
            .map(|i| format!("z{i}"))
            .find(|t| key("m", t)[0] as usize % SHARDS == k[0] as usize % SHARDS)
            .unwrap();
        cache.put_many("m", &[(&k2, &[5.0, 6.0])]).unwrap();
        let got = cache.get_many("m", 2, &["x", "y", &k2]).unwrap();
        assert_eq!(got[0].as_deref(), Some(&[1.0, 2.0][..]));
        assert_eq!(got[1], None);
        assert_eq!(got[2].as_deref(), Some(&[5.0, 6.0][..]));
        assert_eq!(cache.stats().unwrap().models[0].damaged, 1);
        cache.prune(u64::MAX).unwrap();
        assert_eq!(cache.stats().unwrap().models[0].damaged, 0);
    }

    #[test]
    fn npy_header_is_aligned_and_shaped() {
        let b = npy_bytes(&[vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]], 2).unwrap();
        let hlen = u16::from_le_bytes([b[8], b[9]]) as usize;
        assert_eq!((10 + hlen) % 64, 0);
        let h = std::str::from_utf8(&b[10..10 + hlen]).unwrap();
        assert!(h.contains("'shape': (3, 2)"));
        assert_eq!(b.len(), 10 + hlen + 24);
        assert_eq!(&b[10 + hlen..10 + hlen + 4], &1.0f32.to_le_bytes());
    }

    #[test]
    fn read_texts_keeps_empty_lines_and_drops_final_newline() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("in.txt");
        std::fs::write(&p, "a\r\n\nb\n").unwrap();
        let t = read_texts(p.to_str().unwrap(), None).unwrap();
        assert_eq!(t, vec!["a", "", "b"]);
        let j = dir.path().join("in.jsonl");
        std::fs::write(&j, "{\"t\":\"x\"}\n{\"u\":1}\n").unwrap();
        let e = read_texts(j.to_str().unwrap(), Some("t")).unwrap_err();
        assert!(e.to_string().contains("in.jsonl:2"), "{e}");
        // gzip-compressed, as `run` reads them
        let g = dir.path().join("in.txt.gz");
        std::fs::write(&g, crate::ingest::gzip::gz(b"a\r\n\nb\n")).unwrap();
        assert_eq!(
            read_texts(g.to_str().unwrap(), None).unwrap(),
            ["a", "", "b"]
        );
    }

    #[test]
    fn prune_bounds_the_size() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EmbeddingCache::open(dir.path()).unwrap();
        let texts: Vec<String> = (0..500).map(|i| format!("t{i}")).collect();
        let v = [0.5f32; 16];
        let items: Vec<(&str, &[f32])> = texts.iter().map(|t| (t.as_str(), &v[..])).collect();
        cache.put_many("m", &items).unwrap();
        let before = cache.stats().unwrap().bytes;
        let r = cache.prune(before / 2).unwrap();
        assert!(r.bytes_after <= before / 2);
        assert!(cache.stats().unwrap().bytes <= before / 2);
        cache.prune(0).unwrap();
        assert_eq!(cache.stats().unwrap().entries, 0);
    }

    #[test]
    fn bounded_cache_prunes_itself_on_write() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EmbeddingCache::open(dir.path())
            .unwrap()
            .with_max_bytes(20_000);
        let v = [0.25f32; 64];
        for round in 0..10 {
            let texts: Vec<String> = (0..50).map(|i| format!("r{round}-{i}")).collect();
            let items: Vec<(&str, &[f32])> = texts.iter().map(|t| (t.as_str(), &v[..])).collect();
            cache.put_many("m", &items).unwrap();
        }
        assert!(cache.stats().unwrap().bytes <= 20_000);
    }
}
