//! SRT subtitles: index line, `hh:mm:ss,mmm --> hh:mm:ss,mmm`, text lines
//! (`SPEAKER: text` labels inside cues; a label holds until the next one),
//! `<i>`/`<font>` and `{\an8}` tags stripped. Shares the cue parser with WebVTT.

use super::vtt::{parse_cues, CueFlavour};
use super::Parsed;

/// Parse an SRT file.
pub fn parse(path: &str, text: &str) -> Parsed {
    parse_cues(path, text, CueFlavour::Srt)
}

#[cfg(test)]
mod tests {
    #[test]
    fn speaker_labels() {
        let s = "1\n00:00:01,000 --> 00:00:02,500\nAGENT: Hello.\n\n2\n00:00:03,000 --> 00:00:04,000\n<i>CALLER: My bill</i>\nis wrong.\n";
        let p = super::parse("a.srt", s);
        let t = &p.documents[0].turns;
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].speaker.as_deref(), Some("AGENT"));
        assert_eq!(t[1].speaker.as_deref(), Some("CALLER"));
        assert_eq!(t[1].text, "My bill\nis wrong.");
        assert_eq!(t[1].start_ms, Some(3000));
    }

    #[test]
    fn bracketed_labels_and_dialogue_dashes() {
        // was: "[John]: Thanks." kept its label as text, and a cue of two
        // dash lines was one turn under the previous speaker
        let s = "1\n00:00:01,000 --> 00:00:02,000\n[John]: Thanks for joining.\n\n\
                 2\n00:00:02,500 --> 00:00:04,000\n>> JANE: The price doubled.\n\n\
                 3\n00:00:04,500 --> 00:00:06,000\n- Why did you cancel?\n- Support was useless.\n";
        let p = super::parse("a.srt", s);
        let t: Vec<(Option<&str>, &str)> = p.documents[0]
            .turns
            .iter()
            .map(|t| (t.speaker.as_deref(), t.text.as_str()))
            .collect();
        assert_eq!(
            t,
            [
                (Some("John"), "Thanks for joining."),
                (Some("JANE"), "The price doubled."),
                (None, "Why did you cancel?"),
                (None, "Support was useless."),
            ]
        );
        let last = &p.documents[0].turns[3];
        assert_eq!(
            &s[last.source.span[0]..last.source.span[1]],
            "Support was useless."
        );
        assert_eq!(last.start_ms, Some(4500));
    }
}
