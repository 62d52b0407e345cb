//! Lineage types shared by the supervisor, the CLI and the console: signals agents send
//! upward, the roll-up of a subtree's outcomes, the queue position of a waiting agent,
//! and the ended attempts kept as history.

use super::model::LifeState;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// What an agent reports about itself with `shoal signal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignalKind {
    /// Finished: the attempt ends `done`.
    Done,
    /// Cannot go on without the operator; the ladder is held.
    Blocked,
    /// Gave up: the attempt ends `failed`.
    Failed,
    /// Still going; counts as proof of life.
    Progress,
    /// Waits for an answer from the operator; the ladder is held.
    NeedInput,
}

impl SignalKind {
    /// Every kind, in the order help texts list them.
    pub const ALL: [SignalKind; 5] = [
        SignalKind::Done,
        SignalKind::Blocked,
        SignalKind::Failed,
        SignalKind::Progress,
        SignalKind::NeedInput,
    ];

    /// The kebab-case name used on the command line, in JSON and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            SignalKind::Done => "done",
            SignalKind::Blocked => "blocked",
            SignalKind::Failed => "failed",
            SignalKind::Progress => "progress",
            SignalKind::NeedInput => "need-input",
        }
    }

    /// The lifecycle state the attempt ends in, for the kinds that end it.
    pub fn ends_as(self) -> Option<LifeState> {
        match self {
            SignalKind::Done => Some(LifeState::Done),
            SignalKind::Failed => Some(LifeState::Failed),
            _ => None,
        }
    }

    /// Whether the agent waits for the operator after sending it.
    pub fn holds(self) -> bool {
        matches!(self, SignalKind::Blocked | SignalKind::NeedInput)
    }
}

impl fmt::Display for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SignalKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SignalKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = SignalKind::ALL.iter().map(|k| k.as_str()).collect();
                format!(
                    "unknown signal kind {s:?}; use one of: {}",
                    names.join(", ")
                )
            })
    }
}

/// One recorded signal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalView {
    /// Store id; increases with time.
    pub id: i64,
    /// When it was recorded (unix ms).
    pub ts_ms: i64,
    /// The agent that sent it.
    pub agent: String,
    /// Its attempt at the time.
    pub attempt: u32,
    /// What it says.
    pub kind: SignalKind,
    /// The agent's own words.
    pub message: String,
}

/// Outcomes of a subtree's descendants (the agent itself not counted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollup {
    /// Starting or running.
    pub live: usize,
    /// Waiting for a slot.
    pub queued: usize,
    /// Ended `done`.
    pub done: usize,
    /// Ended `failed`.
    pub failed: usize,
    /// Ended `killed`.
    pub killed: usize,
    /// Ended `cancelled`.
    pub cancelled: usize,
    /// Live and waiting for the operator after a blocked / need-input signal.
    pub held: usize,
}

impl Rollup {
    /// Count one descendant in its current state.
    pub fn count(&mut self, state: LifeState, held: bool) {
        match state {
            LifeState::Queued => self.queued += 1,
            LifeState::Starting | LifeState::Running => self.live += 1,
            LifeState::Done => self.done += 1,
            // Lost counts as failed: nothing of it is known to have succeeded.
            LifeState::Failed | LifeState::Lost => self.failed += 1,
            LifeState::Killed => self.killed += 1,
            LifeState::Cancelled => self.cancelled += 1,
        }
        if held {
            self.held += 1;
        }
    }

    /// Add another subtree's counts.
    pub fn add(&mut self, other: &Rollup) {
        self.live += other.live;
        self.queued += other.queued;
        self.done += other.done;
        self.failed += other.failed;
        self.killed += other.killed;
        self.cancelled += other.cancelled;
        self.held += other.held;
    }

    /// Descendants counted, whatever their state.
    pub fn total(&self) -> usize {
        self.live + self.queued + self.done + self.failed + self.killed + self.cancelled
    }

    /// Short text such as `2 live · 1 queued · 3 done · 1 failed`, empty when no descendants.
    pub fn summary(&self) -> String {
        let parts = [
            (self.live, "live"),
            (self.queued, "queued"),
            (self.held, "blocked"),
            (self.done, "done"),
            (self.failed, "failed"),
            (self.killed, "killed"),
            (self.cancelled, "cancelled"),
        ];
        parts
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, w)| format!("{n} {w}"))
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

/// An attempt that ended before the agent's current one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastAttempt {
    /// Its number.
    pub attempt: u32,
    /// How it ended.
    pub state: LifeState,
    /// When its pane was created (unix ms).
    pub started_ms: Option<i64>,
    /// When it ended (unix ms).
    pub ended_ms: Option<i64>,
    /// Exit status of its pane, when it died by itself.
    pub exit_status: Option<i32>,
    /// Its last signal.
    pub signal: Option<SignalView>,
    /// The final screen kept when it ended.
    #[serde(skip)]
    pub death: Arc<str>,
}

