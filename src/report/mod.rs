//! Report: render the insights as JSON, Markdown and a self-contained HTML page.
//!
//! Why: the same ranked insights serve a machine (`insights.json`, a
//! versioned schema with byte-stable content), a ticket or wiki
//! (`report.md`), and a person reading in a browser (`report.html`, no
//! network, inline SVG charts, quotes linked to their source). Rendering is a
//! pure function of [`Insights`]; nothing run-specific goes into
//! `insights.json`.

pub mod html;

use crate::insight::changes::{Changes, ThemeState};
use crate::insight::trend::DatesSummary;
use crate::insight::{CorpusSummary, Insight, Insights, LabelShare, Quote};
use crate::util::count;
use std::fmt::Write;

/// `insights.json`: pretty JSON with a trailing newline.
pub fn insights_json(ins: &Insights) -> String {
    let mut s = serde_json::to_string_pretty(ins).unwrap_or_default();
    s.push('\n');
    s
}

/// Where a quote comes from, for a person: `path:line`, `path record N`,
/// speaker, timestamp and, of a survey's answers, the question answered.
pub fn provenance(q: &Quote) -> String {
    let mut s = q.source.clone();
    if let Some(l) = q.line {
        let _ = write!(s, ":{l}");
    } else if let Some(r) = q.record {
        let _ = write!(s, " record {r}");
    }
    if let Some(sp) = &q.speaker {
        let _ = write!(s, ", {sp}");
    }
    if let Some(ms) = q.start_ms {
        let _ = write!(s, " at {}", timestamp(ms));
    }
    if let Some(question) = &q.question {
        let _ = write!(s, ", answering “{question}”");
    }
    s
}

/// A quote's [`provenance`] on insight `i`'s card: the question it answers
/// only when the insight comes up in more than one (else its "Answers to"
/// line has named it once for all its quotes).
pub fn quote_source(q: &Quote, i: &Insight) -> String {
    if q.question.is_some() && i.questions.len() <= 1 {
        let plain = Quote {
            question: None,
            ..q.clone()
        };
        provenance(&plain)
    } else {
        provenance(q)
    }
}

/// `h:mm:ss` or `m:ss`.
pub fn timestamp(ms: u64) -> String {
    let s = ms / 1000;
    let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// "184 documents", or "184 documents (183 with analysed segments)" when
/// some documents are all noise: an insight's document share counts only
/// the documents with analysed segments, and the header says so.
pub fn documents_text(c: &CorpusSummary) -> String {
    if c.analysed_documents > 0 && c.analysed_documents != c.documents {
        format!(
            "{} ({} with analysed segments)",
            count(c.documents, "document"),
            c.analysed_documents
        )
    } else {
        count(c.documents, "document")
    }
}

/// A share as a percentage with one decimal.
pub fn pct_str(x: f64) -> String {
    pct(x)
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// What the outlier group is, for a report's reader.
pub const OUTLIERS_MEANING: &str = "analysed, but close to no theme";

/// What a noise reason means, for a report's reader (empty when unknown).
pub fn noise_meaning(reason: &str) -> &'static str {
    crate::segment::Noise::parse(reason).map_or("", |n| n.meaning())
}

/// What `×` means next to a label, for the reports' readers.
pub const LIFT_LEGEND: &str = "The emotions, motivations and topics named for an insight are the ones that stand out in it: \"annoyance (12.0%, 4.1×)\" means 12% of its segments carry the label, 4.1 times the rate across all analysed segments.";

/// Said at the top of a report when no facet classifier ran (`--no-facets`).
pub const NO_FACETS: &str = "Facet classifiers (emotion, motivation, topic) did not run: the why is limited to keywords, quotes and stated reasons.";

/// The line under a report's header: how to read the labels an insight names,
/// or, when no facet classifier ran, that there are none; nothing when no
/// segment was left to analyse (there is nothing to label).
pub fn legend(c: &CorpusSummary) -> Option<&'static str> {
    if c.analysed == 0 {
        None
    } else if c.facets.is_empty() {
        Some(NO_FACETS)
    } else {
        Some(LIFT_LEGEND)
    }
}

/// Why a report has no insight, in place of an empty list: no segment read,
/// all of them noise, no theme formed, or no theme significant.
pub fn no_insights_text(ins: &Insights) -> Option<String> {
    if !ins.insights.is_empty() {
        return None;
    }
    let c = &ins.corpus;
    Some(if c.segments == 0 {
        "No insights: no segment was read from the inputs.".to_string()
    } else if c.analysed == 0 {
        format!(
            "No insights: all {} were set apart as noise (below), so nothing was left to analyse.",
            count(c.segments, "segment")
        )
    } else if c.themes == 0 {
        format!(
            "No insights: the {} analysed {} no theme; a theme needs several documents saying \
             the same thing (README, \"Small corpora\").",
            count(c.analysed, "segment"),
            if c.analysed == 1 { "forms" } else { "form" }
        )
    } else if c.themes == 1 {
        "No insights: the one theme did not clear the significance bar; it is listed as a weak \
         signal below."
            .to_string()
    } else {
        format!(
            "No insights: none of the {} themes cleared the significance bar; they are listed as \
             weak signals below.",
            c.themes
        )
    })
}

/// `share{sep}lift×`, the lift only when the file has one.
pub fn share_and_lift(e: &LabelShare, sep: &str) -> String {
    if e.lift > 0.0 {
        format!("{}{sep}{:.1}×", pct(e.share), e.lift)
    } else {
        pct(e.share)
    }
}

/// A label as a reader sees it: taxonomy ids such as `price_and_billing`
/// or `top_up_failed` read with spaces (`insights.json` keeps the id).
pub fn display_label(label: &str) -> String {
    label.replace('_', " ")
}

