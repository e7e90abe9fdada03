//! Segment: split turns into sentence-level [`Segment`]s and flag noise.
//!
//! Why: the encoder and the clustering work on sentences, and every sentence
//! must keep the provenance of its turn. Noise is flagged with a reason, never
//! silently dropped, so that a reader can always see what was set apart.
//!
//! Steps, per turn: Unicode sentence boundaries (UAX #29, line breaks inside
//! a turn read as spaces), re-joined after abbreviations (`Dr.`, `e.g.`,
//! initials) that UAX #29 breaks before a capital; fragments under
//! [`SegmentOptions::min_words`] words merged into their neighbour (fillers,
//! greetings and closings stay alone so they can be flagged); sentences over
//! the encoder budget cut into word windows. Token counts are *estimated*
//! without the tokenizer, conservatively (see [`estimate_tokens`]), so a
//! window never exceeds the 256-token budget of MiniLM-class encoders.
//! Times are interpolated inside a timed turn by character position.
//! Then noise flags: role first, then filler, greeting, closing, boilerplate
//! (across documents), duplicate (within a document), too short.
//!
//! [`segment_corpus`] sorts documents first, so its output never depends on
//! the order documents were read in.

use crate::ingest::{Document, Role};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use unicode_segmentation::UnicodeSegmentation;

/// Why a segment is not analysed. Serialised as a plain string:
/// `filler`, `greeting`, `closing`, `boilerplate`, `duplicate`, `too_short`,
/// `details`, `role:agent`, `role:interviewer`, `role:other`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub enum Noise {
    #[serde(rename = "filler")]
    Filler,
    #[serde(rename = "greeting")]
    Greeting,
    #[serde(rename = "closing")]
    Closing,
    #[serde(rename = "boilerplate")]
    Boilerplate,
    #[serde(rename = "duplicate")]
    Duplicate,
    #[serde(rename = "too_short")]
    TooShort,
    #[serde(rename = "details")]
    Details,
    #[serde(rename = "role:agent")]
    RoleAgent,
    #[serde(rename = "role:interviewer")]
    RoleInterviewer,
    #[serde(rename = "role:other")]
    RoleOther,
    /// Set by the clustering stage, not by these rules: a theme of small
    /// talk the rules missed (see `cluster::chatter_themes`).
    #[serde(rename = "chatter")]
    Chatter,
}

impl Noise {
    /// The serialised name (`filler`, `role:agent`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            Noise::Filler => "filler",
            Noise::Greeting => "greeting",
            Noise::Closing => "closing",
            Noise::Boilerplate => "boilerplate",
            Noise::Duplicate => "duplicate",
            Noise::TooShort => "too_short",
            Noise::Details => "details",
            Noise::RoleAgent => "role:agent",
            Noise::RoleInterviewer => "role:interviewer",
            Noise::RoleOther => "role:other",
            Noise::Chatter => "chatter",
        }
    }

    /// The reason named `s` (`filler`, `role:agent`, ...), as serialised.
    pub fn parse(s: &str) -> Option<Noise> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }

    /// What the reason means, for a report's reader.
    pub fn meaning(&self) -> &'static str {
        match self {
            Noise::Filler => "fillers and backchannels: um, okay, got it",
            Noise::Greeting => "greetings",
            Noise::Closing => "thanks, goodbyes and sign-offs",
            Noise::Boilerplate => "the same sentence in many documents: scripts, hold messages",
            Noise::Duplicate => "a repeat within the same document",
            Noise::TooShort => "too short to carry a reason, or only redaction masks",
            Noise::Details => {
                "names, numbers, codes and e-mail addresses given in answer to a question"
            }
            Noise::RoleAgent => "what agents said, kept as context",
            Noise::RoleInterviewer => "what interviewers said, kept as context",
            Noise::RoleOther => "speakers not analysed",
            Noise::Chatter => {
                "small talk the rules missed: a theme whose centre sits among the greetings, thanks and closings"
            }
        }
    }
}

/// One sentence-level unit of analysis. The field names are a contract
/// (`whyline ingest` JSONL, `segments.jsonl`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Segment {
    /// Stable, content-derived id: same source content, same id.
    pub id: String,
    /// Document id (shared by the document's segments).
    pub doc: Arc<str>,
    /// Source path as given (shared by the document's segments).
    pub source: Arc<str>,
    /// Line in the file where the segment's turn or record starts, when
    /// known.
    pub line: Option<u64>,
    /// Record number in a table, list or JSON file, when it is one.
    pub record: Option<u64>,
    /// Byte span `[start, end)` in the decoded source text.
    pub span: [usize; 2],
    /// Speaker name (shared by the turn's segments).
    pub speaker: Option<Arc<str>>,
    /// The speaker's role: `customer`, `agent`, `interviewer` or `other`,
    /// when known.
    pub role: Option<Role>,
    /// Start and end time in the recording, milliseconds, when the input
    /// is timed.
    pub start_ms: Option<u64>,
    /// (see `start_ms`)
    pub end_ms: Option<u64>,
    /// The question the segment's turn answers, when its record answers
    /// several (see [`crate::ingest::Turn::question`]); shared by the
    /// turn's segments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<Arc<str>>,
    /// The sentence (or sentences, up to the encoder's length), verbatim.
    pub text: String,
    /// Why it is not analysed (`filler`, `greeting`, `closing`,
    /// `boilerplate`, `duplicate`, `too_short`, `details`, `chatter`,
    /// `role:agent`, ...); null when it is.
    pub noise: Option<Noise>,
    /// The document's other columns or fields (rating, date, product, ...),
    /// as the input holds them.
    pub meta: BTreeMap<String, serde_json::Value>,
}

impl Segment {
    /// True when the segment is analysed (not noise, not another role).
    pub fn is_signal(&self) -> bool {
        self.noise.is_none()
    }
}

/// Which speakers are analysed (`--analyse`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Analyse {
    /// Customers only; agents', interviewers' and others' segments are kept
    /// as context, flagged `role:agent` / `role:interviewer` / `role:other`.
    #[default]
    Customer,
    /// Every speaker.
    All,
}

/// How [`segment_corpus`] cuts and flags.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SegmentOptions {
    /// `--analyse customer|all` (default customer).
    pub analyse: Analyse,
    /// `--speaker NAME` (repeatable): analyse only these speakers (case-
    /// insensitive); everyone else is flagged by role (`role:other` for
    /// customers not named). Overrides `analyse`.
    pub speakers: Vec<String>,
    /// `--roles NAME=ROLE,...`: speaker name (case-insensitive) to role;
    /// wins over labels and the heuristic.
    pub roles: BTreeMap<String, Role>,
    /// Encoder budget in tokens, special tokens included (default 256).
    pub max_tokens: usize,
    /// Fragments with fewer words are merged into a neighbour (default 3).
    pub min_words: usize,
    /// A segment with fewer words, or fewer than 4 letters/digits, is
    /// `too_short` (default 2).
    pub too_short_words: usize,
    /// `boilerplate`: the same normalised sentence (at least 3 words) in at
    /// least `max(boilerplate_min_docs, boilerplate_min_share * documents)`
    /// documents (defaults 4 and 0.1).
    pub boilerplate_min_docs: usize,
    pub boilerplate_min_share: f64,
}

impl Default for SegmentOptions {
    fn default() -> Self {
        SegmentOptions {
            analyse: Analyse::Customer,
            speakers: Vec::new(),
            roles: BTreeMap::new(),
            max_tokens: 256,
            min_words: 3,
            too_short_words: 2,
            boilerplate_min_docs: 4,
            boilerplate_min_share: 0.1,
        }
    }
}

/// Conservative token estimate for BERT-style WordPiece encoders, without the
/// tokenizer: every punctuation/symbol character is one token, every
/// non-ASCII letter (CJK, ...) one token, every run of ASCII letters/digits
/// `ceil(len / 3)` tokens. Real English text averages ~1.3 tokens per word;
/// this counts ~2, so windows stay under budget.
pub fn estimate_tokens(s: &str) -> usize {
    let mut n = 0;
    let mut run = 0usize;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            run += 1;
            continue;
        }
        n += run.div_ceil(3);
        run = 0;
        if !c.is_whitespace() {
            n += 1;
        }
    }
    n + run.div_ceil(3)
}

const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "inc", "ltd",
    "co", "corp", "no", "nr", "approx", "dept", "est", "fig", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mt", "ft", "u.s", "a.m", "p.m", "ca", "cf",
    "al", "gen", "gov", "sen", "rep", "rev", "hon", "capt", "lt", "col", "sgt",
];

fn ends_with_abbreviation(s: &str) -> bool {
    let t = s.trim_end();
    let Some(stem) = t.strip_suffix('.') else {
        return false;
    };
    let last = stem
        .rsplit(|c: char| c.is_whitespace() || c == '(' || c == '"')
        .next()
        .unwrap_or("");
    if last.chars().count() == 1 && last.chars().all(char::is_uppercase) {
        return true; // an initial: "J. Smith"
    }
    if last.is_ascii() {
        return ABBREVIATIONS.iter().any(|a| a.eq_ignore_ascii_case(last));
    }
    let low = last.to_lowercase();
    ABBREVIATIONS.contains(&low.as_str())
}

/// The normalised form used to compare sentences: lowercased words of
/// letters and digits (apostrophes dropped: "don't" is "dont"), one space
/// between words, punctuation and extra whitespace gone.
pub fn norm_key(s: &str) -> String {
    let mut k = String::with_capacity(s.len());
    norm_key_into(s, &mut k);
    k
}

/// [`KEY_BYTE`]: a separator byte (starts a gap between words).
const GAP: u8 = 0;
/// [`KEY_BYTE`]: the apostrophe, dropped without a gap ("don't" is "dont").
const KEEP_GAP: u8 = 1;
/// Per ASCII byte: its lowercase form for letters and digits, else [`GAP`]
/// or [`KEEP_GAP`] (non-ASCII bytes never reach the table).
static KEY_BYTE: [u8; 256] = {
    let mut t = [GAP; 256];
    let mut i = 0;
    while i < 128 {
        let b = i as u8;
        if b.is_ascii_alphanumeric() {
            t[i] = b.to_ascii_lowercase();
        } else if b == b'\'' {
            t[i] = KEEP_GAP;
        }
        i += 1;
    }
    t
};

/// Whether a normalised key holds nothing but redaction masks and numbers
/// ("XXXX XXXX", "XX/XX/XXXX {$25.00}"): a scrubbed name, date or signature,
/// no words to analyse.
fn masks_only(key: &str) -> bool {
    key.split(' ')
        .all(|w| w.bytes().all(|b| b.is_ascii_digit()) || crate::util::is_redaction_mask(w))
}

/// Common English words, one a line after a `#` header: words found in at
/// least five texts of two corpora whose personal names are masked
/// (GoEmotions, CFPB narratives), built by `scripts/make_common_words.py`.
/// In a short answer, a word outside this list is taken for a name or a code.
const COMMON_WORDS: &str = include_str!("common_words.txt");

/// First names and surnames of the US census (`scripts/make_census_names.py`):
/// a full name whose parts are common words ("angel pugh") is still a name
/// when every part is a census name and one is no common word.
const CENSUS_NAMES: &str = include_str!("census_names.txt");

/// Street words an address names after its number: "121 cross road".
const STREET: &[&str] = &[
    "street",
    "st",
    "road",
    "rd",
    "avenue",
    "ave",
    "lane",
    "ln",
    "drive",
    "blvd",
    "boulevard",
    "terrace",
    "highway",
    "hwy",
    // further USPS street suffixes
    "dr",
    "court",
    "ct",
    "circle",
    "cir",
    "way",
    "place",
    "pl",
    "parkway",
    "pkwy",
    "square",
    "sq",
    "trail",
    "plaza",
    "crescent",
];

/// More frame words, which may also name a street ("11 car street", "5
/// location road"), so an address's second word is checked against
/// [`DETAIL_FRAME`] alone: where one lives, given with a place and its zip
/// code ("currently i am living in hartford and my area zip code is
/// 06101"), and a vehicle's model and year ("model of the car is 2016").
const ANSWER_FRAME: &[&str] = &[
    "live",
    "living",
    "reside",
    "located",
    "current",
    "currently",
    "area",
    "location",
    "car",
    "vehicle",
    "model",
    "year",
    "manufactured",
];

