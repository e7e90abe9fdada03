//! Profiling driver for ingest + segment (the corpus of `benches/ingest.rs`,
//! without criterion), for callgrind/perf and for comparing outputs:
//!
//! `ingest_profile [MB] [ITERATIONS]` builds the corpus in a fixed directory
//! (`$TMPDIR/whyline-ingest-profile`, so document ids are the same from run to
//! run), then runs `read_inputs` + `segment_corpus` ITERATIONS times.
//! `DUMP=file` writes the last run's segments as JSONL. Used for the figures
//! in the README's ingest speed paragraph:
//! `RAYON_NUM_THREADS=1 valgrind --tool=callgrind target/release/examples/ingest_profile 2 2`
//! minus the same with 0 iterations, halved.

// The same allocator as the `whyline` binary (run with
// `--no-default-features` to measure glibc malloc instead).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use whyline::ingest::{read_inputs, IngestOptions};
use whyline::segment::{segment_corpus, SegmentOptions};

#[path = "../benches/support/ingest_corpus.rs"]
mod ingest_corpus;
use ingest_corpus::build_corpus;

fn main() {
    let mb: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let iters: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let d = std::env::temp_dir().join("whyline-ingest-profile");
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    let bytes = build_corpus(&d, mb << 20);
    let paths = vec![d.to_string_lossy().into_owned()];
    let t = std::time::Instant::now();
    let mut n = 0;
    let (mut t_read, mut t_seg, mut t_drop) = (0f64, 0f64, 0f64);
    for _ in 0..iters {
        let t0 = std::time::Instant::now();
        let report = read_inputs(&paths, &IngestOptions::default());
        let t1 = std::time::Instant::now();
        let segs = segment_corpus(&report.documents, &SegmentOptions::default());
        t_read += (t1 - t0).as_secs_f64();
        t_seg += t1.elapsed().as_secs_f64();
        n = segs.len();
        if let Ok(f) = std::env::var("DUMP") {
            let mut out = String::new();
            for seg in &segs {
                out += &serde_json::to_string(seg).unwrap();
                out.push('\n');
            }
            std::fs::write(f, out).unwrap();
        }
        let t2 = std::time::Instant::now();
        drop(segs);
        drop(report);
        t_drop += t2.elapsed().as_secs_f64();
    }
    eprintln!("phases: read_inputs {t_read:.3}s, segment_corpus {t_seg:.3}s, drop {t_drop:.3}s");
    let el = t.elapsed().as_secs_f64();
    eprintln!(
        "{bytes} bytes, {n} segments, {:.1} MiB/s wall",
        (bytes * iters) as f64 / el / 1048576.0
    );
}
