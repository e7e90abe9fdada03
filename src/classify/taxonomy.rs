//! Taxonomies: a facet's label set as data (TOML or JSON), so that a user adds
//! or edits labels without touching code.
//!
//! Why: the label descriptions and example phrasings drive zero-shot scoring
//! and are shown next to the labels in reports; keeping them in `prompts/`
//! makes them reviewable like any other text.

use super::LabelMode;
use crate::error::{Error, Location, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One label of a taxonomy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxonomyLabel {
    /// The label as it appears in predictions and labelled data.
    pub name: String,
    /// A short description in plain (customer) language.
    #[serde(default)]
    pub description: String,
    /// A few example phrasings.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Optional coarser group (Ekman group for emotions, higher-order value for motives).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Optional sentiment: positive, negative, ambiguous, neutral.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<String>,
}

/// A facet's label set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Taxonomy {
    pub facet: String,
    pub mode: LabelMode,
    #[serde(default)]
    pub description: String,
    /// Zero-shot softmax temperature over cosine similarities (default 0.05).
    #[serde(default = "default_temperature")]
    pub temperature: f32,
    pub labels: Vec<TaxonomyLabel>,
}

fn default_temperature() -> f32 {
    0.05
}

/// The shipped taxonomies, compiled in so that the binary works from anywhere.
pub const BUILTIN: &[(&str, &str)] = &[
    ("emotion", include_str!("../../prompts/emotion.toml")),
    ("motivation", include_str!("../../prompts/motivation.toml")),
    ("topic", include_str!("../../prompts/topic.toml")),
];

impl Taxonomy {
    /// Parse TOML (or JSON when `path` ends in `.json`) text; `path` is used in errors.
    pub fn parse(text: &str, path: &str) -> Result<Self> {
        let tax: Taxonomy = if path.to_ascii_lowercase().ends_with(".json") {
            serde_json::from_str(text)
                .map_err(|e| Error::input(Location::line(path, e.line() as u64), e.to_string()))?
        } else {
            toml::from_str(text).map_err(|e| {
                let line = e
                    .span()
                    .map(|s| text[..s.start.min(text.len())].matches('\n').count() as u64 + 1);
                Error::input(
                    Location {
                        path: path.to_string(),
                        line,
                        record: None,
                    },
                    e.message().to_string(),
                )
            })?
        };
        tax.validate(path)?;
        Ok(tax)
    }

    /// Read a taxonomy file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// One of the shipped taxonomies (`emotion`, `motivation`, `topic`).
    pub fn builtin(facet: &str) -> Result<Self> {
        let (_, text) = BUILTIN
            .iter()
            .find(|(n, _)| *n == facet)
            .ok_or_else(|| Error::Config(format!("no built-in taxonomy for facet {facet:?}")))?;
        Self::parse(text, &format!("prompts/{facet}.toml"))
    }

    /// A bare taxonomy from label names only (zero-shot "by label name"):
    /// `card_arrival` is described as "card arrival".
    pub fn from_label_names(facet: &str, mode: LabelMode, names: &[String]) -> Self {
        Taxonomy {
            facet: facet.to_string(),
            mode,
            description: String::new(),
            temperature: default_temperature(),
            labels: names
                .iter()
                .map(|n| TaxonomyLabel {
                    name: n.clone(),
                    description: n.replace(['_', '-'], " "),
                    examples: Vec::new(),
                    group: None,
                    sentiment: None,
                })
                .collect(),
        }
    }

    pub fn label_names(&self) -> Vec<String> {
        self.labels.iter().map(|l| l.name.clone()).collect()
    }

    /// Group of each label (None when the taxonomy has no groups for every label).
    pub fn groups(&self) -> Option<Vec<String>> {
        self.labels.iter().map(|l| l.group.clone()).collect()
    }

    /// The texts whose embeddings make a label's zero-shot prototype:
    /// the name, the description and each example.
    pub fn prototype_texts(&self, i: usize) -> Vec<String> {
        let l = &self.labels[i];
        let mut v = vec![l.name.replace(['_', '-'], " ")];
        if !l.description.is_empty() {
            v.push(l.description.clone());
        }
        v.extend(l.examples.iter().cloned());
        v
    }

