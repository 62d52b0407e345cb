//! Budgets: a dollar limit on an agent's subtree (the agent and every descendant,
//! spawned children included) or on the whole fleet. At 80 % of it the operator is
//! warned; at 100 % its action is taken (`warn`, `pause` or `cancel`). The arithmetic
//! here is pure: what each scope spent, how far along its budget it is, and which
//! scope an agent is held by. The supervisor decides when to look and what to do.

use super::usage::UsageSum;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// Millionths of a dollar in one dollar.
const MICROS: u64 = 1_000_000;

/// An amount of US dollars, kept in millionths so it compares and sums exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Usd(pub u64);

/// What to write instead of a bad amount.
pub const USD_HINT: &str = "write a dollar amount like \"$5\", \"$0.50\" or \"20\"";

impl Usd {
    /// The largest budget shoal takes: a million dollars (more is a typo).
    pub const MAX: Usd = Usd(1_000_000 * MICROS);

    /// Dollars as the usage totals count them, rounded to the millionth (never below 0).
    pub fn from_dollars(x: f64) -> Usd {
        if x.is_finite() && x > 0.0 {
            // A saturating cast: beyond u64 is beyond any bill.
            Usd((x * MICROS as f64).round() as u64)
        } else {
            Usd(0)
        }
    }

    /// The amount in dollars.
    pub fn dollars(self) -> f64 {
        self.0 as f64 / MICROS as f64
    }

    /// `$5`, `$0.01`, `5` or `5.25`: more than zero, at most [`Usd::MAX`], to the
    /// millionth of a dollar at most.
    pub fn parse(text: &str) -> Result<Usd, String> {
        let t = text.trim();
        let t = t.strip_prefix('$').unwrap_or(t).trim();
        if t.starts_with('-') {
            return Err(format!(
                "{text:?} is negative: a budget is an amount to spend"
            ));
        }
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
            return Err(format!("{text:?} is not a dollar amount"));
        }
        if frac.len() > 6 {
            return Err(format!(
                "{text:?} is more precise than shoal counts (a millionth of a dollar)"
            ));
        }
        let whole: u64 = if whole.is_empty() {
            0
        } else {
            whole
                .parse()
                .ok()
                .filter(|w| *w <= Usd::MAX.0 / MICROS)
                .ok_or_else(|| format!("{text:?} is more than $1000000, the most shoal takes"))?
        };
        let frac: u64 = format!("{frac:0<6}").parse().unwrap_or(0);
        let amount = Usd(whole * MICROS + frac);
        if amount.0 == 0 {
            return Err(format!("{text:?} is zero: nothing could run under it"));
        }
        if amount > Usd::MAX {
            return Err(format!(
                "{text:?} is more than $1000000, the most shoal takes"
            ));
        }
        Ok(amount)
    }

    /// How far `self` is along `limit`, in whole percent (rounded down).
    pub fn percent_of(self, limit: Usd) -> u64 {
        if limit.0 == 0 {
            return 0;
        }
        u64::try_from(u128::from(self.0) * 100 / u128::from(limit.0)).unwrap_or(u64::MAX)
    }
}

impl fmt::Display for Usd {
    /// Exact, with at least two decimals: `$5.00`, `$0.01`, `$0.0085`, `$0.000001`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let frac = format!("{:06}", self.0 % MICROS);
        let kept = frac.trim_end_matches('0');
        let shown = if kept.len() < 2 { &frac[..2] } else { kept };
        write!(f, "${}.{shown}", self.0 / MICROS)
    }
}

impl FromStr for Usd {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Usd::parse(s)
    }
}

impl Serialize for Usd {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Usd {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(f64),
        }
        match Raw::deserialize(d)? {
            Raw::Text(t) => Usd::parse(&t).map_err(serde::de::Error::custom),
            Raw::Number(n) => Ok(Usd::from_dollars(n)),
        }
    }
}

/// What happens when a budget is spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BudgetAction {
    /// Tell the operator (an event and a notification); nothing is stopped.
    Warn,
    /// Interrupt every live agent of the scope with its profile's interrupt keys and
    /// hold it: no stall ladder, no task, until `shoal resume` (refused while the budget
    /// is still spent).
    #[default]
    Pause,
    /// Cancel every live agent of the scope: interrupt, then kill after the grace.
    Cancel,
}

impl BudgetAction {
    /// Every action, as the fleet file spells them.
    pub const ALL: [BudgetAction; 3] = [
        BudgetAction::Warn,
        BudgetAction::Pause,
        BudgetAction::Cancel,
    ];

    /// The fleet file's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            BudgetAction::Warn => "warn",
            BudgetAction::Pause => "pause",
            BudgetAction::Cancel => "cancel",
        }
    }

    /// Whether a spent budget with this action stops its scope (and holds its starts).
    pub fn stops(self) -> bool {
        self != BudgetAction::Warn
    }
}