/// US states (and the country), most of them also common words ("texas",
/// "indiana"), read as the frame word "state" in the details rule: "sure my
/// city is indiana and zip code is 46223". Two-word states are
/// [`TWO_WORD_STATES`].
const STATES: &[&str] = &[
    "alabama",
    "alaska",
    "arizona",
    "arkansas",
    "california",
    "colorado",
    "connecticut",
    "delaware",
    "florida",
    "georgia",
    "hawaii",
    "idaho",
    "illinois",
    "indiana",
    "iowa",
    "kansas",
    "kentucky",
    "louisiana",
    "maine",
    "maryland",
    "massachusetts",
    "michigan",
    "minnesota",
    "mississippi",
    "missouri",
    "montana",
    "nebraska",
    "nevada",
    "ohio",
    "oklahoma",
    "oregon",
    "pennsylvania",
    "tennessee",
    "texas",
    "utah",
    "vermont",
    "virginia",
    "washington",
    "wisconsin",
    "wyoming",
    "usa",
];

/// The states of two words, read as two frame words "state".
const TWO_WORD_STATES: &[(&str, &str)] = &[
    ("new", "hampshire"),
    ("new", "jersey"),
    ("new", "mexico"),
    ("new", "york"),
    ("north", "carolina"),
    ("north", "dakota"),
    ("south", "carolina"),
    ("south", "dakota"),
    ("west", "virginia"),
    ("rhode", "island"),
];

/// Car makes that are also in the common words (names of people, a verb):
/// the details rule reads them as names ("toyota corolla altis 2015",
/// "ford freestyle"), as it reads the makes that are not common words.
const VEHICLE_MAKES: &[&str] = &["toyota", "ford", "dodge"];

/// Words that frame a detail without being one: "my name is ...", "ssn is
/// ...", "account number ...", "zip code ...", "sam at gmail dot com".
const DETAIL_FRAME: &[&str] = &[
    "my",
    "name",
    "names",
    "full",
    "is",
    "its",
    "it",
    "this",
    "im",
    "i",
    "am",
    "me",
    "myself",
    "and",
    "or",
    "the",
    "a",
    "an",
    "to",
    "from",
    "number",
    "numbers",
    "no",
    "num",
    "nr",
    "ssn",
    "social",
    "security",
    "last",
    "four",
    "digits",
    "digit",
    "of",
    "account",
    "acct",
    "ac",
    "acc",
    "card",
    "credit",
    "debit",
    "policy",
    "claim",
    "booking",
    "confirmation",
    "code",
    "email",
    "mail",
    "id",
    "phone",
    "mobile",
    "contact",
    "cell",
    "ph",
    "tel",
    "zip",
    "zipcode",
    "postal",
    "pin",
    "password",
    "otp",
    "date",
    "birth",
    "dob",
    "ends",
    "ending",
    "with",
    "here",
    "sorry",
    "ok",
    "okay",
    "yes",
    "yeah",
    "sure",
    "oh",
    "wait",
    "please",
    "correct",
    "gmail",
    "gmailcom",
    "yahoo",
    "yahoocom",
    "hotmail",
    "outlook",
    "com",
    "dot",
    "at",
    "mr",
    "mrs",
    "ms",
    "miss",
    "dr",
    "sir",
    "reference",
    "ref",
    "member",
    "customer",
    "holder",
    "called",
    "call",
    "company",
    "street",
    "road",
    "st",
    "ave",
    "avenue",
    "lane",
    "ln",
    "blvd",
    "apt",
    "suite",
    "city",
    "town",
    "state",
    "in",
    "checking",
    "savings",
    "saving",
    // dates and amounts given with their number ("13 th june", "amount of 130");
    // "may" is left out, a verb more often than a month
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "amount",
    "dollars",
    "dollar",
    "usd",
    "address",
    "are",
    "was",
];

/// The frame words a bare name may come with ("this is Sam", "my name is Jo
/// Lee", "yes, Priya"); with no number or code in the sentence, any other
/// word makes it a sentence about something ("terminate my account please").
const NAME_FRAME: &[&str] = &[
    "my", "name", "names", "full", "is", "its", "it", "this", "im", "i", "am", "me", "myself",
    "and", "yes", "ok", "okay", "sure", "sorry", "oh", "mr", "mrs", "ms", "miss", "dr", "called",
];

/// A document whose words are less than this share common English words
/// (or frame words) is not read for details: in another language every
/// word would look like a name.
const DETAILS_MIN_ENGLISH: f64 = 0.5;

/// Sentences of more words than this, numbers and frame words not counted,
/// are never `details` ("address 11 jungle road leominster ma 1453 and
/// contact no 628 728 9284" has 4; "my name is joe sam and ssn no is 0197
/// and card no is 9701" has 2).
const DETAILS_MAX_WORDS: usize = 12;

/// ... nor sentences of more words than this, numbers counted. (A sentence
/// of more than [`DETAILS_MAX_WORDS`] words and no digit is not looked at:
/// most sentences of long narratives are that.)
const DETAILS_MAX_TOKENS: usize = 24;

/// A document of fewer words than this (a CSV row, a one-line review) is
/// too short to tell its language alone: the short documents of the corpus
/// are judged together.
const DETAILS_DOC_WORDS: usize = 20;

/// Documents of at most this many bytes of text have their words counted
/// into that joint judgement.
const SHORT_DOC_BYTES: usize = 1000;

struct DetailWords {
    common: HashSet<&'static str, FxBuild>,
    census: HashSet<&'static str, FxBuild>,
    frame: HashSet<&'static str, FxBuild>,
    name_frame: HashSet<&'static str, FxBuild>,
}

fn detail_words() -> &'static DetailWords {
    static W: std::sync::OnceLock<DetailWords> = std::sync::OnceLock::new();
    W.get_or_init(|| DetailWords {
        common: COMMON_WORDS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#') && !VEHICLE_MAKES.contains(l))
            .collect(),
        census: CENSUS_NAMES
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split('\t').next())
            .filter(|n| !n.is_empty())
            .collect(),
        frame: DETAIL_FRAME.iter().chain(ANSWER_FRAME).copied().collect(),
        name_frame: NAME_FRAME.iter().copied().collect(),
    })
}

/// The words of `text` for the details rule: lowercased runs of letters and
/// digits (apostrophes dropped), each with whether it was written with a
/// capital; an e-mail address or a link is "0" (an identifier).
fn detail_tokens(text: &str, out: &mut Vec<(String, bool)>) {
    out.clear();
    for tok in text.split_whitespace() {
        if tok.contains('@') || tok.starts_with("http") || tok.starts_with("www.") {
            out.push(("0".to_string(), false));
            continue;
        }
        let mut w = String::new();
        let mut cap = false;
        for c in tok.chars() {
            if c.is_alphanumeric() {
                if w.is_empty() {
                    cap = c.is_uppercase();
                }
                w.extend(c.to_lowercase());
            } else if c != '\'' && c != '\u{2019}' && !w.is_empty() {
                out.push((std::mem::take(&mut w), cap));
            }
        }
        if !w.is_empty() {
            out.push((w, cap));
        }
    }
}

/// Whether a sentence only gives details in answer to a question: a name,
/// a number, a code, an e-mail address, with at most the words that frame
/// them ("carlos rodriguez ssn 5305421818", "my name is pamela jackson",
/// "policy number pvx 752197308", "sam 27 at gmail dot com"). A word is a
/// name when it is not a common English word (and, in text written in both
/// cases, is capitalised); words of one or two letters count as code when
/// the sentence has a number ("g 75 f 34", "th 67 y 6"). Any common word
/// that is not a frame word makes it a sentence about something.
fn details_only(text: &str, words: &mut Vec<(String, bool)>) -> bool {
    if text.len() > 200 {
        return false;
    }
    detail_tokens(text, words);
    let has_digit = |w: &str| w.bytes().any(|b| b.is_ascii_digit());
    let dw = detail_words();
    if words.is_empty()
        || words.len() > DETAILS_MAX_TOKENS
        || words
            .iter()
            .filter(|(w, _)| !has_digit(w) && !dw.frame.contains(w.as_str()))
            .count()
            > DETAILS_MAX_WORDS
    {
        return false;
    }
    let digits = words.iter().any(|(w, _)| has_digit(w));
    let cased = text.chars().any(char::is_uppercase) && text.chars().any(char::is_lowercase);
    // an address: a house number, one or two words of street name, a street
    // word ("121 cross road middle city wa"; not "3 days on the road"),
    // perhaps after its frame, numbers and names ("address 678 boston
    // street", "my number is 6043210000 my address is 658 janow drive"),
    // and followed by what a details word could be: a frame word, a
    // number, a name ("leominster ma 1453 and contact no 628 728 9284"), or
    // by anything when the address and its tail are at most 8 words (place
    // names are often common words: "round lake il 60073")
    let detail_like = |w: &str| {
        dw.frame.contains(w)
            || has_digit(w)
            || !dw.common.contains(w)
            || dw.census.contains(w)
            || STATES.contains(&w)
    };
    let address_at = |k: usize| {
        let rest = &words[k..];
        let Some(street) = rest
            .iter()
            .skip(2)
            .take(2)
            .position(|(w, _)| STREET.contains(&w.as_str()))
        else {
            return false;
        };
        rest[0].0.bytes().all(|b| b.is_ascii_digit())
            && !DETAIL_FRAME.contains(&rest[1].0.as_str())
            && (rest.len() <= 8
                || rest[street + 3..]
                    .iter()
                    .all(|(w, _)| w.chars().count() <= 2 || detail_like(w)))
    };
    for (k, (w, _)) in words.iter().enumerate() {
        if address_at(k) {
            return true;
        }
        // before the address, as after it, an initial is a detail too
        // ("donald m palmer 2595 pearlman avenue")
        if !detail_like(w) && w.chars().count() > 2 {
            break;
        }
    }
    // a place and its zip code: "chicago 60007", "new york 10024"
    let zip = |w: &str| (w.len() == 5 || w.len() == 9) && w.bytes().all(|b| b.is_ascii_digit());
    if (2..=4).contains(&words.len())
        && words.last().is_some_and(|(w, _)| zip(w))
        && words[..words.len() - 1].iter().all(|(w, _)| !has_digit(w))
    {
        return true;
    }
    if digits {
        // beside a number, a state is where one lives ("my city is indiana
        // and zip code is 46223"); alone it may be a name ("george
        // washington") or a subject ("texas was great"). Read after the
        // address, whose street may bear its name ("71 pennsylvania drive").
        read_states(words);
    }
    let (mut ident, mut names, mut lower_names) = (0usize, 0usize, 0usize);
    // common words that are census names ("angel", "king"), whether every
    // other name is a census name too, and where the name words lie
    let (mut common_names, mut all_census) = (0usize, true);
    let (mut first_name, mut last_name) = (usize::MAX, 0usize);
    // words of a name since "my name is", "i am", "this is" (0: none): beside
    // a number such a name may be of common words too, capitalised in text
    // written in both cases ("my name is jack smith and ssn no is 9713"; not
    // "This is love <3"); elsewhere "jack" and "smith" are words
    // Likewise a place after "city is", "city name is", "i live in", of
    // any words ("city is miami and zip code is 33124").
    let (mut lead, mut led) = (Lead::No, 0usize);
    for (k, (w, cap)) in words.iter().enumerate() {
        let w = w.as_str();
        if dw.frame.contains(w) {
            let prev = if k > 0 { words[k - 1].0.as_str() } else { "" };
            lead = match w {
                "city" | "town" => Lead::Place,
                "name" | "names" if matches!(prev, "city" | "town") => Lead::Place,
                "name" | "names" | "am" | "im" => Lead::Name,
                "is" if matches!(prev, "city" | "town") => Lead::Place,
                "is" if matches!(prev, "name" | "names") => lead,
                "is" if prev == "this" => Lead::Name,
                "in" if matches!(prev, "live" | "living" | "located" | "reside") => Lead::Place,
                _ => Lead::No,
            };
            led = usize::from(lead != Lead::No);
            continue;
        }
        let masked = crate::util::is_redaction_mask(w);
        if has_digit(w) || masked || (digits && w.chars().count() <= 2) {
            ident += 1;
            led = 0;
            continue;
        } else if dw.common.contains(w) {
            if digits {
                let led_ok = (1..=3).contains(&led)
                    && (*cap || !cased)
                    && (lead == Lead::Place || dw.census.contains(w));
                if !led_ok {
                    return false;
                }
            } else if dw.census.contains(w) {
                common_names += 1;
            } else {
                return false;
            }
        } else {
            names += 1;
            all_census &= dw.census.contains(w);
        }
        led += usize::from(led > 0);
        lower_names += usize::from(!cap);
        first_name = first_name.min(k);
        last_name = k;
    }
    if ident > 0 {
        // beside a number or code, any common word makes it a sentence
        return common_names == 0;
    }
    // a name of common words needs one uncommon part and two or three parts
    // side by side, all census names: "angel pugh", not "hope so" or "love
    // Chromecast" (nor "landyn cooper", whose given name the census lacks:
    // allowing that let "my boarding pass" and typos such as "ank you" in)
    let name_ok = if common_names == 0 {
        (1..=3).contains(&names)
    } else {
        let all = names + common_names;
        names >= 1 && all_census && (2..=3).contains(&all) && last_name + 1 - first_name == all
    };
    name_ok
        && !(cased && lower_names > 0)
        && words
            .iter()
            .all(|(w, _)| !dw.frame.contains(w.as_str()) || dw.name_frame.contains(w.as_str()))
}

