//! `whyline embed` as scripts use it: input order, `.npy` layout, the cache
//! (a second run is served from it with identical bytes), `--threads`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use whyline::model::{load_encoder, LoadOptions};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_whyline")
}

/// The default model's directory (pulled on first use).
fn model_dir() -> PathBuf {
    load_encoder(None, &LoadOptions::default())
        .unwrap()
        .dir()
        .to_path_buf()
}

fn texts() -> Vec<String> {
    let p = common::reference_dir().join("minilm-l6-v2-embeddings.jsonl");
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .step_by(7)
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["text"].as_str().unwrap().to_string()
        })
        .collect()
}

fn embed(home: &Path, args: &[&str]) -> String {
    let out = Command::new(bin())
        .env("WHYLINE_HOME", home)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "whyline {args:?} failed: {stderr}");
    stderr
}

fn read_npy(p: &Path) -> (usize, usize, Vec<f32>) {
    let b = std::fs::read(p).unwrap();
    assert_eq!(&b[..8], b"\x93NUMPY\x01\x00");
    let hlen = u16::from_le_bytes([b[8], b[9]]) as usize;
    let h = std::str::from_utf8(&b[10..10 + hlen]).unwrap();
    assert!(h.contains("'descr': '<f4'") && h.contains("'fortran_order': False"));
    let shape = h
        .split("'shape': (")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap();
    let dims: Vec<usize> = shape
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let data = b[10 + hlen..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect::<Vec<_>>();
    assert_eq!(data.len(), dims[0] * dims[1]);
    (dims[0], dims[1], data)
}

#[test]
fn embed_keeps_input_order_and_second_run_is_served_from_cache_with_identical_bytes() {
    let model = model_dir();
    let home = tempfile::tempdir().unwrap();
    let t = texts();
    let input = home.path().join("in.jsonl");
    let lines: Vec<String> = t
        .iter()
        .enumerate()
        .map(|(i, s)| serde_json::json!({"id": i, "body": s}).to_string())
        .collect();
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let m = model.to_str().unwrap();
    let inp = input.to_str().unwrap();
    let o1 = home.path().join("a.npy");
    let o2 = home.path().join("b.npy");
    let o3 = home.path().join("c.jsonl");
    let e1 = embed(
        home.path(),
        &[
            "embed",
            "--input",
            inp,
            "--text-field",
            "body",
            "--out",
            o1.to_str().unwrap(),
            "--model",
            m,
        ],
    );
    assert!(
        e1.contains(&format!("0 from cache, {} embedded", t.len())),
        "{e1}"
    );
    let e2 = embed(
        home.path(),
        &[
            "embed",
            "--input",
            inp,
            "--text-field",
            "body",
            "--out",
            o2.to_str().unwrap(),
            "--model",
            m,
        ],
    );
    assert!(
        e2.contains(&format!("{} from cache, 0 embedded", t.len())),
        "{e2}"
    );
    assert_eq!(std::fs::read(&o1).unwrap(), std::fs::read(&o2).unwrap());
    // jsonl: same vectors, texts in input order
    embed(
        home.path(),
        &[
            "embed",
            "--input",
            inp,
            "--text-field",
            "body",
            "--out",
            o3.to_str().unwrap(),
            "--model",
            m,
            "--format",
            "jsonl",
        ],
    );
    let (n, d, data) = read_npy(&o1);
    assert_eq!((n, d), (t.len(), 384));
    let jl = std::fs::read_to_string(&o3).unwrap();
    for (i, line) in jl.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["text"].as_str().unwrap(), t[i]);
        let e: Vec<f32> = v["embedding"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect();
        assert_eq!(&e[..], &data[i * d..(i + 1) * d], "row {i}");
    }
}

#[test]
fn one_and_two_threads_give_the_same_npy() {
    let model = model_dir();
    let home = tempfile::tempdir().unwrap();
    let input = home.path().join("in.txt");
    std::fs::write(&input, texts().join("\n")).unwrap();
    let mut outs = vec![];
    for n in ["1", "2"] {
        let o = home.path().join(format!("t{n}.npy"));
        embed(
            home.path(),
            &[
                "--threads",
                n,
                "-q",
                "embed",
                "--no-cache",
                "--input",
                input.to_str().unwrap(),
                "--out",
                o.to_str().unwrap(),
                "--model",
                model.to_str().unwrap(),
            ],
        );
        outs.push(read_npy(&o).2);
    }
    let d = outs[0]
        .iter()
        .zip(&outs[1])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(d <= 1e-6, "1 vs 2 threads: max |diff| {d}");
}

