//! Class-based TF-IDF keywords (uni- and bi-grams, English stop words).
//!
//! Why: a theme needs a few words a reader recognises at a glance. c-TF-IDF
//! (BERTopic's representation) weighs a term by how frequent it is in the
//! theme against how frequent it is across themes:
//! `w(t, c) = tf(t, c) / |c| * ln(1 + A / f(t))`, with `|c|` the theme's term
//! count, `A` the mean term count per class and `f(t)` the term's count over
//! all classes. Bi-grams are pairs of adjacent non-stop words.
//!
//! Terms are counted under a plural-folded key (Harman's S-stemmer: "claims"
//! and "claim", "companies" and "company" are one term) and shown in the form
//! the theme uses most, so a theme's keywords never read "claim, claims".

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// English stop words (scikit-learn-like list, plus transcript fillers and
/// the CFPB redaction mask `xxxx`).
const STOP: &str = "a about above after again against all also am an and any are aren't as at be because been before being below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each few for from further get got had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself just let's me more most much mustn't my myself no nor not now of off on once only or other ought our ours ourselves out over own same shan't she she'd she'll she's should shouldn't so some such than that that's the their theirs them themselves then there there's these they they'd they'll they're they've this those through to too under until up us very was wasn't we we'd we'll we're we've were weren't what what's when when's where where's which while who who's whom why why's will with won't would wouldn't you you'd you'll you're you've your yours yourself yourselves um uh erm hmm yeah yes ok okay oh like really well know think going want would also still even one two xx xxxx xxxxxxxx im dont ive cant didnt doesnt wont thats";

fn stop_words() -> BTreeSet<&'static str> {
    STOP.split_whitespace().collect()
}

/// Lower-cased word tokens (letters, digits, inner apostrophes).
pub fn tokens(text: &str) -> Vec<String> {
    tokens_cased(text)
        .into_iter()
        .map(|t| t.to_lowercase())
        .collect()
}

/// Word tokens in their original case; a redaction placeholder (`[NAME]`,
/// [`crate::util::placeholders_as`]) is a mask, `XXXX`, as CFPB writes it:
/// never a term, and no bigram spans it.
fn tokens_cased(text: &str) -> Vec<String> {
    let text = crate::util::placeholders_as(text, " XXXX ");
    let mut out = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        let t = cur.trim_matches('\'').to_string();
        if !t.is_empty() {
            out.push(t);
        }
        cur.clear();
    };
    for ch in text.chars() {
        if ch.is_alphanumeric() {
            cur.push(ch);
        } else if (ch == '\'' || ch == '’') && !cur.is_empty() {
            cur.push('\'');
        } else {
            flush(&mut cur, &mut out);
        }
    }
    flush(&mut cur, &mut out);
    out
}

/// Terms of one text: kept unigrams and bigrams of adjacent kept words.
pub fn terms(text: &str, stop: &BTreeSet<&'static str>) -> Vec<String> {
    let toks = tokens(text);
    term_spans(&toks, stop).map(|r| toks[r].join(" ")).collect()
}

/// The token ranges of a text's terms (one or two words each). Tokens of 2 to
/// 20 characters are kept unless stop words, numbers or redaction masks
/// ("xxxx", "onXX"); longer ones are words run together ("thepaymentthat…").
fn term_spans<'a>(
    toks: &'a [String],
    stop: &'a BTreeSet<&'static str>,
) -> impl Iterator<Item = std::ops::Range<usize>> + 'a {
    let keep = move |i: usize| {
        toks.get(i).is_some_and(|t| {
            (2..=20).contains(&t.chars().count())
                && !stop.contains(t.as_str())
                && !t.chars().all(|c| c.is_ascii_digit())
                && !t.contains("xx")
        })
    };
    (0..toks.len())
        .filter(move |&i| keep(i))
        .flat_map(move |i| {
            let bigram = keep(i + 1).then_some(i..i + 2);
            std::iter::once(i..i + 1).chain(bigram)
        })
}

/// Where a word's case means something: not the first word of a segment
/// (capitalised by grammar), not in a text written mostly in capitals, not in
/// a run of three or more capitalised words ("TCF NATIONAL BANK" is shouting
/// or a name). `None` where it does not; else whether the word is written
/// other than in lower case. Words in capitals longer than five letters are
/// emphasis ("PLEASE"), not acronyms, and count as lower case.
fn written_cased(cased: &[String]) -> Vec<Option<bool>> {
    let letters = |t: &String| t.chars().filter(|c| c.is_alphabetic()).count();
    let caps: Vec<bool> = cased
        .iter()
        .map(|t| letters(t) >= 2 && t.chars().all(|c| !c.is_lowercase()))
        .collect();
    let upper: usize = cased
        .iter()
        .flat_map(|t| t.chars())
        .filter(|c| c.is_uppercase())
        .count();
    let shouted = upper * 2 > cased.iter().map(letters).sum();
    let mut out = vec![None; cased.len()];
    let mut i = 0;
    while i < cased.len() {
        let run = caps[i..].iter().take_while(|&&c| c).count().max(1);
        if run < 3 && !shouted {
            for k in (i..i + run).filter(|&k| k > 0) {
                let t = &cased[k];
                let emphasis = caps[k] && letters(t) > 5;
                out[k] = Some(!emphasis && t.chars().any(|c| c.is_uppercase()));
            }
        }
        i += run;
    }
    out
}