/// An agent's place in the fleet's lineage and history.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lineage {
    /// 1-based place in the start queue while `queued`.
    pub queue_pos: Option<usize>,
    /// The last signal of the current attempt.
    pub signal: Option<SignalView>,
    /// A blocked / need-input signal waits for the operator: the ladder is held.
    pub held: bool,
    /// Outcomes of every descendant.
    pub rollup: Rollup,
    /// The agent left the fleet file; it stays as history.
    pub removed: bool,
    /// The current attempt runs in a pane shoal did not start (`shoal adopt`).
    pub adopted: bool,
    /// Most direct children running at once, when capped.
    pub max_children: Option<usize>,
    /// Earlier attempts, oldest first.
    pub past: Vec<PastAttempt>,
    /// Set on a history row that stands for an ended attempt of this agent.
    pub attempt_of: Option<String>,
    /// A restart due, the restart limit reached, or an open circuit holding it back.
    #[serde(default)]
    pub restart: Option<super::RestartNote>,
    /// The agent's host is unreachable: `host down since 12:03`; what it does is unknown.
    #[serde(default)]
    pub host_down: Option<String>,
    /// The budget over it: the one that stops it, else the one furthest along.
    #[serde(default)]
    pub budget: Option<super::BudgetNote>,
    /// The branch of the git worktree it runs in, when it has one.
    #[serde(default)]
    pub worktree: Option<String>,
    /// Its start directory (its worktree's, when it has one).
    #[serde(default)]
    pub cwd: Option<String>,
    /// How its current attempt ended, in words (`killed by operator`), when whoever
    /// built the picture read it from the events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ending: Option<String>,
}

impl Lineage {
    /// Whether the agent belongs to history rather than the live fleet: removed, or its
    /// current attempt has ended (and no restart is due or held back for it).
    pub fn is_history(&self, state: LifeState) -> bool {
        self.removed || (state.is_ended() && self.restart.is_none()) || self.attempt_of.is_some()
    }
}

impl super::AgentView {
    /// One line about the agent's place in the fleet: its queue position, where it came
    /// from, its last signal and its subtree's outcomes, e.g.
    /// `progress: 3 of 5 files [2 live · 1 done]`.
    pub fn note(&self) -> String {
        let l = &self.lineage;
        let mut parts = Vec::new();
        if let Some(pos) = l.queue_pos {
            parts.push(format!("queued #{pos}"));
        }
        if l.removed {
            parts.push("removed".to_string());
        }
        if let Some(down) = &l.host_down {
            parts.push(down.clone());
        }
        if l.adopted {
            parts.push("adopted".to_string());
        }
        if let Some(b) = &l.budget {
            parts.extend(b.note_part(&self.name, l.queue_pos.is_some()));
        }
        if let Some(branch) = &l.worktree {
            parts.push(format!("⎇ {branch}"));
        }
        if let Some(s) = &l.signal {
            let flag = if l.held { "⚑ " } else { "" };
            let text: String = s
                .message
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            parts.push(format!("{flag}{}: {}", s.kind, text.trim()));
        }
        if l.rollup.total() > 0 {
            parts.push(format!("[{}]", l.rollup.summary()));
        }
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_and_refuse_with_the_list() {
        for k in SignalKind::ALL {
            assert_eq!(k.as_str().parse::<SignalKind>(), Ok(k));
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{k}\""));
        }
        let e = "finished".parse::<SignalKind>().unwrap_err();
        assert!(
            e.contains("\"finished\"") && e.contains("need-input"),
            "{e}"
        );
        assert_eq!(SignalKind::Done.ends_as(), Some(LifeState::Done));
        assert_eq!(SignalKind::Progress.ends_as(), None);
        assert!(SignalKind::NeedInput.holds() && !SignalKind::Progress.holds());
    }

    #[test]
    fn the_note_says_queue_signal_and_rollup() {
        let mut a = crate::fleet::AgentView {
            name: "lead".into(),
            parent: None,
            kind: "claude".into(),
            state: LifeState::Running,
            activity: crate::fleet::Activity::Working,
            error: None,
            reset_at_ms: None,
            reason: None,
            tier: crate::fleet::Tier::Ok,
            tier_since_ms: 0,
            next_action_at_ms: None,
            last_progress_ms: 0,
            stall_timeout_ms: 1,
            attempt: 1,
            pane: None,
            server: None,
            exit_status: None,
            paused: false,
            ended_ms: None,
            screen_changed_ms: 0,
            capture: Arc::from(""),
            lineage: Lineage::default(),
            usage: Default::default(),
            on_idle: Default::default(),
        };
        assert_eq!(a.note(), "");
        a.lineage.signal = Some(SignalView {
            id: 1,
            ts_ms: 0,
            agent: "lead".into(),
            attempt: 1,
            kind: SignalKind::NeedInput,
            message: "which db?\n".into(),
        });
        a.lineage.held = true;
        a.lineage.rollup.count(LifeState::Done, false);
        assert_eq!(a.note(), "⚑ need-input: which db? [1 done]");
        a.lineage = Lineage {
            queue_pos: Some(3),
            removed: true,
            ..Lineage::default()
        };
        assert_eq!(a.note(), "queued #3 removed");
    }

    #[test]
    fn rollup_counts_and_summarises() {
        let mut r = Rollup::default();
        r.count(LifeState::Running, true);
        r.count(LifeState::Done, false);
        r.count(LifeState::Done, false);
        let mut other = Rollup::default();
        other.count(LifeState::Killed, false);
        other.count(LifeState::Queued, false);
        r.add(&other);
        assert_eq!(r.total(), 5);
        assert_eq!(
            r.summary(),
            "1 live · 1 queued · 1 blocked · 2 done · 1 killed"
        );
        assert_eq!(Rollup::default().summary(), "");
    }
}
