//! The JSON Schemas under docs/schema are the ones the output types give:
//! a field added to `insights.json` or `changes.json` without regenerating
//! them fails here. To regenerate: `WHYLINE_BLESS=1 cargo test --test schema`.

use std::process::Command;

fn check(file: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_whyline"))
        .args(["schema", file])
        .output()
        .expect("run whyline");
    assert!(out.status.success(), "{out:?}");
    let printed = String::from_utf8(out.stdout).unwrap();
    let path = format!(
        "{}/docs/schema/{file}.schema.json",
        env!("CARGO_MANIFEST_DIR")
    );
    if std::env::var_os("WHYLINE_BLESS").is_some() {
        std::fs::write(&path, &printed).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == printed,
        "{path} is not what `whyline schema {file}` prints: regenerate it with \
         WHYLINE_BLESS=1 cargo test --test schema"
    );
    let schema: serde_json::Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
}

#[test]
fn the_insights_schema_in_docs_is_the_one_the_types_give() {
    check("insights");
}

#[test]
fn the_changes_schema_in_docs_is_the_one_the_types_give() {
    check("changes");
}

#[test]
fn the_segment_schema_in_docs_is_the_one_the_types_give() {
    check("segment");
}

#[test]
fn every_field_of_every_schema_is_described() {
    let mut missing = Vec::new();
    for text in [
        whyline::insight::json_schema(),
        whyline::insight::changes::json_schema(),
        whyline::pipeline::segment_schema(),
    ] {
        missing.extend(undescribed(&serde_json::from_str(&text).unwrap()));
    }
    assert!(
        missing.is_empty(),
        "fields without a doc comment: {missing:?}"
    );
}

/// `Type.field` for each property of the schema or its definitions that has
/// no description.
fn undescribed(schema: &serde_json::Value) -> Vec<String> {
    let title = schema["title"].as_str().unwrap_or("(root)").to_string();
    let mut defs: Vec<(String, &serde_json::Value)> = vec![(title, schema)];
    if let Some(d) = schema["$defs"].as_object() {
        defs.extend(d.iter().map(|(k, v)| (k.clone(), v)));
    }
    let mut missing = Vec::new();
    for (name, d) in defs {
        for (field, p) in d["properties"].as_object().into_iter().flatten() {
            if p.get("description").is_none() {
                missing.push(format!("{name}.{field}"));
            }
        }
    }
    missing
}
