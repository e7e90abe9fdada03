//! Config: `whyline.toml`, the file form of every `whyline run` option.
//!
//! Why: a nightly job is configured once and versioned with the project; the
//! command line only overrides. Every field has a default that works, unknown
//! keys are errors (a typo must not silently fall back to a default), and the
//! effective configuration is recorded in `run.json`.

use crate::cluster::ClusterConfig;
use crate::error::{Error, Result};
use crate::insight::InsightConfig;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The whole `whyline.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Input paths used when none are given on the command line.
    pub inputs: Vec<String>,
    /// Output folder used when `--out` is not given.
    pub out: Option<String>,
    /// Document metadata column holding an outcome (rating, NPS, yes/no...).
    /// Default: the first of `insight::OUTCOME_COLUMNS` present (`rating`,
    /// `stars`, `score`, `nps`, ..., matched with case, spaces and punctuation
    /// ignored), then a column named with a word `rating`, `stars`, `nps`,
    /// `csat`, `recommend`, `satisfied` or `satisfaction`, or a Qualtrics NPS
    /// question (`Q1` beside `Q1_NPS_GROUP`);
    /// `""` turns impact off.
    pub outcome: Option<String>,
    /// Document metadata column holding each document's date, for the
    /// insights' trends over time (`insight::trend`). Default: the first of
    /// `insight::trend::DATE_COLUMNS` present (`date`, `date_received`,
    /// `submitted_at`, `created_at`, `timestamp`, ..., matched with case,
    /// spaces and punctuation ignored), then a column named with the word
    /// `date`, whose values read as dates, else the dates in the files'
    /// paths (`calls/2026-11-02/`); `""` turns trends off.
    pub date: Option<String>,
    /// Document metadata columns to break the insights down by (`product`,
    /// `channel`, `country`, ...: where each insight comes up most,
    /// `insight::breakdown`): one name or a list. Default: the first of
    /// `insight::breakdown::BY_COLUMNS` the documents carry with two values
    /// or more of 5 documents each; `""` or `[]` turns breakdowns off.
    pub by: Option<Fields>,
    /// Results to compare with (an output folder of an earlier run), written
    /// to `changes.json` and the reports' "Since the previous run". Default:
    /// the output folder's current results, i.e. the last run into it; `""`
    /// turns the comparison off.
    pub previous: Option<String>,
    pub input: InputConfig,
    pub segment: SegmentConfig,
    pub model: ModelConfig,
    pub facets: FacetsSection,
    pub cluster: ClusterConfig,
    pub insight: InsightConfig,
    pub report: ReportConfig,
}

/// One column name or several: `text_field = "Q2"` or `text_field = ["Q2", "Q3"]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Fields {
    One(String),
    Many(Vec<String>),
}

impl Fields {
    pub fn names(&self) -> Vec<String> {
        match self {
            Fields::One(s) => vec![s.clone()],
            Fields::Many(v) => v.clone(),
        }
    }
}

/// `[input]`: how files are read (see `whyline ingest --help`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct InputConfig {
    /// Force one format (`text`, `markdown`, `docx`, `vtt`, `srt`, `whisper`, `csv`, `tsv`,
    /// `jsonl`);
    /// default: detect.
    pub format: Option<String>,
    /// Column/field holding the text, or a list of them (a survey's open
    /// questions: one turn each); default: auto.
    pub text_field: Option<Fields>,
    /// Column/field holding the speaker; default: auto.
    pub speaker_field: Option<String>,
    /// Column/field grouping records into one conversation; default: auto.
    pub doc_field: Option<String>,
    /// Skip records with invalid bytes instead of replacing them.
    pub strict: bool,
}

impl InputConfig {
    pub fn to_options(&self) -> Result<crate::ingest::IngestOptions> {
        let format = match &self.format {
            None => None,
            Some(f) => Some(
                crate::ingest::Format::parse(f)
                    .ok_or_else(|| Error::Config(format!("input.format: unknown format {f:?}")))?,
            ),
        };
        Ok(crate::ingest::IngestOptions {
            format,
            text_fields: self
                .text_field
                .as_ref()
                .map(Fields::names)
                .unwrap_or_default(),
            speaker_field: self.speaker_field.clone(),
            doc_field: self.doc_field.clone(),
            strict: self.strict,
        })
    }
}

/// `[segment]`: how turns are cut and which speakers are analysed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SegmentConfig {
    /// `customer` (default) or `all`.
    pub analyse: crate::segment::Analyse,
    /// Analyse only these speakers (overrides `analyse`).
    pub speakers: Vec<String>,
    /// Encoder budget per segment in tokens.
    pub max_tokens: usize,
    /// Fragments with fewer words are merged into a neighbour.
    pub min_words: usize,
    /// Segments with fewer words are `too_short`.
    pub too_short_words: usize,
}

