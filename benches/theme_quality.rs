//! Theme quality against gold labels: NMI, ARI, outlier share and theme
//! count of whyline's clustering on a labelled JSONL set (`{"text", "label"}`),
//! with the real default encoder.
//!
//! ```sh
//! cargo bench --bench theme_quality -- /work/shared/eval/banking77-train.jsonl [OUTDIR]
//! ```
//! `WHYLINE_CONFIG=whyline.toml` reads `[cluster]` from a config file;
//! `SWEEP_RESOLUTION=0.5,1,2` tries several Louvain resolutions on the same
//! embeddings; `ORDER_SALTS=1,2,3` repeats each with the points in other
//! (salted-key) orders, to see how much the themes depend on the order. With OUTDIR, writes `embeddings.npy` (float32, n×d),
//! `labels.txt` and `whyline.txt` (theme per text, -1 = outlier) for
//! `scripts/bertopic_compare.py`. Embeddings are cached in OUTDIR (with
//! `texts.sha256`, so they are reused only for the same texts). The texts are
//! embedded as `whyline run` embeds segments: without redaction masks
//! (`whyline::util::encoder_text`).

use std::io::{BufRead, Write};
use std::path::Path;
use std::time::Instant;
use whyline::cluster::{cluster, metrics, ClusterConfig};
use whyline::embed::Embedder;

fn write_npy(path: &Path, rows: &[Vec<f32>]) -> std::io::Result<()> {
    let d = rows.first().map(|r| r.len()).unwrap_or(0);
    let mut header = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}",
        rows.len(),
        d
    );
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    f.write_all(b"\x93NUMPY\x01\x00")?;
    f.write_all(&(header.len() as u16).to_le_bytes())?;
    f.write_all(header.as_bytes())?;
    for r in rows {
        for x in r {
            f.write_all(&x.to_le_bytes())?;
        }
    }
    Ok(())
}

