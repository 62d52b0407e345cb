//! The fleet tree: parentage from `AgentView.parent`, a subtree's worst urgency, and the
//! visible rows after collapsing and filtering. Built once per snapshot, not once per frame.

use super::filter::Filter;
use super::urgency::urgency;
use crate::fleet::AgentView;
use std::collections::{HashMap, HashSet};

/// One visible line of the fleet tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeRow {
    /// Index of the agent in `FleetSnapshot.agents`.
    pub index: usize,
    /// Nesting depth; roots are 0.
    pub depth: usize,
    /// Tree guides drawn before the name (`│ ├─`).
    pub guide: String,
    /// Whether the agent has children that pass the filter.
    pub has_children: bool,
    /// Whether those children are folded away.
    pub collapsed: bool,
    /// How many descendants the fold hides.
    pub hidden: usize,
    /// Index of the most urgent agent in this subtree (itself included).
    pub worst: usize,
    /// False when the row is shown only as the ancestor of a filter match.
    pub matched: bool,
}

/// Parentage of one snapshot, resolved to indices.
#[derive(Debug, Clone, Default)]
pub struct Forest {
    children: Vec<Vec<usize>>,
    roots: Vec<usize>,
    /// Every agent in depth-first order (parents before children).
    preorder: Vec<usize>,
    parent: Vec<Option<usize>>,
    worst: Vec<usize>,
}

impl Forest {
    /// Resolve parents by name. An absent parent makes the agent a root; a parent cycle
    /// is cut at its first declared member so no agent disappears.
    pub fn build(agents: &[AgentView]) -> Forest {
        let n = agents.len();
        let mut by_name: HashMap<&str, usize> = HashMap::with_capacity(n);
        for (i, a) in agents.iter().enumerate() {
            by_name.entry(a.name.as_str()).or_insert(i);
        }
        let mut parent: Vec<Option<usize>> = agents
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let p = a.parent.as_deref().and_then(|p| by_name.get(p).copied());
                p.filter(|&p| p != i)
            })
            .collect();
        let mut children = vec![Vec::new(); n];
        for (i, p) in parent.iter().enumerate() {
            if let Some(p) = p {
                children[*p].push(i);
            }
        }
        let mut roots: Vec<usize> = (0..n).filter(|&i| parent[i].is_none()).collect();
        let mut seen = vec![false; n];
        let mut preorder = Vec::with_capacity(n);
        let walk =
            |root: usize, seen: &mut Vec<bool>, preorder: &mut Vec<usize>, ch: &Vec<Vec<usize>>| {
                let mut stack = vec![root];
                while let Some(i) = stack.pop() {
                    if std::mem::replace(&mut seen[i], true) {
                        continue;
                    }
                    preorder.push(i);
                    stack.extend(ch[i].iter().rev().copied());
                }
            };
        for &r in &roots {
            walk(r, &mut seen, &mut preorder, &children);
        }
        // Whatever is left sits on a parent cycle.
        while let Some(cut) = (0..n).find(|&i| !seen[i]) {
            if let Some(p) = parent[cut].take() {
                children[p].retain(|&c| c != cut);
            }
            roots.push(cut);
            walk(cut, &mut seen, &mut preorder, &children);
        }
        let mut worst: Vec<usize> = (0..n).collect();
        for &i in preorder.iter().rev() {
            for &c in &children[i] {
                if urgency(&agents[worst[c]]) > urgency(&agents[worst[i]]) {
                    worst[i] = worst[c];
                }
            }
        }
        Forest {
            children,
            roots,
            preorder,
            parent,
            worst,
        }
    }

    /// Put every set of siblings (and the roots) in the order `cmp` gives, stably, so
    /// equal siblings keep their fleet order; children stay under their parent.
    pub fn sort_siblings(
        &mut self,
        agents: &[AgentView],
        cmp: impl Fn(&AgentView, &AgentView) -> std::cmp::Ordering,
    ) {
        let by = |x: &usize, y: &usize| cmp(&agents[*x], &agents[*y]);
        self.roots.sort_by(by);
        for kids in &mut self.children {
            kids.sort_by(by);
        }
        self.preorder.clear();
        let mut stack: Vec<usize> = self.roots.iter().rev().copied().collect();
        while let Some(i) = stack.pop() {
            self.preorder.push(i);
            stack.extend(self.children[i].iter().rev().copied());
        }
    }

    /// Every agent, parents before children, ignoring folds and filters.
    pub fn preorder(&self) -> &[usize] {
        &self.preorder
    }

    /// The parent of an agent, by index.
    pub fn parent(&self, i: usize) -> Option<usize> {
        self.parent.get(i).copied().flatten()
    }

    /// The rows to draw: agents passing the filter plus their ancestors, with folded
    /// subtrees left out.
    pub fn rows(
        &self,
        agents: &[AgentView],
        collapsed: &HashSet<String>,
        filter: &Filter,
    ) -> Vec<TreeRow> {
        self.rows_where(agents, collapsed, filter, &|_| true)
    }

    /// [`Forest::rows`] for the agents that also pass `keep` (the live view keeps live
    /// agents; an ended ancestor of one still shows, unmatched, so nobody is cut off).
    pub fn rows_where(
        &self,
        agents: &[AgentView],
        collapsed: &HashSet<String>,
        filter: &Filter,
        keep: &dyn Fn(&AgentView) -> bool,
    ) -> Vec<TreeRow> {
        let n = agents.len();
        let matched: Vec<bool> = agents
            .iter()
            .map(|a| keep(a) && filter.matches(a))
            .collect();
        let mut visible = matched.clone();
        let mut below = vec![0usize; n];
        for &i in self.preorder.iter().rev() {
            for &c in &self.children[i] {
                if visible[c] {
                    visible[i] = true;
                    below[i] += 1 + below[c];
                }
            }
        }
        let kids = |i: usize| self.children[i].iter().copied().filter(|&c| visible[c]);
        let mut rows = Vec::new();
        // (agent, depth, last among visible siblings, guide prefix for its children)
        let mut stack: Vec<(usize, usize, bool, String)> = Vec::new();
        let roots: Vec<usize> = self.roots.iter().copied().filter(|&r| visible[r]).collect();
        for (k, &r) in roots.iter().enumerate().rev() {
            stack.push((r, 0, k + 1 == roots.len(), String::new()));
        }
        while let Some((i, depth, last, prefix)) = stack.pop() {
            let has_children = kids(i).next().is_some();
            let folded = has_children && collapsed.contains(&agents[i].name);
            let guide = match depth {
                0 => String::new(),
                _ => format!("{prefix}{}", if last { "└─" } else { "├─" }),
            };
            rows.push(TreeRow {
                index: i,
                depth,
                guide,
                has_children,
                collapsed: folded,
                hidden: if folded { below[i] } else { 0 },
                worst: self.worst[i],
                matched: matched[i],
            });
            if has_children && !folded {
                let child_prefix = match depth {
                    0 => String::new(),
                    _ => format!("{prefix}{}", if last { "  " } else { "│ " }),
                };
                let list: Vec<usize> = kids(i).collect();
                for (k, &c) in list.iter().enumerate().rev() {
                    stack.push((c, depth + 1, k + 1 == list.len(), child_prefix.clone()));
                }
            }
        }
        rows
    }
}