impl Default for SegmentConfig {
    fn default() -> Self {
        let d = crate::segment::SegmentOptions::default();
        Self {
            analyse: d.analyse,
            speakers: d.speakers,
            max_tokens: d.max_tokens,
            min_words: d.min_words,
            too_short_words: d.too_short_words,
        }
    }
}

impl SegmentConfig {
    pub fn to_options(&self) -> crate::segment::SegmentOptions {
        crate::segment::SegmentOptions {
            analyse: self.analyse,
            speakers: self.speakers.clone(),
            max_tokens: self.max_tokens,
            min_words: self.min_words,
            too_short_words: self.too_short_words,
            ..Default::default()
        }
    }
}

/// `[model]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelConfig {
    /// Encoder: a local model folder or a model id; default: all-MiniLM-L6-v2.
    pub encoder: Option<String>,
    /// Use the on-disk cache (`$WHYLINE_HOME/cache`) of embeddings and facet predictions.
    pub cache: bool,
    /// Texts per encoder batch.
    pub batch_size: usize,
    /// Encoder arithmetic: "f32" or "int8" (`--precision`).
    pub precision: crate::model::Precision,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            encoder: None,
            cache: true,
            batch_size: 64,
            precision: crate::model::Precision::F32,
        }
    }
}

/// `[facets]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FacetsSection {
    /// Run the facet classifiers (emotion, motivation, topic).
    pub enabled: bool,
    /// Each facet's model: a head directory (`whyline fit`), a fine-tuned
    /// checkpoint directory, or a taxonomy file (`.toml`/`.json`, zero-shot).
    /// Default: the shipped heads (`models/emotion`, `models/motivation`)
    /// and the built-in topic taxonomy. A model named here that cannot be
    /// loaded fails the run; a default one is skipped with a warning.
    pub emotion: Option<String>,
    pub motivation: Option<String>,
    pub topic: Option<String>,
}

impl Default for FacetsSection {
    fn default() -> Self {
        Self {
            enabled: true,
            emotion: None,
            motivation: None,
            topic: None,
        }
    }
}

impl FacetsSection {
    /// Set one facet's model from `FACET=MODEL` (`--facet-model`).
    pub fn set_model(&mut self, spec: &str) -> Result<()> {
        let (facet, model) = spec.split_once('=').ok_or_else(|| {
            Error::Config(format!(
                "--facet-model {spec:?}: expected FACET=MODEL, e.g. topic=my-topics.toml"
            ))
        })?;
        let facet = facet.trim();
        let Some(slot) = self.slot(facet) else {
            return Err(Error::Config(format!(
                "--facet-model {spec:?}: unknown facet {facet:?} (emotion, motivation or topic)"
            )));
        };
        if model.trim().is_empty() {
            return Err(Error::Config(format!(
                "--facet-model {spec:?}: no model after '='"
            )));
        }
        *slot = Some(model.trim().to_string());
        Ok(())
    }

    /// The model setting of a facet, by name; `None` for an unknown facet.
    fn slot(&mut self, facet: &str) -> Option<&mut Option<String>> {
        match facet {
            "emotion" => Some(&mut self.emotion),
            "motivation" => Some(&mut self.motivation),
            "topic" => Some(&mut self.topic),
            _ => None,
        }
    }

    /// The facets to run, in output order, each with its configured model.
    pub fn to_config(&self) -> crate::classify::FacetsConfig {
        let mut c = crate::classify::FacetsConfig::default();
        let mut models = self.clone();
        for s in &mut c.facets {
            s.model = models.slot(&s.facet).and_then(Option::take);
        }
        c
    }
}

/// `[report]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportConfig {
    /// Report title.
    pub title: String,
    /// Insights shown in the terminal summary.
    pub summary_top: usize,
}

impl Default for ReportConfig {
    fn default() -> Self {
        Self {
            title: "whyline report".into(),
            summary_top: 5,
        }
    }
}

