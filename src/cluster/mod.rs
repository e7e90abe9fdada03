//! Cluster: group the analysed segments into themes.
//!
//! Why: a reader wants a few dozen themes, not ten thousand sentences, and
//! wants the same themes tomorrow for the same input. BERTopic's users
//! complain of topics that change on every run (UMAP randomness), an outlier
//! bucket holding 30-50% of documents and memory blow-ups; this stage is built
//! against each of those:
//!
//! 1. points are sorted by a content key (the segment id) so input order
//!    cannot matter, and every step is sequential or computes each item
//!    independently (thread count cannot matter);
//! 2. an exact k-NN graph (cosine, memory O(n·k), see [`knn`]) is split into
//!    communities by Louvain modularity in a fixed order ([`louvain`]);
//! 3. near-duplicate communities are merged hierarchically (centroid cosine
//!    above `merge_threshold`, closest pair first); communities below the
//!    size floor are dissolved; a loose community (centroid norm below
//!    `min_coherence`) keeps only its core, members far from their centroid
//!    are set apart (see `theme_core`);
//! 4. a second assignment pass gives every set-apart point to its nearest
//!    theme when it is close enough (`assign_threshold`), which keeps the
//!    outlier group small without forcing real outliers into themes;
//! 5. themes are numbered by size (ties: smallest member key).
//!
//! The method was chosen by measurement (`cargo bench --bench theme_quality`
//! with `scripts/bertopic_compare.py`; README, "How themes are found"): on
//! MiniLM embeddings of Banking77 it beats BERTopic (UMAP + HDBSCAN) on NMI
//! and ARI with far fewer outliers.

pub mod knn;
pub mod louvain;
pub mod metrics;

use serde::{Deserialize, Serialize};

/// Clustering parameters (`[cluster]` in `whyline.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// Neighbours per point in the k-NN graph.
    pub k: usize,
    /// Louvain resolution: higher gives more, smaller themes.
    pub resolution: f64,
    /// Below this many points the resolution is raised, see
    /// [`effective_resolution`]; 0 = never.
    pub reference_size: usize,
    /// Size floor: themes with fewer segments are dissolved (lowered on a
    /// corpus of fewer than 81 points, see [`size_floor`]).
    pub min_size: usize,
    /// Merge two themes whose centroids have at least this cosine similarity.
    pub merge_threshold: f64,
    /// A community whose centroid norm (≈ sqrt of mean pairwise cosine) is
    /// below this keeps only its core: members at least this close to its centroid.
    pub min_coherence: f64,
    /// A member whose cosine to its theme centroid is below this is set apart.
    pub member_min_similarity: f64,
    /// Second pass: a set-apart point joins its nearest theme at or above this cosine.
    pub assign_threshold: f64,
    /// At most this many themes (closest pairs merged until reached); 0 = no cap.
    pub max_themes: usize,
    /// A theme whose centroid has a mean cosine of at least this to its
    /// [`CHATTER_NEIGHBOURS`] nearest greetings, thanks and closings (the
    /// segments the noise rules set apart) is small talk the rules missed:
    /// its members are set apart as noise `chatter`; 0 = off.
    pub chatter_similarity: f64,
}

/// The members of a community that make its theme. In a coherent community
/// (centroid norm at least `min_coherence`) those with cosine at least
/// `member_min_similarity` to its centroid; a loose one keeps its core, the
/// members at least `min_coherence` close to its centroid, whose own centroid
/// norm then clears the bar (the norm is the members' mean cosine to the
/// centroid direction). Dissolving a loose community outright sent all its
/// members to the outliers, and whether a community of 200 sentences about
/// car loans stood at norm 0.551 or 0.549 decided whether the theme existed.
fn theme_core(
    pts: &[Vec<f32>],
    members: Vec<usize>,
    dim: usize,
    cfg: &ClusterConfig,
) -> Vec<usize> {
    let (c, norm) = centroid(pts, &members, dim);
    let bar = if (norm as f64) < cfg.min_coherence {
        cfg.min_coherence
    } else {
        cfg.member_min_similarity
    };
    members
        .into_iter()
        .filter(|&m| knn::dot(&pts[m], &c) as f64 >= bar)
        .collect()
}

