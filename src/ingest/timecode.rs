//! Timestamps shared by the transcript formats: `hh:mm:ss.mmm`, `mm:ss`,
//! `hh:mm:ss,mmm` (SRT), with 0-3 fraction digits, and `A --> B` timing lines.

/// Parse a timestamp to milliseconds: `[h:]m:s[.frac|,frac]`. Returns `None`
/// for anything else (out-of-range minutes/seconds included).
pub fn parse_ms(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let (clock, frac) = match s.find(['.', ',']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return None;
    }
    let mut nums = [0u64; 3];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        nums[i] = p.parse().ok()?;
    }
    let (h, m, sec) = if parts.len() == 3 {
        (nums[0], nums[1], nums[2])
    } else {
        (0, nums[0], nums[1])
    };
    if sec >= 60 || (parts.len() == 3 && m >= 60) {
        return None;
    }
    let ms = match frac {
        None => 0,
        Some(f) => {
            if f.is_empty() || f.len() > 3 || !f.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let v: u64 = f.parse().ok()?;
            v * 10u64.pow(3 - f.len() as u32)
        }
    };
    Some(((h * 60 + m) * 60 + sec) * 1000 + ms)
}

/// Parse a cue timing line `START --> END [settings]`. `Err(())` when the line
/// is a timing line (holds `-->`) whose times do not parse or run backwards.
#[allow(clippy::result_unit_err)]
pub fn parse_timing(line: &str) -> Option<Result<(u64, u64), ()>> {
    let i = line.find("-->")?;
    let start = parse_ms(&line[..i]);
    let rest = line[i + 3..].trim_start();
    let end_tok = rest.split_whitespace().next().unwrap_or("");
    let end = parse_ms(end_tok);
    Some(match (start, end) {
        (Some(a), Some(b)) if b >= a => Ok((a, b)),
        _ => Err(()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(parse_ms("00:01:02.500"), Some(62_500));
        assert_eq!(parse_ms("01:02"), Some(62_000));
        assert_eq!(parse_ms("1:00:00,5"), Some(3_600_500));
        assert_eq!(parse_ms("00:61:00"), None);
        assert_eq!(parse_ms("aa:00"), None);
        assert_eq!(
            parse_timing("00:00:01.000 --> 00:00:02.000 align:start"),
            Some(Ok((1000, 2000)))
        );
        assert_eq!(parse_timing("00:00:0x --> 00:00:02.000"), Some(Err(())));
        assert_eq!(parse_timing("hello"), None);
    }
}
