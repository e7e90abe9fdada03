//! `whyline models`: list, path, verify on the real default model, and the
//! offline fall-through for a repo that is not cached.

use std::process::Command;
use whyline::model::{load_encoder, LoadOptions};

fn whyline(args: &[&str], envs: &[(&str, &str)]) -> (i32, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_whyline"));
    c.args(args);
    for (k, v) in envs {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

#[test]
fn list_path_and_verify_the_default_model() {
    // make sure the default model is installed (pulled on first use)
    let dir = load_encoder(None, &LoadOptions::default())
        .unwrap()
        .dir()
        .to_path_buf();
    let (code, out, err) = whyline(&["models", "path"], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), dir.display().to_string());
    let (code, out, _) = whyline(&["models", "list"], &[]);
    assert_eq!(code, 0);
    assert!(
        out.contains("all-MiniLM-L6-v2") && out.contains("installed"),
        "{out}"
    );
    let (code, out, err) = whyline(&["models", "verify"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ok (10 files)"), "{out}");
}

#[test]
fn uncached_hub_repo_with_hub_offline_is_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    let (code, _, err) = whyline(
        &["models", "path", "example-org/not-cached"],
        &[
            ("WHYLINE_HOME", home.path().to_str().unwrap()),
            ("HF_HUB_OFFLINE", "1"),
        ],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("example-org/not-cached") && err.contains("HF_HUB_OFFLINE"),
        "{err}"
    );
}

#[test]
fn missing_local_model_dir_is_a_clear_error() {
    let (code, _, err) = whyline(&["models", "path", "./no/such/model-dir"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("./no/such/model-dir"), "{err}");
}