/// What the words after a frame word are: a name ("my name is ..."), a
/// place ("city is ..."), or nothing in particular.
#[derive(Clone, Copy, PartialEq)]
enum Lead {
    No,
    Name,
    Place,
}

/// Replaces the words of a US state in `words` by the frame word "state".
fn read_states(words: &mut [(String, bool)]) {
    for k in 0..words.len() {
        if STATES.contains(&words[k].0.as_str()) {
            words[k].0 = "state".to_string();
        } else if let Some(next) = words.get(k + 1).map(|(w, _)| w.as_str()) {
            let first = words[k].0.as_str();
            if TWO_WORD_STATES.contains(&(first, next)) {
                words[k].0 = "state".to_string();
                words[k + 1].0 = "state".to_string();
            }
        }
    }
}

/// Words (two letters or more, letters only) in a document's text, and how
/// many of them are common English or frame words: whether the document
/// reads as English, for the details rule.
fn english_counts(doc: &Document) -> (usize, usize) {
    let mut words = Vec::new();
    doc.turns.iter().fold((0, 0), |(k, a), t| {
        let (known, all) = english_word_counts_into(&t.text, &mut words);
        (k + known, a + all)
    })
}

/// [`english_word_counts`] with a reused token buffer.
fn english_word_counts_into(text: &str, words: &mut Vec<(String, bool)>) -> (usize, usize) {
    let dw = detail_words();
    let (mut known, mut all) = (0usize, 0usize);
    detail_tokens(text, words);
    for (w, _) in words.iter() {
        if w.chars().nth(1).is_some() && w.chars().all(char::is_alphabetic) {
            all += 1;
            known += usize::from(dw.common.contains(w.as_str()) || dw.frame.contains(w.as_str()));
        }
    }
    (known, all)
}

/// Words (two letters or more, letters only) in `text`, and how many of them
/// are common English or frame words; a text reads as English when
/// [`reads_as_english`] says so of the counts (summed over a document).
pub fn english_word_counts(text: &str) -> (usize, usize) {
    english_word_counts_into(text, &mut Vec::new())
}

/// Whether `(known, all)` from [`english_word_counts`] reads as English: at
/// least half the words are common English words.
pub fn reads_as_english((known, all): (usize, usize)) -> bool {
    all == 0 || known as f64 >= DETAILS_MIN_ENGLISH * all as f64
}

/// [`norm_key`] into a reused buffer (cleared first); returns the number of
/// words in the key.
fn norm_key_into(s: &str, k: &mut String) -> usize {
    k.clear();
    if s.is_ascii() {
        // Bytes into the buffer's own allocation, then one validation. The
        // key is never longer than the text (a space stands for at least one
        // dropped byte), so it is written by index into a buffer of that
        // length, one table lookup per byte, and cut to size.
        let mut v = std::mem::take(k).into_bytes();
        v.clear();
        v.resize(s.len(), 0);
        // Branch-free: word boundaries come every few bytes, and a branch
        // per boundary mispredicts. Writes are unconditional and only the
        // length advances; `n` never passes the input position, so every
        // index is in bounds.
        let (mut n, mut gap, mut spaces) = (0usize, false, 0usize);
        for &b in s.as_bytes() {
            let c = KEY_BYTE[b as usize];
            let word = c > KEEP_GAP;
            v[n] = b' ';
            let space = (word & gap & (n > 0)) as usize;
            n += space;
            spaces += space;
            v[n] = c;
            n += word as usize;
            gap = (gap | (c == GAP)) & !word;
        }
        v.truncate(n);
        // Only ASCII bytes were written.
        *k = String::from_utf8(v).unwrap_or_default();
        return if n == 0 { 0 } else { spaces + 1 };
    }
    let (mut gap, mut words) = (false, 0usize);
    for c in s.chars() {
        if c.is_alphanumeric() {
            if k.is_empty() {
                words = 1;
            } else if gap {
                k.push(' ');
                words += 1;
            }
            gap = false;
            if c.is_ascii() {
                k.push(c.to_ascii_lowercase());
            } else {
                k.extend(c.to_lowercase());
            }
        } else if c != '\'' {
            gap = true;
        }
    }
    words
}