/// The size floor for `n` points: `min_size`, lowered on a small corpus to
/// 5% of its points (at least 3). A night of 30 calls leaves some 60
/// analysed sentences, where four customers asking for a boarding pass are a
/// theme, not outliers; from 81 points on the floor is `min_size` (5 by default).
pub fn size_floor(min_size: usize, n: usize) -> usize {
    min_size.min(n.div_ceil(20).max(3)).max(1)
}

/// The Louvain resolution used on `n` points: `resolution`, raised on a
/// corpus of fewer than `reference_size` points by `sqrt(reference_size / n)`,
/// at most twofold. Modularity finds fewer communities in a smaller graph
/// (their count grows about as `sqrt(n × resolution)`), so at one resolution
/// the same intents were themes at one size and merged at another: 3,080
/// Banking77 messages, 40 per intent, gave 44–46 themes for 77 intents and NMI
/// 0.783–0.790 (BERTopic 0.787–0.794), where all 10,003 give 81 themes; with
/// the resolution raised (×1.8) they give 60–62 themes and NMI 0.811 (README,
/// "At held-out sizes").
///
/// On a night of a few calls that model fails: with each point linked to its
/// `k` nearest of only some 100, the raised resolution splits the graph into
/// communities of one or two, below the size floor, so the sentences end up
/// outliers (Banking77 samples of 10 intents: 20–26% outliers at 100 points,
/// 60–90% at 50, against 0–12% unraised). The raise is therefore phased in
/// between [`RAISE_FROM`] and [`RAISE_FULL_AT`] points, where it was measured
/// to help (README, "At held-out sizes").
pub fn effective_resolution(cfg: &ClusterConfig, n: usize) -> f64 {
    if n == 0 || n >= cfg.reference_size {
        return cfg.resolution;
    }
    let raise = (cfg.reference_size as f64 / n as f64).sqrt().min(2.0);
    let phase =
        (n.saturating_sub(RAISE_FROM) as f64 / (RAISE_FULL_AT - RAISE_FROM) as f64).min(1.0);
    cfg.resolution * (1.0 + (raise - 1.0) * phase)
}

/// Up to this many points the resolution is not raised ([`effective_resolution`]).
pub const RAISE_FROM: usize = 100;
/// From this many points the resolution is raised in full.
pub const RAISE_FULL_AT: usize = 200;

/// How many of the run's greetings, thanks and closings a theme's centroid
/// is compared with (the nearest ones) in [`chatter_themes`].
pub const CHATTER_NEIGHBOURS: usize = 10;

/// The themes that are small talk: the mean cosine of a theme's centroid to
/// its [`CHATTER_NEIGHBOURS`] nearest `exemplars` (unit-length embeddings of
/// the segments the noise rules set apart as greetings, thanks, closings and
/// fillers) is at least `threshold`. The rules catch "thank you so much" but
/// not every "thats it for today have a great day" or "ok sure i am waiting";
/// those gather into themes of their own, which sit among the rules' catches
/// the way no theme of requests or complaints does. Nothing is flagged when
/// `threshold` is 0 or there are fewer exemplars than neighbours. Measured
/// (README, "Small talk the rules miss"): themes of closings, thanks,
/// confirmations and "nothing else" score 0.69–0.78; themes of requests and
/// complaints at most 0.36 on chat corpora and 0.53 on complaint narratives;
/// one-line praise ("Haha, love it! :)") 0.66, so it stays analysed.
pub fn chatter_themes(themes: &[Theme], exemplars: &[Vec<f32>], threshold: f64) -> Vec<usize> {
    if threshold <= 0.0 || exemplars.len() < CHATTER_NEIGHBOURS {
        return Vec::new();
    }
    themes
        .iter()
        .enumerate()
        .filter(|(_, th)| {
            let mut sims: Vec<f32> = exemplars
                .iter()
                .map(|e| knn::dot(e, &th.centroid))
                .collect();
            sims.sort_by(|a, b| b.total_cmp(a));
            let near = &sims[..CHATTER_NEIGHBOURS];
            let mean = near.iter().map(|&x| x as f64).sum::<f64>() / near.len() as f64;
            mean >= threshold
        })
        .map(|(t, _)| t)
        .collect()
}