/// `label (share, lift×)`.
fn labels_text(v: &[LabelShare]) -> String {
    v.iter()
        .map(|e| format!("{} ({})", display_label(&e.label), share_and_lift(e, ", ")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One-line "why" of an insight: the emotions, motivations and topics that
/// stand out in it.
pub fn why_line(i: &Insight) -> String {
    let mut parts = Vec::new();
    for (verb, v) in [
        ("feel", &i.emotions),
        ("want", &i.motivations),
        ("talk about", &i.topics),
    ] {
        if !v.is_empty() {
            parts.push(format!("{verb} {}", labels_text(v)));
        }
    }
    parts.join("; ")
}

/// The survey questions an insight comes up in: "“What should we improve
/// first?” 82% (34% across all answers) · “Why that score?” 18% (66%)";
/// `None` when its records answer one question each.
pub fn questions_line(i: &Insight) -> Option<String> {
    let parts: Vec<String> = i
        .questions
        .iter()
        .take(3)
        .enumerate()
        .map(|(k, q)| {
            let all = if k == 0 { " across all answers" } else { "" };
            format!(
                "“{}” {} ({}{all})",
                q.question,
                pct(q.share),
                pct(q.corpus_share)
            )
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// Impact in words: "rating 1.20 lower than the rest (delta -0.05, 95% CI ...)".
pub fn impact_line(i: &Insight) -> Option<String> {
    i.impact.as_ref().map(|im| {
        let diff = im.mean_theme - im.mean_rest;
        format!(
            "{} {:.2} {} than the rest ({:.2} vs {:.2}); removing these documents moves the average by {:+.3} (95% CI {:+.3} … {:+.3}){}",
            im.column,
            diff.abs(),
            if diff < 0.0 { "lower" } else { "higher" },
            im.mean_theme,
            im.mean_rest,
            -im.delta,
            -im.ci[1],
            -im.ci[0],
            if im.significant { "" } else { ", not significant" }
        )
    })
}

/// A p-value as a reader takes it: `p = 0.003`, `p < 0.001`, `p = 1`.
fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".to_string()
    } else if p >= 0.9995 {
        "p = 1".to_string()
    } else {
        format!("p = {}", format!("{p:.3}").trim_end_matches('0'))
    }
}

/// The corpus's dates and which insights rise or fall over them (README,
/// "Trends over time"); None when the documents carry no dates.
pub fn dates_line(ins: &Insights) -> Option<String> {
    let d = ins.corpus.dates.as_ref()?;
    let undated = if d.undated > 0 {
        format!(" ({} without one)", d.undated)
    } else {
        String::new()
    };
    let from = if d.column == crate::insight::trend::FROM_PATHS {
        "Dates from the file paths".to_string()
    } else {
        format!("Dates from column \"{}\"", d.column)
    };
    let head = format!(
        "{from}: {} from {} to {}{undated}",
        count(d.documents, "document"),
        d.first,
        d.last
    );
    let Some(unit) = &d.unit else {
        return Some(format!(
            "{head}, too short a span for trends (they need {} dated documents over {} periods or more).",
            crate::insight::trend::MIN_DATED,
            crate::insight::trend::MIN_PERIODS,
        ));
    };
    let named = |dir: &str| {
        let ranks: Vec<String> = ins
            .insights
            .iter()
            .filter(|i| i.trend.as_ref().is_some_and(|t| t.direction == dir))
            .map(|i| format!("#{}", i.rank))
            .collect();
        if ranks.is_empty() {
            "none".to_string()
        } else {
            ranks.join(", ")
        }
    };
    // an emerging reason is often still a weak signal
    let weak = |dir: &str| {
        ins.weak_signals
            .iter()
            .filter(|i| i.trend.as_ref().is_some_and(|t| t.direction == dir))
            .count()
    };
    let (up, down) = (weak("rising"), weak("falling"));
    let weak = if up + down > 0 {
        format!(" Weak signals rising: {up}; falling: {down} (marked in their list).")
    } else {
        String::new()
    };
    Some(format!(
        "{head}, counted by {unit}. Insights rising: {}; falling: {}.{weak}",
        named("rising"),
        named("falling")
    ))
}

/// The columns the insights are broken down by, with their most common
/// values and the insights in which one stands out (README, "Where an
/// insight comes up most"); None when there are none.
pub fn by_line(ins: &Insights) -> Option<String> {
    let lines: Vec<String> = ins
        .corpus
        .by
        .iter()
        .map(|b| {
            let shown: Vec<String> = b
                .values
                .iter()
                .take(5)
                .map(|v| format!("{} {}", v.value, v.documents))
                .collect();
            let more = b.values.len().saturating_sub(5) + b.other_values;
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            let standing: Vec<String> = ins
                .insights
                .iter()
                .filter(|i| i.by.iter().any(|s| s.column == b.column))
                .map(|i| format!("#{}", i.rank))
                .collect();
            let standing = match standing.split_last() {
                None => "no insight comes up in one value more than the corpus does".to_string(),
                Some((last, [])) => {
                    format!("insight {last} comes up most in one value (\"Most in\" on its card)")
                }
                Some((last, rest)) => format!(
                    "insights {} and {last} come up most in one value (\"Most in\" on their cards)",
                    rest.join(", ")
                ),
            };
            format!(
                "By \"{}\" ({}: {}{more}): {standing}.",
                b.column,
                count(b.documents, "document"),
                shown.join(", "),
            )
        })
        .collect();
    (!lines.is_empty()).then(|| lines.join(" "))
}

/// Where an insight comes up more than the corpus does: "product “Mortgage”:
/// 12 of its 14 documents (86%; 30% of all, 2.9×, p < 0.001)"; None when no
/// value stands out.
pub fn by_values_line(i: &Insight) -> Option<String> {
    let parts: Vec<String> =
        i.by.iter()
            .map(|s| {
                let with = if s.of < i.reach.documents {
                    // a list's column is named in the plural: "with tags"
                    let a = if s.column.ends_with('s') { "" } else { "a " };
                    format!(" with {a}{}", s.column)
                } else {
                    String::new()
                };
                format!(
                    "{} “{}”: {} of its {} documents{with} ({}; {} of all, {:.1}×, {})",
                    s.column,
                    s.value,
                    s.documents,
                    s.of,
                    pct(s.share),
                    pct(s.corpus_share),
                    s.lift,
                    p_text(s.p)
                )
            })
            .collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// How an insight's share of the dated documents moved: the earlier half of
/// the documents (by date) against the later half, and the test's verdict.
pub fn trend_line(i: &Insight, dates: Option<&DatesSummary>) -> Option<String> {
    let t = i.trend.as_ref()?;
    let split = dates.and_then(|d| d.split.as_deref())?;
    Some(format!(
        "{}: {} of the documents dated before {split}, {} of those from then on ({})",
        t.direction,
        pct_str(t.early_share),
        pct_str(t.late_share),
        p_text(t.p)
    ))
}

/// What a report's summary line counts, in its order: documents, segments,
/// analysed segments (a bare number), themes, insights, weak signals, noise
/// segments, outliers.
pub fn summary_counts(ins: &Insights) -> [String; 8] {
    let c = &ins.corpus;
    [
        documents_text(c),
        count(c.segments, "segment"),
        c.analysed.to_string(),
        count(c.themes, "theme"),
        count(ins.insights.len(), "insight"),
        count(ins.weak_signals.len(), "weak signal"),
        count(ins.noise.total - ins.noise.outliers, "noise segment"),
        count(ins.noise.outliers, "outlier"),
    ]
}

/// `report.md`.
///
/// `cautions`: what the reader must weigh the insights against (a corpus
/// the model does not read well), shown under the summary.
pub fn markdown(
    ins: &Insights,
    changes: Option<&Changes>,
    title: &str,
    cautions: &[String],
) -> String {
    let mut s = String::new();
    let c = &ins.corpus;
    // a trend column where the dates span enough to test trends
    let trends = c.dates.as_ref().is_some_and(|d| d.unit.is_some());
    let _ = writeln!(s, "# {title}\n");
    let [docs, segments, analysed, themes, insights, weak, noise, outliers] = summary_counts(ins);
    let _ = writeln!(
        s,
        "{docs}, {segments}, {analysed} analysed; {themes}; {insights}, {weak}; {noise} and \
         {outliers} set apart.\n"
    );
    for caution in cautions {
        let _ = writeln!(s, "> **Read with care:** {}\n", md_escape(caution));
    }
    if let Some(l) = legend(c) {
        let _ = writeln!(s, "_{l}_\n");
    }
    if let Some(o) = &c.outcome {
        let asks = o
            .question
            .as_ref()
            .map(|q| format!(" (“{}”)", md_escape(q)))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "Outcome column `{}`{asks}: {} documents, mean {:.3}, sd {:.3}.\n",
            o.column, o.documents, o.mean, o.sd
        );
    }
    if let Some(l) = dates_line(ins) {
        let _ = writeln!(s, "{}\n", md_escape(&l));
    }
    if let Some(l) = by_line(ins) {
        let _ = writeln!(s, "{}\n", md_escape(&l));
    }
    if let Some(c) = changes {
        let _ = writeln!(s, "## Since the previous run\n");
        s.push_str(&changes_text(c, CHANGES_TOP, true));
        let _ = writeln!(s);
    }
    if let Some(why) = no_insights_text(ins) {
        let _ = writeln!(s, "{why}\n");
    } else if trends {
        let _ = writeln!(s, "| rank | insight | score | documents | share | trend |");
        let _ = writeln!(s, "| --- | --- | --- | --- | --- | --- |");
    } else {
        let _ = writeln!(s, "| rank | insight | score | documents | share |");
        let _ = writeln!(s, "| --- | --- | --- | --- | --- |");
    }
    for i in &ins.insights {
        let trend = if trends {
            format!(
                " {} |",
                i.trend.as_ref().map_or("–", |t| t.direction.as_str())
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "| {} | {} | {:.1} | {} | {} |{trend}",
            i.rank,
            md_escape(&i.headline),
            i.score,
            i.reach.documents,
            pct(i.reach.document_share)
        );
    }
    let _ = writeln!(s);
    for i in &ins.insights {
        insight_md(&mut s, i, c.dates.as_ref());
    }
    if !ins.weak_signals.is_empty() {
        let _ = writeln!(s, "## Weak signals\n");
        for i in &ins.weak_signals {
            let _ = writeln!(
                s,
                "- {} — {} documents, score {:.1}{} ({})",
                md_escape(&i.headline),
                i.reach.documents,
                i.score,
                md_escape(&weak_notes(i)),
                i.significance
            );
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s, "## Noise\n");
    for (k, v) in &ins.noise.by_reason {
        let _ = writeln!(s, "- {k}: {v} ({})", noise_meaning(k));
    }
    let _ = writeln!(s, "- outliers: {} ({OUTLIERS_MEANING})", ins.noise.outliers);
    s
}

/// `, rising` or `, falling` for an insight whose share moved over time;
/// nothing for a steady one or one without a trend.
fn moving(i: &Insight) -> String {
    i.trend
        .as_ref()
        .filter(|t| t.direction != "steady")
        .map(|t| format!(", {}", t.direction))
        .unwrap_or_default()
}

/// What a weak signal's line adds after its documents: its trend
/// ([`moving`]) and the values it comes up in most ("most in product
/// “Mortgage” 5.0×"); weak signals are often niche reasons, concentrated in
/// one product or channel.
fn weak_notes(i: &Insight) -> String {
    let mut s = moving(i);
    if !i.by.is_empty() {
        let v: Vec<String> =
            i.by.iter()
                .map(|b| format!("{} “{}” {:.1}×", b.column, b.value, b.lift))
                .collect();
        let _ = write!(s, ", most in {}", v.join(", "));
    }
    s
}

fn insight_md(s: &mut String, i: &Insight, dates: Option<&DatesSummary>) {
    let _ = writeln!(s, "## {}. {}\n", i.rank, md_escape(&i.headline));
    let _ = writeln!(
        s,
        "Score {:.1} · {} documents ({}) · {} speakers · {} segments · theme `{}`\n",
        i.score,
        i.reach.documents,
        pct(i.reach.document_share),
        i.reach.speakers,
        i.reach.segments,
        i.theme
    );
    let why = why_line(i);
    if !why.is_empty() {
        let _ = writeln!(s, "**Why:** customers {why}.\n");
    }
    if let Some(l) = impact_line(i) {
        let _ = writeln!(s, "**Impact:** {l}.\n");
    }
    if let Some(l) = trend_line(i, dates) {
        let _ = writeln!(s, "**Over time:** {l}.\n");
    }
    if let Some(l) = by_values_line(i) {
        let _ = writeln!(s, "**Most in:** {}.\n", md_escape(&l));
    }
    if let Some(l) = questions_line(i) {
        let _ = writeln!(s, "**Answers to:** {}\n", md_escape(&l));
    }
    let _ = writeln!(
        s,
        "**Keywords:** {}\n",
        i.keywords
            .iter()
            .map(|k| k.term.clone())
            .collect::<Vec<_>>()
            .join(", ")
    );
    if !i.reasons.is_empty() {
        let _ = writeln!(s, "**Stated reasons:**\n");
        for r in &i.reasons {
            let _ = writeln!(
                s,
                "- “{}” — {}",
                md_escape(&r.quote.text),
                quote_source(&r.quote, i)
            );
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s, "**Quotes:**\n");
    for q in &i.quotes {
        let _ = writeln!(
            s,
            "> “{}”  \n> — {}\n",
            md_escape(&q.text),
            quote_source(q, i)
        );
    }
}

/// Terminal summary of the top insights.
pub fn summary(ins: &Insights, top: usize) -> String {
    let mut s = String::new();
    let c = &ins.corpus;
    let _ = writeln!(
        s,
        "{}, {}, {}: {}, {}, {} noise, {}",
        documents_text(c),
        count(c.analysed, "analysed segment"),
        count(c.themes, "theme"),
        count(ins.insights.len(), "insight"),
        count(ins.weak_signals.len(), "weak signal"),
        ins.noise.total - ins.noise.outliers,
        count(ins.noise.outliers, "outlier")
    );
    if let Some(l) = dates_line(ins) {
        let _ = writeln!(s, "{l}");
    }
    if let Some(l) = by_line(ins) {
        let _ = writeln!(s, "{l}");
    }
    for i in ins.insights.iter().take(top) {
        let _ = writeln!(s, "{:>2}. {}", i.rank, i.headline);
        let mut detail = format!(
            "    {} documents ({}){}, score {:.1}",
            i.reach.documents,
            pct(i.reach.document_share),
            moving(i),
            i.score
        );
        let why = why_line(i);
        if !why.is_empty() {
            let _ = write!(detail, "; {why}");
        }
        let _ = writeln!(s, "{detail}");
        if let Some(l) = impact_line(i) {
            let _ = writeln!(s, "    {l}");
        }
        if let Some(l) = by_values_line(i) {
            let _ = writeln!(s, "    most in {l}");
        }
    }
    s
}

/// Items per list in "Since the previous run".
pub const CHANGES_TOP: usize = 5;

fn theme_name(t: &ThemeState) -> String {
    format!("{} ({})", t.headline, t.theme)
}

/// A heading and its items, unless there are none.
fn section(out: &mut Vec<(String, Vec<String>)>, heading: String, items: Vec<String>) {
    if !items.is_empty() {
        out.push((heading, items));
    }
}

/// "headline (theme): N documents, rank" and a note.
fn listed(t: &ThemeState, note: Option<String>) -> String {
    format!(
        "{}: {} documents, {}{}",
        theme_name(t),
        t.documents,
        rank_name(t),
        note.unwrap_or_default()
    )
}

fn rank_name(t: &ThemeState) -> String {
    if t.insight {
        format!("insight {}", t.rank)
    } else {
        format!("weak signal, rank {}", t.rank)
    }
}

/// "Since the previous run": a totals line, then one heading and up to `top`
/// items per kind of change, as plain text (the reports and `whyline diff`
/// render it; `bullet` starts each item).
pub fn change_sections(c: &Changes, top: usize) -> (String, Vec<(String, Vec<String>)>) {
    let (b, n) = (&c.before, &c.now);
    let totals = format!(
        "Before: {}, {}, {}, {}. Now: {} ({:+}), {}, {}, {}.",
        count(b.documents, "document"),
        count(b.themes, "theme"),
        count(b.insights, "insight"),
        count(b.outliers, "outlier"),
        count(n.documents, "document"),
        n.documents as i64 - b.documents as i64,
        count(n.themes, "theme"),
        count(n.insights, "insight"),
        count(n.outliers, "outlier")
    );
    let mut out = Vec::new();
    let new: Vec<String> = c
        .new_themes()
        .take(top)
        .map(|t| {
            let from = t.from.as_ref().map(|f| format!("; part of {f} before"));
            listed(&t.now, from)
        })
        .collect();
    let new_count = c.new_themes().count();
    section(&mut out, format!("New themes ({new_count})"), new);
    let moved = |t: &crate::insight::changes::ThemeChange| {
        let b = t.before.as_ref().map_or(0, |b| b.documents);
        let ranks = t
            .before
            .as_ref()
            .map(|b| format!("{} → {}", rank_name(b), rank_name(&t.now)))
            .unwrap_or_default();
        format!(
            "{}: {} → {} documents ({:+}), {ranks}",
            theme_name(&t.now),
            b,
            t.now.documents,
            t.documents_change
        )
    };
    let growth = c.by_growth();
    let grew: Vec<String> = growth
        .iter()
        .filter(|t| t.documents_change > 0)
        .take(top)
        .map(|t| moved(t))
        .collect();
    section(&mut out, "Grew most".to_string(), grew);
    let shrank: Vec<String> = growth
        .iter()
        .rev()
        .filter(|t| t.documents_change < 0)
        .take(top)
        .map(|t| moved(t))
        .collect();
    section(&mut out, "Shrank most".to_string(), shrank);
    let promoted: Vec<String> = c
        .new_insights()
        .take(top)
        .map(|t| match &t.before {
            Some(b) => format!(
                "{}: {} (was {})",
                theme_name(&t.now),
                rank_name(&t.now),
                rank_name(b)
            ),
            None => format!(
                "{}: {} (a new theme)",
                theme_name(&t.now),
                rank_name(&t.now)
            ),
        })
        .collect();
    section(&mut out, "New insights".to_string(), promoted);
    let gone: Vec<String> = c
        .gone
        .iter()
        .take(top)
        .map(|g| {
            let into = g
                .into
                .as_ref()
                .map(|t| format!("; most of it is in {t} now"));
            listed(&g.before, into)
        })
        .collect();
    section(&mut out, format!("Gone ({})", c.gone.len()), gone);
    let labels: Vec<String> = c
        .facets
        .iter()
        .filter(|f| f.changed() || (f.segments == 0 && f.only_before + f.only_now > 0))
        .map(|f| facet_change_line(f, top.min(3)))
        .collect();
    section(&mut out, "Labels changed".to_string(), labels);
    let mut shifts: Vec<(&str, &crate::insight::changes::LabelShareChange)> = c
        .facets
        .iter()
        .flat_map(|f| f.shifted().into_iter().map(move |s| (f.facet.as_str(), s)))
        .collect();
    // largest shift first; the facets' own order breaks ties
    shifts.sort_by(|a, b| {
        (b.1.now_share - b.1.before_share)
            .abs()
            .total_cmp(&(a.1.now_share - a.1.before_share).abs())
    });
    let shifted: Vec<String> = shifts
        .iter()
        .take(top)
        .map(|(facet, s)| {
            format!(
                "{facet}: {} {:.1}% → {:.1}% of labelled segments ({:+.1} points)",
                s.label.replace('_', " "),
                100.0 * s.before_share,
                100.0 * s.now_share,
                100.0 * (s.now_share - s.before_share)
            )
        })
        .collect();
    section(&mut out, "Label shares shifted".to_string(), shifted);
    (totals, out)
}

/// One facet's label changes in a sentence: models, how many segments keep
/// their labels, the labels that moved most and the most frequent moves.
fn facet_change_line(f: &crate::insight::changes::FacetChange, top: usize) -> String {
    let short = |m: &Option<String>| m.as_deref().unwrap_or("unknown").to_string();
    if f.segments == 0 {
        let model =
            |m: &Option<String>| m.as_ref().map_or(String::new(), |m| format!(", model {m}"));
        return match (f.only_before, f.only_now) {
            // two different corpora: nothing to compare segment by segment
            (b, n) if b > 0 && n > 0 && f.model_before == f.model_now => format!(
                "{}: no segment labelled in both runs ({b} in the earlier run, {n} in this run{})",
                f.facet,
                model(&f.model_now)
            ),
            (b, n) if b > 0 && n > 0 => format!(
                "{}: no segment labelled in both runs ({b} in the earlier run{}; {n} in this run{})",
                f.facet,
                model(&f.model_before),
                model(&f.model_now)
            ),
            (b, _) if b > 0 => format!(
                "{}: labelled in the earlier run only ({b} segments{})",
                f.facet,
                model(&f.model_before)
            ),
            (_, n) if n > 0 => format!(
                "{}: labelled in this run only ({n} segments{})",
                f.facet,
                model(&f.model_now)
            ),
            _ => format!("{}: no segment labelled in either run", f.facet),
        };
    }
    let models = if f.model_before != f.model_now {
        format!(
            " (model {} → {})",
            short(&f.model_before),
            short(&f.model_now)
        )
    } else {
        String::new()
    };
    let mut s = format!(
        "{}{models}: {} of {} segments keep their labels ({:.1}%)",
        f.facet,
        f.unchanged,
        f.segments,
        100.0 * f.unchanged as f64 / f.segments as f64
    );
    let moved: Vec<String> = f
        .labels
        .iter()
        .filter(|l| l.change != 0)
        .take(top)
        .map(|l| {
            format!(
                "{} {} → {} ({:+})",
                l.label.replace('_', " "),
                l.before,
                l.now,
                l.change
            )
        })
        .collect();
    if !moved.is_empty() {
        let _ = write!(s, "; most changed: {}", moved.join(", "));
    }
    let name = |l: &Option<String>| {
        l.as_deref()
            .map_or("no label".to_string(), |l| l.replace('_', " "))
    };
    let moves: Vec<String> = f
        .moves
        .iter()
        .take(2)
        .map(|m| format!("{} → {} ({})", name(&m.from), name(&m.to), m.segments))
        .collect();
    if !moves.is_empty() {
        let _ = write!(s, "; most frequent moves: {}", moves.join(", "));
    }
    s
}

/// [`change_sections`] as text: the totals, then each heading with its
/// items under it; Markdown (bold headings, escaped) or plain for a terminal.
pub fn changes_text(c: &Changes, top: usize, markdown: bool) -> String {
    let (totals, sections) = change_sections(c, top);
    let mut s = format!("{totals}\n\n");
    if sections.is_empty() {
        let _ = writeln!(s, "No theme appeared, moved or disappeared.");
    }
    for (head, items) in sections {
        if markdown {
            let _ = writeln!(s, "- **{head}:**");
        } else {
            let _ = writeln!(s, "{head}:");
        }
        for i in items {
            let _ = writeln!(s, "  - {}", if markdown { md_escape(&i) } else { i });
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty_run(segments: usize, analysed: usize, themes: usize) -> Insights {
        Insights {
            schema: "whyline.insights/1".into(),
            corpus: CorpusSummary {
                documents: 1,
                analysed_documents: usize::from(analysed > 0),
                segments,
                analysed,
                themes,
                outliers: 0,
                facets: vec![],
                outcome: None,
                dates: None,
                by: vec![],
            },
            insights: vec![],
            weak_signals: vec![],
            noise: crate::insight::NoiseSummary {
                by_reason: [("closing".to_string(), segments - analysed)].into(),
                outliers: 0,
                total: segments - analysed,
            },
        }
    }

    #[test]
    fn the_report_says_what_the_outcome_column_asks() {
        // was: "Outcome column `Q1`", where Qualtrics' export says what Q1 asks
        let mut run = empty_run(4, 4, 0);
        run.corpus.outcome = Some(crate::insight::OutcomeSummary {
            column: "Q1".into(),
            question: Some("How likely are you to recommend us?".into()),
            documents: 4,
            mean: 5.0,
            sd: 2.0,
        });
        let md = markdown(&run, None, "whyline report", &[]);
        assert!(
            md.contains("Outcome column `Q1` (“How likely are you to recommend us?”): 4 documents"),
            "{md}"
        );
        run.corpus.outcome.as_mut().unwrap().question = None;
        let md = markdown(&run, None, "whyline report", &[]);
        assert!(md.contains("Outcome column `Q1`: 4 documents"), "{md}");
    }

    #[test]
    fn the_report_says_which_insights_rise_over_time() {
        let mut run = empty_run(40, 40, 1);
        run.corpus.dates = Some(crate::insight::trend::DatesSummary {
            column: "created_at".into(),
            documents: 40,
            undated: 2,
            first: "2026-01-05".into(),
            last: "2026-03-30".into(),
            unit: Some("month".into()),
            periods: ["2026-01", "2026-02", "2026-03"]
                .iter()
                .map(|p| crate::insight::trend::Period {
                    period: p.to_string(),
                    documents: 13,
                })
                .collect(),
            split: Some("2026-02-14".into()),
        });
        let mut i = plain_insight("Crashes");
        i.trend = Some(crate::insight::trend::Trend {
            direction: "rising".into(),
            documents: vec![1, 3, 6],
            early_share: 0.1,
            late_share: 0.4,
            z: 3.3,
            p: 0.0021,
        });
        run.insights = vec![i];
        let mut weak = plain_insight("Login");
        weak.trend = run.insights[0].trend.clone();
        weak.trend.as_mut().unwrap().direction = "falling".into();
        run.weak_signals = vec![weak];
        let md = markdown(&run, None, "whyline report", &[]);
        for want in [
            "- Login — 10 documents, score 50.0, falling (",
            "Weak signals rising: 0; falling: 1 (marked in their list).",
            "Dates from column \"created_at\": 40 documents from 2026-01-05 to 2026-03-30 (2 without one), counted by month. Insights rising: #1; falling: none.",
            "| rank | insight | score | documents | share | trend |",
            "| 1 | Crashes | 50.0 | 10 | 40.0% | rising |",
            "**Over time:** rising: 10.0% of the documents dated before 2026-02-14, 40.0% of those from then on (p = 0.002).",
        ] {
            assert!(md.contains(want), "{want}\n{md}");
        }
        let html = html::render(&run, None, "whyline report", &[], &|_| None);
        assert!(html.contains("<b>Over time:</b> rising: 10.0%"), "{html}");
        // the terminal summary: the dates line, and the insight rising
        let term = summary(&run, 5);
        assert!(
            term.contains("counted by month. Insights rising: #1"),
            "{term}"
        );
        assert!(
            term.contains("10 documents (40.0%), rising, score 50.0"),
            "{term}"
        );
        // three columns, the last the tallest, each saying its counts
        assert!(
            html.contains("<title>2026-03: 6 of 13 documents (46.2%)</title>"),
            "{html}"
        );
        // too short a span: said once, and no trend column
        let d = run.corpus.dates.as_mut().unwrap();
        (d.unit, d.periods, d.split) = (None, vec![], None);
        run.insights[0].trend = None;
        run.weak_signals.clear();
        let md = markdown(&run, None, "whyline report", &[]);
        assert!(md.contains("too short a span for trends"), "{md}");
        assert!(
            md.contains("| rank | insight | score | documents | share |\n"),
            "{md}"
        );
        assert!(!md.contains("Over time"), "{md}");
    }

    #[test]
    fn a_report_without_insights_says_why_instead_of_an_empty_table() {
        // was: a header row with no rows, "1 documents", and "Facet
        // classifiers did not run" over a corpus that was all noise
        let all_noise = empty_run(4, 0, 0);
        let md = markdown(&all_noise, None, "whyline report", &[]);
        assert!(
            md.contains("1 document, 4 segments, 0 analysed; 0 themes; 0 insights"),
            "{md}"
        );
        assert!(
            md.contains("No insights: all 4 segments were set apart as noise"),
            "{md}"
        );
        assert!(!md.contains("| rank |"), "{md}");
        assert!(!md.contains(NO_FACETS), "{md}");
        let html = html::render(&all_noise, None, "whyline report", &[], &|_| None);
        assert!(html.contains("id=\"none\""), "{html}");
        assert!(html.contains("1 document · 4 segments"), "{html}");
        let no_theme = empty_run(5, 3, 0);
        assert!(no_insights_text(&no_theme)
            .unwrap()
            .contains("the 3 segments analysed form no theme"));
        let one_weak = empty_run(9, 9, 1);
        assert!(no_insights_text(&one_weak)
            .unwrap()
            .contains("the one theme did not clear"));
        assert_eq!(count(1, "weak signal"), "1 weak signal");
    }

    #[test]
    fn cautions_are_shown_under_the_summary() {
        let run = empty_run(4, 0, 0);
        let caution = ["3 of 9 documents (33%) do not read as English".to_string()];
        let md = markdown(&run, None, "t", &caution);
        assert!(
            md.contains("> **Read with care:** 3 of 9 documents (33%)"),
            "{md}"
        );
        let html = html::render(&run, None, "t", &caution, &|_| None);
        assert!(
            html.contains("<b>Read with care:</b> 3 of 9 documents (33%)"),
            "{html}"
        );
        assert!(!markdown(&run, None, "t", &[]).contains("Read with care"));
    }

    #[test]
    fn timestamps_read_naturally() {
        assert_eq!(timestamp(65_000), "1:05");
        assert_eq!(timestamp(3_725_000), "1:02:05");
    }

    #[test]
    fn taxonomy_ids_read_with_spaces_in_the_why() {
        let e = LabelShare {
            label: "price_and_billing".into(),
            share: 0.311,
            mean_score: 0.5,
            lift: 1.7,
        };
        assert_eq!(labels_text(&[e]), "price and billing (31.1%, 1.7×)");
    }

    #[test]
    fn label_changes_read_as_one_sentence_per_facet() {
        use crate::insight::changes::{FacetChange, LabelChange, LabelMove};
        let mut f = FacetChange {
            facet: "topic".into(),
            model_before: Some("zero_shot:a".into()),
            model_now: Some("mlp:b".into()),
            segments: 10,
            unchanged: 7,
            only_before: 0,
            only_now: 2,
            labels: vec![
                LabelChange {
                    label: "price_and_billing".into(),
                    before: 5,
                    now: 2,
                    change: -3,
                    kept: 2,
                },
                LabelChange {
                    label: "delivery".into(),
                    before: 1,
                    now: 1,
                    change: 0,
                    kept: 1,
                },
            ],
            moves: vec![LabelMove {
                from: Some("price_and_billing".into()),
                to: None,
                segments: 3,
            }],
            labelled_before: 10,
            labelled_now: 12,
            shares: vec![],
        };
        assert_eq!(
            facet_change_line(&f, 3),
            "topic (model zero_shot:a → mlp:b): 7 of 10 segments keep their labels (70.0%); \
             most changed: price and billing 5 → 2 (-3); \
             most frequent moves: price and billing → no label (3)"
        );
        f.segments = 0;
        f.model_before = None;
        (f.only_before, f.only_now) = (0, 12);
        assert_eq!(
            facet_change_line(&f, 3),
            "topic: labelled in this run only (12 segments, model mlp:b)"
        );
        // regression: two runs over different corpora, both labelled, were
        // said to be labelled "in the earlier run only"
        f.model_before = Some("mlp:b".into());
        (f.only_before, f.only_now) = (1, 3620);
        assert_eq!(
            facet_change_line(&f, 3),
            "topic: no segment labelled in both runs (1 in the earlier run, 3620 in this run, \
             model mlp:b)"
        );
        f.model_before = Some("zero_shot:a".into());
        assert_eq!(
            facet_change_line(&f, 3),
            "topic: no segment labelled in both runs (1 in the earlier run, model zero_shot:a; \
             3620 in this run, model mlp:b)"
        );
        f.model_before = Some("mlp:b".into());
        (f.only_before, f.only_now) = (4, 0);
        assert_eq!(
            facet_change_line(&f, 3),
            "topic: labelled in the earlier run only (4 segments, model mlp:b)"
        );
    }

    #[test]
    fn provenance_names_file_line_speaker_time() {
        let q = Quote {
            segment: "s".into(),
            doc: "d".into(),
            source: "calls/a.txt".into(),
            line: Some(12),
            record: None,
            speaker: Some("Customer".into()),
            start_ms: Some(61_000),
            question: None,
            text: "x".into(),
        };
        assert_eq!(provenance(&q), "calls/a.txt:12, Customer at 1:01");
    }

    /// A quote of a survey answer to `question`, from forms.csv:4.
    fn survey_quote(question: &str) -> Quote {
        Quote {
            segment: "s".into(),
            doc: "d".into(),
            source: "forms.csv".into(),
            line: Some(4),
            record: Some(3),
            speaker: None,
            start_ms: None,
            question: Some(question.into()),
            text: "Checkout.".into(),
        }
    }

    /// An insight with only a headline: no labels, questions, quotes or impact.
    fn plain_insight(headline: &str) -> Insight {
        serde_json::from_value(serde_json::json!({
            "rank": 1, "theme": "theme-001", "headline": headline, "score": 50.0,
            "score_parts": {"reach": 0.0, "speakers": 0.0, "share": 0.0, "intensity": 0.0,
                            "impact": null},
            "keywords": [], "emotions": [], "motivations": [], "topics": [], "reasons": [],
            "reach": {"segments": 10, "documents": 10, "speakers": 10, "segment_share": 0.3,
                      "document_share": 0.4, "document_share_ci": [0.2, 0.6]},
            "impact": null, "significance": "", "coherence": 0.8, "quotes": [], "members": []
        }))
        .unwrap()
    }

    #[test]
    fn an_insight_says_which_value_of_a_column_it_comes_up_in_most() {
        let mut run = empty_run(40, 40, 2);
        run.corpus.analysed_documents = 40;
        run.corpus.by = vec![crate::insight::breakdown::BreakdownSummary {
            column: "product".into(),
            documents: 30,
            values: [
                "Mortgage",
                "Credit card",
                "Student loan",
                "Auto",
                "Checking",
                "Savings",
            ]
            .iter()
            .map(|v| crate::insight::breakdown::ValueCount {
                value: v.to_string(),
                documents: 5,
            })
            .collect(),
            other_values: 1,
            other_documents: 0,
        }];
        let mut a = plain_insight("Escrow, taxes");
        a.rank = 1;
        a.reach.documents = 8;
        a.by = vec![crate::insight::breakdown::Standout {
            column: "product".into(),
            value: "Mortgage".into(),
            documents: 5,
            of: 6,
            share: 0.833333,
            corpus_share: 0.166667,
            lift: 5.0,
            p: 0.0004,
        }];
        let mut b = plain_insight("Fees");
        b.rank = 2;
        run.insights = vec![a.clone(), b];
        assert_eq!(
            by_values_line(&a).unwrap(),
            "product “Mortgage”: 5 of its 6 documents with a product (83.3%; 16.7% of all, 5.0×, p < 0.001)"
        );
        assert_eq!(
            by_line(&run).unwrap(),
            "By \"product\" (30 documents: Mortgage 5, Credit card 5, Student loan 5, Auto 5, \
             Checking 5 and 2 more): insight #1 comes up most in one value (\"Most in\" on its card)."
        );
        let md = markdown(&run, None, "whyline report", &[]);
        assert!(
            md.contains("**Most in:** product “Mortgage”: 5 of its 6"),
            "{md}"
        );
        assert_eq!(md.matches("**Most in:**").count(), 1, "{md}");
        let html = html::render(&run, None, "whyline report", &[], &|_| None);
        assert!(
            html.contains("<b>Most in:</b> product “Mortgage”"),
            "{html}"
        );
        assert!(html.contains("id=\"by\""), "{html}");
        // a list's column, in the plural: "with tags"
        let mut tagged = a.clone();
        tagged.by[0].column = "tags".into();
        assert!(by_values_line(&tagged)
            .unwrap()
            .contains("5 of its 6 documents with tags ("));
        // every document of the theme has a product: no "with a product"
        a.reach.documents = 6;
        assert!(by_values_line(&a)
            .unwrap()
            .contains("5 of its 6 documents (83.3%"));
        run.insights.clear();
        assert!(by_line(&run)
            .unwrap()
            .ends_with("no insight comes up in one value more than the corpus does."));
        let mut weak = a.clone();
        weak.rank = 3;
        run.weak_signals = vec![weak];
        let md = markdown(&run, None, "whyline report", &[]);
        assert!(md.contains(", most in product “Mortgage” 5.0× ("), "{md}");
        let html = html::render(&run, None, "whyline report", &[], &|_| None);
        assert!(
            html.contains("docs, most in product “Mortgage” 5.0×</td>"),
            "{html}"
        );
        run.corpus.by.clear();
        assert_eq!(by_line(&run), None);
    }

    #[test]
    fn an_insight_says_which_survey_questions_it_comes_up_in() {
        let mut i = plain_insight("Crashes");
        assert_eq!(questions_line(&i), None);
        i.questions = vec![
            crate::insight::QuestionShare {
                question: "What should we improve first?".into(),
                segments: 9,
                share: 0.82,
                corpus_share: 0.34,
            },
            crate::insight::QuestionShare {
                question: "Why that score?".into(),
                segments: 2,
                share: 0.18,
                corpus_share: 0.66,
            },
        ];
        assert_eq!(
            questions_line(&i).unwrap(),
            "“What should we improve first?” 82.0% (34.0% across all answers) · \
             “Why that score?” 18.0% (66.0%)"
        );
    }

    #[test]
    fn a_card_names_a_quotes_question_only_when_its_insight_spans_several() {
        let q = survey_quote("Why that score?");
        let share = |question: &str| crate::insight::QuestionShare {
            question: question.into(),
            segments: 3,
            share: 0.5,
            corpus_share: 0.5,
        };
        let mut i = plain_insight("Fees");
        i.questions = vec![share("Why that score?")];
        assert_eq!(quote_source(&q, &i), "forms.csv:4");
        i.questions.push(share("What to improve?"));
        assert_eq!(
            quote_source(&q, &i),
            "forms.csv:4, answering “Why that score?”"
        );
    }

    #[test]
    fn a_survey_answer_quote_names_the_question_it_answers() {
        // was: two open questions' answers quoted alike, so a reader could
        // not tell a reason for the score from a wish for what to improve
        let q = survey_quote("What should we improve first?");
        assert_eq!(
            provenance(&q),
            "forms.csv:4, answering “What should we improve first?”"
        );
        let json = serde_json::to_string(&q).unwrap();
        assert!(json.contains("\"question\":\"What should we improve first?\""));
        // a quote that answers no question says nothing of one
        let plain = Quote {
            question: None,
            ..q
        };
        assert!(!serde_json::to_string(&plain).unwrap().contains("question"));
    }
}