impl fmt::Display for BudgetAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BudgetAction {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(a) = BudgetAction::ALL
            .into_iter()
            .find(|a| a.as_str() == s.trim())
        {
            return Ok(a);
        }
        let words: Vec<&str> = BudgetAction::ALL.iter().map(|a| a.as_str()).collect();
        Err(match super::words::suggest(s.trim(), &words) {
            Some(near) => format!("{s:?} is not a budget action; did you mean \"{near}\"?"),
            None => format!("{s:?} is not one of \"warn\", \"pause\" or \"cancel\""),
        })
    }
}

/// A limit and what to do when it is spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    /// Dollars the scope may spend.
    pub limit: Usd,
    /// What happens when it has.
    pub action: BudgetAction,
}

/// The percentage of a budget at which the operator is warned.
pub const WARN_PERCENT: u64 = 80;

/// How far along its budget a scope is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum BudgetLevel {
    /// Below 80 %.
    #[default]
    Under,
    /// At 80 % or more.
    Warned,
    /// Spent: 100 % or more.
    Exhausted,
}

impl BudgetLevel {
    /// The level of `spent` against `limit`.
    pub fn of(spent: Usd, limit: Usd) -> BudgetLevel {
        let (s, l) = (u128::from(spent.0), u128::from(limit.0));
        if s >= l {
            BudgetLevel::Exhausted
        } else if s * 100 >= l * u128::from(WARN_PERCENT) {
            BudgetLevel::Warned
        } else {
            BudgetLevel::Under
        }
    }

    /// The word stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            BudgetLevel::Under => "under",
            BudgetLevel::Warned => "warned",
            BudgetLevel::Exhausted => "exhausted",
        }
    }
}

impl FromStr for BudgetLevel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            BudgetLevel::Under,
            BudgetLevel::Warned,
            BudgetLevel::Exhausted,
        ]
        .into_iter()
        .find(|l| l.as_str() == s)
        .ok_or_else(|| format!("unknown budget level {s:?}"))
    }
}

/// One budget and what its scope has spent, as status, the console and notifications
/// show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetNote {
    /// The agent whose subtree it covers; `None`: the fleet's budget.
    pub owner: Option<String>,
    /// The limit.
    pub limit: Usd,
    /// What the scope spent, priced usage only.
    pub spent: Usd,
    /// `spent` in whole percent of `limit`.
    pub percent: u64,
    /// Part of the scope's usage has no price (an unknown model): its tokens are not
    /// counted against the budget, so `spent` is a lower bound.
    pub unpriced: bool,
    /// How far along it is.
    pub level: BudgetLevel,
    /// What happens (or happened) when it is spent.
    pub action: BudgetAction,
    /// The agent this note is shown on is paused by a budget.
    #[serde(default)]
    pub paused: bool,
}

impl BudgetNote {
    /// The note of `budget` owned by `owner`, given what its scope spent.
    pub fn new(owner: Option<String>, budget: Budget, spent: &UsageSum) -> BudgetNote {
        let used = Usd::from_dollars(spent.cost);
        BudgetNote {
            owner,
            limit: budget.limit,
            spent: used,
            percent: used.percent_of(budget.limit),
            unpriced: spent.unpriced,
            level: BudgetLevel::of(used, budget.limit),
            action: budget.action,
            paused: false,
        }
    }

    /// The store's key of its scope: the owner's name, or empty for the fleet.
    pub fn scope_key(&self) -> &str {
        self.owner.as_deref().unwrap_or("")
    }

    /// Whose budget it is, as seen from agent `who`: `budget`, `lead's budget`,
    /// `fleet budget`.
    pub fn whose(&self, who: &str) -> String {
        match self.owner.as_deref() {
            None => "fleet budget".to_string(),
            Some(o) if o == who => "budget".to_string(),
            Some(o) => format!("{o}'s budget"),
        }
    }

    /// The few words the tree's note and `shoal status` show for agent `who`:
    /// `budget 82% of $5.00`, `paused: lead's budget $0.01 spent`, with ` +?` when
    /// unpriced tokens are not counted.
    pub fn text(&self, who: &str) -> String {
        let whose = self.whose(who);
        let unpriced = if self.unpriced { " +?" } else { "" };
        if self.level != BudgetLevel::Exhausted {
            // Paused by a budget since raised: it waits for `shoal resume`.
            let head = if self.paused {
                "paused by a budget: "
            } else {
                ""
            };
            return format!(
                "{head}{whose} {}% of {}{unpriced}",
                self.percent, self.limit
            );
        }
        let head = if self.paused { "paused: " } else { "" };
        let tail = match self.action {
            BudgetAction::Warn => " (warn only)",
            _ => "",
        };
        format!("{head}{whose} {} spent{unpriced}{tail}", self.limit)
    }

    /// What the tree's note says about it on agent `who` (`queued`: it waits for its
    /// first start): its own budget always; another's once it is at 80 %, the fleet's
    /// (which the header shows) only once it stops the agent.
    pub fn note_part(&self, who: &str, queued: bool) -> Option<String> {
        let stops = self.level == BudgetLevel::Exhausted && self.action.stops();
        if queued && stops {
            return Some(format!("not started: {}", self.text(who)));
        }
        let own = self.owner.as_deref() == Some(who);
        let near = self.level >= BudgetLevel::Warned && (self.owner.is_some() || stops);
        (own || self.paused || near).then(|| self.text(who))
    }

