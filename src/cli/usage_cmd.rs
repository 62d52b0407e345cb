//! `shoal usage`: tokens and dollars from the store, grouped by agent, kind, model or
//! day, optionally since a time and within one agent's subtree.

use crate::fleet::usage::{compact, dollars};
use crate::fleet::UsageSum;
use crate::store::{AgentRecord, UsageRow};
use anyhow::{bail, Result};
use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// How `shoal usage` groups its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    /// One line per agent.
    Agent,
    /// One line per agent kind (profile).
    Kind,
    /// One line per model.
    Model,
    /// One line per local day.
    Day,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageLine {
    /// The agent, kind, model or day.
    pub key: String,
    /// Tokens and dollars.
    #[serde(flatten)]
    pub usage: UsageSum,
    /// Models among these tokens that have no price.
    pub unpriced_models: BTreeSet<String>,
}

/// The agents in `root`'s subtree, `root` included.
fn subtree(agents: &[AgentRecord], root: &str) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = [root.to_string()].into();
    loop {
        let before = out.len();
        for a in agents {
            if a.parent.as_ref().is_some_and(|p| out.contains(p)) {
                out.insert(a.name.clone());
            }
        }
        if out.len() == before {
            return out;
        }
    }
}

/// Group `rows` (one per attempt, model and hour) into report lines, sorted by key, and
/// the total. `subtree` keeps only that agent and its descendants.
pub fn report(
    rows: &[UsageRow],
    agents: &[AgentRecord],
    by: By,
    within: Option<&str>,
    offset: FixedOffset,
) -> Result<(Vec<UsageLine>, UsageLine)> {
    let keep = match within {
        Some(root) => {
            if !agents.iter().any(|a| a.name == root) {
                let names: Vec<&str> = agents.iter().map(|a| a.name.as_str()).collect();
                bail!("no agent named {root:?}; agents: {}", names.join(", "));
            }
            Some(subtree(agents, root))
        }
        None => None,
    };
    let kinds: HashMap<&str, &str> = agents
        .iter()
        .map(|a| (a.name.as_str(), a.kind.as_str()))
        .collect();
    let mut lines: BTreeMap<String, UsageLine> = BTreeMap::new();
    let empty = |key: &str| UsageLine {
        key: key.to_string(),
        usage: UsageSum::default(),
        unpriced_models: BTreeSet::new(),
    };
    let mut total = empty("total");
    for r in rows {
        if keep.as_ref().is_some_and(|k| !k.contains(&r.agent)) {
            continue;
        }
        let key = match by {
            By::Agent => r.agent.clone(),
            By::Kind => (*kinds.get(r.agent.as_str()).unwrap_or(&"?")).to_string(),
            By::Model => r.model.clone(),
            By::Day => DateTime::from_timestamp_millis(r.hour_ms)
                .map(|t| t.with_timezone(&offset).format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        };
        let sum = UsageSum {
            tokens: r.tokens,
            cost: r.cost.unwrap_or(0.0),
            unpriced: r.cost.is_none() && !r.tokens.is_zero(),
        };
        for line in [
            lines.entry(key.clone()).or_insert_with(|| empty(&key)),
            &mut total,
        ] {
            line.usage.add(&sum);
            if sum.unpriced {
                line.unpriced_models.insert(r.model.clone());
            }
        }
    }
    Ok((lines.into_values().collect(), total))
}

/// The report as an aligned table with a total line and a note on unpriced models.
pub fn table(by: By, lines: &[UsageLine], total: &UsageLine) -> String {
    let head = match by {
        By::Agent => "AGENT",
        By::Kind => "KIND",
        By::Model => "MODEL",
        By::Day => "DAY",
    };
    let mut rows =
        vec![["", "INPUT", "OUTPUT", "CACHE READ", "CACHE WRITE", "COST"].map(String::from)];
    rows[0][0] = head.to_string();
    for l in lines.iter().chain([total]) {
        let t = &l.usage.tokens;
        let cost = if l.usage.unpriced && l.usage.cost == 0.0 {
            "?".to_string()
        } else if l.usage.unpriced {
            format!("{}+?", dollars(l.usage.cost))
        } else {
            dollars(l.usage.cost)
        };
        rows.push([
            l.key.clone(),
            compact(t.input),
            compact(t.output),
            compact(t.cache_read),
            compact(t.cache_write),
            cost,
        ]);
    }
    let widths: Vec<usize> = (0..6)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let mut line = format!("{:<w$}", r[0], w = widths[0]);
        for (c, cell) in r.iter().enumerate().skip(1) {
            line.push_str(&format!("  {cell:>w$}", w = widths[c]));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    if !total.unpriced_models.is_empty() {
        let models: Vec<&str> = total.unpriced_models.iter().map(String::as_str).collect();
        out.push_str(&format!(
            "+? no price for {}: tokens only (add them to prices.toml in the config directory)\n",
            models.join(", ")
        ));
    }
    out
}

/// Run `shoal usage`.
pub fn run(
    fleet: &super::ctx::FleetArg,
    by: By,
    since: Option<&str>,
    within: Option<&str>,
    json: bool,
) -> Result<i32> {
    let ctx = super::ctx::Ctx::open(fleet)?;
    let now = crate::supervisor::runner::now_ms();
    let offset = *chrono::Local::now().offset();
    let since_ms = match since {
        None => None,
        Some(t) => Some(
            crate::logs::when::parse_time(t, now, offset).ok_or_else(|| {
                anyhow::anyhow!(
                    "--since {t:?} is not a time; {}",
                    crate::logs::when::TIME_HINT
                )
            })?,
        ),
    };
    let rows = ctx.store.usage_rows(since_ms, true)?;
    let agents = ctx.store.agents()?;
    let (lines, total) = report(&rows, &agents, by, within, offset)?;
    if json {
        let out = serde_json::json!({ "by": format!("{by:?}").to_lowercase(), "lines": lines, "total": total });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else if lines.is_empty() {
        println!("no usage recorded yet");
    } else {
        print!("{}", table(by, &lines, &total));
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::Tokens;

    fn agent(name: &str, parent: Option<&str>, kind: &str) -> AgentRecord {
        AgentRecord {
            name: name.into(),
            parent: parent.map(String::from),
            kind: kind.into(),
            cmd: String::new(),
            cwd: None,
            task: None,
            env: Default::default(),
            stall_timeout_ms: 0,
            on_idle: None,
            paused: false,
            seq: 0,
            created_ms: 0,
        }
    }

    fn row(agent: &str, model: &str, hour_ms: i64, input: u64, cost: Option<f64>) -> UsageRow {
        UsageRow {
            agent: agent.into(),
            attempt: 1,
            model: model.into(),
            hour_ms,
            tokens: Tokens {
                input,
                ..Tokens::default()
            },
            cost,
        }
    }

    fn rig() -> (Vec<UsageRow>, Vec<AgentRecord>) {
        let day = 86_400_000;
        (
            vec![
                row("lead", "claude-sonnet-4-5", 0, 100, Some(1.0)),
                row("mid", "claude-sonnet-4-5", day, 200, Some(2.0)),
                row("leaf", "gpt-5", day, 300, Some(4.0)),
                row("solo", "mock", day, 50, None),
            ],
            vec![
                agent("lead", None, "claude"),
                agent("mid", Some("lead"), "claude"),
                agent("leaf", Some("mid"), "codex"),
                agent("solo", None, "aider"),
            ],
        )
    }

    fn utc() -> FixedOffset {
        FixedOffset::east_opt(0).unwrap()
    }

    #[test]
    fn groups_by_each_key_with_a_total() {
        let (rows, agents) = rig();
        let (lines, total) = report(&rows, &agents, By::Kind, None, utc()).unwrap();
        let keys: Vec<_> = lines
            .iter()
            .map(|l| (l.key.as_str(), l.usage.cost))
            .collect();
        assert_eq!(keys, [("aider", 0.0), ("claude", 3.0), ("codex", 4.0)]);
        assert_eq!(total.usage.cost, 7.0);
        assert!(total.usage.unpriced);
        let (days, _) = report(&rows, &agents, By::Day, None, utc()).unwrap();
        let keys: Vec<_> = days.iter().map(|l| l.key.as_str()).collect();
        assert_eq!(keys, ["1970-01-01", "1970-01-02"]);
        let text = table(By::Kind, &lines, &total);
        assert!(text.starts_with("KIND"), "{text}");
        assert!(text.contains("total") && text.contains("$7.00+?"), "{text}");
        assert!(text.contains("no price for mock"), "{text}");
    }

    #[test]
    fn a_subtree_keeps_the_agent_and_its_descendants() {
        let (rows, agents) = rig();
        let (lines, total) = report(&rows, &agents, By::Agent, Some("mid"), utc()).unwrap();
        let keys: Vec<_> = lines.iter().map(|l| l.key.as_str()).collect();
        assert_eq!(keys, ["leaf", "mid"]);
        assert_eq!(total.usage.tokens.input, 500);
        assert!(!total.usage.unpriced);
        let e = report(&rows, &agents, By::Agent, Some("nobody"), utc()).unwrap_err();
        assert!(e.to_string().contains("no agent named \"nobody\""), "{e}");
    }
}
