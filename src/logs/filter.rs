//! A log search as the operator writes it (CLI flags, or the console's query line with
//! `agent:`, `tree:`, `level:`, `source:`, `since:` and `until:` words), and its
//! resolution into a [`LogQuery`]: names checked, subtrees expanded, times read.

use super::when::{parse_time, TIME_HINT};
use super::{Level, LogQuery, Source, MAX_LIMIT};
use chrono::FixedOffset;
use std::collections::{BTreeSet, VecDeque};
use thiserror::Error;

/// Why a search cannot run.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LogQueryError {
    /// An agent filter names no agent of the fleet.
    #[error("no agent named {name:?} in this fleet; agents: {known}")]
    UnknownAgent {
        /// The name given.
        name: String,
        /// The fleet's agents, comma-separated.
        known: String,
    },
    /// A since/until value is not a time.
    #[error("{which} {text:?} is not a time: {TIME_HINT}")]
    BadTime {
        /// `since` or `until`.
        which: &'static str,
        /// What was written.
        text: String,
    },
    /// The window ends before it starts.
    #[error("since ({since}) is after until ({until}): nothing can match; swap them")]
    SinceAfterUntil {
        /// The start, as a local time.
        since: String,
        /// The end, as a local time.
        until: String,
    },
    /// Not a level name.
    #[error("unknown level {0:?}: use debug, info, warn or error")]
    BadLevel(String),
    /// Not a source name.
    #[error("unknown source {0:?}: use output, event, signal or supervisor")]
    BadSource(String),
    /// A page size out of range.
    #[error("limit {0} is out of range: use 1 to {MAX_LIMIT}")]
    BadLimit(usize),
}

/// One agent filter: the agent alone, or the agent and everything below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentPick {
    /// The agent's name.
    pub name: String,
    /// Include its descendants.
    pub subtree: bool,
}

/// A search as written, before names and times are checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// Keyword query.
    pub text: Option<String>,
    /// Agent filters (any of them matches).
    pub agents: Vec<AgentPick>,
    /// Minimum level.
    pub level: Option<Level>,
    /// Sources (any of them matches).
    pub sources: Vec<Source>,
    /// Start of the window, as written.
    pub since: Option<String>,
    /// End of the window, as written.
    pub until: Option<String>,
}

impl LogFilter {
    /// Read a console query line: `agent:NAME`, `tree:NAME` (the agent and its
    /// descendants), `level:L`, `source:S`, `since:T`, `until:T`; all other words are
    /// the keyword query.
    pub fn parse_line(line: &str) -> Result<LogFilter, LogQueryError> {
        let mut f = LogFilter::default();
        let mut words = Vec::new();
        for word in line.split_whitespace() {
            let Some((key, value)) = word.split_once(':') else {
                words.push(word);
                continue;
            };
            if value.is_empty() {
                words.push(word);
                continue;
            }
            match key.to_ascii_lowercase().as_str() {
                "agent" | "tree" => f.agents.push(AgentPick {
                    name: value.to_string(),
                    subtree: key.eq_ignore_ascii_case("tree"),
                }),
                "level" => f.level = Some(value.parse()?),
                "source" => f.sources.push(value.parse()?),
                "since" => f.since = Some(value.to_string()),
                "until" => f.until = Some(value.to_string()),
                _ => words.push(word),
            }
        }
        let text = words.join(" ");
        f.text = (!text.is_empty()).then_some(text);
        Ok(f)
    }

    /// The filter as a query line that [`LogFilter::parse_line`] reads back.
    pub fn to_line(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for a in &self.agents {
            let key = if a.subtree { "tree" } else { "agent" };
            parts.push(format!("{key}:{}", a.name));
        }
        if let Some(l) = self.level {
            parts.push(format!("level:{l}"));
        }
        for s in &self.sources {
            parts.push(format!("source:{s}"));
        }
        if let Some(s) = &self.since {
            parts.push(format!("since:{s}"));
        }
        if let Some(u) = &self.until {
            parts.push(format!("until:{u}"));
        }
        if let Some(t) = &self.text {
            parts.push(t.clone());
        }
        parts.join(" ")
    }

    /// Check names against the fleet's `(agent, parent)` pairs, expand subtrees and read
    /// the times at `now_ms` in the zone `offset`. Paging is left at its defaults.
    pub fn resolve(
        &self,
        fleet: &[(String, Option<String>)],
        now_ms: i64,
        offset: FixedOffset,
    ) -> Result<LogQuery, LogQueryError> {
        let mut agents = BTreeSet::new();
        for pick in &self.agents {
            if !fleet.iter().any(|(n, _)| *n == pick.name) {
                let known: Vec<&str> = fleet.iter().map(|(n, _)| n.as_str()).collect();
                return Err(LogQueryError::UnknownAgent {
                    name: pick.name.clone(),
                    known: if known.is_empty() {
                        "(none)".into()
                    } else {
                        known.join(", ")
                    },
                });
            }
            agents.insert(pick.name.clone());
            if pick.subtree {
                agents.extend(descendants(fleet, &pick.name));
            }
        }
        let time = |which: &'static str, text: &Option<String>| match text {
            None => Ok(None),
            Some(t) => {
                parse_time(t, now_ms, offset)
                    .map(Some)
                    .ok_or_else(|| LogQueryError::BadTime {
                        which,
                        text: t.clone(),
                    })
            }
        };
        let since_ms = time("since", &self.since)?;
        let until_ms = time("until", &self.until)?;
        if let (Some(s), Some(u)) = (since_ms, until_ms) {
            if s > u {
                return Err(LogQueryError::SinceAfterUntil {
                    since: local_clock(s, offset),
                    until: local_clock(u, offset),
                });
            }
        }
        let mut sources = self.sources.clone();
        sources.sort_by_key(|s| s.as_str());
        sources.dedup();
        Ok(LogQuery {
            text: self.text.clone().filter(|t| !t.trim().is_empty()),
            agents: agents.into_iter().collect(),
            min_level: self.level.unwrap_or(Level::Debug),
            sources,
            since_ms,
            until_ms,
            ..LogQuery::default()
        })
    }
}

