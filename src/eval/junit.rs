//! A minimal JUnit XML writer for eval gates, so CI systems show each gate as
//! a test case.

use super::Gate;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// JUnit XML: one `<testsuite name=suite>` with one `<testcase>` per gate;
/// with no gates, a single passing case recording the macro-F1.
pub fn to_junit(suite: &str, gates: &[Gate], macro_f1: f64) -> String {
    let failures = gates.iter().filter(|g| !g.passed).count();
    let n = gates.len().max(1);
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"{}\" tests=\"{n}\" failures=\"{failures}\" errors=\"0\">\n",
        esc(suite)
    );
    if gates.is_empty() {
        x += &format!(
            "    <testcase classname=\"{}\" name=\"macro_f1={macro_f1:.4}\"/>\n",
            esc(suite)
        );
    }
    for g in gates {
        let value = g
            .value
            .map(|v| format!("{v:.4}"))
            .unwrap_or_else(|| "missing".into());
        let name = format!("{} >= {}", g.name, g.min);
        if g.passed {
            x += &format!(
                "    <testcase classname=\"{}\" name=\"{}\"><system-out>{}</system-out></testcase>\n",
                esc(suite),
                esc(&name),
                value
            );
        } else {
            x += &format!(
                "    <testcase classname=\"{}\" name=\"{}\"><failure message=\"{} = {} &lt; {}\"/></testcase>\n",
                esc(suite),
                esc(&name),
                esc(&g.name),
                value,
                g.min
            );
        }
    }
    x += "  </testsuite>\n</testsuites>\n";
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_gate_is_a_failure_case() {
        let gates = vec![
            Gate {
                name: "macro_f1".into(),
                min: 0.5,
                value: Some(0.4),
                passed: false,
            },
            Gate {
                name: "f1[a<b]".into(),
                min: 0.1,
                value: Some(0.2),
                passed: true,
            },
        ];
        let x = to_junit("emotion", &gates, 0.4);
        assert!(x.contains("tests=\"2\" failures=\"1\""), "{x}");
        assert!(
            x.contains("<failure message=\"macro_f1 = 0.4000 &lt; 0.5\""),
            "{x}"
        );
        assert!(x.contains("f1[a&lt;b]"), "{x}");
    }
}
