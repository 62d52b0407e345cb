//! What can be wrong with a profile file, and where.

use super::region::REGION_NAMES;
use std::fmt;
use std::path::PathBuf;

/// Activities a rule may produce (`unknown` is only the fallback).
const RULE_ACTIVITIES: &[&str] = &["working", "needs-input", "idle", "errored", "exited"];

/// Why a profile file was rejected, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {problem}; fix the file (it is skipped until then)", self.location())]
pub struct ProfileError {
    /// The file (or `built-in:NAME` for an embedded profile).
    pub file: PathBuf,
    /// 1-based line of the mistake, when known.
    pub line: Option<usize>,
    /// 1-based column of the mistake, when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub problem: Problem,
}

impl ProfileError {
    fn location(&self) -> String {
        let file = self.file.display();
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
            (Some(l), None) => format!("{file}:{l}"),
            _ => file.to_string(),
        }
    }
}

/// The kinds of mistakes a profile file can contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The file could not be read.
    Unreadable(String),
    /// Not valid TOML, or a value of the wrong type / an unknown key.
    Syntax(String),
    /// A required key is absent.
    MissingField(String),
    /// A regex does not compile.
    BadRegex {
        /// Which key holds it.
        field: &'static str,
        /// The pattern as written.
        pattern: String,
        /// The regex crate's message.
        error: String,
    },
    /// A rule names a region that does not exist.
    UnknownRegion(String),
    /// A rule's activity is not one a rule may produce.
    UnknownActivity(String),
    /// A rule's error kind is not known.
    UnknownError(String),
    /// A `reset` pattern has neither a `clock` nor a `duration` named group.
    ResetWithoutGroup(String),
    /// A rule uses region `last-turn` but the profile has no `turn_start`.
    LastTurnWithoutTurnStart(String),
    /// A rule gives needs-input but the profile has no approve or deny keys.
    NoAnswerKeys,
    /// A key name is empty or contains whitespace.
    BadKey(String),
    /// `screen.composer` has no named group `text`.
    ComposerWithoutText(String),
    /// `screen.composer` is given but `screen.chrome` is not: the composer is looked for
    /// in the chrome.
    ComposerWithoutChrome,
    /// The profile name is empty or has characters a kind name cannot have.
    BadName(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Unreadable(e) => write!(f, "cannot read the file: {e}"),
            Problem::Syntax(e) => write!(f, "{e}"),
            Problem::MissingField(k) => write!(f, "missing field `{k}`"),
            Problem::BadRegex { field, pattern, error } => {
                let error = error.lines().last().unwrap_or(error).trim();
                write!(f, "bad regex in `{field}`: {pattern:?} does not compile: {error}")
            }
            Problem::UnknownRegion(r) => write!(
                f,
                "unknown region {r:?}; use one of: {}",
                REGION_NAMES.join(", ")
            ),
            Problem::UnknownActivity(a) => write!(
                f,
                "unknown activity {a:?}; use one of: {}",
                RULE_ACTIVITIES.join(", ")
            ),
            Problem::UnknownError(e) => write!(
                f,
                "unknown error {e:?}; use one of: rate-limit, auth, overloaded, quota, model-not-found, not-installed"
            ),
            Problem::ResetWithoutGroup(p) => write!(
                f,
                "reset pattern {p:?} needs a named group `(?P<clock>…)` or `(?P<duration>…)`"
            ),
            Problem::LastTurnWithoutTurnStart(rule) => write!(
                f,
                "rule `{rule}` uses region \"last-turn\" but the profile sets no `turn_start`"
            ),
            Problem::NoAnswerKeys => write!(
                f,
                "a rule gives needs-input, so [keys] needs `approve` and `deny`"
            ),
            Problem::BadName(n) => write!(
                f,
                "bad profile name {n:?}; use letters, digits, '-', '_' or '.' (e.g. \"claude\")"
            ),
            Problem::ComposerWithoutText(p) => write!(
                f,
                "screen.composer {p:?} needs a named group `(?P<text>…)` for what the composer holds"
            ),
            Problem::ComposerWithoutChrome => write!(
                f,
                "screen.composer is looked for in the chrome, so [screen] needs `chrome` patterns too"
            ),
            Problem::BadKey(k) => write!(
                f,
                "bad key name {k:?}; use tmux send-keys names like \"Enter\", \"Escape\", \"y\", \"C-c\""
            ),
        }
    }
}