/// Collapse every whitespace run to one space, trimming both ends.
fn collapse_ws(s: &str) -> String {
    let b = s.as_bytes();
    let simple = s.is_ascii()
        && b.first().is_none_or(|c| !c.is_ascii_whitespace())
        && b.last().is_none_or(|c| !c.is_ascii_whitespace())
        && !b
            .windows(2)
            .any(|w| w[0].is_ascii_whitespace() && (w[0] != b' ' || w[1].is_ascii_whitespace()));
    if simple {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// A fast, non-cryptographic hasher (FxHash) for the corpus-wide sentence
/// tables; SipHash showed in profiles. Inputs are not adversarial here: the
/// worst case is a slower lookup, never a wrong answer.
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl std::hash::Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        // Whole words without a copy (a `copy_from_slice` per word showed
        // as memmove in profiles); the tail zero-padded as before.
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut a = [0u8; 8];
            a.copy_from_slice(w);
            self.add(u64::from_le_bytes(a));
        }
        let tail = words.remainder();
        if !tail.is_empty() {
            let mut w = 0u64;
            for (i, &b) in tail.iter().enumerate() {
                w |= u64::from(b) << (8 * i);
            }
            self.add(w);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl Fx {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type FxBuild = std::hash::BuildHasherDefault<Fx>;

const FILLER_WORDS: &[&str] = &[
    "um",
    "umm",
    "uh",
    "uhm",
    "uhh",
    "er",
    "erm",
    "hm",
    "hmm",
    "mm",
    "mmm",
    "mhm",
    "huh",
    "ah",
    "oh",
    "yeah",
    "yes",
    "yep",
    "yup",
    "ok",
    "okay",
    "right",
    "sure",
    "alright",
    "cool",
    "great",
    "perfect",
    "exactly",
    "well",
    "so",
    "like",
    "wow",
    "hmmm",
    "ahh",
    "ohh",
    "no",
    "nope",
    "yea",
    "k",
    "kk",
    "fine",
    "gotcha",
    "awesome",
    "nice",
    "absolutely",
    "definitely",
    "totally",
    "indeed",
    "true",
    "good",
    "sorry",
];
const FILLER_PHRASES: &[&str] = &[
    "mm hmm",
    "uh huh",
    "sounds good",
    "sounds great",
    "that sounds good",
    "that sounds great",
    "got it",
    "i see",
    "all right",
    "you know",
    "i mean",
    "no problem",
    "of course",
    "makes sense",
    "that makes sense",
    "one moment",
    "one second",
    "hold on",
    "not really",
    "thats great",
    "thats good",
    "all fine",
    "will do",
    "i am fine",
    "im fine",
    "i am good",
    "im good",
];
const GREETINGS: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "hiya",
    "hai",
    "hii",
    "hiii",
    "helo",
    "hallo",
    "very good morning",
    "very good afternoon",
    "very good evening",
    "are you there",
    "good morning",
    "good afternoon",
    "good evening",
    "greetings",
    "how are you",
    "how are you doing",
    "how are you today",
    "how's it going",
    "hows it going",
    "nice to meet you",
    "thanks for having me",
    "thank you for having me",
];
/// Words that may follow a greeting: "hi there", "hello sir", "hey everyone".
const GREETING_TAILS: &[&str] = &["there", "everyone", "all", "again", "sir", "maam", "madam"];
const GREETING_SCRIPTS: &[&str] = &[
    "thank you for calling",
    "thanks for calling",
    "welcome to",
    "thank you for contacting",
    "thanks for contacting",
];
const CLOSINGS: &[&str] = &[
    "bye",
    "goodbye",
    "bye bye",
    "good bye",
    "thank you",
    "thanks",
    "thank you so much",
    "thank you very much",
    "thanks so much",
    "thanks a lot",
    "thankyou",
    "thank u",
    "thanku",
    "thnk u",
    "thanking you",
    "thanks alot",
    "thank you alot",
    "thanks again",
    "thank you again",
    "much appreciated",
    "my friend",
    "thank you for your help",
    "thanks for your help",
    "thank you for your time",
    "thanks for your time",
    "have a nice day",
    "have a good day",
    "have a great day",
    "have a nice one",
    "have a good one",
    "have a great one",
    "a nice day",
    "a great day",
    "a good day",
    "a wonderful day",
    "a nice one",
    "a good one",
    "take care",
    "that's all",
    "thats all",
    "that is all",
    "you're welcome",
    "youre welcome",
    "see you",
    "talk to you later",
    "good day",
    "good night",
    "bye now",
    "nothing",
    "nothing else",
    "nothing more",
    "thats it",
    "that is it",
    "thats all for today",
    "that is all for today",
    "that was all",
    "thats all i needed",
    "thats all i need",
    "that is all i need",
    "that all",
    "that all i needed",
    "is that all",
    "do you need anything else",
    "would you need any more information",
    "do you need any more information",
    "that is all i needed",
    "no more questions",
    "no other questions",
    "no further questions",
    "no other queries",
    "no more help needed",
    "no need",
    "thats enough",
    "that is enough",
    "its enough",
    "it is enough",
    "that will be all",
    "you can end the chat",
    "you can end the chat now",
    "you can disconnect the chat",
    "you can disconnect the chat now",
    "you can disconnect now",
    "you can close the chat",
    "you can close the chat now",
    "nice to chat with you",
    "to chat with you",
    "nice talking to you",
    "nice talking with you",
    "nice chatting with you",
    "with pleasure",
    "my pleasure",
    "byee",
    "i got enough information",
    "i got all the information",
    "i got the information",
    "to you",
    "to you too",
    "you too",
    "thx",
    "ty",
    "sir",
    "maam",
    "madam",
    "sincerely",
    "sincerely yours",
    "yours sincerely",
    "yours truly",
    "regards",
    "best regards",
    "kind regards",
    "warm regards",
    "respectfully",
    "respectfully yours",
    "is there anything else i can help you with",
    "is there anything else i can help you with today",
    "is there anything else",
    "anything else",
];

/// Phrase lists split into words once (apostrophes dropped, as in [`norm_key`]).
struct Lexicon {
    filler: Vec<Vec<String>>,
    greeting: Vec<Vec<String>>,
    greeting_scripts: Vec<Vec<String>>,
    closing: Vec<Vec<String>>,
    closing_single: Vec<&'static str>,
    /// Every word a filler, greeting or closing can start with.
    first_words: HashSet<String, FxBuild>,
    /// Words that match on their own (single-word lists and one-word
    /// phrases), and the first two words (`"thank you"`) of every longer
    /// phrase: a chat sentence starts with one or the other.
    singles: HashSet<String, FxBuild>,
    pairs: HashSet<String, FxBuild>,
    /// Every word of every list: the parts [`unglue`] splits a word into.
    vocab: HashSet<String, FxBuild>,
}

fn split_phrases(list: &[&str]) -> Vec<Vec<String>> {
    let mut v: Vec<Vec<String>> = list
        .iter()
        .map(|p| p.split(' ').map(|w| w.replace('\'', "")).collect())
        .collect();
    // Longest first: "thank you so much" before "thank you".
    v.sort_by_key(|p| std::cmp::Reverse(p.len()));
    v
}

fn lexicon() -> &'static Lexicon {
    static LEX: std::sync::OnceLock<Lexicon> = std::sync::OnceLock::new();
    LEX.get_or_init(|| {
        let mut closing: Vec<&str> = CLOSINGS.to_vec();
        closing.extend(FILLER_PHRASES);
        let mut first_words: HashSet<String, FxBuild> = HashSet::default();
        for list in [
            FILLER_PHRASES,
            GREETINGS,
            GREETING_SCRIPTS,
            CLOSINGS,
            FILLER_WORDS,
        ] {
            for p in list {
                if let Some(w) = p.split(' ').next() {
                    first_words.insert(w.replace('\'', ""));
                }
            }
        }
        for w in ["again", "bye", "too", "you", "there", "everyone", "all"] {
            first_words.insert(w.to_string());
        }
        let mut singles: HashSet<String, FxBuild> = HashSet::default();
        let mut pairs: HashSet<String, FxBuild> = HashSet::default();
        for w in FILLER_WORDS
            .iter()
            .chain(&["again", "bye", "too", "you", "there", "everyone", "all"])
        {
            singles.insert(w.to_string());
        }
        for list in [FILLER_PHRASES, GREETINGS, GREETING_SCRIPTS, CLOSINGS] {
            for p in split_phrases(list) {
                match p.as_slice() {
                    [w] => singles.insert(w.clone()),
                    [a, b, ..] => pairs.insert(format!("{a} {b}")),
                    [] => false,
                };
            }
        }
        let mut vocab: HashSet<String, FxBuild> = HashSet::default();
        for list in [
            FILLER_WORDS,
            FILLER_PHRASES,
            GREETINGS,
            GREETING_TAILS,
            GREETING_SCRIPTS,
            CLOSINGS,
            NAME_AFTER,
            THANKS_FOR,
            THANKS_MODIFIERS,
            THANKS_AFTER,
            HAVE_A,
        ] {
            for p in list {
                vocab.extend(p.split(' ').map(|w| w.replace('\'', "")));
            }
        }
        Lexicon {
            first_words,
            singles,
            pairs,
            vocab,
            filler: split_phrases(FILLER_PHRASES),
            greeting: split_phrases(GREETINGS),
            greeting_scripts: split_phrases(GREETING_SCRIPTS),
            closing: split_phrases(&closing),
            closing_single: [FILLER_WORDS, &["again", "bye", "too", "you"]].concat(),
        }
    })
}

/// Remove known phrases (longest match first) and single words from the
/// front of `words`, repeatedly; returns how many words are left.
fn strip_phrases(words: &[&str], phrases: &[Vec<String>], single: &[&str]) -> usize {
    let mut i = 0;
    while i < words.len() {
        match leading_phrase(&words[i..], phrases) {
            0 if single.contains(&words[i]) => i += 1,
            0 => break,
            n => i += n,
        }
    }
    words.len() - i
}

/// Length of the first (with [`split_phrases`]' order: longest) phrase that
/// `words` starts with, or 0.
fn leading_phrase(words: &[&str], phrases: &[Vec<String>]) -> usize {
    phrases
        .iter()
        .find(|p| words.len() >= p.len() && words[..p.len()] == p[..])
        .map_or(0, |p| p.len())
}

/// Where a word that two chat words ran into splits ("okthank", "higood",
/// "younothing", "informationthank"): both parts are words of the chat lists,
/// of two letters or more, and the word itself is neither a chat word nor a
/// common English word. Typed chats run words together often.
fn unglue(w: &str) -> Option<usize> {
    if !(4..=24).contains(&w.len()) || !w.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    let lex = lexicon();
    if lex.vocab.contains(w) || detail_words().common.contains(w) {
        return None;
    }
    (2..=w.len() - 2).find(|&i| lex.vocab.contains(&w[..i]) && lex.vocab.contains(&w[i..]))
}

/// Split the run-together words of a [`norm_key`] key ([`unglue`]).
fn deglue_key(key: &mut String) {
    let mut out = String::new();
    let mut glued = false;
    for (k, w) in key.split(' ').enumerate() {
        if k > 0 {
            out.push(' ');
        }
        match unglue(w) {
            Some(i) => {
                glued = true;
                out.push_str(&w[..i]);
                out.push(' ');
                out.push_str(&w[i..]);
            }
            None => out.push_str(w),
        }
    }
    if glued {
        *key = out;
    }
}

fn is_filler(words: &[&str]) -> bool {
    !words.is_empty() && strip_phrases(words, &lexicon().filler, FILLER_WORDS) == 0
}

fn is_greeting(words: &[&str]) -> bool {
    if words.is_empty() {
        return false;
    }
    let lex = lexicon();
    if lex
        .greeting_scripts
        .iter()
        .any(|g| words.len() >= g.len() && words[..g.len()] == g[..])
    {
        return true;
    }
    let left = strip_phrases(words, &lex.greeting, GREETING_TAILS);
    // "Hi there", "Hello Jesse", "Hello, this is Sam": a greeting plus at most a name.
    let leading = words.len() - left;
    leading > 0
        && (left == 0
            || (left <= 3 && strip_phrases(&words[leading..], &lex.filler, FILLER_WORDS) == 0)
            || (left <= 4
                && is_name(words[leading])
                && strip_phrases(&words[leading + 1..], &lex.greeting, GREETING_TAILS) == 0)
            || (left <= 4 && words[leading..].first() == Some(&"this"))
            || introduces_a_name(&words[leading..]))
}

/// "i am Vijay", "my name is Priya Nair", "im Sam": a self-introduction
/// after a greeting, the name being one or two words that are not common
/// English words ("hi i am locked out" is a request).
fn introduces_a_name(words: &[&str]) -> bool {
    let intro = [
        &["i", "am"][..],
        &["im"],
        &["my", "name", "is"],
        &["myself"],
    ]
    .iter()
    .find(|p| words.starts_with(p))
    .map_or(0, |p| p.len());
    let name = &words[intro..];
    let dw = detail_words();
    intro > 0
        && (1..=2).contains(&name.len())
        && name
            .iter()
            .all(|w| is_name(w) && !dw.common.contains(w) && !dw.frame.contains(w))
}

/// Words after a greeting or closing that make it a sentence about something
/// else, never a name ("hi, help", "thanks, but ...").
const NOT_NAMES: &[&str] = &[
    "i", "im", "me", "my", "we", "us", "our", "you", "your", "it", "its", "this", "that", "the",
    "a", "an", "and", "or", "but", "not", "no", "for", "to", "of", "in", "on", "at", "with", "is",
    "are", "was", "be", "can", "could", "would", "will", "please", "help", "need", "want", "have",
    "has", "do", "does", "did", "what", "why", "how", "when", "where", "who", "which", "card",
    "account", "money", "refund", "payment", "order", "bill", "problem", "issue",
];

/// Whether `w` can be the name in "hi Jamie" or "thank you Cameron": letters
/// only, and not a word that starts a request.
fn is_name(w: &str) -> bool {
    w.len() >= 2 && w.bytes().all(|b| b.is_ascii_lowercase()) && !NOT_NAMES.contains(&w)
}

/// Closing words a name may follow: "thank you Jamie", "bye Drew",
/// "Sincerely, Jamie" (one name, or a scrubbed "XXXX XXXX" one).
const NAME_AFTER: &[&str] = &[
    "you",
    "thanks",
    "thankyou",
    "u",
    "much",
    "again",
    "thx",
    "ty",
    "bye",
    "goodbye",
    "day",
    "night",
    "sincerely",
    "yours",
    "truly",
    "regards",
    "respectfully",
];

/// Objects of thanks that close a conversation ("thanks for your help").
const THANKS_FOR: &[&str] = &[
    "help",
    "support",
    "assistance",
    "time",
    "information",
    "info",
    "answers",
    "answer",
    "patience",
    "confirmation",
    "everything",
    "cooperation",
    "guidance",
    "understanding",
    "order",
    "service",
    "services",
    "effort",
    "efforts",
    "booking",
    "reply",
    "response",
    "call",
    "chat",
    "consideration",
    "explanation",
    "clarification",
    "details",
    "kindness",
    "advice",
    "helping",
    "asking",
];
/// Words that may end a closing formula after its object ("thanks for
/// helping me", "thank you for your help today").
const THANKS_AFTER: &[&str] = &["me", "us", "out", "today"];
/// Words allowed between "thanks for" and its object ("all your kind help").
const THANKS_MODIFIERS: &[&str] = &[
    "all",
    "your",
    "you",
    "the",
    "this",
    "great",
    "kind",
    "timely",
    "quick",
    "prompt",
    "fast",
    "excellent",
    "wonderful",
    "amazing",
    "awesome",
    "good",
    "lovely",
    "valuable",
    "patient",
];
/// What one wishes a caller: "have a nice day", "have a blessed weekend".
const HAVE_A: &[&str] = &["day", "one", "evening", "weekend", "night", "time", "week"];

/// Length of a closing formula at the start of `w` that a fixed phrase list
/// cannot hold: "thank(s) (you) for" + up to three modifiers + an object of
/// thanks, or "have a" + up to two words + a span of time.
fn closing_formula(w: &[&str]) -> usize {
    if w.starts_with(&["have", "a"]) {
        return (2..w.len().min(5))
            .find(|&k| HAVE_A.contains(&w[k]))
            .map_or(0, |k| k + 1);
    }
    let Some(after_thanks) = [
        &["thank", "you", "for"][..],
        &["thanks", "for"],
        &["thanks", "a", "lot", "for"],
        &["thank", "you", "so", "much", "for"],
        &["thank", "you", "very", "much", "for"],
        &["thankyou", "for"],
        &["thank", "u", "for"],
        &["thanking", "you", "for"],
        &["thanks", "so", "much", "for"],
        &["thanks", "again", "for"],
        &["thank", "you", "again", "for"],
    ]
    .iter()
    .find(|p| w.starts_with(p))
    .map(|p| p.len()) else {
        return 0;
    };
    let rest = &w[after_thanks..];
    let mods = rest
        .iter()
        .take(3)
        .take_while(|x| THANKS_MODIFIERS.contains(x))
        .count();
    match rest.get(mods) {
        Some(x) if THANKS_FOR.contains(x) => {
            let tail = rest[mods + 1..]
                .iter()
                .take(2)
                .take_while(|x| THANKS_AFTER.contains(x))
                .count();
            after_thanks + mods + 1 + tail
        }
        _ => 0,
    }
}

/// Strip closing phrases, single closing words and closing formulas from the
/// front, allowing one name after thanks or a goodbye ("bye Drew", "yes thank
/// you Jamie goodbye"); returns how many words are left.
fn strip_closing(words: &[&str]) -> usize {
    let lex = lexicon();
    let mut i = 0;
    let mut named = false;
    let mut name_may_follow = false;
    while i < words.len() {
        let rest = &words[i..];
        // The longer of a listed phrase and a formula: "thanks" is listed,
        // "thanks for your timely support" is a formula.
        let phrase = leading_phrase(rest, &lex.closing);
        let formula = closing_formula(rest);
        let n = phrase.max(formula);
        if n > 0 {
            i += n;
            name_may_follow = formula >= phrase || NAME_AFTER.contains(&words[i - 1]);
        } else if lex.closing_single.contains(&words[i]) || (i > 0 && words[i] == "and") {
            // "and" joins closings: "thank you and have a nice day"
            name_may_follow = NAME_AFTER.contains(&words[i]);
            i += 1;
        } else if name_may_follow && !named && is_name(words[i]) {
            named = true;
            i += 1;
            // a scrubbed full name ("Sincerely, XXXX XXXX") is one name
            if masks_only(words[i - 1]) {
                while words.get(i).is_some_and(|w| masks_only(w)) {
                    i += 1;
                }
            }
        } else {
            break;
        }
    }
    words.len() - i
}

fn is_closing(words: &[&str]) -> bool {
    if words.is_empty() {
        return false;
    }
    let lex = lexicon();
    strip_closing(words) == 0 && strip_phrases(words, &lex.filler, FILLER_WORDS) > 0
}

/// A sentence piece of a turn: byte range in the turn text.
#[derive(Debug, Clone, Copy)]
struct Piece {
    a: usize,
    b: usize,
    /// Filler/greeting/closing: never merged into a neighbour.
    chat: Option<Noise>,
}

/// `filler`, `greeting` or `closing` for short chat sentences.
fn chat_kind(text: &str) -> Option<Noise> {
    // Fillers, greetings and closings are short; skip long pieces.
    if text.len() > 200 {
        return None;
    }
    // Cheap pre-check on the first word before normalising the whole piece.
    let first_words = &lexicon().first_words;
    // "okthank you": a first word run into the next ([`unglue`])
    let starts_chat = |w: &str| {
        first_words.contains(w) || unglue(w).is_some_and(|i| first_words.contains(&w[..i]))
    };
    match ascii_first_word(text) {
        Some((buf, n)) => {
            let w = std::str::from_utf8(&buf[..n]).unwrap_or("");
            if !starts_chat(w) {
                return None;
            }
        }
        None => {
            let first: String = text
                .chars()
                .skip_while(|c| !c.is_alphanumeric())
                .take_while(|c| c.is_alphanumeric() || *c == '\'')
                .filter(|c| *c != '\'')
                .flat_map(char::to_lowercase)
                .take(24)
                .collect();
            if !starts_chat(&first) {
                return None;
            }
        }
    }
    thread_local! {
        static KEY: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    KEY.with_borrow_mut(|key| {
        norm_key_into(text, key);
        // Every filler/greeting/closing test first matches a single word or
        // a phrase's first two words at the start: reject the rest here,
        // unless one of those two words is two run together.
        let lex = lexicon();
        let head = |key: &str| {
            let mut sp = key.match_indices(' ').map(|(i, _)| i);
            match (sp.next(), sp.next()) {
                (None, _) => (key.len(), None),
                (Some(i), None) => (i, Some(key.len())),
                (Some(i), Some(j)) => (i, Some(j)),
            }
        };
        let opens_chat = |key: &str| {
            let (i, j) = head(key);
            lex.singles.contains(&key[..i]) || j.is_some_and(|j| lex.pairs.contains(&key[..j]))
        };
        if !opens_chat(key) {
            let (i, j) = head(key);
            let glued = unglue(&key[..i]).is_some()
                || j.is_some_and(|j| unglue(&key[(i + 1).min(j)..j]).is_some());
            if !glued {
                return None;
            }
            deglue_key(key);
            if !opens_chat(key) {
                return None;
            }
        } else {
            deglue_key(key);
        }
        // Pieces here are at most 200 bytes: words on the stack.
        let mut arr = [""; 64];
        let mut n = 0;
        let mut heap = Vec::new();
        if !key.is_empty() {
            for word in key.split(' ') {
                if n < arr.len() {
                    arr[n] = word;
                } else {
                    if heap.is_empty() {
                        heap.extend_from_slice(&arr);
                    }
                    heap.push(word);
                }
                n += 1;
            }
        }
        let w: &[&str] = if n <= arr.len() { &arr[..n] } else { &heap };
        if is_filler(w) {
            Some(Noise::Filler)
        } else if is_greeting(w) {
            Some(Noise::Greeting)
        } else if is_closing(w) {
            Some(Noise::Closing)
        } else {
            None
        }
    })
}

/// The first word of `text` lowercased, apostrophes dropped, at most 24
/// bytes, without allocating; `None` when a non-ASCII character comes
/// before the end of that word (the caller then takes the Unicode path).
fn ascii_first_word(text: &str) -> Option<([u8; 24], usize)> {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() && !b[i].is_ascii_alphanumeric() {
        if !b[i].is_ascii() {
            return None;
        }
        i += 1;
    }
    let mut buf = [0u8; 24];
    let mut n = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_alphanumeric() {
            if n < buf.len() {
                buf[n] = c.to_ascii_lowercase();
                n += 1;
            }
        } else if c != b'\'' {
            if !c.is_ascii() {
                return None;
            }
            break;
        }
        i += 1;
    }
    Some((buf, n))
}

fn trim_range(s: &str, a: usize, b: usize) -> (usize, usize) {
    let sub = &s[a..b];
    let lead = sub.len() - sub.trim_start().len();
    let t = sub.trim();
    (a + lead, a + lead + t.len())
}

/// Sentence ranges `[start, end)` of `s` (each with its trailing spaces), by
/// UAX #29. ASCII text takes a hand-written path that applies the same rules
/// (SB6-SB11 for ASCII classes; property-tested against unicode-segmentation)
/// at several times the speed; other text goes through unicode-segmentation.
pub fn sentence_bounds(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    sentence_bounds_into(s, &mut out);
    out
}

/// [`sentence_bounds`] into a reused buffer (cleared first).
/// Per byte: may it end a sentence or a paragraph in the ASCII path of
/// [`sentence_bounds_into`] (`.`, `?`, `!`, `\n`, `\r`)?
static SENTENCE_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    t[b'.' as usize] = true;
    t[b'?' as usize] = true;
    t[b'!' as usize] = true;
    t[b'\n' as usize] = true;
    t[b'\r' as usize] = true;
    t
};