#[test]
fn bad_jsonl_record_is_an_error_naming_file_and_line() {
    let home = tempfile::tempdir().unwrap();
    let input = home.path().join("in.jsonl");
    std::fs::write(&input, "{\"t\":\"ok\"}\n{\"t\":3}\n").unwrap();
    let out = Command::new(bin())
        .env("WHYLINE_HOME", home.path())
        .args([
            "embed",
            "--input",
            input.to_str().unwrap(),
            "--text-field",
            "t",
            "--out",
        ])
        .arg(home.path().join("o.npy"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("in.jsonl:2") && err.contains("not a string"),
        "{err}"
    );
    assert!(!home.path().join("o.npy").exists());
}

/// `--precision int8` keeps its own cache entries: an f32 run does not serve
/// an int8 one (their vectors differ), and an int8 re-run is served from the
/// cache with identical bytes. `--precision` with the candle encoder is a
/// configuration error (exit 2).
#[test]
fn int8_precision_has_its_own_cache_entries_and_refuses_candle() {
    let model = model_dir();
    let home = tempfile::tempdir().unwrap();
    let input = home.path().join("in.txt");
    std::fs::write(&input, texts().join("\n")).unwrap();
    let run = |precision: &str, name: &str| {
        let o = home.path().join(name);
        let err = embed(
            home.path(),
            &[
                "--precision",
                precision,
                "embed",
                "--input",
                input.to_str().unwrap(),
                "--out",
                o.to_str().unwrap(),
                "--model",
                model.to_str().unwrap(),
            ],
        );
        (read_npy(&o).2, err)
    };
    let (f32a, _) = run("f32", "f32.npy");
    let (int8a, e1) = run("int8", "int8a.npy");
    let (int8b, e2) = run("int8", "int8b.npy");
    assert!(e1.contains(" 0 from cache, "), "{e1}");
    assert!(e2.contains(" from cache, 0 embedded"), "{e2}");
    assert_ne!(f32a, int8a, "int8 was served f32 vectors from the cache");
    assert_eq!(int8a, int8b, "int8 re-run differs");
    let d = f32a
        .iter()
        .zip(&int8a)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(d < 0.05, "int8 vs f32: max |diff| {d}");

    let out = Command::new(bin())
        .env("WHYLINE_HOME", home.path())
        .env("WHYLINE_ENCODER", "candle")
        .args(["--precision", "int8", "embed", "--no-cache", "--input"])
        .arg(&input)
        .arg("--out")
        .arg(home.path().join("x.npy"))
        .arg("--model")
        .arg(&model)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("precision int8"), "{stderr}");
}

/// `embed --layers 5,4`: 3 × 384 columns, the first 384 the plain embedding
/// byte for byte, cached apart (a re-run embeds nothing), and the plain
/// embeddings stored on the way (a plain run afterwards embeds nothing).
#[test]
fn embed_layers_writes_embedding_then_layer_features_and_caches_both() {
    let model = model_dir();
    let home = tempfile::tempdir().unwrap();
    let input = home.path().join("in.txt");
    std::fs::write(&input, texts().join("\n")).unwrap();
    let run = |name: &str, layers: Option<&str>| {
        let o = home.path().join(name);
        let mut args = vec![
            "embed",
            "--input",
            input.to_str().unwrap(),
            "--out",
            o.to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
        ];
        if let Some(l) = layers {
            args.extend(["--layers", l]);
        }
        let err = embed(home.path(), &args);
        (read_npy(&o), err)
    };
    let ((n, d, feats), e1) = run("l.npy", Some("5,4"));
    assert_eq!(d, 3 * 384);
    assert!(e1.contains(" 0 from cache, "), "{e1}");
    let ((n2, d2, again), e2) = run("l2.npy", Some("5,4"));
    assert_eq!((n2, d2), (n, d));
    assert_eq!(again, feats);
    assert!(e2.contains(" from cache, 0 embedded"), "{e2}");
    let ((n3, d3, plain), e3) = run("p.npy", None);
    assert_eq!((n3, d3), (n, 384));
    assert!(e3.contains(" from cache, 0 embedded"), "{e3}");
    for r in 0..n {
        assert_eq!(
            &feats[r * d..r * d + 384],
            &plain[r * 384..(r + 1) * 384],
            "row {r}"
        );
    }
}
