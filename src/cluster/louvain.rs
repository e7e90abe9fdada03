//! Louvain community detection (modularity with a resolution parameter),
//! sequential and in a fixed node order.
//!
//! Why: on a k-NN graph of sentence embeddings, modularity communities find
//! themes of any shape and size without being told how many there are, in
//! O(n·k) memory. Randomised implementations give different themes on every
//! run; this one visits nodes in index order and breaks ties by the lowest
//! community id, and the caller sorts nodes by a content key first, so the
//! same input always gives the same communities.

/// A weighted undirected graph as adjacency lists. Self-loops are stored as a
/// neighbour entry `(i, w)` holding the weight of the ordered pairs inside.
#[derive(Debug, Clone)]
pub struct Graph {
    pub adj: Vec<Vec<(u32, f64)>>,
}

impl Graph {
    fn degree(&self, i: usize) -> f64 {
        self.adj[i].iter().map(|&(_, w)| w).sum()
    }
}

/// Communities of the nodes of `g` (ids `0..c`, numbered by first appearance).
pub fn louvain(g: &Graph, resolution: f64, max_levels: usize) -> Vec<usize> {
    let n = g.adj.len();
    let mut membership: Vec<usize> = (0..n).collect();
    let mut graph = g.clone();
    for _ in 0..max_levels.max(1) {
        let (comm, moved) = one_level(&graph, resolution);
        if !moved {
            break;
        }
        let (renum, count) = renumber(&comm);
        for m in membership.iter_mut() {
            *m = renum[*m];
        }
        graph = aggregate(&graph, &renum, count);
        if count == graph.adj.len() && count == comm.len() {
            break;
        }
    }
    let (renum, _) = renumber(&membership);
    renum
}

fn renumber(comm: &[usize]) -> (Vec<usize>, usize) {
    let mut map = vec![usize::MAX; comm.len()];
    let mut next = 0;
    let mut out = Vec::with_capacity(comm.len());
    for &c in comm {
        if map[c] == usize::MAX {
            map[c] = next;
            next += 1;
        }
        out.push(map[c]);
    }
    (out, next)
}

fn one_level(g: &Graph, gamma: f64) -> (Vec<usize>, bool) {
    let n = g.adj.len();
    let k: Vec<f64> = (0..n).map(|i| g.degree(i)).collect();
    let m2: f64 = k.iter().sum();
    let mut comm: Vec<usize> = (0..n).collect();
    if m2 <= 0.0 {
        return (comm, false);
    }
    let mut tot: Vec<f64> = k.clone();
    let mut w_to: Vec<f64> = vec![0.0; n];
    let mut touched: Vec<usize> = Vec::new();
    let mut any_move = false;
    for _pass in 0..100 {
        let mut moves = 0usize;
        for i in 0..n {
            let ci = comm[i];
            touched.clear();
            for &(j, w) in &g.adj[i] {
                let j = j as usize;
                if j == i {
                    continue;
                }
                let cj = comm[j];
                if w_to[cj] == 0.0 {
                    touched.push(cj);
                }
                w_to[cj] += w;
            }
            tot[ci] -= k[i];
            let ki = k[i] / m2;
            let mut best = ci;
            let mut best_gain = w_to[ci] - gamma * tot[ci] * ki;
            for &c in &touched {
                let gain = w_to[c] - gamma * tot[c] * ki;
                if gain > best_gain + 1e-12 {
                    best = c;
                    best_gain = gain;
                }
            }
            tot[best] += k[i];
            if best != ci {
                comm[i] = best;
                moves += 1;
            }
            for &c in &touched {
                w_to[c] = 0.0;
            }
            w_to[ci] = 0.0;
        }
        if moves == 0 {
            break;
        }
        any_move = true;
    }
    (comm, any_move)
}

fn aggregate(g: &Graph, comm: &[usize], count: usize) -> Graph {
    let mut rows: Vec<std::collections::BTreeMap<u32, f64>> = vec![Default::default(); count];
    for (i, nb) in g.adj.iter().enumerate() {
        let ci = comm[i];
        for &(j, w) in nb {
            *rows[ci].entry(comm[j as usize] as u32).or_insert(0.0) += w;
        }
    }
    Graph {
        adj: rows.into_iter().map(|r| r.into_iter().collect()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_cliques() -> Graph {
        let mut adj = vec![Vec::new(); 8];
        let mut edge = |a: usize, b: usize, w: f64| {
            adj[a].push((b as u32, w));
            adj[b].push((a as u32, w));
        };
        for a in 0..4 {
            for b in (a + 1)..4 {
                edge(a, b, 1.0);
                edge(a + 4, b + 4, 1.0);
            }
        }
        edge(3, 4, 0.1);
        Graph { adj }
    }

    #[test]
    fn louvain_separates_two_cliques() {
        let c = louvain(&two_cliques(), 1.0, 10);
        assert_eq!(c, vec![0, 0, 0, 0, 1, 1, 1, 1]);
    }

    #[test]
    fn louvain_is_repeatable() {
        let g = two_cliques();
        assert_eq!(louvain(&g, 1.0, 10), louvain(&g, 1.0, 10));
    }
}
