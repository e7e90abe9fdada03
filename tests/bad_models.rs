//! Bad checkpoints get a clear error naming the file, never a panic. Each case
//! is built at test time in a temp dir from the tiny reference checkpoints.

use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};
use std::path::{Path, PathBuf};
use whyline::model::{load_encoder, LoadOptions, Manifest, ModelStore, SeqClassifier};

fn tiny(name: &str) -> PathBuf {
    std::env::var_os("WHYLINE_REFERENCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference"))
        .join("tiny-seqcls")
        .join(name)
}

/// A writable copy of a tiny checkpoint.
fn copy_of(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["config.json", "model.safetensors", "tokenizer.json"] {
        std::fs::copy(tiny(name).join(f), dir.join(f)).unwrap();
        let mut p = std::fs::metadata(dir.join(f)).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        p.set_readonly(false);
        std::fs::set_permissions(dir.join(f), p).unwrap();
    }
    (tmp, dir)
}

/// Rewrite model.safetensors, letting `edit` replace tensors (name, dtype, shape, bytes).
fn rewrite_weights(
    dir: &Path,
    edit: impl Fn(&str, Dtype, Vec<usize>, Vec<u8>) -> (Dtype, Vec<usize>, Vec<u8>),
) {
    let p = dir.join("model.safetensors");
    let bytes = std::fs::read(&p).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let owned: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = st
        .iter()
        .map(|(n, v)| {
            let (d, s, b) = edit(n, v.dtype(), v.shape().to_vec(), v.data().to_vec());
            (n.to_string(), d, s, b)
        })
        .collect();
    let views: Vec<(String, TensorView)> = owned
        .iter()
        .map(|(n, d, s, b)| (n.clone(), TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    std::fs::write(&p, safetensors::serialize(views, None).unwrap()).unwrap();
}

fn edit_config(dir: &Path, f: impl Fn(&mut serde_json::Value)) {
    let p = dir.join("config.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(&p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

fn err_of(dir: &Path) -> String {
    match SeqClassifier::load(dir) {
        Ok(_) => panic!("{} loaded but should have been refused", dir.display()),
        Err(e) => e.to_string(),
    }
}

fn assert_names(msg: &str, file: &str, also: &str) {
    assert!(msg.contains(file), "error does not name {file}: {msg}");
    assert!(msg.contains(also), "error does not mention `{also}`: {msg}");
}

#[test]
fn truncated_safetensors_is_refused_naming_the_file() {
    let (_t, dir) = copy_of("bert-single");
    let p = dir.join("model.safetensors");
    let len = std::fs::metadata(&p).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
    f.set_len(len / 2).unwrap();
    assert_names(&err_of(&dir), "model.safetensors", "truncated or corrupt");
}

#[test]
fn corrupt_safetensors_header_is_refused_naming_the_file() {
    let (_t, dir) = copy_of("bert-single");
    let p = dir.join("model.safetensors");
    let mut b = std::fs::read(&p).unwrap();
    b[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    b[8..16].copy_from_slice(b"garbage!");
    std::fs::write(&p, b).unwrap();
    assert_names(
        &err_of(&dir),
        "model.safetensors",
        "not a valid safetensors",
    );
}

#[test]
fn wrong_tensor_shape_names_file_and_tensor() {
    let (_t, dir) = copy_of("bert-single");
    rewrite_weights(&dir, |n, d, s, b| {
        if n == "bert.encoder.layer.0.attention.self.query.weight" {
            (d, vec![8, 32], b)
        } else {
            (d, s, b)
        }
    });
    let msg = err_of(&dir);
    assert_names(
        &msg,
        "model.safetensors",
        "bert.encoder.layer.0.attention.self.query.weight",
    );
    assert!(msg.contains("shape mismatch"), "{msg}");
}

#[test]
fn wrong_tensor_dtype_names_file_and_tensor() {
    let (_t, dir) = copy_of("distilbert-single");
    rewrite_weights(&dir, |n, d, s, b| {
        if n == "distilbert.transformer.layer.1.ffn.lin1.weight" {
            (Dtype::I32, s, b)
        } else {
            (d, s, b)
        }
    });
    let msg = err_of(&dir);
    assert_names(
        &msg,
        "model.safetensors",
        "distilbert.transformer.layer.1.ffn.lin1.weight",
    );
    assert!(msg.contains("dtype I32"), "{msg}");
}

#[test]
fn tokenizer_vocab_larger_than_embedding_matrix_is_refused() {
    let (_t, dir) = copy_of("roberta-multi");
    rewrite_weights(&dir, |n, d, s, b| {
        if n == "roberta.embeddings.word_embeddings.weight" {
            let rows = 1000;
            (d, vec![rows, s[1]], b[..rows * s[1] * 4].to_vec())
        } else {
            (d, s, b)
        }
    });
    edit_config(&dir, |v| v["vocab_size"] = 1000.into());
    assert_names(
        &err_of(&dir),
        "tokenizer.json",
        "does not fit the model's embedding matrix",
    );
}

#[test]
fn missing_id2label_is_refused_naming_config() {
    let (_t, dir) = copy_of("bert-multi");
    edit_config(&dir, |v| {
        let o = v.as_object_mut().unwrap();
        o.remove("id2label");
        o.remove("label2id");
    });
    assert_names(&err_of(&dir), "config.json", "id2label");
}

#[test]
fn id2label_inconsistent_with_head_is_refused_naming_config() {
    let (_t, dir) = copy_of("bert-single");
    edit_config(&dir, |v| {
        v["id2label"]["3"] = "extra".into();
        v["label2id"]["extra"] = 3.into();
    });
    let msg = err_of(&dir);
    assert_names(
        &msg,
        "config.json",
        "id2label has 4 labels but `classifier.weight` has 3 rows",
    );
}

#[test]
fn id2label_disagreeing_with_label2id_is_refused_naming_config() {
    let (_t, dir) = copy_of("bert-single");
    edit_config(&dir, |v| v["label2id"]["praise"] = 2.into());
    assert_names(&err_of(&dir), "config.json", "label2id disagrees");
}

#[test]
fn pickle_only_checkpoint_is_refused() {
    let (_t, dir) = copy_of("bert-single");
    std::fs::remove_file(dir.join("model.safetensors")).unwrap();
    // a pickle that would run code if unpickled; we never open it
    std::fs::write(
        dir.join("pytorch_model.bin"),
        b"cos\nsystem\n(S'echo pwned'\ntR.",
    )
    .unwrap();
    let msg = err_of(&dir);
    assert_names(&msg, "pytorch_model.bin", "only safetensors");
    // the encoder path refuses it too
    let e = load_encoder(Some(dir.to_str().unwrap()), &LoadOptions::default())
        .err()
        .unwrap();
    assert_names(&e.to_string(), "pytorch_model.bin", "only safetensors");
}

#[test]
fn sha256_mismatch_in_cache_is_reported_naming_the_file() {
    let home = tempfile::tempdir().unwrap();
    let src = tiny("bert-single");
    let mut toml = String::from(
        "id = \"tiny-bert\"\nkind = \"sequence-classifier\"\narchitecture = \"bert\"\nlicence = \"Apache-2.0\"\n\
         [hub]\nrepo = \"example/tiny-bert\"\nrevision = \"0000000000000000000000000000000000000000\"\n",
    );
    let dir = home.path().join("models/tiny-bert");
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["config.json", "model.safetensors", "tokenizer.json"] {
        let bytes = std::fs::read(src.join(f)).unwrap();
        toml.push_str(&format!(
            "[[files]]\npath = \"{f}\"\nsha256 = \"{}\"\nsize = {}\n",
            whyline::util::sha256_hex(&bytes),
            bytes.len()
        ));
        std::fs::write(dir.join(f), bytes).unwrap();
    }
    std::fs::write(
        dir.join(".whyline-installed.json"),
        r#"{"id":"tiny-bert","source":"test","revision":"0"}"#,
    )
    .unwrap();
    let m = Manifest::parse(&toml, Path::new("tiny-bert.toml")).unwrap();
    let opts = LoadOptions {
        home: Some(home.path().to_path_buf()),
        offline: true,
        ..Default::default()
    };
    let store = ModelStore::open(&opts).unwrap();
    store.verify(&m).unwrap();
    // flip one byte of the weights (same size)
    let p = dir.join("model.safetensors");
    let mut b = std::fs::read(&p).unwrap();
    let n = b.len();
    b[n - 1] ^= 0xff;
    std::fs::write(&p, b).unwrap();
    let msg = store.verify(&m).unwrap_err().to_string();
    assert_names(&msg, "model.safetensors", "sha256 mismatch");
}

#[test]
fn config_with_unknown_model_type_is_refused_naming_config() {
    let (_t, dir) = copy_of("bert-single");
    edit_config(&dir, |v| v["model_type"] = "gpt2".into());
    assert_names(
        &err_of(&dir),
        "config.json",
        "unsupported model_type `gpt2`",
    );
}
