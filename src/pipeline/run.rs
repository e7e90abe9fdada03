//! The whole job: files in, a locked and atomically replaced output folder out.

use super::{analyse_cached, output, segments_jsonl, Progress};
use crate::config::Config;
use crate::embed::Embedder;
use crate::error::{Error, Result};
use crate::ingest::Problem;
use crate::insight::{changes, Insights, Quote};
use crate::report;
use serde_json::json;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// What `whyline run` was asked to do.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Files, folders or globs.
    pub inputs: Vec<String>,
    /// Output folder.
    pub out: PathBuf,
    /// Effective configuration.
    pub config: Config,
    /// Where the configuration came from (run.json).
    pub config_path: Option<String>,
}

/// What the run produced.
#[derive(Debug)]
pub struct RunSummary {
    pub insights: Insights,
    /// Problems met while reading (warnings and skipped inputs).
    pub problems: Vec<Problem>,
    pub warnings: Vec<String>,
    /// Skipped files or records (exit code 3 when > 0).
    pub skipped: usize,
    /// What changed since the previous results, when there were any.
    pub changes: Option<changes::Changes>,
}

impl RunSummary {
    pub fn exit_code(&self) -> i32 {
        if self.skipped > 0 {
            crate::exit::SKIPPED_INPUTS
        } else {
            crate::exit::OK
        }
    }
}

/// Run the main job.
/// What the outcome column asks, where an input says it (Qualtrics'
/// question text under `Q1`): by the column's name as configured, else as
/// `--outcome` matches it (case, spaces and punctuation ignored).
fn outcome_question(
    questions: &std::collections::BTreeMap<String, String>,
    column: &str,
) -> Option<String> {
    let norm = crate::util::field_key;
    questions.get(column).cloned().or_else(|| {
        questions
            .iter()
            .find(|(c, _)| norm(c) == norm(column))
            .map(|(_, q)| q.clone())
    })
}