/// `cl` without the themes `drop` and their members: the remaining points
/// renumbered in order, the remaining themes in order. Also returns, per
/// input point, whether it remains.
pub fn drop_themes(cl: &Clustering, drop: &[usize]) -> (Clustering, Vec<bool>) {
    let gone = |a: &Option<usize>| a.is_some_and(|t| drop.contains(&t));
    let keep: Vec<bool> = cl.assignment.iter().map(|a| !gone(a)).collect();
    let mut new_index = vec![usize::MAX; keep.len()];
    let mut n = 0;
    for (i, &k) in keep.iter().enumerate() {
        if k {
            new_index[i] = n;
            n += 1;
        }
    }
    let mut theme_index = vec![usize::MAX; cl.themes.len()];
    let mut themes = Vec::new();
    for (t, th) in cl.themes.iter().enumerate() {
        if drop.contains(&t) {
            continue;
        }
        theme_index[t] = themes.len();
        themes.push(Theme {
            members: th.members.iter().map(|&m| new_index[m]).collect(),
            ..th.clone()
        });
    }
    let assignment = cl
        .assignment
        .iter()
        .filter(|a| !gone(a))
        .map(|a| a.map(|t| theme_index[t]))
        .collect();
    (
        Clustering {
            themes,
            assignment,
            communities: cl.communities,
            reassigned: cl.reassigned,
            resolution: cl.resolution,
        },
        keep,
    )
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            k: 15,
            resolution: 3.0,
            reference_size: 10_000,
            min_size: 5,
            merge_threshold: 0.92,
            min_coherence: 0.55,
            member_min_similarity: 0.35,
            assign_threshold: 0.5,
            max_themes: 0,
            chatter_similarity: 0.67,
        }
    }
}

/// One theme: its members (indices into the caller's points) and centroid.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    /// Member indices into the input, sorted ascending by key.
    pub members: Vec<usize>,
    /// Unit-length centroid direction.
    pub centroid: Vec<f32>,
    /// Norm of the mean member vector (1 = all identical).
    pub coherence: f32,
    /// How many graph communities were merged into this theme.
    pub merged: usize,
}

/// The result: themes (largest first) and each point's theme.
#[derive(Debug, Clone, PartialEq)]
pub struct Clustering {
    pub themes: Vec<Theme>,
    /// Per input point: its theme index, or `None` for an outlier.
    pub assignment: Vec<Option<usize>>,
    /// Communities found by Louvain before merging and filtering.
    pub communities: usize,
    /// Points given to a theme by the second assignment pass.
    pub reassigned: usize,
    /// The Louvain resolution used ([`effective_resolution`]).
    pub resolution: f64,
}

impl Clustering {
    pub fn outliers(&self) -> usize {
        self.assignment.iter().filter(|a| a.is_none()).count()
    }
}

fn normalize(v: &mut [f32]) -> f32 {
    let n = v
        .iter()
        .map(|x| (*x as f64) * (*x as f64))
        .sum::<f64>()
        .sqrt() as f32;
    if n > 0.0 {
        for x in v.iter_mut() {
            *x /= n;
        }
    }
    n
}

/// Mean vector of `members` (f64 accumulation, fixed order), normalised; returns (direction, norm).
fn centroid(points: &[Vec<f32>], members: &[usize], dim: usize) -> (Vec<f32>, f32) {
    let mut acc = vec![0f64; dim];
    for &m in members {
        for (a, x) in acc.iter_mut().zip(&points[m]) {
            *a += *x as f64;
        }
    }
    let len = members.len().max(1) as f64;
    let mut c: Vec<f32> = acc.iter().map(|a| (a / len) as f32).collect();
    let norm = normalize(&mut c);
    (c, norm)
}

/// Cluster unit-length `points`; `keys[i]` is a content key giving the
/// canonical order (ties between equal keys keep input order, so equal keys
/// should only be used for identical points).
pub fn cluster(points: &[Vec<f32>], keys: &[&str], cfg: &ClusterConfig) -> Clustering {
    cluster_with_progress(points, keys, cfg, &|_| {})
}

