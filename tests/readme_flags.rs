//! The README documents every command-line flag: a flag added to a command
//! without a word in the README fails here, by name.

use std::process::Command;

const COMMANDS: &[&[&str]] = &[
    &["ingest"],
    &["embed"],
    &["models", "pull"],
    &["models", "list"],
    &["models", "verify"],
    &["models", "path"],
    &["cache", "stats"],
    &["cache", "prune"],
    &["fit"],
    &["eval"],
    &["run"],
    &["diff"],
    &["schema"],
];

/// Long flags (`--name`) that start an option line of `--help`.
fn flags(help: &str) -> Vec<String> {
    help.lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let l = l
                .strip_prefix('-')
                .filter(|r| r.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
                .and_then(|r| r.split_once(", "))
                .map_or(l, |(_, rest)| rest);
            let name: String = l
                .strip_prefix("--")?
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            (!name.is_empty()).then(|| format!("--{name}"))
        })
        .collect()
}

#[test]
fn every_flag_of_every_command_is_in_the_readme() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let mut missing = Vec::new();
    let mut seen = 0;
    for cmd in COMMANDS {
        let out = Command::new(env!("CARGO_BIN_EXE_whyline"))
            .args(*cmd)
            .arg("--help")
            .output()
            .expect("run whyline");
        assert!(out.status.success(), "{cmd:?} --help: {out:?}");
        let help = String::from_utf8_lossy(&out.stdout);
        let f = flags(&help);
        assert!(f.contains(&"--help".to_string()), "{cmd:?}: {help}");
        seen += f.len();
        for flag in f {
            // `--json` and friends must appear as the flag itself, not inside a longer one
            let documented = readme.match_indices(&flag).any(|(i, _)| {
                !readme[i + flag.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
            });
            if !documented {
                missing.push(format!("whyline {} {flag}", cmd.join(" ")));
            }
        }
    }
    assert!(seen > 50, "too few flags read from --help: {seen}");
    assert!(missing.is_empty(), "not in README.md: {missing:?}");
}

#[test]
fn option_lines_of_help_give_their_long_flags() {
    let help = "Options:\n  -o, --out <OUT>\n          Output folder\n      --no-facets\n  -h, --help\n          Print help\n      Text mentioning --not-a-flag inline\n";
    assert_eq!(flags(help), ["--out", "--no-facets", "--help"]);
}
