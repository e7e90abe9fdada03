//! Ingest + segment throughput, in MB of transcript text per second.
//!
//! Corpus (built at bench time from the committed samples, ~8 MB): the
//! MultiDoGO sample calls rendered as timed `[hh:mm:ss] Name: text`
//! transcripts with agent turns interleaved (short turns), and CFPB
//! narratives rendered as interviews (long turns), each repeated with a
//! varying number so documents differ. Measures `read_inputs` (decode,
//! parse, in parallel) plus `segment_corpus` (sentences, windows, roles,
//! noise) on rayon's global pool; JSON output is not included.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
// The same allocator as the `whyline` binary (run with
// `--no-default-features` to measure glibc malloc instead).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use whyline::ingest::{read_inputs, IngestOptions};
use whyline::segment::{segment_corpus, SegmentOptions};

#[path = "support/ingest_corpus.rs"]
mod ingest_corpus;
use ingest_corpus::build_corpus;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = build_corpus(dir.path(), 8 << 20);
    let paths = vec![dir.path().to_string_lossy().into_owned()];
    let mut g = c.benchmark_group("ingest");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.bench_function("read_inputs+segment_corpus", |b| {
        b.iter(|| {
            let report = read_inputs(&paths, &IngestOptions::default());
            let segs = segment_corpus(&report.documents, &SegmentOptions::default());
            assert!(!segs.is_empty());
            segs.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