fn sentence_bounds_into(s: &str, out: &mut Vec<(usize, usize)>) {
    out.clear();
    if !s.is_ascii() {
        out.extend(
            s.split_sentence_bound_indices()
                .map(|(o, t)| (o, o + t.len())),
        );
        return;
    }
    let b = s.as_bytes();
    let n = b.len();
    let is_term = |c: u8| matches!(c, b'.' | b'?' | b'!');
    let is_close = |c: u8| matches!(c, b'"' | b'\'' | b'(' | b')' | b'[' | b']' | b'{' | b'}');
    let is_sp = |c: u8| matches!(c, b' ' | b'\t' | 0x0B | 0x0C);
    let is_para = |c: u8| matches!(c, b'\n' | b'\r' | 0x85);
    let mut start = 0;
    let mut i = 0;
    while i < n {
        // Most bytes are neither terminators nor line breaks: skip them
        // with one table lookup each.
        if !SENTENCE_BYTE[b[i] as usize] {
            i += 1;
            continue;
        }
        let c = b[i];
        if is_para(c) {
            // SB4: break after a paragraph separator (CR LF stays together).
            let mut j = i + 1;
            if c == b'\r' && j < n && b[j] == b'\n' {
                j += 1;
            }
            out.push((start, j));
            start = j;
            i = j;
            continue;
        }
        if !is_term(c) {
            i += 1;
            continue;
        }
        // The terminator at i: ATerm ('.') or STerm ('?', '!').
        let aterm = c == b'.';
        let prev = if i > 0 { b[i - 1] } else { 0 };
        let next = if i + 1 < n { b[i + 1] } else { 0 };
        if aterm && next.is_ascii_digit() {
            i += 1; // SB6: 3.5
            continue;
        }
        if aterm && prev.is_ascii_alphabetic() && next.is_ascii_uppercase() {
            i += 1; // SB7: U.S
            continue;
        }
        let mut j = i + 1;
        while j < n && is_close(b[j]) {
            j += 1;
        }
        let mut k = j;
        while k < n && is_sp(b[k]) {
            k += 1;
        }
        if aterm {
            // SB8: ATerm Close* Sp* x (not letter/para/term)* Lower.
            let mut m = k;
            while m < n && !(b[m].is_ascii_alphabetic() || is_para(b[m]) || is_term(b[m])) {
                m += 1;
            }
            if m < n && b[m].is_ascii_lowercase() {
                i += 1;
                continue;
            }
        }
        if k < n && (matches!(b[k], b',' | b'-' | b':' | b';') || is_term(b[k])) {
            // SB8a: SContinue or another terminator continues the sentence.
            i = k.max(i + 1);
            continue;
        }
        // SB9-SB11: a paragraph separator right after belongs to this sentence.
        let mut end = k;
        if end < n && is_para(b[end]) {
            end += 1;
            if b[end - 1] == b'\r' && end < n && b[end] == b'\n' {
                end += 1;
            }
        }
        if end >= n {
            break;
        }
        out.push((start, end));
        start = end;
        i = end;
    }
    if start < n {
        out.push((start, n));
    }
}

/// Buffers [`split_turn_into`] reuses from one turn to the next.
#[derive(Default)]
struct Scratch {
    bounds: Vec<(usize, usize)>,
    raw: Vec<(usize, usize)>,
    pieces: Vec<Piece>,
    merged: Vec<Piece>,
    windows: Vec<(usize, usize)>,
}

#[cfg(test)]
fn split_turn(text: &str, opts: &SegmentOptions) -> Vec<(usize, usize, Option<Noise>)> {
    let mut out = Vec::new();
    split_turn_into(text, opts, &mut Scratch::default(), &mut out);
    out
}

/// Split one turn's text into pieces (byte ranges into `text`).
fn split_turn_into(
    text: &str,
    opts: &SegmentOptions,
    scratch: &mut Scratch,
    out: &mut Vec<(usize, usize, Option<Noise>)>,
) {
    out.clear();
    // Line breaks inside a turn are layout, not sentence ends (UAX #29 would
    // break at every one): read them as spaces, same byte length.
    let flat: std::borrow::Cow<str> = if text.contains(['\n', '\r']) {
        text.replace(['\n', '\r'], " ").into()
    } else {
        text.into()
    };
    let Scratch {
        bounds,
        raw,
        pieces,
        merged,
        windows,
    } = scratch;
    sentence_bounds_into(&flat, bounds);
    raw.clear();
    for &(off, end) in bounds.iter() {
        let (a, b) = trim_range(&flat, off, end);
        if a == b {
            continue;
        }
        match raw.last_mut() {
            Some(last) if ends_with_abbreviation(&flat[last.0..last.1]) => last.1 = b,
            _ => raw.push((a, b)),
        }
    }
    let budget = opts.max_tokens.saturating_sub(2).max(8);
    pieces.clear();
    pieces.extend(raw.iter().map(|&(a, b)| Piece {
        a,
        b,
        chat: chat_kind(&flat[a..b]),
    }));
    // Merge short fragments into a neighbour (previous first) when the
    // result stays under budget.
    merged.clear();
    let short = |p: &Piece| {
        flat[p.a..p.b]
            .split_whitespace()
            .take(opts.min_words)
            .count()
            < opts.min_words
    };
    let mut i = 0;
    while i < pieces.len() {
        let p = pieces[i];
        if p.chat.is_none() && short(&p) {
            if let Some(prev) = merged.last_mut() {
                if prev.chat.is_none() && fits(&flat[prev.a..p.b], budget) {
                    prev.b = p.b;
                    i += 1;
                    continue;
                }
            }
            if let Some(next) = pieces.get_mut(i + 1) {
                if next.chat.is_none() && fits(&flat[p.a..next.b], budget) {
                    next.a = p.a;
                    i += 1;
                    continue;
                }
            }
        }
        merged.push(p);
        i += 1;
    }
    // Windows for pieces over budget.
    for p in merged.iter() {
        if fits(&flat[p.a..p.b], budget) {
            out.push((p.a, p.b, p.chat));
        } else {
            windows.clear();
            window(&flat, p.a, p.b, budget, windows);
            out.extend(windows.iter().map(|&(a, b)| (a, b, None)));
        }
    }
}

/// `estimate_tokens(s) <= budget`, without counting when `s` has at most
/// `budget` bytes (the estimate never exceeds the character count).
fn fits(s: &str, budget: usize) -> bool {
    s.len() <= budget || estimate_tokens(s) <= budget
}

