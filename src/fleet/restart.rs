//! Restart policy and the circuit breaker as data: what the fleet file and the config
//! say (`restart = "on-failure"`, `max_restarts`, `rapid_death`, …), and how a pending
//! restart or an open circuit reads to the operator (`restarting in 8s (3/5)`,
//! `claude: circuit open, retry in 4m`). The decisions live in the supervisor.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// When an ended attempt is followed by a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartMode {
    /// An ended attempt stays ended (`shoal retry` starts another).
    #[default]
    Never,
    /// Restart after a failure: a non-zero exit, a vanished pane, a stall-ladder kill.
    OnFailure,
    /// Restart after any ending the operator did not ask for, clean exits included.
    Always,
}

impl RestartMode {
    /// Every mode, as written in the fleet file.
    pub const ALL: [RestartMode; 3] = [
        RestartMode::Never,
        RestartMode::OnFailure,
        RestartMode::Always,
    ];

    /// The word in the fleet file.
    pub fn as_str(self) -> &'static str {
        match self {
            RestartMode::Never => "never",
            RestartMode::OnFailure => "on-failure",
            RestartMode::Always => "always",
        }
    }
}

impl fmt::Display for RestartMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RestartMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        RestartMode::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| {
                format!("restart = {s:?} is not a restart policy; use \"never\", \"on-failure\" or \"always\"")
            })
    }
}

/// One agent's restart policy (the fleet's default, or the agent's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RestartSettings {
    /// When to restart.
    pub restart: RestartMode,
    /// Wait before the first restart; each further restart in the window doubles it.
    #[serde(with = "humantime_serde")]
    pub restart_delay: Duration,
    /// The doubling stops here.
    #[serde(with = "humantime_serde")]
    pub restart_delay_max: Duration,
    /// Most restarts within `restart_window`; past it the agent stays `failed`.
    pub max_restarts: u32,
    /// The window restarts are counted in.
    #[serde(with = "humantime_serde")]
    pub restart_window: Duration,
    /// A new attempt resumes the CLI's conversation where its profile says how
    /// (`--resume <session>`); otherwise it starts fresh and the task is typed again.
    pub resume: bool,
}

impl Default for RestartSettings {
    fn default() -> Self {
        RestartSettings {
            restart: RestartMode::Never,
            restart_delay: Duration::from_secs(1),
            restart_delay_max: Duration::from_secs(300),
            max_restarts: 5,
            restart_window: Duration::from_secs(600),
            resume: false,
        }
    }
}

/// Fleet-wide rapid-death and circuit-breaker settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CircuitSettings {
    /// An attempt that dies, or shows a fatal error, this soon after its start is a
    /// rapid failure.
    #[serde(with = "humantime_serde")]
    pub rapid_death: Duration,
    /// This many rapid failures of one kind within `circuit_window` open its circuit;
    /// 0 turns the breaker off.
    pub circuit_failures: u32,
    /// The window rapid failures are counted in.
    #[serde(with = "humantime_serde")]
    pub circuit_window: Duration,
    /// An open circuit lets one start through (half-open) after this long.
    #[serde(with = "humantime_serde")]
    pub circuit_cooldown: Duration,
}

impl Default for CircuitSettings {
    fn default() -> Self {
        CircuitSettings {
            rapid_death: Duration::from_secs(15),
            circuit_failures: 3,
            circuit_window: Duration::from_secs(300),
            circuit_cooldown: Duration::from_secs(300),
        }
    }
}

/// How a circuit stands for one agent kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CircuitState {
    /// Starts go through.
    #[default]
    Closed,
    /// No restart or queued start of the kind until the cool-down passes.
    Open,
    /// The cool-down passed: one start goes through to try the water.
    HalfOpen,
}

impl CircuitState {
    /// The word stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::Open => "open",
            CircuitState::HalfOpen => "half-open",
        }
    }

    /// The state stored as `word`; unknown words read as closed.
    pub fn parse(word: &str) -> CircuitState {
        match word {
            "open" => CircuitState::Open,
            "half-open" => CircuitState::HalfOpen,
            _ => CircuitState::Closed,
        }
    }
}

impl fmt::Display for CircuitState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A circuit that is not closed, as the header shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitView {
    /// The agent kind.
    pub kind: String,
    /// Open or half-open.
    pub state: CircuitState,
    /// When an open circuit goes half-open (unix ms).
    pub until_ms: Option<i64>,
}

impl CircuitView {
    /// `claude: circuit open, retry in 4m` / `claude: circuit half-open, trying one start`.
    pub fn text(&self, now_ms: i64) -> String {
        match (self.state, self.until_ms) {
            (CircuitState::Open, Some(until)) => format!(
                "{}: circuit open, retry in {}",
                self.kind,
                countdown(until - now_ms)
            ),
            (CircuitState::HalfOpen, _) => {
                format!("{}: circuit half-open, trying one start", self.kind)
            }
            (state, _) => format!("{}: circuit {state}", self.kind),
        }
    }
}