    /// A sentence for the explanation view and refusals: what was spent, what the
    /// action did, unpriced usage, and how to go on.
    pub fn explain(&self, who: &str) -> String {
        let mut s = format!(
            "{} {} spent of {} ({}%), action {}",
            self.whose(who),
            self.spent,
            self.limit,
            self.percent,
            self.action
        );
        if self.unpriced {
            s.push_str(
                "; tokens of models with no price are not counted against it (add their prices to prices.toml in the config directory)",
            );
        }
        if self.level == BudgetLevel::Exhausted && self.action.stops() {
            s.push_str(&format!(
                "; to go on, raise {} in the fleet file (a running supervisor reads it again when it changes)",
                self.key_name()
            ));
        }
        s
    }

    /// The fleet file key that sets it: `budget` of agent `lead`, or `[fleet] budget`.
    pub fn key_name(&self) -> String {
        match &self.owner {
            Some(o) => format!("`budget` of agent {o:?}"),
            None => "`budget` in [fleet]".to_string(),
        }
    }
}

/// One agent as budgets see it.
#[derive(Debug, Clone)]
pub struct Member<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its parent's name.
    pub parent: Option<&'a str>,
    /// Its own usage, every attempt.
    pub own: UsageSum,
    /// Its own budget (over its subtree), if it has one.
    pub budget: Option<Budget>,
}

/// One budget's scope after an evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    /// The budget and what its scope spent.
    pub note: BudgetNote,
    /// Indices (into the members) of the agents it covers.
    pub members: Vec<usize>,
}

/// Every budget's scope: the fleet's first (every agent), then each budgeted agent's
/// subtree in member order. A parent cycle stops the walk up.
pub fn evaluate(members: &[Member<'_>], fleet: Option<Budget>) -> Vec<Scope> {
    let index: HashMap<&str, usize> = members
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name, i))
        .collect();
    // Scope number of each budgeted member.
    let mut scope_of: HashMap<usize, usize> = HashMap::new();
    let mut budgets: Vec<(Option<usize>, Budget)> = Vec::new();
    if let Some(b) = fleet {
        budgets.push((None, b));
    }
    for (i, m) in members.iter().enumerate() {
        if let Some(b) = m.budget {
            scope_of.insert(i, budgets.len());
            budgets.push((Some(i), b));
        }
    }
    let mut spent = vec![UsageSum::default(); budgets.len()];
    let mut covered: Vec<Vec<usize>> = vec![Vec::new(); budgets.len()];
    for (i, m) in members.iter().enumerate() {
        if fleet.is_some() {
            spent[0].add(&m.own);
            covered[0].push(i);
        }
        // The walk up remembers where it went, so a parent cycle counts nobody twice.
        let mut seen: Vec<usize> = Vec::new();
        let mut at = Some(i);
        while let Some(a) = at {
            if seen.contains(&a) {
                break;
            }
            seen.push(a);
            if let Some(&s) = scope_of.get(&a) {
                spent[s].add(&m.own);
                covered[s].push(i);
            }
            at = members[a].parent.and_then(|p| index.get(p).copied());
        }
    }
    budgets
        .into_iter()
        .zip(spent)
        .zip(covered)
        .map(|(((owner, budget), spent), members_of)| Scope {
            note: BudgetNote::new(owner.map(|o| members[o].name.to_string()), budget, &spent),
            members: members_of,
        })
        .collect()
}

/// For each of `n` members: the scope its note shows, and the scope that stops it.
/// The note shows a scope that stops it when there is one, else the one furthest
/// along; a scope stops it when it is spent and its action is not `warn`.
pub fn per_member(scopes: &[Scope], n: usize) -> (Vec<Option<usize>>, Vec<Option<usize>>) {
    let mut shown: Vec<Option<usize>> = vec![None; n];
    let mut stopping: Vec<Option<usize>> = vec![None; n];
    // Further along: a larger share spent (compared without division).
    let further = |a: &BudgetNote, b: &BudgetNote| {
        u128::from(a.spent.0) * u128::from(b.limit.0)
            > u128::from(b.spent.0) * u128::from(a.limit.0)
    };
    for (s, scope) in scopes.iter().enumerate() {
        let stops = scope.note.level == BudgetLevel::Exhausted && scope.note.action.stops();
        for &m in &scope.members {
            if m >= n {
                continue;
            }
            if stops && stopping[m].is_none() {
                stopping[m] = Some(s);
            }
            // Ties go to the later scope: the nearer budget (an agent's over the fleet's).
            let better = match shown[m] {
                None => true,
                Some(cur) => !further(&scopes[cur].note, &scope.note),
            };
            if better {
                shown[m] = Some(s);
            }
        }
    }
    for m in 0..n {
        if stopping[m].is_some() {
            shown[m] = stopping[m];
        }
    }
    (shown, stopping)
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