/// Cut `text[a..b]` into windows of at most `budget` estimated tokens, at
/// word boundaries (inside a word only when one word is over budget).
fn window(text: &str, a: usize, b: usize, budget: usize, out: &mut Vec<(usize, usize)>) {
    let s = &text[a..b];
    let mut win_start: Option<usize> = None;
    let mut win_end = 0usize;
    let mut used = 0usize;
    let mut pos = 0usize;
    while pos < s.len() {
        let rest = &s[pos..];
        let ws = rest.len() - rest.trim_start().len();
        pos += ws;
        if pos >= s.len() {
            break;
        }
        let wlen = s[pos..].find(char::is_whitespace).unwrap_or(s.len() - pos);
        let word = &s[pos..pos + wlen];
        let cost = estimate_tokens(word);
        if cost > budget {
            if let Some(st) = win_start.take() {
                out.push((a + st, a + win_end));
            }
            // Hard cut inside the word, on char boundaries.
            let mut st = pos;
            let mut used_w = 0usize;
            let mut run = 0usize;
            for (ci, c) in word.char_indices() {
                let add = if c.is_ascii_alphanumeric() {
                    run += 1;
                    usize::from(run % 3 == 1)
                } else {
                    run = 0;
                    1
                };
                if used_w + add > budget {
                    out.push((a + st, a + pos + ci));
                    st = pos + ci;
                    used_w = 0;
                    run = usize::from(c.is_ascii_alphanumeric());
                    used_w += 1;
                } else {
                    used_w += add;
                }
            }
            win_start = Some(st);
            win_end = pos + wlen;
            used = used_w;
            pos += wlen;
            continue;
        }
        if win_start.is_some() && used + cost > budget {
            if let Some(st) = win_start.take() {
                out.push((a + st, a + win_end));
            }
            used = 0;
        }
        if win_start.is_none() {
            win_start = Some(pos);
        }
        used += cost;
        win_end = pos + wlen;
        pos += wlen;
    }
    if let Some(st) = win_start {
        out.push((a + st, a + win_end));
    }
}

/// Resolve every turn's role: explicit turn role, then `--roles`, then a role
/// word in the speaker label (`Agent`, `Customer`, `Interviewer`, `Caller`,
/// `Rep`, ...), then the heuristic:
/// - a document without speaker labels is the customer's (a review, a survey
///   answer, a monologue);
/// - unknown speakers are customers when the document already has a known
///   agent or interviewer, agents when it has a known customer;
/// - otherwise the *host* is the speaker who speaks first (plus their share
///   of turns that are questions, to break ties); the host is an
///   `interviewer` when at least 60% of their turns are questions and none
///   says what only a service line says ("thank you for calling", "how can I
///   help"), else an `agent`; every other speaker is a customer;
/// - unlabelled turns in a labelled document are `other`.
pub fn assign_roles(doc: &Document, opts: &SegmentOptions) -> Vec<Role> {
    let roles_ci: HashMap<String, Role> = opts
        .roles
        .iter()
        .map(|(k, v)| (k.to_lowercase(), *v))
        .collect();
    let speaker_label_role = |sp: &str| -> Option<Role> {
        if !roles_ci.is_empty() {
            if let Some(r) = roles_ci.get(&sp.to_lowercase()) {
                return Some(*r);
            }
        }
        sp.split(|c: char| !c.is_alphanumeric())
            .find_map(Role::parse)
            .filter(|r| *r != Role::Other)
    };
    // Once per distinct speaker, not once per turn.
    let mut by_speaker: HashMap<&str, Option<Role>, FxBuild> = HashMap::default();
    let known: Vec<Option<Role>> = doc
        .turns
        .iter()
        .map(|t| {
            if let Some(r) = t.role {
                return Some(r);
            }
            let sp = t.speaker.as_deref()?;
            Some(
                *by_speaker
                    .entry(sp)
                    .or_insert_with(|| speaker_label_role(sp)),
            )
            .flatten()
        })
        .collect();
    let has_labels = doc.turns.iter().any(|t| t.speaker.is_some());
    let mut speaker_role: HashMap<&str, Role> = HashMap::new();
    for (t, r) in doc.turns.iter().zip(&known) {
        if let (Some(sp), Some(r)) = (t.speaker.as_deref(), r) {
            speaker_role.entry(sp).or_insert(*r);
        }
    }
    let mut order: Vec<&str> = Vec::new();
    for t in &doc.turns {
        if let Some(sp) = t.speaker.as_deref() {
            if !order.contains(&sp) {
                order.push(sp);
            }
        }
    }
    let unknown: Vec<&str> = order
        .iter()
        .copied()
        .filter(|s| !speaker_role.contains_key(s))
        .collect();
    if !unknown.is_empty() {
        let has_host = speaker_role
            .values()
            .any(|r| matches!(r, Role::Agent | Role::Interviewer));
        let has_customer = speaker_role.values().any(|r| *r == Role::Customer);
        if has_host {
            for s in &unknown {
                speaker_role.insert(s, Role::Customer);
            }
        } else if has_customer {
            for s in &unknown {
                speaker_role.insert(s, Role::Agent);
            }
        } else if unknown.len() == 1 {
            speaker_role.insert(unknown[0], Role::Customer);
        } else {
            let qratio = |s: &str| {
                let (mut q, mut n) = (0usize, 0usize);
                for t in doc.turns.iter().filter(|t| t.speaker.as_deref() == Some(s)) {
                    n += 1;
                    if t.text.contains('?') {
                        q += 1;
                    }
                }
                if n == 0 {
                    0.0
                } else {
                    q as f64 / n as f64
                }
            };
            let mut host = unknown[0];
            let mut best = f64::MIN;
            for (i, s) in unknown.iter().enumerate() {
                let score = qratio(s) + if i == 0 { 1.0 } else { 0.0 };
                if score > best {
                    best = score;
                    host = s;
                }
            }
            // an agent greeting a caller asks as many questions as an
            // interviewer does; what only a service line says tells them apart
            let serves = doc
                .turns
                .iter()
                .filter(|t| t.speaker.as_deref() == Some(host))
                .any(|t| says_service_phrase(&t.text));
            let host_role = if qratio(host) >= 0.6 && !serves {
                Role::Interviewer
            } else {
                Role::Agent
            };
            for s in &unknown {
                speaker_role.insert(
                    s,
                    if *s == host {
                        host_role
                    } else {
                        Role::Customer
                    },
                );
            }
        }
    }
    doc.turns
        .iter()
        .zip(known)
        .map(|(t, k)| match (k, t.speaker.as_deref()) {
            (Some(r), _) => r,
            (None, Some(sp)) => speaker_role.get(sp).copied().unwrap_or(Role::Other),
            (None, None) if has_labels => Role::Other,
            (None, None) => Role::Customer,
        })
        .collect()
}

/// Words only a support or sales line says to a caller ("thank you for
/// calling", "how can I help you", "this call may be recorded"), which an
/// interviewer does not.
pub(crate) fn says_service_phrase(text: &str) -> bool {
    const PHRASES: &[&str] = &[
        "for calling",
        "for contacting",
        "for holding",
        "how can i help",
        "how may i help",
        "how can i assist",
        "how may i assist",
        "what can i do for you",
        "may be recorded",
        "may be monitored",
        "is being recorded",
    ];
    let lower = text.to_lowercase().replace('\u{2019}', "'");
    PHRASES.iter().any(|p| lower.contains(p))
}

fn role_noise(role: Role) -> Noise {
    match role {
        Role::Agent => Noise::RoleAgent,
        Role::Interviewer => Noise::RoleInterviewer,
        Role::Customer | Role::Other => Noise::RoleOther,
    }
}