fn read_npy(path: &Path, d: usize) -> Option<Vec<Vec<f32>>> {
    let b = std::fs::read(path).ok()?;
    let hl = u16::from_le_bytes([b[8], b[9]]) as usize;
    let data = &b[10 + hl..];
    let v: Vec<f32> = data
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Some(v.chunks(d).map(|c| c.to_vec()).collect())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some(file) = args.first() else {
        eprintln!("usage: theme_quality FILE.jsonl [OUTDIR]");
        return Ok(());
    };
    let outdir = args.get(1).map(Path::new);
    let mut texts = Vec::new();
    let mut gold = Vec::new();
    for line in std::io::BufReader::new(std::fs::File::open(file)?).lines() {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        texts.push(v["text"].as_str().unwrap_or("").to_string());
        gold.push(v["label"].as_str().unwrap_or("").to_string());
    }
    let cfg: ClusterConfig = match std::env::var("WHYLINE_CONFIG") {
        Ok(p) => whyline::config::Config::load(Path::new(&p))?.cluster,
        Err(_) => ClusterConfig::default(),
    };
    let t = Instant::now();
    // what `whyline run` gives the encoder (without redaction masks); the
    // cached embeddings are reused only for the same encoder texts
    let enc_texts: Vec<std::borrow::Cow<'_, str>> = texts
        .iter()
        .map(|t| whyline::util::encoder_text(t))
        .collect();
    let refs = whyline::util::strs(&enc_texts);
    let texts_hash = whyline::util::sha256_hex(refs.join("\u{1f}").as_bytes());
    let same_texts = |d: &Path| {
        std::fs::read_to_string(d.join("texts.sha256")).is_ok_and(|h| h.trim() == texts_hash)
    };
    let cached = outdir
        .filter(|d| same_texts(d))
        .map(|d| d.join("embeddings.npy"))
        .filter(|p| p.is_file())
        .and_then(|p| read_npy(&p, 384))
        .filter(|e| e.len() == texts.len());
    let emb = match cached {
        Some(e) => e,
        None => {
            let enc = whyline::model::load_encoder(None, &Default::default())?;
            let mut out = Vec::new();
            for (k, chunk) in refs.chunks(256).enumerate() {
                out.extend(enc.embed(chunk)?);
                eprint!("\rembedded {}", (k + 1) * 256);
            }
            eprintln!();
            out
        }
    };
    let embed_s = t.elapsed().as_secs_f64();
    if let Some(d) = outdir {
        std::fs::create_dir_all(d)?;
        write_npy(&d.join("embeddings.npy"), &emb)?;
        std::fs::write(d.join("texts.sha256"), format!("{texts_hash}\n"))?;
        std::fs::write(d.join("labels.txt"), gold.join("\n") + "\n")?;
    }
    // `ORDER_SALTS=1,2,3` also runs each resolution with the points visited
    // in other orders (keys salted): how much the themes depend on the order.
    let salts: Vec<String> = std::iter::once(String::new())
        .chain(
            std::env::var("ORDER_SALTS")
                .ok()
                .into_iter()
                .flat_map(|s| {
                    s.split(',')
                        .map(|x| x.trim().to_string())
                        .collect::<Vec<_>>()
                })
                .filter(|x| !x.is_empty()),
        )
        .collect();
    let classes = gold.iter().collect::<std::collections::BTreeSet<_>>().len();
    let resolutions: Vec<f64> = std::env::var("SWEEP_RESOLUTION")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![cfg.resolution]);
    println!(
        "file={file} n={} gold_classes={classes} embed_s={embed_s:.1}",
        texts.len()
    );
    // partitions per resolution, for the agreement between orders
    let mut by_res: Vec<(f64, Vec<Vec<i64>>)> = Vec::new();
    for (r, salt) in resolutions
        .iter()
        .flat_map(|&r| salts.iter().map(move |s| (r, s)))
    {
        let ids: Vec<String> = (0..texts.len())
            .map(|i| {
                if salt.is_empty() {
                    whyline::util::stable_id(&[&texts[i], &i.to_string()])
                } else {
                    whyline::util::stable_id(&[&texts[i], &i.to_string(), salt])
                }
            })
            .collect();
        let keys: Vec<&str> = ids.iter().map(|s| s.as_str()).collect();
        let c = ClusterConfig {
            resolution: r,
            ..cfg.clone()
        };
        let t = Instant::now();
        let cl = cluster(&emb, &keys, &c);
        let secs = t.elapsed().as_secs_f64();
        let pred: Vec<i64> = cl
            .assignment
            .iter()
            .map(|a| a.map(|x| x as i64).unwrap_or(-1))
            .collect();
        let inl: Vec<usize> = (0..pred.len()).filter(|&i| pred[i] >= 0).collect();
        let g_in: Vec<&String> = inl.iter().map(|&i| &gold[i]).collect();
        let p_in: Vec<i64> = inl.iter().map(|&i| pred[i]).collect();
        println!(
            "whyline resolution={r} effective={:.3} order={salt:?} themes={} communities={} outliers={:.3} NMI={:.4} ARI={:.4} NMI_inliers={:.4} ARI_inliers={:.4} reassigned={} cluster_s={secs:.2}",
            cl.resolution,
            cl.themes.len(),
            cl.communities,
            cl.outliers() as f64 / pred.len() as f64,
            metrics::nmi(&gold, &pred),
            metrics::ari(&gold, &pred),
            metrics::nmi(&g_in, &p_in),
            metrics::ari(&g_in, &p_in),
            cl.reassigned
        );
        match by_res.last_mut() {
            Some((lr, parts)) if *lr == r => parts.push(pred.clone()),
            _ => by_res.push((r, vec![pred.clone()])),
        }
        if let Some(d) = outdir.filter(|_| salt.is_empty()) {
            let s: Vec<String> = pred.iter().map(|p| p.to_string()).collect();
            std::fs::write(d.join(format!("whyline-r{r}.txt")), s.join("\n") + "\n")?;
        }
    }
    for (r, parts) in &by_res {
        if parts.len() < 2 {
            continue;
        }
        let mut aris = Vec::new();
        for a in 0..parts.len() {
            for b in (a + 1)..parts.len() {
                aris.push(metrics::ari(&parts[a], &parts[b]));
            }
        }
        let mean = aris.iter().sum::<f64>() / aris.len() as f64;
        let min = aris.iter().copied().fold(f64::INFINITY, f64::min);
        println!(
            "whyline resolution={r} agreement between the {} orders: ARI mean={mean:.4} min={min:.4}",
            parts.len()
        );
    }
    Ok(())
}