/// [`cluster`], reporting the neighbour search's progress: `done` gets the
/// tiles finished so far, of [`knn::tile_count`] of the point count (the
/// search is most of the stage's time on large corpora).
pub fn cluster_with_progress(
    points: &[Vec<f32>],
    keys: &[&str],
    cfg: &ClusterConfig,
    done: &(dyn Fn(u64) + Sync),
) -> Clustering {
    let n = points.len();
    let dim = points.first().map(|p| p.len()).unwrap_or(0);
    if n == 0 {
        return Clustering {
            themes: vec![],
            assignment: vec![],
            communities: 0,
            reassigned: 0,
            resolution: cfg.resolution,
        };
    }
    // canonical order
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| keys[a].cmp(keys[b]).then(a.cmp(&b)));
    let pts: Vec<Vec<f32>> = order
        .iter()
        .map(|&i| {
            let mut v = points[i].clone();
            normalize(&mut v);
            v
        })
        .collect();

    // 1. k-NN graph, symmetrised (union, weight = max similarity, clipped at 0)
    let nn = knn::knn_with_progress(&pts, cfg.k.max(1), done);
    let mut adj: Vec<std::collections::BTreeMap<u32, f64>> = vec![Default::default(); n];
    for (i, row) in nn.iter().enumerate() {
        for &(j, s) in row {
            let w = (s.max(0.0)) as f64;
            if w <= 0.0 {
                continue;
            }
            let e = adj[i].entry(j).or_insert(0.0);
            *e = e.max(w);
            let e = adj[j as usize].entry(i as u32).or_insert(0.0);
            *e = e.max(w);
        }
    }
    drop(nn);
    let graph = louvain::Graph {
        adj: adj.into_iter().map(|r| r.into_iter().collect()).collect(),
    };
    let resolution = effective_resolution(cfg, n);
    let comm = louvain::louvain(&graph, resolution, 20);
    drop(graph);
    let ncomm = comm.iter().copied().max().map(|m| m + 1).unwrap_or(0);
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); ncomm];
    for (i, &c) in comm.iter().enumerate() {
        groups[c].push(i);
    }

    // 2. hierarchical merge of near-duplicate communities (closest pair first)
    let mut groups = merge_close(&pts, groups, dim, cfg.merge_threshold as f32, 0);

    // 3. size floor, coherence, member pruning
    let mut assign: Vec<Option<usize>> = vec![None; n];
    let mut kept: Vec<(Vec<usize>, usize)> = Vec::new();
    let floor = size_floor(cfg.min_size, n);
    for (members, merged) in groups.drain(..) {
        if members.len() < floor {
            continue;
        }
        let close = theme_core(&pts, members, dim, cfg);
        if close.len() >= floor {
            kept.push((close, merged));
        }
    }
    for (t, (members, _)) in kept.iter().enumerate() {
        for &m in members {
            assign[m] = Some(t);
        }
    }

    // 4. second assignment pass against fixed centroids
    let cents: Vec<Vec<f32>> = kept.iter().map(|(m, _)| centroid(&pts, m, dim).0).collect();
    let mut reassigned = 0;
    let mut extra: Vec<Vec<usize>> = vec![Vec::new(); kept.len()];
    for i in 0..n {
        if assign[i].is_some() {
            continue;
        }
        let mut best: Option<(usize, f32)> = None;
        for (t, c) in cents.iter().enumerate() {
            let s = knn::dot(&pts[i], c);
            if best.is_none_or(|(_, b)| s > b) {
                best = Some((t, s));
            }
        }
        if let Some((t, s)) = best {
            if s as f64 >= cfg.assign_threshold {
                extra[t].push(i);
                reassigned += 1;
            }
        }
    }
    let mut groups: Vec<(Vec<usize>, usize)> = kept
        .into_iter()
        .zip(extra)
        .map(|((mut m, merged), e)| {
            m.extend(e);
            m.sort_unstable();
            (m, merged)
        })
        .collect();

    // 5. optional cap on the number of themes
    if cfg.max_themes > 0 && groups.len() > cfg.max_themes {
        groups = merge_close(&pts, groups, dim, f32::INFINITY, cfg.max_themes);
    }

    // 6. order by size desc, then smallest member (= smallest key)
    groups.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0[0].cmp(&b.0[0])));
    let mut assignment = vec![None; n];
    let mut themes = Vec::with_capacity(groups.len());
    for (t, (members, merged)) in groups.into_iter().enumerate() {
        let (c, norm) = centroid(&pts, &members, dim);
        for &m in &members {
            assignment[order[m]] = Some(t);
        }
        let mut orig: Vec<usize> = members.iter().map(|&m| order[m]).collect();
        // members listed in canonical (key) order
        orig.sort_by(|&a, &b| keys[a].cmp(keys[b]).then(a.cmp(&b)));
        themes.push(Theme {
            members: orig,
            centroid: c,
            coherence: norm,
            merged,
        });
    }
    Clustering {
        themes,
        assignment,
        communities: ncomm,
        reassigned,
        resolution,
    }
}

