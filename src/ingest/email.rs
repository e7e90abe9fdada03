//! E-mail replies as help-desk and ticket exports hold them: the customer's
//! message, then the thread they replied to (the company's own answer,
//! quoted), a signature and "Sent from my iPhone". Only the customer's new
//! words are what they said; a canned reply quoted under hundreds of
//! tickets would otherwise become a theme of its own, in the customer's
//! name.
//!
//! [`own_words`] keeps the text above the first reply header (`On Mon, 3
//! Mar 2025, Acme <help@acme.com> wrote:`, Outlook's `-----Original
//! Message-----` or `From:` ... `Sent:` block, a forwarded-message line),
//! drops runs of `>`-quoted lines, and cuts a signature that starts with
//! the `-- ` line or a mobile client's sign-off ("Sent from my iPhone",
//! "Get Outlook for Android"). Text that would be left empty is kept whole:
//! a forwarded message with nothing above it is all there is.

use std::borrow::Cow;

/// A line that starts the quoted thread: what follows is not the sender's.
fn is_reply_header(lines: &[&str], i: usize) -> bool {
    let l = lines[i].trim();
    let lower = l.to_ascii_lowercase();
    // Gmail, Apple Mail, Thunderbird: `On <date>, <name> wrote:`, which may
    // wrap onto the next line
    if lower.starts_with("on ") {
        if lower.ends_with("wrote:") && l.len() <= 300 {
            return true;
        }
        if let Some(next) = lines.get(i + 1) {
            let n = next.trim().to_ascii_lowercase();
            if n.ends_with("wrote:") && n.len() <= 120 && l.len() <= 200 {
                return true;
            }
        }
    }
    // Outlook
    let dashes = |s: &str| {
        s.trim_matches(|c: char| c == '-' || c == '_' || c.is_whitespace())
            .to_ascii_lowercase()
    };
    if l.starts_with("--") && matches!(dashes(l).as_str(), "original message" | "forwarded message")
    {
        return true;
    }
    if lower.starts_with("begin forwarded message") {
        return true;
    }
    // `From: ...` with `Sent:`/`Date:` within the next three lines
    if lower.starts_with("from:") {
        return lines.iter().skip(i + 1).take(3).any(|n| {
            let n = n.trim().to_ascii_lowercase();
            n.starts_with("sent:") || n.starts_with("date:")
        });
    }
    false
}

/// A line that starts a signature: what follows is not what was said. The
/// `--` line counts only above a few short lines (a name, a title, a phone
/// number), so that `Pros ... -- Cons ...` in a review is read whole.
fn is_signature_start(lines: &[&str], i: usize) -> bool {
    let line = lines[i];
    if line == "-- " || line.trim() == "--" {
        let rest: Vec<&str> = lines[i + 1..]
            .iter()
            .copied()
            .filter(|l| !l.trim().is_empty())
            .collect();
        return rest.len() <= 6 && rest.iter().map(|l| l.len()).sum::<usize>() <= 300;
    }
    let lower = line.trim().to_ascii_lowercase();
    [
        "sent from my iphone",
        "sent from my ipad",
        "sent from my android",
        "sent from my samsung",
        "sent from my galaxy",
        "sent from my mobile",
        "sent from my phone",
        "sent from mail for windows",
        "sent from yahoo mail",
        "sent from outlook",
        "get outlook for ios",
        "get outlook for android",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
}

/// The sender's own words of an e-mail (see the module notes); `text`
/// itself when it holds no thread, quote or signature.
pub fn own_words(text: &str) -> Cow<'_, str> {
    // cheap test first: most reviews and survey answers have none of these
    let lower_has = |needle: &str| {
        text.as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
    };
    if !(text.contains('\n')
        && (text.contains("\n>")
            || lower_has("wrote:")
            || lower_has("message---")
            || lower_has("message --")
            || lower_has("\nfrom:")
            || lower_has("\nsent from")
            || lower_has("\nget outlook")
            || lower_has("\n--")
            || lower_has("forwarded message")))
    {
        return Cow::Borrowed(text);
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut keep: Vec<&str> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if is_reply_header(&lines, i) || is_signature_start(&lines, i) {
            break;
        }
        // a run of two or more quoted lines is someone else's text
        let quoted = |k: usize| {
            lines
                .get(k)
                .is_some_and(|x| x.trim_start().starts_with('>'))
        };
        if quoted(i) && (quoted(i + 1) || (i > 0 && quoted(i - 1))) {
            i += 1;
            continue;
        }
        keep.push(l);
        i += 1;
    }
    // blank lines and separator rules (`____`, `----`) left above the cut
    while keep
        .last()
        .is_some_and(|l| l.trim().chars().all(|c| matches!(c, '_' | '-' | '=')))
    {
        keep.pop();
    }
    if keep.len() == lines.len() {
        return Cow::Borrowed(text);
    }
    let own = keep.join("\n");
    if own.trim().is_empty() {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(own)
    }
}

#[cfg(test)]
mod tests {
    use super::own_words;

    #[test]
    fn a_reply_keeps_only_the_customers_new_words() {
        let s = "Hi,\n\nMy refund still hasn't arrived. I returned the jacket because the zipper broke.\n\n\
                 Thanks,\nDana\n\nSent from my iPhone\n\n\
                 On Mon, Mar 3, 2025 at 10:12 AM Acme Support <support@acme.com> wrote:\n\
                 > Hi Dana,\n> Your refund will be processed within 5-7 business days.\n> Acme Support Team";
        assert_eq!(
            own_words(s),
            "Hi,\n\nMy refund still hasn't arrived. I returned the jacket because the zipper broke.\n\n\
             Thanks,\nDana"
        );
        // the header wrapped onto two lines
        let s = "Still broken.\nOn Mon, Mar 3, 2025 at 10:12 AM Acme Support <support@acme.com>\nwrote:\n> Try again.";
        assert_eq!(own_words(s), "Still broken.");
    }

    #[test]
    fn outlook_threads_and_signatures_are_cut() {
        let s = "Where is my order?\n\n-----Original Message-----\nFrom: Acme <a@acme.com>\n\
                 Sent: Tuesday, March 4, 2025 9:00 AM\nTo: Lee\n\nYour order has shipped.";
        assert_eq!(own_words(s), "Where is my order?");
        let s = "Where is my order?\n________________________________\nFrom: Acme <a@acme.com>\n\
                 Sent: Tuesday\nSubject: Shipped\n\nYour order has shipped.";
        assert_eq!(own_words(s), "Where is my order?");
        let s = "The app logs me out every time.\n\n--\nJamie Smith\nSenior Manager | Example Corp";
        assert_eq!(own_words(s), "The app logs me out every time.");
    }

    #[test]
    fn text_without_a_thread_is_left_as_written() {
        for s in [
            "The fee doubled.\nFrom: the first day it was wrong.",
            "> not worth it, the one line quoted\nI agree with that.",
            "Price went up -- again.\nNo warning.",
            "Pros: fast delivery.\n--\nCons: the app logs me out every day, and support never \
             answers.\nI switched to another shop because of it.\nThe refund took a month.\n\
             The chat bot loops.\nThe fees are hidden.\nThe tracking is wrong.\nThe box was wet.",
            "On Monday the app crashed.\nI lost my cart.",
            "---------- Forwarded message ---------\nFrom: Bank <b@bank.com>\nDate: Mon\n\nYour loan is denied.",
        ] {
            assert_eq!(own_words(s), s, "{s}");
        }
    }
}
