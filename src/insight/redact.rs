//! Personal details masked in what the reports quote. A report is pasted
//! into tickets and wikis and mailed around; the card number a caller read
//! out, or an e-mail address, must not travel with it. Quotes, stated
//! reasons and headlines show `[card number]`, `[email]`, `[SSN]`,
//! `[phone]` or `[number]` instead; the segment keeps its provenance
//! (source, line or record, span), so the words can still be found in the
//! source by whoever may read it. `segments.jsonl` keeps the text as read.
//!
//! What is masked:
//! - e-mail addresses;
//! - card numbers: 13 to 19 digits, alone or in groups split by spaces or
//!   dashes, that pass the Luhn check;
//! - US social security numbers written `123-45-6789`;
//! - phone numbers: 10 digits (11 with a leading 1 or +1) in the usual
//!   groupings, `(555) 123-4567`, `555-123-4567`, `+1 555 123 4567`;
//! - any other run of 8 or more digits without separators (account,
//!   policy, order numbers), except 8 that read as a date (`06242018`).
//!
//! Amounts (`$7100.00`), dates (`2019-11-02`, `12/03/2019`), years and
//! short codes are left as written.

use regex::Regex;
use std::borrow::Cow;
use std::sync::OnceLock;

fn email() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(?i-u)\b[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b")
            .unwrap_or_else(|e| unreachable!("{e}"))
    })
}

/// Digits, possibly grouped by single spaces, dashes, dots or a bracketed
/// area code, with an optional leading `+`.
fn digits() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(?-u)\+?\(?\b[0-9](?:[ .-]?\(?\)?[ .-]?[0-9])*\b")
            .unwrap_or_else(|e| unreachable!("{e}"))
    })
}

fn luhn(d: &[u8]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &c)| {
            let v = u32::from(c - b'0');
            if i % 2 == 1 {
                let w = v * 2;
                if w > 9 {
                    w - 9
                } else {
                    w
                }
            } else {
                v
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// What a run of digits (as [`digits`] matched it) is masked as, if any.
fn mask_for(run: &str) -> Option<&'static str> {
    let d: Vec<u8> = run.bytes().filter(u8::is_ascii_digit).collect();
    let plain = d.len() == run.len();
    let grouped_by = |sep: char| run.chars().all(|c| c.is_ascii_digit() || c == sep);
    if (13..=19).contains(&d.len()) && (plain || grouped_by(' ') || grouped_by('-')) && luhn(&d) {
        return Some("[card number]");
    }
    let groups: Vec<usize> = run
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .map(str::len)
        .collect();
    if groups == [3, 2, 4] && grouped_by('-') {
        return Some("[SSN]");
    }
    let phone_groups = matches!(groups.as_slice(), [3, 3, 4] | [1, 3, 3, 4]);
    let phone_digits = d.len() == 10 || (d.len() == 11 && d[0] == b'1');
    if phone_groups && phone_digits {
        return Some("[phone]");
    }
    if plain && d.len() >= 8 && !(d.len() == 8 && is_date(&d)) {
        return Some("[number]");
    }
    None
}

/// Eight digits that read as a date, `MMDDYYYY` or `YYYYMMDD` (the date of
/// a payment, said without separators), are not an account number.
fn is_date(d: &[u8]) -> bool {
    let n =
        |r: std::ops::Range<usize>| d[r].iter().fold(0u32, |a, &c| a * 10 + u32::from(c - b'0'));
    let valid = |y: u32, m: u32, day: u32| {
        (1900..=2099).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&day)
    };
    valid(n(4..8), n(0..2), n(2..4)) || valid(n(0..4), n(4..6), n(6..8))
}

/// `text` with personal details masked (borrowed when there are none).
pub fn redact(text: &str) -> Cow<'_, str> {
    let has_digit_run = text
        .as_bytes()
        .windows(2)
        .any(|w| w[0].is_ascii_digit() && (w[1].is_ascii_digit() || w[1] == b' ' || w[1] == b'-'));
    let mut out: Cow<'_, str> = if text.contains('@') {
        email().replace_all(text, "[email]")
    } else {
        Cow::Borrowed(text)
    };
    if has_digit_run {
        let replaced = digits().replace_all(&out, |c: &regex::Captures<'_>| {
            let run = &c[0];
            match mask_for(run.trim_start_matches('+')) {
                Some(m) => m.to_string(),
                None => run.to_string(),
            }
        });
        // a run left as written still makes an owned copy: keep the borrow
        if let Cow::Owned(s) = replaced {
            if s != *out {
                out = Cow::Owned(s);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn card_numbers_emails_ssns_phones_and_long_numbers_are_masked() {
        let cases = [
            (
                "oops the card number wrong please refer this one card no 4111111111111111",
                "oops the card number wrong please refer this one card no [card number]",
            ),
            (
                "my card is 4111 1111 1111 1111 ok",
                "my card is [card number] ok",
            ),
            ("card 5500-0000-0000-0004.", "card [card number]."),
            (
                "write to jane.doe@example.co.uk now",
                "write to [email] now",
            ),
            ("ssn 123-45-6789 please", "ssn [SSN] please"),
            (
                "call me at (555) 123-4567 or 555-123-4567",
                "call me at [phone] or [phone]",
            ),
            ("+1 555 123 4567 is my cell", "[phone] is my cell"),
            (
                "carlos rodriguez ssn 5305421818",
                "carlos rodriguez ssn [number]",
            ),
            ("policy number pvx 752197308", "policy number pvx [number]"),
            // found in MultiDoGO's finance calls
            (
                "it should have read 1122354800219688",
                "it should have read [number]",
            ),
            ("thanks phone no is 87867678", "thanks phone no is [number]"),
        ];
        for (text, want) in cases {
            assert_eq!(redact(text), want, "{text}");
        }
    }

    #[test]
    fn amounts_dates_years_and_short_codes_are_left_as_written() {
        for text in [
            "they charged {$7100.00} on 2019-11-02 and again on 12/03/2019",
            "booking confirmation number nhj 458, seat 12 b",
            "transfer 5000 from my checking account in 2021",
            "a 16 digit number that fails the check 4111111111111112 stays a [number]?",
            "ticket #1234567 and XXXX XXXX masks",
            // dates said without separators (MultiDoGO's finance calls)
            "the date which i was used 06242018",
            "date 06212018 time 220 pm amount of 230",
            "paid on 20190315",
            "no digits at all",
        ] {
            let r = redact(text);
            if text.contains("4111111111111112") {
                assert_eq!(r, text.replace("4111111111111112", "[number]"));
            } else {
                assert_eq!(r, text, "{text}");
                assert!(matches!(r, std::borrow::Cow::Borrowed(_)));
            }
        }
    }
}