/// How each term is written where its case means something (see
/// [`written_cased`]): per lower-case term, its uses and the forms other than
/// lower case. A keyword is shown in its most frequent written form when that
/// form is most of those uses ("FCRA", "ACH withdrawal", "Wells Fargo",
/// "Credit Union"), in lower case otherwise.
#[derive(Default)]
struct Spelling(HashMap<String, (usize, BTreeMap<String, usize>)>);

impl Spelling {
    fn add(&mut self, term: &str, form: Option<String>) {
        // looked up before inserting: most terms are seen before
        if !self.0.contains_key(term) {
            self.0.insert(term.to_string(), Default::default());
        }
        if let Some(e) = self.0.get_mut(term) {
            e.0 += 1;
            if let Some(f) = form {
                *e.1.entry(f).or_insert(0) += 1;
            }
        }
    }

    fn show(&self, term: &str) -> String {
        let Some((all, forms)) = self.0.get(term) else {
            return term.to_string();
        };
        match forms.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))) {
            Some((f, &n)) if n * 2 > *all => f.clone(),
            _ => term.to_string(),
        }
    }
}

/// The plural-folded key of a word: Harman's (1991) S-stemmer ("-ies" to
/// "-y", else a final "s" dropped unless "-us" or "-ss"), applied to words of
/// four or more characters after a possessive "'s" is dropped, with Porter's
/// "-sses" and the sibilant plurals ("taxes", "branches") first.
/// Conservative by design: it only merges inflections a reader would call
/// the same word, and never changes what is displayed (see [`keywords`]).
fn fold(word: &str) -> String {
    let w = word.strip_suffix("'s").unwrap_or(word);
    if w.chars().count() < 4 {
        return w.to_string();
    }
    if ["sses", "xes", "ches", "shes"]
        .iter()
        .any(|s| w.ends_with(s))
    {
        w[..w.len() - 2].to_string()
    } else if w.ends_with("ies") && !w.ends_with("eies") && !w.ends_with("aies") {
        format!("{}y", &w[..w.len() - 3])
    } else if w.ends_with('s') && !w.ends_with("us") && !w.ends_with("ss") {
        w[..w.len() - 1].to_string()
    } else {
        w.to_string()
    }
}

/// The folded words of a term.
pub fn term_words(term: &str) -> Vec<String> {
    term.split(' ').map(|w| fold(&w.to_lowercase())).collect()
}