/// The segment id: [`crate::util::stable_id`] over `[doc id, turn index, piece index,
/// text]`, hashed without formatting the indices into heap strings.
fn segment_id(doc: &str, ti: usize, si: usize, text: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(doc.as_bytes());
    h.update([0x1f]);
    h.update(decimal(ti, &mut [0u8; 20]));
    h.update([0x1f]);
    h.update(decimal(si, &mut [0u8; 20]));
    h.update([0x1f]);
    h.update(text.as_bytes());
    let d = h.finalize();
    let mut out = String::with_capacity(16);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &b in &d[..8] {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
    out
}

/// `n` in decimal, written at the end of `buf`.
fn decimal(mut n: usize, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// Segments of one document with their normalised keys, and the indices of
/// the first occurrence of each distinct key of 3+ words (what `boilerplate`
/// counts, once per document).
struct DocSegments {
    /// Segment, its key's range in `keys`, words in the key.
    segs: Vec<(Segment, (usize, usize), usize)>,
    keys: String,
    distinct3: Vec<usize>,
    /// Segments that read as details, in a document too short to tell its
    /// language alone: `details` when the corpus's short documents read as English.
    pending_details: Vec<usize>,
}

/// Segments of one document, flagged except for `boilerplate` (a corpus-level
/// flag).
fn segment_document(doc: &Document, opts: &SegmentOptions) -> DocSegments {
    let roles = assign_roles(doc, opts);
    let speakers_ci: Vec<String> = opts.speakers.iter().map(|s| s.to_lowercase()).collect();
    // Most turns give one or two segments.
    let mut out = Vec::with_capacity(doc.turns.len() * 2);
    let mut scratch = Scratch::default();
    let mut turn_pieces = Vec::new();
    // Every segment's key, back to back (one buffer per document, not one
    // string per segment), and a reused buffer for the current one.
    let mut keys = String::new();
    let mut key = String::new();
    // The details rule's word buffer, and the document's English word
    // counts (the first time a sentence looks like details).
    let mut words = Vec::new();
    let mut english = None;
    let mut pending_details = Vec::new();
    // One allocation each per document (and per turn for the speaker); the
    // segments share them.
    let doc_id: Arc<str> = Arc::from(doc.id.as_str());
    let source: Arc<str> = Arc::from(doc.source.as_str());
    for (ti, (turn, role)) in doc.turns.iter().zip(roles).enumerate() {
        let text = turn.text.as_str();
        if text.trim().is_empty() {
            continue;
        }
        let speaker: Option<Arc<str>> = turn.speaker.as_deref().map(Arc::from);
        let question: Option<Arc<str>> = turn.question.as_deref().map(Arc::from);
        let verbatim = turn.source.span[1].saturating_sub(turn.source.span[0]) == text.len();
        // ASCII text: characters are bytes, no counting.
        let ascii = text.is_ascii();
        let nchars = |t: &str| if ascii { t.len() } else { t.chars().count() } as u64;
        let total_chars = nchars(text).max(1);
        let mut char_pos = 0u64;
        let mut byte_pos = 0usize;
        let analysed = if !speakers_ci.is_empty() {
            turn.speaker
                .as_deref()
                .map(|s| speakers_ci.contains(&s.to_lowercase()))
                .unwrap_or(false)
        } else {
            opts.analyse == Analyse::All || role == Role::Customer
        };
        split_turn_into(text, opts, &mut scratch, &mut turn_pieces);
        for (si, &(a, b, chat)) in turn_pieces.iter().enumerate() {
            char_pos += nchars(&text[byte_pos..a]);
            let ca = char_pos;
            let cb = ca + nchars(&text[a..b]);
            char_pos = cb;
            byte_pos = b;
            let seg_text = collapse_ws(&text[a..b]);
            let (start_ms, end_ms) = match (turn.start_ms, turn.end_ms) {
                (Some(s), Some(e)) if e >= s => (
                    Some(s + (e - s) * ca / total_chars),
                    Some(s + (e - s) * cb / total_chars),
                ),
                (s, _) => (s, None),
            };
            let span = if verbatim {
                [turn.source.span[0] + a, turn.source.span[0] + b]
            } else {
                turn.source.span
            };
            let nwords = norm_key_into(&seg_text, &mut key);
            let few_letters = || {
                seg_text
                    .chars()
                    .filter(|c| c.is_alphanumeric())
                    .nth(3)
                    .is_none()
            };
            let noise = if !analysed {
                Some(role_noise(role))
            } else if chat.is_some() {
                chat
            } else if nwords < opts.too_short_words || few_letters() || masks_only(&key) {
                Some(Noise::TooShort)
            } else if (nwords <= DETAILS_MAX_WORDS
                || (nwords <= DETAILS_MAX_TOKENS && seg_text.bytes().any(|b| b.is_ascii_digit())))
                && details_only(&seg_text, &mut words)
            {
                let counts = *english.get_or_insert_with(|| english_counts(doc));
                if counts.1 >= DETAILS_DOC_WORDS {
                    reads_as_english(counts).then_some(Noise::Details)
                } else {
                    // decided with the corpus's other short documents
                    pending_details.push(out.len());
                    None
                }
            } else {
                None
            };
            let id = segment_id(&doc.id, ti, si, &seg_text);
            out.push((
                Segment {
                    id,
                    doc: doc_id.clone(),
                    source: source.clone(),
                    line: turn.source.line,
                    record: turn.source.record,
                    span,
                    speaker: speaker.clone(),
                    role: Some(role),
                    start_ms,
                    end_ms,
                    question: question.clone(),
                    text: seg_text,
                    noise,
                    meta: doc.meta.clone(),
                },
                (keys.len(), keys.len() + key.len()),
                nwords,
            ));
            keys.push_str(&key);
        }
    }
    // `duplicate`: a repeat of an earlier segment of this document (any
    // speaker); wins over `too_short`, not over role or chat flags.
    let mut seen: HashSet<&str, FxBuild> =
        HashSet::with_capacity_and_hasher(out.len(), FxBuild::default());
    let mut distinct3 = Vec::new();
    for (i, (seg, (ka, kb), nwords)) in out.iter_mut().enumerate() {
        let key = &keys[*ka..*kb];
        if key.is_empty() {
            continue;
        }
        if seen.insert(key) {
            if *nwords >= 3 {
                distinct3.push(i);
            }
        } else if matches!(seg.noise, None | Some(Noise::TooShort)) {
            seg.noise = Some(Noise::Duplicate);
        }
    }
    drop(seen);
    DocSegments {
        segs: out,
        keys,
        distinct3,
        pending_details,
    }
}

/// Segment a whole corpus: documents are put in canonical order (source,
/// position, id) first, so the output is the same whatever order they came
/// in and whatever the thread count. `boilerplate` needs the whole corpus: a
/// sentence of 3+ words found in enough documents (see [`SegmentOptions`])
/// is flagged everywhere it appears, unless already flagged by role.
pub fn segment_corpus(docs: &[Document], opts: &SegmentOptions) -> Vec<Segment> {
    let mut order: Vec<&Document> = docs.iter().collect();
    order.sort_by(|a, b| {
        let ka = crate::ingest::doc_sort_key(a);
        let kb = crate::ingest::doc_sort_key(b);
        ka.cmp(&kb)
    });
    let per_doc: Vec<DocSegments> = order
        .par_iter()
        .map(|d| segment_document(d, opts))
        .collect();
    let mut doc_count: HashMap<&str, usize, FxBuild> = HashMap::default();
    for d in &per_doc {
        for &i in &d.distinct3 {
            let (a, b) = d.segs[i].1;
            *doc_count.entry(&d.keys[a..b]).or_default() += 1;
        }
    }
    let threshold = opts
        .boilerplate_min_docs
        .max((opts.boilerplate_min_share * order.len() as f64).ceil() as usize)
        .max(2);
    let boiler: HashSet<&str, FxBuild> = doc_count
        .iter()
        .filter(|(_, &c)| c >= threshold)
        .map(|(k, _)| *k)
        .collect();
    // Which segments are boilerplate, per document in parallel (lookups
    // hash every key); then one serial move into the output.
    let is_role = |seg: &Segment| {
        matches!(
            seg.noise,
            Some(Noise::RoleAgent | Noise::RoleInterviewer | Noise::RoleOther)
        )
    };
    let flags: Vec<Vec<bool>> = if boiler.is_empty() {
        Vec::new()
    } else {
        per_doc
            .par_iter()
            .map(|d| {
                d.segs
                    .iter()
                    .map(|(seg, (a, b), _)| !is_role(seg) && boiler.contains(&d.keys[*a..*b]))
                    .collect()
            })
            .collect()
    };
    drop(boiler);
    drop(doc_count);
    // Documents too short to judge alone are judged English or not together,
    // when one of them has a sentence that reads as details.
    let short_english = per_doc.iter().all(|d| d.pending_details.is_empty()) || {
        let short = order
            .par_iter()
            .filter(|d| d.turns.iter().map(|t| t.text.len()).sum::<usize>() <= SHORT_DOC_BYTES)
            .map(|d| english_counts(d))
            .filter(|c| c.1 < DETAILS_DOC_WORDS)
            .reduce(|| (0, 0), |a, c| (a.0 + c.0, a.1 + c.1));
        reads_as_english(short)
    };
    // Documents in order, each document's segments in order, moved once
    // into an output allocated at its final size (a parallel flat-map would
    // collect into growing chunks and copy them again).
    let total = per_doc.iter().map(|d| d.segs.len()).sum();
    let mut r: Vec<Segment> = Vec::with_capacity(total);
    for (di, d) in per_doc.into_iter().enumerate() {
        let doc_flags = flags.get(di);
        let pending = &d.pending_details;
        r.extend(d.segs.into_iter().enumerate().map(|(si, (mut seg, _, _))| {
            if doc_flags.and_then(|f| f.get(si)).copied().unwrap_or(false) {
                seg.noise = Some(Noise::Boilerplate);
            } else if short_english && seg.noise.is_none() && pending.contains(&si) {
                seg.noise = Some(Noise::Details);
            }
            seg
        }));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Turn;

    fn pieces(s: &str) -> Vec<String> {
        split_turn(s, &SegmentOptions::default())
            .into_iter()
            .map(|(a, b, _)| s[a..b].to_string())
            .collect()
    }

    #[test]
    fn abbreviations_and_decimals() {
        assert_eq!(
            pieces("I spoke to Dr. Smith about it. The fee was 3.5 percent, e.g. too high."),
            vec![
                "I spoke to Dr. Smith about it.",
                "The fee was 3.5 percent, e.g. too high."
            ]
        );
    }

    #[test]
    fn short_fragments_merge_but_fillers_stay() {
        assert_eq!(
            pieces("Yeah. I want a refund. Now! It is broken again."),
            vec!["Yeah.", "I want a refund. Now!", "It is broken again."]
        );
    }

    fn call(turns: &[(&str, &str)]) -> Document {
        Document {
            id: "d".into(),
            source: "call.json".into(),
            turns: turns
                .iter()
                .map(|(sp, t)| Turn {
                    speaker: Some(sp.to_string()),
                    role: None,
                    start_ms: None,
                    end_ms: None,
                    question: None,
                    text: t.to_string(),
                    source: crate::ingest::SourceRef {
                        path: "call.json".into(),
                        line: None,
                        record: None,
                        span: [0, 0],
                    },
                })
                .collect(),
            meta: Default::default(),
        }
    }

    #[test]
    fn each_segment_of_a_survey_answer_names_its_question() {
        // was: the question a turn answered was lost between ingest and the
        // quotes; each of the answer's sentences carries it now
        let mut d = call(&[
            ("R_1", "The fee doubled. Nobody told me why it did."),
            ("R_1", "Tell me before I pay."),
        ]);
        d.turns[0].question = Some("Why that score?".into());
        let segs = segment_corpus(&[d], &SegmentOptions::default());
        let asked: Vec<(&str, Option<&str>)> = segs
            .iter()
            .map(|s| (s.text.as_str(), s.question.as_deref()))
            .collect();
        assert_eq!(
            asked,
            [
                ("The fee doubled.", Some("Why that score?")),
                ("Nobody told me why it did.", Some("Why that score?")),
                ("Tell me before I pay.", None),
            ]
        );
    }

    #[test]
    fn a_call_centre_host_who_asks_questions_is_an_agent_not_an_interviewer() {
        // was: `Speaker 0` of a transcribed call (two turns, both questions)
        // taken for an interviewer, so a CX report counted interviewer turns
        let opts = SegmentOptions::default();
        let d = call(&[
            (
                "Speaker 0",
                "Thank you for calling, how can I help you today?",
            ),
            ("Speaker 1", "I was charged twice for one order."),
            ("Speaker 0", "Is there anything else I can help you with?"),
            ("Speaker 1", "No, that's all."),
        ]);
        assert_eq!(
            assign_roles(&d, &opts),
            [Role::Agent, Role::Customer, Role::Agent, Role::Customer]
        );
        // an interview's host still is an interviewer
        let d = call(&[
            (
                "Speaker 0",
                "Thanks for joining. How do you track your budget?",
            ),
            ("Speaker 1", "A spreadsheet, mostly."),
            ("Speaker 0", "Is there anything else you'd like to add?"),
            ("Speaker 1", "No."),
        ]);
        assert_eq!(assign_roles(&d, &opts)[0], Role::Interviewer);
    }

    #[test]
    fn every_noise_reason_parses_back_and_says_what_it_means() {
        use Noise::*;
        for n in [
            Filler,
            Greeting,
            Closing,
            Boilerplate,
            Duplicate,
            TooShort,
            Details,
            RoleAgent,
            RoleInterviewer,
            RoleOther,
        ] {
            assert_eq!(Noise::parse(n.as_str()), Some(n));
            assert!(!n.meaning().is_empty());
        }
        assert_eq!(Noise::parse("no such reason"), None);
    }

    #[test]
    fn details_answers_are_set_apart() {
        let mut w = Vec::new();
        let details = [
            "carlos rodriguez ssn 5305421818",
            "my name is pamela jackson",
            "My name is Jane Okafor.",
            "policy number pvx 752197308",
            "g 75 f 34",
            "th 67 y 6",
            "yes william 12 gmailcom",
            "my email is jane.doe@example.com",
            "My phone number is XXXX.",
            "checking account number is 7474973627 savings account number is 7363394944",
            "13 th june",
            "amount of 130 dollars",
            "121 cross road middle city wa",
            // an address after its frame, numbers and names; more street words
            "address 678 boston street",
            "my number is 6043210000 my address is 658 janow drive henrico va",
            "9442 new saddle dr saint joseph mi 49085",
            "841 baker circle east elmhurst ny 11370",
            // an address followed by its city, state, zip and a phone number;
            // several details in one answer (numbers do not count as words)
            "address 352 palmer road ware ma 1082 and contact no 681 792 9283",
            "my contact number is 3155450947 and my address 15 northpark street syracuse ny 13013",
            "my policy number is asd 256325635 and the claim number is fgh 563",
            "my name is john f and my card number is 1111 1111 1111 1111",
            // a place and its zip code
            "chicago 60007",
            "new york ny 12345",
            // full names whose parts are common words as well as census names
            "angel pugh",
            "jefferson gates",
            "this is martin king",
            "Yes, Angel Pugh.",
            // frame words do not count towards the 12 words
            "my name is joe sam and ssn no is 0197 and card no is 9701",
            // a name of common words after "my name is" beside a number
            "my name is jack smith and ssn no is 9713",
            "this is bill and my card number is 1234",
            // where one lives: a state, a city and a zip code
            "sure my city is indiana and zip code is 46223",
            "my city name is south carolina and zip code is 29458",
            "currently i am living in hartford and my area zip code is 06101",
            "city is miami and zip code is 33124",
            "donald m palmer 2595 pearlman avenue sudbury ma 01776 usa phone 293112459",
            "i live at 23 park street",
            // a street named after a state is still a street
            "71 pennsylvania drive emporia ks 66801",
            // a vehicle's make, model and year
            "model of the car is 2016",
            "toyota corolla altis 2015",
            "ford fiesta",
            "my car model is audi a 6",
        ];
        let sentences = [
            "terminate my account please",
            "I'm puzzled",
            "i lost my credit card",
            "I was charged 25 dollars twice",
            "top up 20",
            "Wells Fargo closed my account",
            "my card 1234 was declined at the store",
            "the app crashes on my phone",
            // common census names with no uncommon census name beside them
            "hope so",
            "Love Chromecast",
            "I love this",
            "angel pugh called me twice",
            "king size bed",
            "Yes, angel Pugh.",
            "I close this account in XXXX!",
            "Called back at XXXX.",
            "I paid 130 dollars in June",
            "june was fine",
            "3 days on the road",
            "Chase Sapphire",
            "landyn king",
            "my boarding pass",
            "ank you",
            "+1 the only way",
            // a request before the number is no frame
            "please send it to 10 downing street",
            "I waited 2 hours on the way",
            "order 1234 is late",
            "I paid 20000 in fees",
            // an address followed by what happened there is a sentence
            "address 12 main street and nobody ever delivered my parcel there",
            "my card number is 1111 1111 1111 1111 and it was declined twice today",
            "i want to change my zip code to 73301",
            "I moved from Texas in 2019",
            "my car broke down in 2016",
            // common census names after "this is", "I'm" in text of both cases
            // must be capitalised to be a name
            "This is love <3",
            "I'm still rocking my Pebble 2SE.",
            "my name is will pay 500",
            "the city is great and my bill is 500",
        ];
        for t in details {
            assert!(details_only(t, &mut w), "{t}");
        }
        for t in sentences {
            assert!(!details_only(t, &mut w), "{t}");
        }
        // one or two words starting with a number must not be read past their end
        for t in ["0@0A\u{1}0\u{1}", "121", "121 road", "0@0"] {
            details_only(t, &mut w);
        }
        assert!(
            details_only("121 road", &mut w),
            "a number and a frame word"
        );
    }

    fn noise_of(text: &str, path: &str) -> Vec<(String, Option<Noise>)> {
        let (parsed, _) =
            crate::ingest::parse_bytes(path, text.as_bytes(), &Default::default()).unwrap();
        segment_corpus(&parsed.documents, &SegmentOptions::default())
            .into_iter()
            .map(|s| (s.text, s.noise))
            .collect()
    }

    #[test]
    fn details_need_a_text_that_reads_as_english() {
        // a call: the customer's name and number are details, the request is not
        let call =
            "Agent: Thank you for calling, may I have your name and account number please?\n\
                    Customer: carlos rodriguez ssn 5305421818\n\
                    Customer: i would like to check my account balance and the last transfer\n";
        let got = noise_of(call, "call.txt");
        assert!(got.contains(&(
            "carlos rodriguez ssn 5305421818".into(),
            Some(Noise::Details)
        )));
        assert!(got
            .iter()
            .any(|(t, n)| t.starts_with("i would like") && n.is_none()));
        // a review in Spanish, long enough to judge alone: no word is common
        // English, and none of it is a name
        let es =
            "Customer: el pedido llegó tarde y la caja estaba rota, nadie contesta el teléfono \
                  del servicio y quiero que me devuelvan el dinero de inmediato por favor.\n\
                  Customer: muy mal servicio\n";
        assert!(noise_of(es, "es.txt")
            .iter()
            .all(|(_, n)| *n != Some(Noise::Details)));
        // one-line rows are judged together: English rows let a bare name through ...
        let rows = "text\nthe delivery was late and the box was broken\n\
                    nobody answered the phone when I called\nJustin Okafor\n";
        assert!(noise_of(rows, "en.csv").contains(&("Justin Okafor".into(), Some(Noise::Details))));
        // ... Spanish rows do not
        let rows = "text\nel pedido llegó tarde\nnadie contesta el teléfono\nmuy mal servicio\n";
        assert!(noise_of(rows, "es.csv")
            .iter()
            .all(|(_, n)| *n != Some(Noise::Details)));
    }

    #[test]
    fn redaction_masks_alone_are_too_short() {
        let text = "I was charged twice on XX/XX/XXXX for {$25.00}.\n\nXXXX XXXX\n\n\
                    XX/XX/XXXX {$25.00}.\n\nXXXX, XXXX XXXX. XXXX XXXX.\n\n\
                    Section 623 of the XXXX act was broken.\n";
        let (parsed, _) =
            crate::ingest::parse_bytes("t.txt", text.as_bytes(), &Default::default()).unwrap();
        let got: Vec<(String, Option<Noise>)> =
            segment_corpus(&parsed.documents, &SegmentOptions::default())
                .into_iter()
                .map(|s| (s.text, s.noise))
                .collect();
        let want = [
            ("I was charged twice on XX/XX/XXXX for {$25.00}.", None),
            ("XXXX XXXX", Some(Noise::TooShort)),
            ("XX/XX/XXXX {$25.00}.", Some(Noise::TooShort)),
            ("XXXX, XXXX XXXX. XXXX XXXX.", Some(Noise::TooShort)),
            ("Section 623 of the XXXX act was broken.", None),
        ];
        let want: Vec<(String, Option<Noise>)> =
            want.iter().map(|(t, n)| (t.to_string(), *n)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn windows_fit_budget() {
        let s = "word ".repeat(2000);
        let p = pieces(&s);
        assert!(p.len() > 1);
        assert!(p.iter().all(|x| estimate_tokens(x) <= 254));
        let joined: usize = p.iter().map(|x| x.split_whitespace().count()).sum();
        assert_eq!(joined, 2000);
        let long = "a".repeat(5000);
        let p = pieces(&long);
        assert_eq!(p.concat(), long);
        assert!(p.iter().all(|x| estimate_tokens(x) <= 254));
    }

    proptest::proptest! {
        #[test]
        fn ascii_sentence_path_matches_unicode_segmentation(s in "[aZb1 .?!,;:'\"()\\[\\]{}\t\r\n-]{0,40}") {
            let want: Vec<(usize, usize)> = s
                .split_sentence_bound_indices()
                .map(|(o, t)| (o, o + t.len()))
                .collect();
            proptest::prop_assert_eq!(sentence_bounds(&s), want);
        }
    }

    /// `chat_kind` without its pre-checks (first word, first two words).
    fn chat_kind_reference(text: &str) -> Option<Noise> {
        if text.len() > 200 {
            return None;
        }
        let mut key = norm_key(text);
        deglue_key(&mut key);
        let w: Vec<&str> = if key.is_empty() {
            Vec::new()
        } else {
            key.split(' ').collect()
        };
        if is_filler(&w) {
            Some(Noise::Filler)
        } else if is_greeting(&w) {
            Some(Noise::Greeting)
        } else if is_closing(&w) {
            Some(Noise::Closing)
        } else {
            None
        }
    }

    proptest::proptest! {
        #[test]
        fn chat_prechecks_change_nothing(words in proptest::collection::vec(0usize..1000, 0..8), seps in proptest::collection::vec(0usize..4, 8)) {
            let mut vocab: Vec<&str> = vec!["i", "card", "refund", "this", "is", "Sam", "THANK", "you're", "hows", "x"];
            vocab.extend(["jamie", "for", "your", "help", "have", "a", "wonderful", "day", "nothing", "else"]);
            vocab.extend(["okthank", "higood", "younothing", "thankyou", "vijay", "sorryhi", "and"]);
            for list in [FILLER_WORDS, FILLER_PHRASES, GREETINGS, GREETING_SCRIPTS, CLOSINGS, THANKS_FOR, THANKS_MODIFIERS, HAVE_A, GREETING_TAILS] {
                vocab.extend(list.iter().copied());
            }
            let mut text = String::new();
            for (k, &i) in words.iter().enumerate() {
                text.push_str(vocab[i % vocab.len()]);
                text.push_str([" ", ", ", "! ", "... "][seps[k % seps.len()]]);
            }
            proptest::prop_assert_eq!(chat_kind(&text), chat_kind_reference(&text), "{:?}", text);
        }
    }

    proptest::proptest! {
        #[test]
        fn token_estimate_never_exceeds_chars(s in "\\PC{0,300}") {
            proptest::prop_assert!(estimate_tokens(&s) <= s.chars().count());
        }
    }

    #[test]
    fn segment_id_matches_stable_id() {
        for (ti, si) in [(0, 0), (7, 12), (1234567, 9), (usize::MAX, 10)] {
            assert_eq!(
                segment_id("doc", ti, si, "Some text."),
                crate::util::stable_id(&["doc", &ti.to_string(), &si.to_string(), "Some text."])
            );
        }
    }

    #[test]
    fn chat_detection() {
        let f = Some(Noise::Filler);
        let g = Some(Noise::Greeting);
        let c = Some(Noise::Closing);
        assert_eq!(chat_kind("Um, yeah, okay."), f);
        assert_eq!(chat_kind("Mm-hmm."), f);
        assert_eq!(chat_kind("Yeah the app is slow."), None);
        assert_eq!(chat_kind("Hi there!"), g);
        assert_eq!(chat_kind("Thank you for calling Acme, how can I help?"), g);
        assert_eq!(
            chat_kind("Hi, I want to cancel my card because of the fees."),
            None
        );
        assert_eq!(chat_kind("Thank you so much, bye!"), c);
        assert_eq!(
            chat_kind("Thank you for fixing the billing error quickly."),
            None
        );
        assert_eq!(norm_key("Don't  STOP, now!"), "dont stop now");
    }

    /// Greetings and closings with a name, a wish or thanks for something,
    /// which fixed phrase lists missed, and the requests they must not catch.
    #[test]
    fn chat_detection_names_wishes_and_thanks() {
        let greetings = [
            "hello Jesse",
            "Good morning, Jamie!",
            "hi sir",
            "hello sir good morning",
            "higood morning",
            "hai sir",
            "very good morning",
            "hi i am Vijay",
            "hello, my name is Priya Nair",
        ];
        let closings = [
            "goodbye Drew",
            "yes thank you jamie good bye",
            "thanks for your timely support",
            "Thank you for all your help!",
            "thanks a lot for the information",
            "have a wonderful day",
            "Have a blessed weekend, bye",
            "have a nice day to you",
            "nothing else, thank you",
            "no other questions thanks",
            "bye sir",
            "Sincerely, XXXX XXXX XXXX",
            "Thanks, XXXX XXXX",
            "Best regards, Jamie",
            "Respectfully,",
            "no not really thank you for your help",
            "ok great thank you for you help",
            "good thank you for your help jamie",
            "thats enough",
            "no need",
            "sorry, no thanks",
            "ok thank you for your order",
            "thank u",
            "okthank you so much",
            "thankyou sir",
            "thanking you",
            "thank you so much Drew",
            "thanks for helping me",
            "its enough thank you very much",
            "great thank you so much for your answers you can disconnect the chat now",
            "nothing else thank you for your information have a nice day to chat with you",
            "thank younothing else",
            "i am fine thanks for asking",
            "thats great thanks",
            "thank you and have a nice day",
            "with pleasure have a nice day",
            "i got enough informationthank you",
            "ok thanks for everything that all i needed have a great day",
            "is that all would you need any more information",
            "a great day good bye",
        ];
        let requests = [
            "hi i want to get reimbursed my travel expenses",
            "Hello, help me please",
            "hi refund",
            "thank you for nothing",
            "thanks for wasting my time",
            "thank you for fixing the billing error",
            "thank you but the card still does not work",
            "have a look at my statement",
            "nothing else works",
            "sincerely hope this gets fixed",
            "regards my account, it was closed",
            "no need to send another card",
            "good service but slow delivery",
            "sorry but the refund never arrived",
            "hi i am locked out",
            "hi i am unable to log in",
            "hello my name is wrong on the card",
            "thank you for your order but it never arrived",
            "nothing works",
            "i am fine with the fee",
            "thats great but the app crashes",
            "will do the transfer tomorrow",
            "okthank you but where is my refund",
            "a great day at the park",
            "thanks and the refund is still missing",
            "i got the information wrong",
        ];
        for (texts, want) in [
            (&greetings[..], Some(Noise::Greeting)),
            (&closings[..], Some(Noise::Closing)),
            (&requests[..], None),
        ] {
            for t in texts {
                assert_eq!(chat_kind(t), want, "{t}");
            }
        }
    }

    /// The ASCII fast path (a byte table) and the Unicode path agree on keys.
    #[test]
    fn norm_key_ascii_table_matches_the_unicode_path() {
        for text in [
            "",
            "...",
            "'",
            "  --Hello,   World!!  ",
            "It's 9:30 a.m.; O'Neil said 'no'.",
            "tab\there\r\nnew line 42x",
            "~`!@#$%^&*()_+-=[]{}|\\:\";<>?,./ ZZ top",
        ] {
            // A trailing non-ASCII space forces the Unicode path; it only adds a gap.
            let mut k = String::new();
            let words = norm_key_into(&format!("{text}\u{a0}"), &mut k);
            let unicode = k.clone();
            assert_eq!(norm_key(text), unicode, "{text:?}");
            // Both paths count the key's words.
            let expected = unicode.split(' ').filter(|w| !w.is_empty()).count();
            assert_eq!(words, expected, "{text:?}");
            assert_eq!(norm_key_into(text, &mut k), expected, "{text:?}");
        }
        assert_eq!(norm_key("  --Hello,   World!!  "), "hello world");
        assert_eq!(norm_key("It's 9:30"), "its 9 30");
    }
}
