//! Interrupting `whyline run` (Ctrl-C, or a scheduler's SIGTERM): exit code
//! 130, the previous results intact, and no lock or staging folder left for
//! the next run to trip over. Real encoder; unix only (signals).
#![cfg(unix)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn whyline() -> Command {
    Command::new(env!("CARGO_BIN_EXE_whyline"))
}

/// 4,000 customer sentences no cache holds (the run's cache is off anyway):
/// embedding them on one thread takes several seconds.
fn slow_corpus(dir: &Path) -> std::path::PathBuf {
    let what = [
        "order", "refund", "card", "parcel", "invoice", "plan", "router", "ticket",
    ];
    let how = [
        "late",
        "missing",
        "broken",
        "wrong",
        "cancelled",
        "blocked",
        "lost",
        "charged twice",
    ];
    let who = [
        "the courier",
        "support",
        "the app",
        "the bank",
        "the shop",
        "my landlord",
        "the agent",
        "nobody",
    ];
    let why = [
        "so I gave up",
        "because nobody called back",
        "and I want my money",
        "which made me angry",
        "so I switched",
        "and it happened again",
    ];
    let mut text = String::new();
    for i in 0..4000usize {
        text.push_str(&format!(
            "{{\"text\":\"My {} was {} and {} did nothing about it {}, week {} of waiting.\"}}\n",
            what[i % 8],
            how[(i / 8) % 8],
            who[(i / 64) % 8],
            why[(i / 512) % 6],
            i
        ));
    }
    let p = dir.join("slow.jsonl");
    std::fs::write(&p, text).unwrap();
    p
}

fn interrupted_run_leaves_the_previous_results_and_no_lock(signal: libc::c_int) {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    let config = d.path().join("whyline.toml");
    std::fs::write(&config, "[model]\ncache = false\n").unwrap();
    let small = d.path().join("one.txt");
    std::fs::write(
        &small,
        "Customer: I cancelled because the delivery fee showed up only at checkout.\n",
    )
    .unwrap();
    let first = whyline()
        .args(["--quiet", "run"])
        .arg(&small)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    let before = std::fs::read(out.join("insights.json")).unwrap();

    let corpus = slow_corpus(d.path());
    let mut child = whyline()
        .args(["--quiet", "--threads", "1", "run"])
        .arg(&corpus)
        .arg("--out")
        .arg(&out)
        .arg("--config")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // the lock is taken first thing; interrupt while the encoder works
    let lock = d.path().join("out.whyline-lock");
    let t = Instant::now();
    while !lock.exists() {
        assert!(t.elapsed() < Duration::from_secs(60), "no lock taken");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: kill(2) on our own child's pid, with a valid signal number
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    assert_eq!(sent, 0, "kill failed");
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(130), "{status:?} {err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(!lock.exists(), "the lock is left behind");
    assert!(!d.path().join("out.whyline-staging").exists());
    assert_eq!(
        std::fs::read(out.join("insights.json")).unwrap(),
        before,
        "the previous results changed"
    );
}

#[test]
fn ctrl_c_during_a_run_exits_130_and_leaves_no_lock() {
    interrupted_run_leaves_the_previous_results_and_no_lock(libc::SIGINT);
}

#[test]
fn sigterm_during_a_run_exits_130_and_leaves_no_lock() {
    interrupted_run_leaves_the_previous_results_and_no_lock(libc::SIGTERM);
}
