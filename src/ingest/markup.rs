//! HTML left in exported text: review sites, help desks and CRMs export a
//! review or ticket body with its `<br />`, `<p>` and `&amp;` kept. Read as
//! they are, the tags reach the encoder, the keywords ("br") and the quotes a
//! reader sees, and a `<br/>` between two sentences hides the break.
//!
//! [`html_to_text`] turns such text into what a browser would show: block
//! tags (`br`, `p`, `div`, `li`, headings, table rows) become line breaks,
//! other known tags and comments are dropped, character references are
//! decoded. Only tags with an HTML element name are markup, so `5 < 6`, `<3`
//! and `<none>` stay as written.

use std::borrow::Cow;

/// Elements whose tags end a line or paragraph.
const BLOCK: &[&str] = &[
    "address",
    "article",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
];

/// Inline elements, dropped without a break.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "big", "cite", "code", "del", "em", "font", "i", "img", "ins", "kbd", "mark",
    "q", "s", "small", "span", "strike", "strong", "sub", "sup", "time", "u",
];

/// Named character references worth knowing in exported text.
const ENTITIES: &[(&str, &str)] = &[
    ("amp", "&"),
    ("lt", "<"),
    ("gt", ">"),
    ("quot", "\""),
    ("apos", "'"),
    ("nbsp", " "),
    ("hellip", "…"),
    ("mdash", "—"),
    ("ndash", "–"),
    ("lsquo", "‘"),
    ("rsquo", "’"),
    ("ldquo", "“"),
    ("rdquo", "”"),
    ("euro", "€"),
    ("pound", "£"),
    ("copy", "©"),
    ("reg", "®"),
    ("trade", "™"),
    ("deg", "°"),
];

/// Whether the tag at the start of `s` (which starts with `<`) is HTML, and
/// if so its length and whether it breaks the line.
fn tag_at(s: &str) -> Option<(usize, bool)> {
    if let Some(rest) = s.strip_prefix("<!--") {
        return rest.find("-->").map(|e| (4 + e + 3, false));
    }
    let body = s[1..].strip_prefix('/').unwrap_or(&s[1..]);
    let name_len = body
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    let name = body[..name_len].to_ascii_lowercase();
    let after = body[name_len..].chars().next()?;
    if !(after == '>' || after == '/' || after.is_whitespace()) {
        return None;
    }
    let block = BLOCK.contains(&name.as_str());
    if !block && !INLINE.contains(&name.as_str()) {
        return None;
    }
    // the tag ends at the first `>`, before any other `<` and within reason
    let end = s.find('>')?;
    if end > 1000 || s[1..end].contains('<') {
        return None;
    }
    Some((end + 1, block))
}

/// The character reference at the start of `s` (which starts with `&`):
/// its length and its text.
fn entity_at(s: &str) -> Option<(usize, Cow<'static, str>)> {
    // (a byte search: `s` may hold multi-byte characters within reach)
    let semi = s.bytes().take(12).position(|b| b == b';')?;
    let name = &s[1..semi];
    let text: Cow<'static, str> = if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        let c = char::from_u32(code).filter(|c| *c != '\0')?;
        Cow::Owned(if code == 0xA0 { ' ' } else { c }.to_string())
    } else {
        let (_, t) = ENTITIES.iter().find(|(n, _)| *n == name)?;
        Cow::Borrowed(t)
    };
    Some((semi + 1, text))
}

/// `s` as a browser would show it (see the module docs); borrowed when it
/// holds no markup.
pub fn html_to_text(s: &str) -> Cow<'_, str> {
    if !s.contains(['<', '&']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut changed = false;
    let mut rest = s;
    while let Some(i) = rest.find(['<', '&']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let hit = if rest.starts_with('<') {
            tag_at(rest).map(|(n, block)| (n, Cow::Borrowed(if block { "\n" } else { "" })))
        } else {
            entity_at(rest)
        };
        match hit {
            Some((n, text)) => {
                out.push_str(&text);
                rest = &rest[n..];
                changed = true;
            }
            None => {
                out.push_str(&rest[..1]);
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    if !changed {
        return Cow::Borrowed(s);
    }
    // one blank line at most, no spaces around line breaks
    let mut tidy = String::with_capacity(out.len());
    let mut blank_run = 0;
    for line in out.split('\n').map(str::trim) {
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !tidy.is_empty() {
            tidy.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        tidy.push_str(line);
    }
    Cow::Owned(tidy)
}

#[cfg(test)]
mod tests {
    use super::html_to_text;

    #[test]
    fn review_html_becomes_lines_and_characters() {
        assert_eq!(
            html_to_text("Great product<br/>but the battery dies &amp; support is slow.<br /><br />Would not buy again."),
            "Great product\nbut the battery dies & support is slow.\n\nWould not buy again."
        );
        assert_eq!(
            html_to_text("<p>The app crashes when I <B>upload</B> photos.</p><!-- x -->"),
            "The app crashes when I upload photos."
        );
        assert_eq!(
            html_to_text("It&#39;s &#x2013; fine&nbsp;&hellip;"),
            "It's – fine …"
        );
    }

    #[test]
    fn text_that_only_looks_like_markup_is_kept() {
        for s in [
            "5 < 6 and 7 > 3",
            "I love it <3",
            "set it to <none> please",
            "Fish & chips & more",
            "AT&T;",
            "a <b",
            "&é;",
            "&ééééééééééé",
        ] {
            assert_eq!(html_to_text(s), s);
            assert!(
                matches!(html_to_text(s), std::borrow::Cow::Borrowed(_)),
                "{s}"
            );
        }
        assert_eq!(html_to_text("&lt;3 &bogus; &#0;"), "<3 &bogus; &#0;");
    }
}