impl Config {
    /// Parse a TOML string; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() as u64 + 1);
            match line {
                Some(l) => Error::input(
                    crate::Location::line(origin, l),
                    format!("config: {}", e.message()),
                ),
                None => Error::Config(format!("{origin}: {}", e.message())),
            }
        })
    }

    /// Read a config file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::from_toml(&text, &path.display().to_string())
    }

    /// Check values that TOML types cannot.
    pub fn validate(&self) -> Result<()> {
        let c = &self.cluster;
        if c.k == 0 {
            return Err(Error::Config("cluster.k must be at least 1".into()));
        }
        if c.resolution.is_nan() || c.resolution <= 0.0 {
            return Err(Error::Config("cluster.resolution must be > 0".into()));
        }
        if self.insight.quotes == 0 {
            return Err(Error::Config("insight.quotes must be at least 1".into()));
        }
        if self.model.batch_size == 0 {
            return Err(Error::Config("model.batch_size must be at least 1".into()));
        }
        Ok(())
    }

    /// The default configuration as TOML (documentation, `run.json`).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        assert_eq!(Config::from_toml("", "x").unwrap(), Config::default());
    }

    #[test]
    fn partial_sections_keep_other_defaults() {
        let c = Config::from_toml("outcome = \"stars\"\n[cluster]\nk = 10\n", "x").unwrap();
        assert_eq!(c.cluster.k, 10);
        assert_eq!(c.cluster.min_size, ClusterConfig::default().min_size);
        assert_eq!(c.outcome.as_deref(), Some("stars"));
    }

    #[test]
    fn text_field_takes_one_column_or_a_list_of_them() {
        let one = Config::from_toml("[input]\ntext_field = \"Q2\"\n", "x").unwrap();
        assert_eq!(one.input.to_options().unwrap().text_fields, ["Q2"]);
        let many = Config::from_toml("[input]\ntext_field = [\"Q2\", \"Q3\"]\n", "x").unwrap();
        assert_eq!(many.input.to_options().unwrap().text_fields, ["Q2", "Q3"]);
        // run.json keeps the one-column form as it was written
        assert!(
            one.to_toml().contains("text_field = \"Q2\""),
            "{}",
            one.to_toml()
        );
    }

    #[test]
    fn unknown_key_is_an_error_with_its_line() {
        let e = Config::from_toml("[cluster]\nk = 10\nresolutoin = 2.0\n", "w.toml").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("w.toml:3"), "{msg}");
    }

    #[test]
    fn default_round_trips_through_toml() {
        let d = Config::default();
        assert_eq!(Config::from_toml(&d.to_toml(), "x").unwrap(), d);
    }

    #[test]
    fn facet_models_reach_the_facet_config() {
        let c = Config::from_toml("[facets]\ntopic = \"my-topics.toml\"\n", "x").unwrap();
        let f = c.facets.to_config();
        let models: Vec<(&str, Option<&str>)> = f
            .facets
            .iter()
            .map(|s| (s.facet.as_str(), s.model.as_deref()))
            .collect();
        assert_eq!(
            models,
            [
                ("emotion", None),
                ("motivation", None),
                ("topic", Some("my-topics.toml"))
            ]
        );
        assert!(Config::from_toml("[facets]\nintent = \"x\"\n", "x").is_err());
    }

    #[test]
    fn facet_model_flag_sets_one_facet_and_rejects_bad_specs() {
        let mut f = FacetsSection::default();
        f.set_model("emotion=heads/emo").unwrap();
        assert_eq!(f.emotion.as_deref(), Some("heads/emo"));
        assert_eq!((f.motivation.as_deref(), f.topic.as_deref()), (None, None));
        for bad in ["emotion", "intent=x", "topic="] {
            let e = f.set_model(bad).unwrap_err().to_string();
            assert!(e.contains(bad), "{e}");
        }
    }

    /// The `toml` block under "### whyline.toml" in the README.
    fn readme_config() -> String {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
            .expect("README.md");
        let section = &readme[readme.find("### whyline.toml").expect("section")..];
        let start = section.find("```toml\n").expect("toml block") + 8;
        let len = section[start..].find("```").expect("block end");
        section[start..start + len].to_string()
    }

    #[test]
    fn readme_config_block_is_the_defaults_and_its_commented_keys_are_valid() {
        let block = readme_config();
        let c = Config::from_toml(&block, "README.md").unwrap();
        // every value the README shows is the default
        assert_eq!(c, Config::default());
        // and every commented-out example key exists with a value of its type
        let uncommented: String = block
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest)
                    if rest.split_once(" = ").is_some_and(|(k, _)| {
                        k.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_')
                    }) =>
                {
                    format!("{rest}\n")
                }
                _ => format!("{l}\n"),
            })
            .collect();
        assert_ne!(uncommented, block);
        let u = Config::from_toml(&uncommented, "README.md (examples)").unwrap();
        assert_eq!(u.facets.topic.as_deref(), Some("my-topics.toml"));
        assert!(u.validate().is_ok());
    }

    #[test]
    fn zero_k_is_rejected() {
        let c = Config::from_toml("[cluster]\nk = 0\n", "x").unwrap();
        assert!(c.validate().is_err());
    }
}