pub fn run(opts: &RunOptions, progress: &dyn Progress) -> Result<RunSummary> {
    let total = Instant::now();
    let cfg = &opts.config;
    cfg.validate()?;
    if opts.inputs.is_empty() {
        return Err(Error::Config("no input paths given".into()));
    }
    let lock = output::lock(&opts.out)?;
    let mut timings = std::collections::BTreeMap::new();

    let t = Instant::now();
    progress.begin("ingest", 0);
    let ingest = crate::ingest::read_inputs(&opts.inputs, &cfg.input.to_options()?);
    progress.end();
    timings.insert("ingest".to_string(), t.elapsed().as_millis() as u64);
    if ingest.documents.is_empty() {
        // a folder of PDFs or recordings says so, with what to do
        let why = ingest
            .problems
            .iter()
            .map(|p| p.to_string())
            .chain(crate::ingest::unread_lines(&ingest.ignored, true))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(Error::Other(format!(
            "no documents could be read from {}{}",
            opts.inputs.join(" "),
            if why.is_empty() {
                String::new()
            } else {
                format!(": {why}")
            }
        )));
    }

    let t = Instant::now();
    progress.begin("segment", 0);
    let segments = crate::segment::segment_corpus(&ingest.documents, &cfg.segment.to_options());
    progress.end();
    timings.insert("segment".to_string(), t.elapsed().as_millis() as u64);

    let t = Instant::now();
    progress.begin("load models", 0);
    let load = crate::model::LoadOptions {
        batch_size: cfg.model.batch_size,
        precision: cfg.model.precision,
        ..Default::default()
    };
    let encoder: Arc<dyn Embedder> = Arc::new(crate::model::load_encoder(
        cfg.model.encoder.as_deref(),
        &load,
    )?);
    let mut warnings = Vec::new();
    // a recording or a PDF dropped into the folder must not vanish
    // silently (run.json lists every file not read, whatever its kind)
    warnings.extend(crate::ingest::unread_lines(&ingest.ignored, false));
    let mut facet_cache = None;
    let embedder: Arc<dyn Embedder> = if cfg.model.cache {
        match crate::embed::EmbeddingCache::open_default() {
            Ok(cache) => {
                facet_cache = Some(crate::classify::FacetCache::new(cache.clone()));
                Arc::new(crate::embed::CachedEmbedder::new(encoder, cache))
            }
            Err(e) => {
                warnings.push(format!(
                    "embedding cache not available ({e}): embedding everything"
                ));
                encoder
            }
        }
    } else {
        encoder
    };
    let mut facets = Vec::new();
    if cfg.facets.enabled {
        for spec in cfg.facets.to_config().facets {
            match crate::classify::load_classifier(
                embedder.as_ref(),
                &spec.facet,
                spec.model.as_deref(),
            ) {
                Ok(f) => facets.push(f),
                // a model the user named must not be silently left out
                Err(e) if spec.model.is_some() => {
                    return Err(Error::Config(format!("facets.{}: {e}", spec.facet)))
                }
                Err(e) => warnings.push(format!(
                    "the {} facet's default model was not loaded ({e}): running without it",
                    spec.facet
                )),
            }
        }
    }
    progress.end();
    timings.insert("load_models".to_string(), t.elapsed().as_millis() as u64);

    let mut a = analyse_cached(
        segments,
        embedder.as_ref(),
        &facets,
        facet_cache.as_ref(),
        cfg,
        progress,
    )?;
    timings.append(&mut a.timings_ms);
    warnings.append(&mut a.warnings);
    if let Some(o) = a.insights.corpus.outcome.as_mut() {
        o.question = outcome_question(&ingest.questions, &o.column);
    }

    let t = Instant::now();
    progress.begin("report", 5);
    let staging = output::Staging::new(&opts.out, &lock)?;
    let insights_json = report::insights_json(&a.insights);
    let segs_jsonl = segments_jsonl(&a);
    let models: Vec<(&str, &str)> = a
        .facets
        .iter()
        .map(|f| (f.facet.as_str(), f.fingerprint.as_str()))
        .collect();
    let changes = compare_with_previous(opts, &insights_json, &segs_jsonl, &models, &mut warnings);
    staging.write("insights.json", insights_json.as_bytes())?;
    progress.advance(1);
    staging.write("segments.jsonl", segs_jsonl.as_bytes())?;
    drop(segs_jsonl);
    if let Some(c) = &changes {
        staging.write("changes.json", changes::to_json(c).as_bytes())?;
    }
    progress.advance(2);
    staging.write(
        "report.md",
        report::markdown(
            &a.insights,
            changes.as_ref(),
            &cfg.report.title,
            &a.cautions,
        )
        .as_bytes(),
    )?;
    progress.advance(3);
    let out_abs = absolute(&opts.out);
    let link = |q: &Quote| quote_href(&q.source, q.line, &out_abs);
    staging.write(
        "report.html",
        report::html::render(
            &a.insights,
            changes.as_ref(),
            &cfg.report.title,
            &a.cautions,
            &link,
        )
        .as_bytes(),
    )?;
    progress.advance(4);
    timings.insert("report".to_string(), t.elapsed().as_millis() as u64);
    timings.insert("total".to_string(), total.elapsed().as_millis() as u64);

    // run.json: everything run-specific
    let noise: usize = a.insights.noise.by_reason.values().sum();
    let run_json = json!({
        "whyline": crate::version(),
        "insights_schema": crate::insight::SCHEMA,
        "command": {"inputs": opts.inputs, "out": opts.out.display().to_string(), "config": opts.config_path},
        "config": cfg,
        "threads": rayon::current_num_threads(),
        "models": {
            "encoder": {"fingerprint": embedder.fingerprint(), "dim": embedder.dim()},
            "facets": a.facets.iter().map(|f| json!({"facet": f.facet, "fingerprint": f.fingerprint, "labels": f.labels.len()})).collect::<Vec<_>>(),
        },
        "inputs": ingest.inputs,
        "counts": {
            "files": ingest.files(),
            "ignored_files": ingest.ignored.len(),
            "documents": ingest.documents.len(),
            "segments": a.segments.len(),
            "analysed": a.analysed.len(),
            "noise": noise,
            "outliers": a.insights.noise.outliers,
            "themes": a.insights.corpus.themes,
            "communities": a.clustering.communities,
            "resolution": a.clustering.resolution,
            "reassigned": a.clustering.reassigned,
            "insights": a.insights.insights.len(),
            "weak_signals": a.insights.weak_signals.len(),
            "skipped_inputs": ingest.skipped(),
            "blank_records": ingest.blank_records,
            "replaced_bytes": ingest.replaced_bytes,
        },
        "timings_ms": timings,
        "problems": ingest.problems.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        "ignored": ingest.ignored,
        "warnings": warnings,
    });
    let mut rj = serde_json::to_string_pretty(&run_json).unwrap_or_default();
    rj.push('\n');
    staging.write("run.json", rj.as_bytes())?;
    staging.commit()?;
    progress.advance(5);
    progress.end();
    drop(lock);

    Ok(RunSummary {
        skipped: ingest.skipped(),
        problems: ingest.problems,
        warnings,
        insights: a.insights,
        changes,
    })
}