/// Where an ended agent stands with its restart policy, as the tree's note says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum RestartNote {
    /// A new attempt starts at `at_ms`: the `n`th restart of at most `of` in the window.
    Restarting {
        /// When (unix ms).
        at_ms: i64,
        /// This restart's number in the window.
        n: u32,
        /// `max_restarts`.
        of: u32,
    },
    /// The restart is due but its kind's circuit is open.
    HeldByCircuit {
        /// The agent kind.
        kind: String,
        /// When the circuit goes half-open (unix ms), if open.
        until_ms: Option<i64>,
    },
    /// Past the limit: the agent stays failed and needs the operator.
    Limit {
        /// `max_restarts`.
        max: u32,
        /// `restart_window` in ms.
        window_ms: i64,
    },
}

impl RestartNote {
    /// `restarting in 8s (3/5)`, `claude: circuit open, retry in 4m`, `restart limit (5 in 10m)`.
    pub fn text(&self, now_ms: i64) -> String {
        match self {
            RestartNote::Restarting { at_ms, n, of } => {
                format!("restarting in {} ({n}/{of})", countdown(at_ms - now_ms))
            }
            RestartNote::HeldByCircuit { kind, until_ms } => CircuitView {
                kind: kind.clone(),
                state: if until_ms.is_some() {
                    CircuitState::Open
                } else {
                    CircuitState::HalfOpen
                },
                until_ms: *until_ms,
            }
            .text(now_ms),
            RestartNote::Limit { max, window_ms } => limit_text(*max, *window_ms),
        }
    }

    /// Whether the operator must act: the limit was reached.
    pub fn needs_operator(&self) -> bool {
        matches!(self, RestartNote::Limit { .. })
    }
}

impl super::AgentView {
    /// The note column at `now_ms`: a standing restart decision or an open circuit
    /// first, then [`super::AgentView::note`].
    pub fn note_at(&self, now_ms: i64) -> String {
        let base = self.note();
        match &self.lineage.restart {
            None => base,
            Some(r) if base.is_empty() => r.text(now_ms),
            Some(r) => format!("{} {base}", r.text(now_ms)),
        }
    }
}

/// `restart limit (5 in 10m)`.
pub fn limit_text(max: u32, window_ms: i64) -> String {
    let window = Duration::from_millis(u64::try_from(window_ms).unwrap_or(0));
    format!(
        "restart limit ({max} in {})",
        humantime::format_duration(window)
    )
}

/// A countdown in its largest whole unit, rounded up: `8s`, `4m`, `2h`.
pub fn countdown(ms: i64) -> String {
    // Rounded up in the unit shown, so 59m30s reads `1h`, never `60m`.
    let s = ms.max(0).saturating_add(999) / 1000;
    let m = (s + 59) / 60;
    if s < 60 {
        format!("{s}s")
    } else if m < 60 {
        format!("{m}m")
    } else {
        format!("{}h", (s + 3599) / 3600)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_from_their_words_and_refuse_others_with_the_list() {
        for m in RestartMode::ALL {
            assert_eq!(m.as_str().parse::<RestartMode>(), Ok(m));
        }
        let e = "sometimes".parse::<RestartMode>().unwrap_err();
        assert!(
            e.contains("\"sometimes\"") && e.contains("on-failure"),
            "{e}"
        );
    }

    #[test]
    fn notes_read_as_the_operator_expects() {
        let now = 1_000_000;
        let r = RestartNote::Restarting {
            at_ms: now + 7_400,
            n: 3,
            of: 5,
        };
        assert_eq!(r.text(now), "restarting in 8s (3/5)");
        let l = RestartNote::Limit {
            max: 5,
            window_ms: 600_000,
        };
        assert_eq!(l.text(now), "restart limit (5 in 10m)");
        assert!(l.needs_operator() && !r.needs_operator());
        let c = CircuitView {
            kind: "claude".into(),
            state: CircuitState::Open,
            until_ms: Some(now + 235_000),
        };
        assert_eq!(c.text(now), "claude: circuit open, retry in 4m");
        let held = RestartNote::HeldByCircuit {
            kind: "claude".into(),
            until_ms: Some(now + 3_000),
        };
        assert_eq!(held.text(now), "claude: circuit open, retry in 3s");
    }

    #[test]
    fn countdowns_round_up_to_their_largest_unit() {
        let cases = [
            (-5, "0s"),
            (0, "0s"),
            (1, "1s"),
            (59_000, "59s"),
            (60_000, "1m"),
            (61_000, "2m"),
            (3_540_000, "59m"),
            (3_541_000, "1h"),
            (3_599_000, "1h"),
            (3_600_000, "1h"),
            (3_601_000, "2h"),
        ];
        for (ms, want) in cases {
            assert_eq!(countdown(ms), want, "{ms}");
        }
    }
}