/// Every agent below `root` in the fleet's parent links.
fn descendants(fleet: &[(String, Option<String>)], root: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut queue = VecDeque::from([root.to_string()]);
    while let Some(p) = queue.pop_front() {
        for (name, parent) in fleet {
            if parent.as_deref() == Some(p.as_str()) && !out.contains(name) && name != root {
                out.push(name.clone());
                queue.push_back(name.clone());
            }
        }
    }
    out
}

fn local_clock(ms: i64, offset: FixedOffset) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |t| {
            t.with_timezone(&offset)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        },
    )
}

/// Check a page size.
pub fn check_limit(limit: usize) -> Result<usize, LogQueryError> {
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(LogQueryError::BadLimit(limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_704_888_000_000;

    fn fleet() -> Vec<(String, Option<String>)> {
        [
            ("lead", None),
            ("builder", Some("lead")),
            ("tester", Some("builder")),
            ("reviewer", Some("lead")),
            ("solo", None),
        ]
        .into_iter()
        .map(|(n, p)| (n.to_string(), p.map(str::to_string)))
        .collect()
    }

    fn utc() -> FixedOffset {
        FixedOffset::east_opt(0).unwrap()
    }

    #[test]
    fn a_query_line_splits_into_filters_and_keywords() {
        let f = LogFilter::parse_line("agent:lead cargo test level:warn source:output since:15m")
            .unwrap();
        assert_eq!(f.text.as_deref(), Some("cargo test"));
        assert_eq!(
            f.agents,
            vec![AgentPick {
                name: "lead".into(),
                subtree: false
            }]
        );
        assert_eq!(f.level, Some(Level::Warn));
        assert_eq!(f.sources, vec![Source::Output]);
        assert_eq!(f.since.as_deref(), Some("15m"));
        assert_eq!(LogFilter::parse_line(&f.to_line()).unwrap(), f);
        // Unknown prefixes and bare colons stay keywords.
        let f = LogFilter::parse_line("error: http:// x:").unwrap();
        assert_eq!(f.text.as_deref(), Some("error: http:// x:"));
        assert!(LogFilter::parse_line("level:loud").is_err());
    }

    #[test]
    fn subtrees_expand_and_unknown_agents_are_named() {
        let f = LogFilter::parse_line("tree:builder agent:solo").unwrap();
        let q = f.resolve(&fleet(), NOW, utc()).unwrap();
        assert_eq!(q.agents, vec!["builder", "solo", "tester"]);
        let f = LogFilter::parse_line("tree:lead").unwrap();
        let q = f.resolve(&fleet(), NOW, utc()).unwrap();
        assert_eq!(q.agents.len(), 4);
        let err = LogFilter::parse_line("agent:ghost")
            .unwrap()
            .resolve(&fleet(), NOW, utc())
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "no agent named \"ghost\" in this fleet; agents: lead, builder, tester, reviewer, solo"
        );
    }

    #[test]
    fn times_are_read_and_checked() {
        let f = LogFilter {
            since: Some("2h".into()),
            until: Some("1h".into()),
            ..Default::default()
        };
        let q = f.resolve(&fleet(), NOW, utc()).unwrap();
        assert_eq!(q.since_ms, Some(NOW - 7_200_000));
        assert_eq!(q.until_ms, Some(NOW - 3_600_000));

        let swapped = LogFilter {
            since: Some("1h".into()),
            until: Some("2h".into()),
            ..Default::default()
        };
        let err = swapped
            .resolve(&fleet(), NOW, utc())
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "since (2024-01-10 11:00:00) is after until (2024-01-10 10:00:00): nothing can match; swap them"
        );
        let bad = LogFilter {
            until: Some("teatime".into()),
            ..Default::default()
        };
        let err = bad.resolve(&fleet(), NOW, utc()).unwrap_err().to_string();
        assert!(
            err.starts_with("until \"teatime\" is not a time: write"),
            "{err}"
        );
    }

    #[test]
    fn limits() {
        assert_eq!(check_limit(50), Ok(50));
        assert_eq!(
            check_limit(0).unwrap_err().to_string(),
            "limit 0 is out of range: use 1 to 10000"
        );
        assert!(check_limit(MAX_LIMIT + 1).is_err());
    }
}
