//! Token usage and cost as the operator sees them: per agent (every attempt), its
//! current attempt with a rate, and its subtree; the fleet total sums the agents.

use crate::usage::Tokens;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Tokens and dollars of some usage. `unpriced` says part of the tokens belong to a
/// model with no known price, so `cost` is a lower bound.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageSum {
    /// Tokens, every model.
    pub tokens: Tokens,
    /// Dollars of the priced part.
    pub cost: f64,
    /// Some tokens have no price (unknown model).
    pub unpriced: bool,
}

impl UsageSum {
    /// Add `other` into this sum.
    pub fn add(&mut self, other: &UsageSum) {
        self.tokens.add(&other.tokens);
        self.cost += other.cost;
        self.unpriced |= other.unpriced;
    }

    /// Nothing counted.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_zero() && self.cost == 0.0
    }

    /// The cost as the tree shows it: `$1.23`, `$0.004`, with `+?` when part is unpriced,
    /// or the tokens when nothing is priced.
    pub fn label(&self) -> String {
        if self.is_empty() {
            return String::new();
        }
        if self.cost == 0.0 && self.unpriced {
            return format!("{} tok?", compact(self.tokens.total()));
        }
        let dollars = dollars(self.cost);
        if self.unpriced {
            format!("{dollars}+?")
        } else {
            dollars
        }
    }
}

/// One agent's usage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageView {
    /// Every attempt of the agent.
    pub own: UsageSum,
    /// The current attempt only.
    pub attempt: UsageSum,
    /// Dollars per hour of the current attempt while it runs.
    pub cost_per_hour: Option<f64>,
    /// Tokens per hour of the current attempt while it runs.
    pub tokens_per_hour: Option<f64>,
    /// The agent and every descendant.
    pub subtree: UsageSum,
}

impl UsageView {
    /// What the pane title says about the current attempt: ` · $0.42 · $1.20/h`, with
    /// tokens instead of dollars when nothing is priced; empty before any usage.
    pub fn title_part(&self) -> String {
        if self.attempt.is_empty() {
            return String::new();
        }
        let mut out = format!(" · {}", self.attempt.label());
        let priced = self.attempt.cost > 0.0;
        match (priced, self.cost_per_hour, self.tokens_per_hour) {
            (true, Some(c), _) => out.push_str(&format!(" · {}/h", dollars(c))),
            (false, _, Some(t)) => out.push_str(&format!(" · {} tok/h", compact(t as u64))),
            _ => {}
        }
        out
    }
}

/// Dollars with two decimals, four below a cent, and `<$0.0001` for less.
pub fn dollars(x: f64) -> String {
    if x > 0.0 && x < 0.0001 {
        "<$0.0001".to_string()
    } else if x > 0.0 && x < 0.01 {
        format!("${x:.4}")
    } else {
        format!("${x:.2}")
    }
}

/// `950`, `4.2k`, `42k`, `1.2M`.
pub fn compact(n: u64) -> String {
    match n {
        0..=999 => n.to_string(),
        1_000..=9_999 => format!("{:.1}k", n as f64 / 1e3),
        10_000..=999_999 => format!("{}k", n / 1_000),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

impl super::FleetSnapshot {
    /// The fleet's usage: every agent's own usage summed.
    pub fn usage_total(&self) -> UsageSum {
        let mut s = UsageSum::default();
        for a in &self.agents {
            s.add(&a.usage.own);
        }
        s
    }
}

/// Each view's subtree sum: itself and every descendant, by the `parent` links (a cycle
/// stops the walk).
pub fn rollup(views: &mut [super::AgentView]) {
    let index: HashMap<String, usize> = views
        .iter()
        .enumerate()
        .map(|(i, v)| (v.name.clone(), i))
        .collect();
    let mut sub: Vec<UsageSum> = views.iter().map(|v| v.usage.own).collect();
    for (i, v) in views.iter().enumerate() {
        let mut up = v.parent.as_deref().and_then(|p| index.get(p).copied());
        let mut steps = 0;
        while let Some(p) = up {
            if p == i || steps > views.len() {
                break;
            }
            let own = v.usage.own;
            sub[p].add(&own);
            up = views[p]
                .parent
                .as_deref()
                .and_then(|q| index.get(q).copied());
            steps += 1;
        }
    }
    for (v, s) in views.iter_mut().zip(sub) {
        v.usage.subtree = s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(tokens: u64, cost: f64, unpriced: bool) -> UsageSum {
        UsageSum {
            tokens: Tokens {
                input: tokens,
                ..Tokens::default()
            },
            cost,
            unpriced,
        }
    }

    #[test]
    fn labels_and_pane_title() {
        assert_eq!(sum(0, 0.0, false).label(), "");
        assert_eq!(sum(10, 1.234, false).label(), "$1.23");
        assert_eq!(sum(10, 0.004, false).label(), "$0.0040");
        assert_eq!(sum(10, 0.00001, false).label(), "<$0.0001");
        assert_eq!(sum(12_500, 0.0, true).label(), "12k tok?");
        assert_eq!(sum(10, 2.0, true).label(), "$2.00+?");
        let mut v = UsageView {
            attempt: sum(100, 0.5, false),
            cost_per_hour: Some(1.5),
            tokens_per_hour: Some(300.0),
            ..UsageView::default()
        };
        assert_eq!(v.title_part(), " · $0.50 · $1.50/h");
        v.attempt = sum(4_200, 0.0, true);
        assert_eq!(v.title_part(), " · 4.2k tok? · 300 tok/h");
        assert_eq!(UsageView::default().title_part(), "");
    }
}
