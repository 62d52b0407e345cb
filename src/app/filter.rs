//! The `/` filter: name substrings (or `name:`) and `state:` / `kind:` / `activity:` /
//! `tier:` predicates, and `is:needs-you` / `is:running` / `is:ended` (the quick filters).
//!
//! Terms are separated by spaces and must all match (`kind:claude state:run` = running
//! Claude agents). Values match as case-insensitive substrings, so `activity:needs` finds
//! `needs-input` without typing it out.

use crate::fleet::AgentView;

/// One term of a filter.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    Name(String),
    State(String),
    Kind(String),
    Activity(String),
    Tier(String),
    Is(Quick),
}

/// The groups the quick-filter keys select.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quick {
    /// Agents that need the operator (`!` in the tree).
    NeedsYou,
    /// Starting or running.
    Running,
    /// The current attempt has ended.
    Ended,
}

impl Quick {
    /// The filter text that selects the group.
    pub fn text(self) -> &'static str {
        match self {
            Quick::NeedsYou => "is:needs-you",
            Quick::Running => "is:running",
            Quick::Ended => "is:ended",
        }
    }
}

/// A parsed filter; the empty filter matches every agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    terms: Vec<Term>,
}

/// Why a filter could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// A `key:value` term with a key the filter does not know.
    #[error("unknown filter key {key:?} in {term:?}; use state:, kind:, activity:, tier:, is: or a plain name")]
    UnknownKey {
        /// The key as typed.
        key: String,
        /// The whole term.
        term: String,
    },
    /// An `is:` term naming no group.
    #[error("unknown group in {0:?}; use is:needs-you, is:running or is:ended")]
    UnknownGroup(String),
}

impl Filter {
    /// Parse the text typed after `/`.
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        let mut terms = Vec::new();
        for word in text.split_whitespace() {
            let lower = word.to_lowercase();
            let term = match lower.split_once(':') {
                None => Term::Name(lower),
                Some((key, value)) => {
                    let value = value.to_string();
                    match key {
                        "name" | "n" => Term::Name(value),
                        "state" | "s" => Term::State(value),
                        "kind" | "k" => Term::Kind(value),
                        "activity" | "a" => Term::Activity(value),
                        "tier" | "t" => Term::Tier(value),
                        "is" => Term::Is(match value.as_str() {
                            "needs-you" | "needy" | "needs" => Quick::NeedsYou,
                            "running" | "live" => Quick::Running,
                            "ended" | "dead" => Quick::Ended,
                            _ => return Err(FilterError::UnknownGroup(word.to_string())),
                        }),
                        // Names may legitimately contain ':' only if tmux allowed it; treat
                        // an empty key (":foo") as a name search rather than an error.
                        "" => Term::Name(lower.clone()),
                        _ => {
                            return Err(FilterError::UnknownKey {
                                key: key.to_string(),
                                term: word.to_string(),
                            })
                        }
                    }
                }
            };
            terms.push(term);
        }
        Ok(Filter { terms })
    }

    /// True when the filter has no terms.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether this agent passes every term.
    pub fn matches(&self, agent: &AgentView) -> bool {
        self.terms.iter().all(|term| match term {
            Term::Name(s) => agent.name.to_lowercase().contains(s.as_str()),
            Term::State(s) => agent.state.as_str().contains(s.as_str()),
            Term::Kind(s) => agent.kind.to_lowercase().contains(s.as_str()),
            Term::Activity(s) => agent.activity.as_str().contains(s.as_str()),
            Term::Tier(s) => agent.tier.as_str().contains(s.as_str()),
            Term::Is(Quick::NeedsYou) => super::urgency::needs_operator(agent),
            Term::Is(Quick::Running) => matches!(
                agent.state,
                crate::fleet::LifeState::Starting | crate::fleet::LifeState::Running
            ),
            Term::Is(Quick::Ended) => agent.state.is_ended(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::{Activity, LifeState, Tier};

    fn agent(
        name: &str,
        kind: &str,
        state: LifeState,
        activity: Activity,
        tier: Tier,
    ) -> AgentView {
        AgentView {
            name: name.into(),
            parent: None,
            kind: kind.into(),
            state,
            activity,
            error: None,
            reset_at_ms: None,
            reason: None,
            tier,
            tier_since_ms: 0,
            next_action_at_ms: None,
            last_progress_ms: 0,
            stall_timeout_ms: 60_000,
            attempt: 1,
            pane: None,
            server: None,
            exit_status: None,
            paused: false,
            ended_ms: None,
            screen_changed_ms: 0,
            capture: "".into(),
            lineage: Default::default(),
            usage: Default::default(),
            on_idle: Default::default(),
        }
    }

    #[test]
    fn terms_must_all_match() {
        let a = agent(
            "Builder-1",
            "claude",
            LifeState::Running,
            Activity::NeedsInput,
            Tier::Ok,
        );
        let table = [
            ("", true),
            ("build", true),
            ("BUILD", true),
            ("tester", false),
            ("kind:claude", true),
            ("kind:aider", false),
            ("activity:needs", true),
            ("activity:working", false),
            ("state:run build", true),
            ("state:run tester", false),
            ("tier:ok", true),
            ("tier:warn", false),
        ];
        for (text, want) in table {
            let f = Filter::parse(text).unwrap();
            assert_eq!(f.matches(&a), want, "filter {text:?}");
        }
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Filter::parse("name:x colour:red").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("\"colour\"") && msg.contains("state:"),
            "{msg}"
        );
    }
}
