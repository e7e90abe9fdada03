//! `report.html`: one self-contained page (inline CSS and SVG, no script, no
//! network) with a summary, one card per insight and its why, charts, and
//! quotes linked to their source files.

use super::{impact_line, pct_str, questions_line, quote_source, trend_line, why_line};
use crate::insight::changes::Changes;
use crate::insight::trend::DatesSummary;
use crate::insight::{Insight, Insights, Quote};
use std::fmt::Write;

/// Escape text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

const CSS: &str = "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
main{max-width:980px;margin:0 auto;padding:24px}
h1{margin:0 0 4px}.sub{color:#5a6272;margin:0 0 20px}
.card{background:#fff;border:1px solid #dde1e7;border-radius:10px;padding:18px 22px;margin:16px 0}
.card h2{font-size:1.15em;margin:0 0 6px}.rank{color:#6b4fd8;margin-right:6px}
.caution{border-color:#d9a23b;background:#fff8e8}
.meta{color:#5a6272;font-size:.9em;margin-bottom:10px}
.why{background:#f1eefc;border-radius:6px;padding:8px 12px;margin:8px 0}
.trend{margin:8px 0}
.kw span{display:inline-block;background:#eef1f5;border-radius:12px;padding:2px 9px;margin:2px;font-size:.85em}
blockquote{margin:8px 0;padding:4px 12px;border-left:3px solid #6b4fd8;background:#fafbfc}
blockquote .src{display:block;color:#5a6272;font-size:.8em;margin-top:2px}
.weak td,.noise td{padding:2px 10px 2px 0}.weak{font-size:.9em}
svg text{font-size:11px;fill:#1d2330}";

/// Render the page. `cautions` are shown under the summary (see
/// [`super::markdown`]); `link` maps a quote to an href (relative to the
/// report), or `None` to show the provenance without a link.
pub fn render(
    ins: &Insights,
    changes: Option<&Changes>,
    title: &str,
    cautions: &[String],
    link: &dyn Fn(&Quote) -> Option<String>,
) -> String {
    let mut h = String::new();
    let c = &ins.corpus;
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{}</title><style>{}</style></head><body><main>\n",
        esc(title),
        CSS
    );
    let _ = writeln!(h, "<h1>{}</h1>", esc(title));
    let [docs, segments, analysed, themes, insights, weak, noise, outliers] =
        super::summary_counts(ins);
    let _ = writeln!(
        h,
        "<p class=\"sub\" id=\"summary\">{} · {segments} · {analysed} analysed · {themes} · \
         <b>{insights}</b> · {weak} · {noise} · {outliers}</p>",
        esc(&docs)
    );
    for caution in cautions {
        let _ = writeln!(
            h,
            "<div class=\"card caution\"><b>Read with care:</b> {}</div>",
            esc(caution)
        );
    }
    if let Some(l) = super::legend(c) {
        let _ = writeln!(h, "<p class=\"sub\">{}</p>", esc(l));
    }
    if let Some(l) = super::dates_line(ins) {
        let _ = writeln!(h, "<p class=\"sub\" id=\"dates\">{}</p>", esc(&l));
    }
    if let Some(l) = super::by_line(ins) {
        let _ = writeln!(h, "<p class=\"sub\" id=\"by\">{}</p>", esc(&l));
    }
    if let Some(why) = super::no_insights_text(ins) {
        let _ = writeln!(
            h,
            "<div class=\"card\" id=\"none\"><p>{}</p></div>",
            esc(&why)
        );
    }
    if let Some(top) = ins.insights.first() {
        let _ = writeln!(
            h,
            "<div class=\"card\" id=\"top\"><b>Top insight:</b> <a href=\"#insight-{}\">{}</a></div>",
            top.rank,
            esc(&top.headline)
        );
    }
    if let Some(c) = changes {
        let (totals, sections) = super::change_sections(c, super::CHANGES_TOP);
        let _ = writeln!(
            h,
            "<div class=\"card\" id=\"changes\"><h2>Since the previous run</h2><p class=\"sub\">{}</p>",
            esc(&totals)
        );
        if sections.is_empty() {
            let _ = writeln!(h, "<p>No theme appeared, moved or disappeared.</p>");
        }
        for (head, items) in sections {
            let _ = writeln!(h, "<h3>{}</h3><ul>", esc(&head));
            for i in items {
                let _ = writeln!(h, "<li>{}</li>", esc(&i));
            }
            let _ = writeln!(h, "</ul>");
        }
        let _ = writeln!(h, "</div>");
    }
    if !ins.insights.is_empty() {
        let _ = writeln!(
            h,
            "<div class=\"card\"><h2>Share of documents per insight</h2>"
        );
        if c.analysed_documents > 0 && c.analysed_documents != c.documents {
            let _ = writeln!(
                h,
                "<p class=\"sub\">Of the {} documents with analysed segments.</p>",
                c.analysed_documents
            );
        }
        h.push_str(&share_chart(&ins.insights));
        let _ = writeln!(h, "</div>");
        if ins.insights.iter().any(|i| i.impact.is_some()) {
            let _ = writeln!(
                h,
                "<div class=\"card\"><h2>Impact on the outcome (95% interval)</h2>"
            );
            // the outcome by its column, and what it asks where the input says
            if let Some(o) = &c.outcome {
                let asks = o
                    .question
                    .as_ref()
                    .map(|q| format!(" (“{}”)", esc(q)))
                    .unwrap_or_default();
                let _ = writeln!(
                    h,
                    "<p class=\"sub\">Outcome column <code>{}</code>{asks}: {} documents, mean \
                     {:.3}, sd {:.3}.</p>",
                    esc(&o.column),
                    o.documents,
                    o.mean,
                    o.sd
                );
            }
            h.push_str(&impact_chart(&ins.insights));
            let _ = writeln!(h, "</div>");
        }
    }
    for i in &ins.insights {
        card(&mut h, i, c.dates.as_ref(), link);
    }
    if !ins.weak_signals.is_empty() {
        let _ = writeln!(
            h,
            "<div class=\"card\"><h2>Weak signals</h2><table class=\"weak\">"
        );
        for i in &ins.weak_signals {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{} docs{}</td><td>{}</td></tr>",
                esc(&i.headline),
                i.reach.documents,
                esc(&super::weak_notes(i)),
                esc(&i.significance)
            );
        }
        let _ = writeln!(h, "</table></div>");
    }
    let _ = writeln!(
        h,
        "<div class=\"card\"><h2>Noise set apart</h2><table class=\"noise\">"
    );
    for (k, v) in &ins.noise.by_reason {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{v}</td><td>{}</td></tr>",
            esc(k),
            esc(super::noise_meaning(k))
        );
    }
    let _ = writeln!(
        h,
        "<tr><td>outliers</td><td>{}</td><td>{}</td></tr></table></div>",
        ins.noise.outliers,
        esc(super::OUTLIERS_MEANING)
    );
    let _ = writeln!(h, "</main></body></html>");
    h
}

fn card(
    h: &mut String,
    i: &Insight,
    dates: Option<&DatesSummary>,
    link: &dyn Fn(&Quote) -> Option<String>,
) {
    let _ = writeln!(
        h,
        "<section class=\"card insight\" id=\"insight-{}\"><h2 class=\"headline\"><span class=\"rank\">#{}</span>{}</h2>",
        i.rank,
        i.rank,
        esc(&i.headline)
    );
    let _ = writeln!(
        h,
        "<div class=\"meta\">score {:.1} · {} documents ({}) · {} speakers · {} segments · theme {}</div>",
        i.score,
        i.reach.documents,
        pct_str(i.reach.document_share),
        i.reach.speakers,
        i.reach.segments,
        esc(&i.theme)
    );
    let why = why_line(i);
    if !why.is_empty() || i.impact.is_some() {
        let _ = write!(h, "<div class=\"why\">");
        if !why.is_empty() {
            let _ = write!(h, "<b>Why:</b> customers {}.", esc(&why));
        }
        if let Some(l) = impact_line(i) {
            let _ = write!(h, " <b>Impact:</b> {}.", esc(&l));
        }
        let _ = writeln!(h, "</div>");
    }
    if let (Some(l), Some(d)) = (trend_line(i, dates), dates) {
        let _ = writeln!(
            h,
            "<div class=\"trend\"><b>Over time:</b> {}.{}</div>",
            esc(&l),
            trend_chart(i, d)
        );
    }
    if let Some(l) = super::by_values_line(i) {
        let _ = writeln!(h, "<div class=\"why\"><b>Most in:</b> {}.</div>", esc(&l));
    }
    if let Some(l) = questions_line(i) {
        let _ = writeln!(h, "<div class=\"why\"><b>Answers to:</b> {}</div>", esc(&l));
    }
    if !i.emotions.is_empty() {
        h.push_str(&emotion_chart(i));
    }
    let _ = write!(h, "<div class=\"kw\">");
    for k in &i.keywords {
        let _ = write!(h, "<span>{}</span>", esc(&k.term));
    }
    let _ = writeln!(h, "</div>");
    if !i.reasons.is_empty() {
        let _ = writeln!(h, "<h3>Stated reasons</h3>");
        for r in &i.reasons {
            quote(h, &r.quote, i, link);
        }
    }
    let _ = writeln!(h, "<h3>Quotes</h3>");
    for q in &i.quotes {
        quote(h, q, i, link);
    }
    let _ = writeln!(h, "</section>");
}

fn quote(h: &mut String, q: &Quote, i: &Insight, link: &dyn Fn(&Quote) -> Option<String>) {
    let src = esc(&quote_source(q, i));
    let src = match link(q) {
        Some(href) => format!("<a href=\"{}\">{src}</a>", esc(&href)),
        None => src,
    };
    let _ = writeln!(
        h,
        "<blockquote>“{}”<span class=\"src\">{src}</span></blockquote>",
        esc(&q.text)
    );
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n).collect::<String>() + "…"
    }
}

/// Small columns of an insight's share of the dated documents per period,
/// faint where a period holds fewer than 10 documents, with a dashed line at
/// its share over all periods; each column's title says its counts.
fn trend_chart(i: &Insight, d: &DatesSummary) -> String {
    let Some(t) = &i.trend else {
        return String::new();
    };
    // columns at least 14 px wide, spanning at least 240 px: room for the
    // first and last periods' names under them
    let (col, h) = ((240 / t.documents.len().max(1)).max(14), 40.0);
    let shares: Vec<Option<f64>> = t
        .documents
        .iter()
        .zip(&d.periods)
        .map(|(&x, p)| (p.documents > 0).then(|| x as f64 / p.documents as f64))
        .collect();
    // scaled to the periods with 10 documents or more (one complaint of one
    // in a sparse early year is 100% and would flatten the rest); the faint
    // columns of sparse periods are cut at the top
    let dense = |min: usize| {
        shares
            .iter()
            .zip(&d.periods)
            .filter(|(_, p)| p.documents >= min)
            .filter_map(|(s, _)| *s)
            .fold(0.0, f64::max)
    };
    let max = [10, 1]
        .map(dense)
        .into_iter()
        .find(|&m| m > 0.0)
        .unwrap_or(1e-9);
    let w = col * shares.len() + 2;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{}\" role=\"img\" aria-label=\"share of dated documents per {}\" style=\"display:block;margin:4px 0\">",
        h + 14.0,
        d.unit.as_deref().unwrap_or("period")
    );
    for (k, (share, p)) in shares.iter().zip(&d.periods).enumerate() {
        let Some(share) = share else { continue };
        let bh = (h * share / max).clamp(1.0, h);
        let _ = write!(
            s,
            "<rect x=\"{}\" y=\"{:.1}\" width=\"{}\" height=\"{bh:.1}\" fill=\"#6b4fd8\"{}><title>{}: {} of {} documents ({})</title></rect>",
            k * col + 1,
            h - bh,
            col - 3,
            if p.documents < 10 { " fill-opacity=\"0.35\"" } else { "" },
            esc(&p.period),
            t.documents[k],
            p.documents,
            pct_str(*share)
        );
    }
    let all: usize = t.documents.iter().sum();
    let overall = all as f64 / d.documents.max(1) as f64;
    let y = (h - h * overall / max).clamp(0.0, h);
    let _ = write!(
        s,
        "<line x1=\"0\" x2=\"{w}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#5a6272\" stroke-dasharray=\"3 3\"/><text x=\"0\" y=\"{}\">{}</text><text x=\"{w}\" y=\"{}\" text-anchor=\"end\">{}</text></svg>",
        h + 12.0,
        esc(d.periods.first().map_or("", |p| p.period.as_str())),
        h + 12.0,
        esc(d.periods.last().map_or("", |p| p.period.as_str())),
    );
    s
}

/// Horizontal bars: document share per insight.
fn share_chart(items: &[Insight]) -> String {
    let row = 22;
    let w = 900;
    let label_w = 360;
    let max = items
        .iter()
        .map(|i| i.reach.document_share)
        .fold(0.0, f64::max)
        .max(1e-9);
    let height = row * items.len() + 10;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{height}\" role=\"img\" aria-label=\"share of documents per insight\">"
    );
    for (k, i) in items.iter().enumerate() {
        let y = k * row + 4;
        let bw = ((w - label_w - 70) as f64 * i.reach.document_share / max).max(1.0);
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{}\">#{} {}</text><rect x=\"{label_w}\" y=\"{y}\" width=\"{bw:.1}\" height=\"{}\" fill=\"#6b4fd8\"/><text x=\"{:.1}\" y=\"{}\">{}</text>",
            y + 13,
            i.rank,
            esc(&short(&i.headline, 52)),
            row - 6,
            label_w as f64 + bw + 4.0,
            y + 13,
            pct_str(i.reach.document_share)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// Small horizontal bars of the emotions that stand out in one insight: the
/// share of its segments, with a dark tick at the rate across all analysed segments.
fn emotion_chart(i: &Insight) -> String {
    let row = 16;
    let height = row * i.emotions.len() + 4;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"420\" height=\"{height}\" role=\"img\" aria-label=\"emotions: share of the insight's segments, tick at the corpus rate\">"
    );
    for (k, e) in i.emotions.iter().enumerate() {
        let y = k * row + 2;
        let bw = (250.0 * e.share).max(1.0);
        let label = super::share_and_lift(e, " · ");
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{}\">{}</text><rect x=\"110\" y=\"{y}\" width=\"{bw:.1}\" height=\"{}\" fill=\"#e07a5f\"/>",
            y + 11,
            esc(&super::display_label(&e.label)),
            row - 4,
        );
        if e.lift > 0.0 {
            let tx = 110.0 + 250.0 * e.share / e.lift;
            let _ = write!(
                s,
                "<rect x=\"{:.1}\" y=\"{}\" width=\"2\" height=\"{}\" fill=\"#333\"><title>corpus rate {}</title></rect>",
                tx - 1.0,
                y.saturating_sub(1),
                row - 2,
                pct_str(e.share / e.lift)
            );
        }
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{}\">{}</text>",
            114.0 + bw,
            y + 11,
            esc(&label)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// Dot and whisker per insight: theme mean minus rest mean, with the
/// bootstrap interval of the average's move.
fn impact_chart(items: &[Insight]) -> String {
    let row = 22;
    let label_w = 360.0;
    let plot_w = 480.0;
    let vals: Vec<(usize, f64, f64, f64)> = items
        .iter()
        .filter_map(|i| {
            i.impact
                .as_ref()
                .map(|m| (i.rank, -m.delta, -m.ci[1], -m.ci[0]))
        })
        .collect();
    let span = vals
        .iter()
        .flat_map(|v| [v.1.abs(), v.2.abs(), v.3.abs()])
        .fold(0.0, f64::max)
        .max(1e-9);
    let x = |v: f64| label_w + plot_w / 2.0 + v / span * (plot_w / 2.0 - 10.0);
    let height = row * vals.len() + 24;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" height=\"{height}\" role=\"img\" aria-label=\"impact\"><line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"0\" y2=\"{1}\" stroke=\"#999\"/>",
        x(0.0),
        height - 14
    );
    for (k, (rank, d, lo, hi)) in vals.iter().enumerate() {
        let y = (k * row + 12) as f64;
        let color = if *lo > 0.0 || *hi < 0.0 {
            "#2a9d8f"
        } else {
            "#999"
        };
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{:.1}\">#{rank}</text><line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"{color}\" stroke-width=\"2\"/><circle cx=\"{:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"{color}\"/><text x=\"{:.1}\" y=\"{:.1}\">{d:+.3}</text>",
            y + 4.0,
            x(*lo),
            x(*hi),
            x(*d),
            label_w + plot_w + 10.0,
            y + 4.0
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"{label_w}\" y=\"{}\">removing the theme's documents moves the average by (− lowers, + raises)</text></svg>",
        height - 2
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