/// Input groups may be plain member lists (merged = 1) or already merged.
trait IntoGroup {
    fn into_group(self) -> (Vec<usize>, usize);
}
impl IntoGroup for Vec<usize> {
    fn into_group(self) -> (Vec<usize>, usize) {
        (self, 1)
    }
}
impl IntoGroup for (Vec<usize>, usize) {
    fn into_group(self) -> (Vec<usize>, usize) {
        self
    }
}

/// Agglomerative merging on centroids: repeatedly merge the most similar pair
/// while its cosine is at least `threshold` or while more than `cap` groups
/// remain (cap 0 = no cap). Ties: lowest pair of indices.
fn merge_close<G: IntoGroup>(
    pts: &[Vec<f32>],
    groups: Vec<G>,
    dim: usize,
    threshold: f32,
    cap: usize,
) -> Vec<(Vec<usize>, usize)> {
    let mut groups: Vec<Option<(Vec<usize>, usize)>> =
        groups.into_iter().map(|g| Some(g.into_group())).collect();
    let mut cents: Vec<Vec<f32>> = groups
        .iter()
        .map(|g| match g {
            Some((m, _)) => centroid(pts, m, dim).0,
            None => vec![],
        })
        .collect();
    // cached pairwise centroid similarities (upper triangle used), updated per merge
    let t = groups.len();
    let mut sim = vec![f32::NEG_INFINITY; t * t];
    for a in 0..t {
        for b in (a + 1)..t {
            sim[a * t + b] = knn::dot(&cents[a], &cents[b]);
        }
    }
    let mut alive = t;
    loop {
        let must = cap > 0 && alive > cap;
        let mut best: Option<(usize, usize, f32)> = None;
        for a in 0..t {
            if groups[a].is_none() {
                continue;
            }
            for b in (a + 1)..t {
                if groups[b].is_none() {
                    continue;
                }
                let s = sim[a * t + b];
                if best.is_none_or(|(_, _, bs)| s > bs) {
                    best = Some((a, b, s));
                }
            }
        }
        match best {
            Some((a, b, s)) if s >= threshold || must => {
                let (mb, kb) = groups[b].take().unwrap_or_default();
                alive -= 1;
                if let Some((ma, ka)) = groups[a].as_mut() {
                    ma.extend(mb);
                    ma.sort_unstable();
                    *ka += kb;
                    cents[a] = centroid(pts, ma, dim).0;
                }
                for o in 0..t {
                    if o == a || groups[o].is_none() {
                        continue;
                    }
                    let s = knn::dot(&cents[a], &cents[o]);
                    let (lo, hi) = if o < a { (o, a) } else { (a, o) };
                    sim[lo * t + hi] = s;
                }
            }
            _ => break,
        }
    }
    groups.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic fake embeddings: `c` well-separated blobs in 16 dims.
    fn blobs(c: usize, per: usize) -> (Vec<Vec<f32>>, Vec<usize>) {
        let mut pts = Vec::new();
        let mut gold = Vec::new();
        let mut state = 0x1234_5678_u64;
        let mut rnd = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 10_000) as f32 / 10_000.0 - 0.5
        };
        for k in 0..c {
            for _ in 0..per {
                let mut v: Vec<f32> = (0..16).map(|_| 0.15 * rnd()).collect();
                v[k % 16] += 1.0;
                normalize(&mut v);
                pts.push(v);
                gold.push(k);
            }
        }
        (pts, gold)
    }

    /// Cluster with keys "00000", "00001", ...: the canonical order is the input order.
    fn cluster_in_order(pts: &[Vec<f32>], cfg: &ClusterConfig) -> Clustering {
        let keys: Vec<String> = (0..pts.len()).map(|i| format!("{i:05}")).collect();
        let kr: Vec<&str> = keys.iter().map(|s| s.as_str()).collect();
        cluster(pts, &kr, cfg)
    }

    /// A theme of `members` around `centroid`, as the tests need it.
    fn theme(members: Vec<usize>, centroid: &[f32]) -> Theme {
        Theme {
            members,
            centroid: centroid.to_vec(),
            coherence: 1.0,
            merged: 1,
        }
    }

    #[test]
    fn resolution_rises_on_small_corpora_at_most_twofold_and_not_on_a_night_of_a_few_calls() {
        let cfg = ClusterConfig::default();
        assert_eq!(cfg.reference_size, 10_000);
        // at or above the reference size: the configured resolution, unchanged
        assert_eq!(effective_resolution(&cfg, 10_000), 3.0);
        assert_eq!(effective_resolution(&cfg, 200_000), 3.0);
        // 3,080 points (Banking77's test split size): sqrt(10000 / 3080) = 1.80
        let r = effective_resolution(&cfg, 3_080);
        assert!(
            (r - 3.0 * (10_000f64 / 3_080.0).sqrt()).abs() < 1e-12,
            "{r}"
        );
        assert!(r > 5.39 && r < 5.41, "{r}");
        // small corpora: capped at twice the resolution
        assert_eq!(effective_resolution(&cfg, 2_500), 6.0);
        assert_eq!(effective_resolution(&cfg, 307), 6.0);
        assert_eq!(effective_resolution(&cfg, RAISE_FULL_AT), 6.0);
        // a night of a few calls: phased in from 100 to 200 points
        assert_eq!(effective_resolution(&cfg, 150), 4.5);
        assert_eq!(effective_resolution(&cfg, RAISE_FROM), 3.0);
        assert_eq!(effective_resolution(&cfg, 51), 3.0);
        assert_eq!(effective_resolution(&cfg, 1), 3.0);
        // 0 turns the rule off
        let off = ClusterConfig {
            reference_size: 0,
            ..ClusterConfig::default()
        };
        assert_eq!(effective_resolution(&off, 307), 3.0);
    }

    #[test]
    fn chatter_themes_are_those_whose_centroid_sits_among_the_small_talk() {
        let themes = [
            theme(vec![], &[1.0, 0.0, 0.0]),
            theme(vec![], &[0.0, 1.0, 0.0]),
            theme(vec![], &[0.6, 0.8, 0.0]),
        ];
        // twelve goodbyes near the first axis
        let ex: Vec<Vec<f32>> = (0..12)
            .map(|i| {
                let d = 0.01 * i as f32;
                let n = (1.0 + d * d).sqrt();
                vec![1.0 / n, 0.0, d / n]
            })
            .collect();
        assert_eq!(chatter_themes(&themes, &ex, 0.67), vec![0]);
        // the third theme's mean cosine to them is about 0.6
        assert_eq!(chatter_themes(&themes, &ex, 0.55), vec![0, 2]);
        assert!(chatter_themes(&themes, &ex, 0.0).is_empty(), "0 = off");
        assert!(
            chatter_themes(&themes, &ex[..CHATTER_NEIGHBOURS - 1], 0.67).is_empty(),
            "too few exemplars"
        );
    }

    #[test]
    fn drop_themes_renumbers_the_remaining_points_and_themes() {
        let cl = Clustering {
            themes: vec![
                theme(vec![0, 3], &[1.0]),
                theme(vec![1, 4], &[1.0]),
                theme(vec![5], &[1.0]),
            ],
            assignment: vec![Some(0), Some(1), None, Some(0), Some(1), Some(2)],
            communities: 3,
            reassigned: 0,
            resolution: 3.0,
        };
        let (c, keep) = drop_themes(&cl, &[1]);
        assert_eq!(keep, vec![true, false, true, true, false, true]);
        assert_eq!(c.assignment, vec![Some(0), None, Some(0), Some(1)]);
        assert_eq!(c.themes[0].members, vec![0, 2]);
        assert_eq!(c.themes[1].members, vec![3]);
        assert_eq!(c.outliers(), 1);
    }

    #[test]
    fn recovers_separated_blobs() {
        let (pts, gold) = blobs(5, 30);
        let c = cluster_in_order(&pts, &ClusterConfig::default());
        assert_eq!(c.themes.len(), 5);
        let pred: Vec<i64> = c
            .assignment
            .iter()
            .map(|a| a.map(|x| x as i64).unwrap_or(-1))
            .collect();
        assert!(metrics::nmi(&gold, &pred) > 0.99);
        assert_eq!(c.outliers(), 0);
    }

    #[test]
    fn result_does_not_depend_on_input_order() {
        let (pts, _) = blobs(4, 20);
        let keys: Vec<String> = (0..pts.len()).map(|i| format!("{i:05}")).collect();
        let kr: Vec<&str> = keys.iter().map(|s| s.as_str()).collect();
        let a = cluster(&pts, &kr, &ClusterConfig::default());
        // reverse the input
        let rp: Vec<Vec<f32>> = pts.iter().rev().cloned().collect();
        let rk: Vec<&str> = kr.iter().rev().copied().collect();
        let b = cluster(&rp, &rk, &ClusterConfig::default());
        let n = pts.len();
        for i in 0..n {
            assert_eq!(a.assignment[i], b.assignment[n - 1 - i]);
        }
    }

    /// A unit vector in 16 dimensions with these (index, value) entries.
    fn point16(entries: &[(usize, f32)]) -> Vec<f32> {
        let mut v = vec![0.0; 16];
        for &(i, x) in entries {
            v[i] = x;
        }
        normalize(&mut v);
        v
    }

    #[test]
    fn far_point_is_an_outlier_and_size_floor_applies() {
        let (mut pts, _) = blobs(2, 20);
        pts.push(point16(&[(15, 1.0)]));
        let c = cluster_in_order(&pts, &ClusterConfig::default());
        assert_eq!(c.themes.len(), 2);
        assert_eq!(c.assignment[40], None);
    }

    #[test]
    fn size_floor_is_lowered_on_small_corpora_only() {
        assert_eq!(size_floor(5, 10), 3);
        assert_eq!(size_floor(5, 60), 3);
        assert_eq!(size_floor(5, 61), 4);
        assert_eq!(size_floor(5, 80), 4);
        assert_eq!(size_floor(5, 81), 5);
        assert_eq!(size_floor(5, 100_000), 5);
        // a floor set lower than 3 stays as set
        assert_eq!(size_floor(2, 10), 2);
        assert_eq!(size_floor(0, 10), 1);
        // in a small corpus, four close points are a theme; in a large one
        // (by default) they are outliers
        let (mut pts, _) = blobs(2, 20);
        for i in 0..4 {
            pts.push(point16(&[(15, 1.0), (14, 0.01 * i as f32)]));
        }
        let c = cluster_in_order(&pts, &ClusterConfig::default());
        assert_eq!(c.themes.len(), 3, "44 points: floor 3");
        assert!(c.assignment[40..].iter().all(|a| a.is_some()));
        let (mut big, _) = blobs(2, 60);
        big.extend_from_slice(&pts[40..]);
        let c = cluster_in_order(&big, &ClusterConfig::default());
        assert_eq!(c.themes.len(), 2, "124 points: floor 5");
        assert!(c.assignment[120..].iter().all(|a| a.is_none()));
    }

    #[test]
    fn loose_community_keeps_its_core() {
        // ten points on one axis and ten spread over ten others: centroid
        // norm sqrt(0.275) = 0.52, under the 0.55 bar
        let mut pts: Vec<Vec<f32>> = (0..10)
            .map(|i| point16(&[(0, 1.0), (15, 0.001 * i as f32)]))
            .collect();
        pts.extend((0..10).map(|i| point16(&[(1 + i, 1.0)])));
        let cfg = ClusterConfig::default();
        let members: Vec<usize> = (0..20).collect();
        let (_, norm) = centroid(&pts, &members, 16);
        assert!((norm as f64) < cfg.min_coherence);
        let core = theme_core(&pts, members, 16, &cfg);
        assert_eq!(core, (0..10).collect::<Vec<_>>());
        let (_, core_norm) = centroid(&pts, &core, 16);
        assert!((core_norm as f64) >= cfg.min_coherence);
        // a coherent community keeps every member within member_min_similarity
        let tight: Vec<usize> = (0..10).collect();
        assert_eq!(theme_core(&pts, tight.clone(), 16, &cfg), tight);
    }

    #[test]
    fn max_themes_caps_by_merging() {
        let (pts, _) = blobs(6, 15);
        let cfg = ClusterConfig {
            max_themes: 3,
            min_coherence: 0.0,
            member_min_similarity: -1.0,
            ..Default::default()
        };
        let c = cluster_in_order(&pts, &cfg);
        assert_eq!(c.themes.len(), 3);
    }
}
