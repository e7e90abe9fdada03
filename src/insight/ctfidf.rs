//! Class-based TF-IDF keywords (uni- and bi-grams, English stop words).
//!
//! Why: a theme needs a few words a reader recognises at a glance. c-TF-IDF
//! (BERTopic's representation) weighs a term by how frequent it is in the
//! theme against how frequent it is across themes:
//! `w(t, c) = tf(t, c) / |c| * ln(1 + A / f(t))`, with `|c|` the theme's term
//! count, `A` the mean term count per class and `f(t)` the term's count over
//! all classes. Bi-grams are pairs of adjacent non-stop words.

use std::collections::{BTreeMap, BTreeSet};

/// English stop words (scikit-learn-like list, plus transcript fillers and
/// the CFPB redaction mask `xxxx`).
const STOP: &str = "a about above after again against all also am an and any are aren't as at be because been before being below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each few for from further get got had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself just let's me more most much mustn't my myself no nor not now of off on once only or other ought our ours ourselves out over own same shan't she she'd she'll she's should shouldn't so some such than that that's the their theirs them themselves then there there's these they they'd they'll they're they've this those through to too under until up us very was wasn't we we'd we'll we're we've were weren't what what's when when's where where's which while who who's whom why why's will with won't would wouldn't you you'd you'll you're you've your yours yourself yourselves um uh erm hmm yeah yes ok okay oh like really well know think going want would also still even one two xx xxxx xxxxxxxx im dont ive cant didnt doesnt wont thats";

fn stop_words() -> BTreeSet<&'static str> {
    STOP.split_whitespace().collect()
}

/// Lower-cased word tokens (letters, digits, inner apostrophes).
pub fn tokens(text: &str) -> Vec<String> {
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
            cur.extend(ch.to_lowercase());
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
    let keep: Vec<bool> = toks
        .iter()
        .map(|t| {
            t.chars().count() >= 2
                && !stop.contains(t.as_str())
                && !t.chars().all(|c| c.is_ascii_digit())
                && !t.starts_with("xx")
        })
        .collect();
    let mut out = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        if !keep[i] {
            continue;
        }
        out.push(t.clone());
        if i + 1 < toks.len() && keep[i + 1] {
            out.push(format!("{} {}", t, toks[i + 1]));
        }
    }
    out
}

/// Keywords per class: `classes[c]` is the list of texts of class `c`.
/// Returns up to `top` `(term, weight)` per class, best first (ties: term).
/// A unigram already covered by a chosen bigram is skipped.
pub fn keywords(classes: &[Vec<&str>], top: usize) -> Vec<Vec<(String, f64)>> {
    let stop = stop_words();
    let counts: Vec<BTreeMap<String, f64>> = classes
        .iter()
        .map(|texts| {
            let mut m = BTreeMap::new();
            for t in texts {
                for term in terms(t, &stop) {
                    *m.entry(term).or_insert(0.0) += 1.0;
                }
            }
            m
        })
        .collect();
    let mut total: BTreeMap<&str, f64> = BTreeMap::new();
    for m in &counts {
        for (t, c) in m {
            *total.entry(t.as_str()).or_insert(0.0) += c;
        }
    }
    let sizes: Vec<f64> = counts.iter().map(|m| m.values().sum::<f64>()).collect();
    let avg = sizes.iter().sum::<f64>() / sizes.len().max(1) as f64;
    counts
        .iter()
        .zip(&sizes)
        .map(|(m, &size)| {
            let mut scored: Vec<(String, f64)> = m
                .iter()
                .filter(|(t, &c)| c >= 2.0 || !t.contains(' '))
                .map(|(t, &c)| {
                    let f = total.get(t.as_str()).copied().unwrap_or(1.0);
                    (t.clone(), c / size.max(1.0) * (1.0 + avg / f).ln())
                })
                .collect();
            scored.sort_by(|a, b| {
                b.1.total_cmp(&a.1)
                    .then(b.0.contains(' ').cmp(&a.0.contains(' ')))
                    .then(a.0.cmp(&b.0))
            });
            let mut chosen: Vec<(String, f64)> = Vec::new();
            for (t, w) in scored {
                if chosen.len() >= top {
                    break;
                }
                let covered = chosen.iter().any(|(c, _)| {
                    (c.contains(' ') && c.split(' ').any(|p| p == t))
                        || (t.contains(' ') && t.split(' ').all(|p| c == p))
                });
                if !covered {
                    chosen.push((t, w));
                }
            }
            chosen
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
}