/// Compare this run with the previous results (`previous`, default the output
/// folder's): `None` when there are none or the comparison is off; a previous
/// folder that cannot be read is a warning, not a failed run.
fn compare_with_previous(
    opts: &RunOptions,
    insights_json: &str,
    segments_jsonl: &str,
    models: &[(&str, &str)],
    warnings: &mut Vec<String>,
) -> Option<changes::Changes> {
    let dir = match opts.config.previous.as_deref() {
        Some("") => return None,
        Some(p) => PathBuf::from(p),
        None => opts.out.clone(),
    };
    let before = match changes::RunView::read(&dir) {
        Ok(Some(b)) => b,
        Ok(None) => {
            if opts.config.previous.is_some() {
                warnings.push(format!(
                    "previous results: {} holds no insights.json and segments.jsonl; nothing to compare with",
                    dir.display()
                ));
            }
            return None;
        }
        Err(e) => {
            warnings.push(format!("previous results not compared: {e}"));
            return None;
        }
    };
    // this run is read from the bytes it is about to write, as `whyline diff`
    // would read the folder: one way to build a view, so the two always agree
    match changes::RunView::parse(insights_json, segments_jsonl, &opts.out) {
        Ok(now) => Some(changes::compare(
            &before,
            &now.with_models(models.iter().copied()),
        )),
        Err(e) => {
            warnings.push(format!("previous results not compared: {e}"));
            None
        }
    }
}

/// Where a quote's source is, relative to the report's folder, with its line
/// (`../calls/a.txt#L12`); an archive's entry links to the archive. `None`
/// for standard input or a source on another root.
fn quote_href(source: &str, line: Option<u64>, out_abs: &Path) -> Option<String> {
    if source == "-" {
        return None;
    }
    let (file, inside) = match crate::ingest::archive::split(source) {
        Some((zip, _)) => (zip, true),
        None => (source, false),
    };
    let rel = relative(&absolute(Path::new(file)), out_abs)?;
    let mut href: String = rel
        .to_string_lossy()
        .split('/')
        .map(percent_encode)
        .collect::<Vec<_>>()
        .join("/");
    if let Some(l) = line.filter(|_| !inside) {
        href.push_str(&format!("#L{l}"));
    }
    Some(href)
}

fn absolute(p: &Path) -> PathBuf {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    };
    // lexical normalisation (the out folder may not exist yet)
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `target` relative to the folder `base` (both absolute, normalised).
fn relative(target: &Path, base: &Path) -> Option<PathBuf> {
    let t: Vec<Component> = target.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return None;
    }
    let mut r = PathBuf::new();
    for _ in common..b.len() {
        r.push("..");
    }
    for c in &t[common..] {
        r.push(c.as_os_str());
    }
    Some(r)
}

fn percent_encode(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_from_the_report_folder() {
        let r = relative(Path::new("/a/b/in/x.txt"), Path::new("/a/b/out")).unwrap();
        assert_eq!(r, PathBuf::from("../in/x.txt"));
        assert_eq!(percent_encode("a b.txt"), "a%20b.txt");
    }

    #[test]
    fn a_quote_from_an_archive_links_to_the_archive() {
        // was: `export.zip/calls/kim.txt#L3`, a link to nothing
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("export.zip"), b"PK").unwrap();
        let out = dir.path().join("out");
        let entry = dir.path().join("export.zip/calls/kim.txt");
        let entry = entry.to_str().unwrap();
        assert_eq!(
            quote_href(entry, Some(3), &out).as_deref(),
            Some("../export.zip")
        );
        let file = dir.path().join("calls/a b.txt");
        assert_eq!(
            quote_href(file.to_str().unwrap(), Some(3), &out).as_deref(),
            Some("../calls/a%20b.txt#L3")
        );
        assert_eq!(quote_href("-", Some(3), &out), None);
    }

    #[test]
    fn the_outcome_is_named_by_what_its_column_asks() {
        // was: a Qualtrics outcome named only `Q1` in both reports
        let questions: std::collections::BTreeMap<String, String> = [(
            "Q1".to_string(),
            "How likely are you to recommend us?".to_string(),
        )]
        .into_iter()
        .collect();
        let asked = Some("How likely are you to recommend us?".to_string());
        assert_eq!(outcome_question(&questions, "Q1"), asked);
        // `--outcome q1` finds it as it finds the column
        assert_eq!(outcome_question(&questions, "q1"), asked);
        assert_eq!(outcome_question(&questions, "rating"), None);
    }
}
