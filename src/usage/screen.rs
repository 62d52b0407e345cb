//! Usage read off the screen: aider prints one line per answer (`Tokens: 4.2k sent,
//! 312 received. Cost: $0.02 message, $0.10 session.`), and any kind can name a regex
//! with the same named groups as the fallback.
//!
//! A line stays on screen across many captures, so each capture's usage lines are
//! matched against the previous capture's: only the lines after the longest overlap
//! (what scrolled in) count. Two identical answers in a row that arrive between two
//! looks can be taken for one; the session cost, when printed, stays exact.

use super::Tokens;
use regex::{Captures, Regex};

/// aider's per-answer line. Groups: `sent`, `cache_write`, `cache_hit`, `received`,
/// `cost` (this answer), `session` (the session so far), each with a `k`/`M` suffix
/// where tokens.
pub const AIDER: &str = r"Tokens: (?P<sent>[\d.]+[kM]?) sent(?:, (?P<cache_write>[\d.]+[kM]?) cache write)?(?:, (?P<cache_hit>[\d.]+[kM]?) cache hit)?, (?P<received>[\d.]+[kM]?) received\.(?: Cost: \$(?P<cost>[\d.]+) message, \$(?P<session>[\d.]+) session\.)?";

/// The built-in screen pattern of a kind, if it has one.
pub fn builtin(kind: &str) -> Option<&'static str> {
    (kind == "aider").then_some(AIDER)
}

/// One usage line read off the screen.
#[derive(Debug, Clone, PartialEq)]
pub struct ScreenLine {
    /// Tokens of that answer.
    pub tokens: Tokens,
    /// Its cost in dollars, when printed.
    pub cost: Option<f64>,
    /// The session's cost so far in dollars, when printed.
    pub session_cost: Option<f64>,
}

/// Counts usage lines as they scroll onto an agent's screen.
#[derive(Debug)]
pub struct ScreenMeter {
    pattern: Regex,
    seen: Vec<String>,
    /// Tokens of every counted line.
    pub tokens: Tokens,
    /// Sum of the per-answer costs printed.
    pub cost: f64,
    /// The last session cost printed; it wins over the sum when known.
    pub session_cost: Option<f64>,
}

impl ScreenMeter {
    /// A meter for `pattern` (see [`AIDER`] for the group names). `Err` quotes the regex
    /// error.
    pub fn new(pattern: &str) -> Result<ScreenMeter, regex::Error> {
        Ok(ScreenMeter {
            pattern: Regex::new(pattern)?,
            seen: Vec::new(),
            tokens: Tokens::default(),
            cost: 0.0,
            session_cost: None,
        })
    }

    /// Take in one capture (ANSI escapes are fine); returns the lines new since the last.
    pub fn observe(&mut self, screen: &str) -> Vec<ScreenLine> {
        let plain = strip_ansi_escapes::strip_str(screen);
        let now: Vec<String> = plain
            .lines()
            .filter(|l| self.pattern.is_match(l))
            .map(|l| l.trim().to_string())
            .collect();
        let keep = overlap(&self.seen, &now);
        let fresh: Vec<ScreenLine> = now[keep..]
            .iter()
            .filter_map(|l| self.pattern.captures(l).map(|c| read(&c)))
            .collect();
        for l in &fresh {
            self.tokens.add(&l.tokens);
            self.cost += l.cost.unwrap_or(0.0);
            if l.session_cost.is_some() {
                self.session_cost = l.session_cost;
            }
        }
        if !now.is_empty() {
            self.seen = now;
        }
        fresh
    }

    /// The cost so far: the printed session cost, else the sum of printed answer costs,
    /// else `None` (the screen names no price).
    pub fn cost(&self) -> Option<f64> {
        self.session_cost.or((self.cost > 0.0).then_some(self.cost))
    }
}

/// How many leading lines of `now` were already the trailing lines of `before`.
fn overlap(before: &[String], now: &[String]) -> usize {
    (1..=before.len().min(now.len()))
        .rev()
        .find(|&k| before[before.len() - k..] == now[..k])
        .unwrap_or(0)
}

fn read(c: &Captures<'_>) -> ScreenLine {
    let count = |name: &str| c.name(name).map_or(0, |m| parse_count(m.as_str()));
    let money = |name: &str| c.name(name).and_then(|m| m.as_str().parse::<f64>().ok());
    let cache_read = count("cache_hit") + count("cache_read");
    let cache_write = count("cache_write");
    let sent = count("sent") + count("input");
    ScreenLine {
        tokens: Tokens {
            // aider's `sent` counts the whole prompt, cached parts included.
            input: sent.saturating_sub(cache_read + cache_write),
            output: count("received") + count("output"),
            cache_read,
            cache_write,
        },
        cost: money("cost"),
        session_cost: money("session"),
    }
}

/// `312` → 312, `4.2k` → 4200, `1.5M` → 1 500 000 (aider rounds; so does this).
pub fn parse_count(s: &str) -> u64 {
    let (num, mult) = match s.chars().last() {
        Some('k') => (&s[..s.len() - 1], 1_000.0),
        Some('M') => (&s[..s.len() - 1], 1_000_000.0),
        _ => (s, 1.0),
    };
    num.parse::<f64>().map_or(0, |n| (n * mult).round() as u64)
}