/// Keywords per class: `classes[c]` is the list of texts of class `c`.
/// Returns up to `top` `(term, weight)` per class, best first (ties: term).
/// A unigram already covered by a chosen bigram is skipped.
pub fn keywords(classes: &[Vec<&str>], top: usize) -> Vec<Vec<(String, f64)>> {
    let stop = stop_words();
    let mut spelling = Spelling::default();
    // per class: folded key -> (count, surface form -> count)
    // (hash maps: only looked up; every ranking below breaks ties by term)
    type Counts = HashMap<String, (f64, BTreeMap<String, usize>)>;
    let counts: Vec<Counts> = classes
        .iter()
        .map(|texts| {
            let mut m = Counts::new();
            for t in texts {
                let cased = tokens_cased(t);
                let lower: Vec<String> = cased.iter().map(|w| w.to_lowercase()).collect();
                let folded: Vec<String> = lower.iter().map(|w| fold(w)).collect();
                let written = written_cased(&cased);
                for r in term_spans(&lower, &stop) {
                    let term = lower[r.clone()].join(" ");
                    if let Some(w) = written[r.clone()]
                        .iter()
                        .copied()
                        .collect::<Option<Vec<bool>>>()
                    {
                        let form = w.iter().any(|&c| c).then(|| {
                            let words =
                                r.clone()
                                    .zip(&w)
                                    .map(|(k, &c)| if c { &cased[k] } else { &lower[k] });
                            words.map(String::as_str).collect::<Vec<_>>().join(" ")
                        });
                        spelling.add(&term, form);
                    }
                    let key = folded[r].join(" ");
                    let e = m.entry(key).or_default();
                    e.0 += 1.0;
                    *e.1.entry(term).or_insert(0) += 1;
                }
            }
            m
        })
        .collect();
    let mut total: HashMap<&str, f64> = HashMap::new();
    for m in &counts {
        for (k, (c, _)) in m {
            *total.entry(k.as_str()).or_insert(0.0) += c;
        }
    }
    let sizes: Vec<f64> = counts
        .iter()
        .map(|m| m.values().map(|(c, _)| c).sum::<f64>())
        .collect();
    let avg = sizes.iter().sum::<f64>() / sizes.len().max(1) as f64;
    counts
        .iter()
        .zip(&sizes)
        .map(|(m, &size)| {
            let mut scored: Vec<(&str, f64)> = m
                .iter()
                .filter(|(k, (c, _))| *c >= 2.0 || !k.contains(' '))
                .map(|(k, (c, _))| {
                    let f = total.get(k.as_str()).copied().unwrap_or(1.0);
                    (k.as_str(), c / size.max(1.0) * (1.0 + avg / f).ln())
                })
                .collect();
            scored.sort_by(|a, b| {
                b.1.total_cmp(&a.1)
                    .then(b.0.contains(' ').cmp(&a.0.contains(' ')))
                    .then(a.0.cmp(b.0))
            });
            let mut chosen: Vec<(&str, f64)> = Vec::new();
            for (k, w) in scored {
                if chosen.len() >= top {
                    break;
                }
                let covered = chosen.iter().any(|(c, _)| {
                    (c.contains(' ') && c.split(' ').any(|p| p == k))
                        || (k.contains(' ') && k.split(' ').all(|p| *c == p))
                });
                if !covered {
                    chosen.push((k, w));
                }
            }
            // shown in the class's most frequent surface form (ties: first in order)
            chosen
                .into_iter()
                .map(|(k, w)| {
                    let forms = &m[k].1;
                    let best = forms.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)));
                    (spelling.show(best.map_or(k, |(t, _)| t.as_str())), w)
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_and_masks_are_dropped_and_bigrams_formed() {
        let stop = stop_words();
        let t = terms("I'm still waiting for my XXXX card delivery!", &stop);
        assert!(t.contains(&"waiting".to_string()));
        assert!(t.contains(&"card delivery".to_string()));
        assert!(!t
            .iter()
            .any(|x| x.contains("xxxx") || x == "i'm" || x == "my"));
        // a placeholder is a mask: no term, no bigram across it
        let t = terms("Loved [NAME] songs, [NAME]'s best", &stop);
        assert_eq!(t, ["loved", "songs", "best"]);
    }

    #[test]
    fn distinctive_terms_rank_first() {
        let a = vec![
            "card delivery is late",
            "late card delivery again",
            "where is my card delivery",
        ];
        let b = vec![
            "refund not received",
            "refund for a late order",
            "refund please",
        ];
        let kw = keywords(&[a, b], 3);
        assert_eq!(kw[0][0].0, "card delivery");
        assert_eq!(kw[1][0].0, "refund");
    }

    #[test]
    fn plural_folding_merges_inflections_only() {
        for (word, key) in [
            ("claims", "claim"),
            ("companies", "company"),
            ("charges", "charge"),
            ("fees", "fee"),
            ("addresses", "address"),
            ("taxes", "tax"),
            ("branches", "branch"),
            ("customer's", "customer"),
            ("address", "address"),
            ("status", "status"),
            ("was", "was"),
            ("bus", "bus"),
        ] {
            assert_eq!(fold(word), key, "{word}");
        }
    }

    /// The keywords of a theme, against a second theme about refunds.
    fn theme_keywords(theme: Vec<&str>, top: usize) -> Vec<String> {
        let other = vec!["a refund never came", "refund please"];
        let mut kw = keywords(&[theme, other], top);
        kw.swap_remove(0).into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn plural_variants_are_one_keyword_in_the_theme_s_own_form() {
        let theme = vec![
            "the claims were denied",
            "my claims are still open",
            "my claim was denied",
        ];
        let terms = theme_keywords(theme, 8);
        assert!(terms.iter().any(|t| t == "claims"), "{terms:?}");
        assert!(!terms.iter().any(|t| t == "claim"), "{terms:?}");
    }

    #[test]
    fn acronyms_and_names_keep_their_written_case() {
        let theme = vec![
            "They broke the FCRA when they called",
            "I called Wells Fargo twice",
            "Then Wells Fargo said the FCRA does not apply",
            "I said PLEASE stop calling",
            "please stop calling",
            "Please note that I have asked them",
            "CALLS EVERY DAY FROM WELLS FARGO",
        ];
        let terms = theme_keywords(theme, 12);
        assert!(terms.iter().any(|t| t == "FCRA"), "{terms:?}");
        assert!(terms.iter().any(|t| t == "Wells Fargo"), "{terms:?}");
        // emphasis in capitals and a capitalised first word are not how the word is written
        assert!(terms.iter().any(|t| t == "stop calling"), "{terms:?}");
        assert!(!terms
            .iter()
            .any(|t| t.contains("PLEASE") || t.contains("Please")));
    }

    #[test]
    fn run_together_words_and_masks_are_not_terms() {
        let stop = stop_words();
        let t = terms("ThepaymentthatpostedonXX was late onXX/XX", &stop);
        assert_eq!(t, vec!["late".to_string()]);
    }
}
