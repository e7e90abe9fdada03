//! Causal statements: the sentences in which customers give a reason.
//!
//! Why: the "why" of a theme is most directly what people say after
//! "because", "so that", "I just want"... These sentences are surfaced as the
//! theme's stated reasons, next to its emotions and motivations.

/// Reason markers, matched case-insensitively on word boundaries.
pub const MARKERS: &[&str] = &[
    "because",
    "since",
    "so that",
    "due to",
    "that's why",
    "that is why",
    "i just want",
    "i just wanted",
    "the reason",
    "otherwise",
    "cause",
    "as a result",
];

/// The first reason marker in `text`, if any.
pub fn marker(text: &str) -> Option<&'static str> {
    let lower = text.to_lowercase().replace('’', "'");
    let bytes = lower.as_bytes();
    for m in MARKERS {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(m) {
            let s = from + pos;
            let e = s + m.len();
            let before_ok = s == 0 || !bytes[s - 1].is_ascii_alphanumeric();
            let after_ok = e >= bytes.len() || !bytes[e].is_ascii_alphanumeric();
            // "cause" only as a word of its own ("'cause", "cause I ...")
            if before_ok && after_ok {
                return Some(m);
            }
            from = e;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_markers_on_word_boundaries() {
        assert_eq!(marker("I left because the fee was hidden"), Some("because"));
        assert_eq!(marker("That's why I called"), Some("that's why"));
        assert_eq!(marker("That’s why I called"), Some("that's why"));
        assert_eq!(marker("I just want my money back"), Some("i just want"));
        assert_eq!(marker("The sincerest apologies"), None);
        assert_eq!(marker("This was caused by a bug"), None);
        assert_eq!(marker("Pay now, otherwise they charge"), Some("otherwise"));
    }
}