    fn validate(&self, path: &str) -> Result<()> {
        let bad = |msg: String| Err(Error::input(Location::file(path), msg));
        if self.labels.is_empty() {
            return bad("taxonomy has no labels".into());
        }
        if !(self.temperature.is_finite() && self.temperature > 0.0) {
            return bad(format!("temperature must be > 0, got {}", self.temperature));
        }
        let mut seen = std::collections::BTreeSet::new();
        for l in &self.labels {
            if l.name.trim().is_empty() {
                return bad("a label has an empty name".into());
            }
            if !seen.insert(l.name.as_str()) {
                return bad(format!("label {:?} appears twice", l.name));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shared data folder: `$WHYLINE_SHARED_DIR`, else `../shared` or `../../shared`.
    fn shared() -> std::path::PathBuf {
        if let Some(d) = std::env::var_os("WHYLINE_SHARED_DIR") {
            return d.into();
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let near = root.join("../shared");
        if near.is_dir() {
            near
        } else {
            root.join("../../shared")
        }
    }

    #[test]
    fn builtin_taxonomies_parse_with_expected_sizes() {
        let e = Taxonomy::builtin("emotion").unwrap();
        assert_eq!(e.labels.len(), 28);
        assert_eq!(e.mode, LabelMode::MultiLabel);
        let groups = e.groups().unwrap();
        let distinct: std::collections::BTreeSet<_> = groups.iter().collect();
        assert_eq!(distinct.len(), 7, "6 Ekman groups + neutral");
        let m = Taxonomy::builtin("motivation").unwrap();
        assert_eq!(m.labels.len(), 20);
        let t = Taxonomy::builtin("topic").unwrap();
        assert_eq!(t.mode, LabelMode::SingleLabel);
        assert!(t.labels.len() >= 6);
    }

    #[test]
    fn emotion_taxonomy_matches_goemotions_files() {
        let dir = shared().join("data/goemotions");
        let Ok(names) = std::fs::read_to_string(dir.join("emotions.txt")) else {
            return; // shared data not present (outside the dev machine)
        };
        let e = Taxonomy::builtin("emotion").unwrap();
        let want: Vec<&str> = names.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(e.label_names(), want);
        let ekman: std::collections::BTreeMap<String, Vec<String>> =
            serde_json::from_str(&std::fs::read_to_string(dir.join("ekman_mapping.json")).unwrap())
                .unwrap();
        for l in &e.labels {
            let g = l.group.as_deref().unwrap();
            if l.name == "neutral" {
                assert_eq!(g, "neutral");
            } else {
                assert!(ekman[g].contains(&l.name), "{} not in {g}", l.name);
            }
        }
    }

    #[test]
    fn motivation_taxonomy_matches_touche_categories() {
        let p = shared().join("data/touche23_valueeval/value-categories.json");
        let Ok(text) = std::fs::read_to_string(p) else {
            return;
        };
        let cats: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).unwrap();
        let want: Vec<String> = cats.keys().cloned().collect();
        assert_eq!(Taxonomy::builtin("motivation").unwrap().label_names(), want);
    }

    #[test]
    fn json_taxonomy_and_errors_carry_location() {
        let t = Taxonomy::parse(
            r#"{"facet":"x","mode":"single_label","labels":[{"name":"a"},{"name":"b"}]}"#,
            "x.json",
        )
        .unwrap();
        assert_eq!(t.label_names(), vec!["a", "b"]);
        let err = Taxonomy::parse(
            "facet = \"x\"\nmode = \"single_label\"\n[[labels]]\nname = \"a\"\n[[labels]]\nname = \"a\"\n",
            "dup.toml",
        )
        .unwrap_err();
        assert!(err.to_string().contains("dup.toml"), "{err}");
        let err = Taxonomy::parse(
            "facet = \"x\"\nmode = \"sideways\"\nlabels = []\n",
            "m.toml",
        )
        .unwrap_err();
        assert!(err.to_string().contains("m.toml:2"), "{err}");
    }
}
