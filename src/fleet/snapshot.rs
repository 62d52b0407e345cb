//! The immutable picture of a fleet that the supervisor publishes after each tick.
//! The console and `shoal status` draw from it; nothing in here touches tmux or SQLite.

use super::model::{Activity, ErrorKind, LifeState, Tier};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// One agent as the operator should see it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AgentView {
    /// Unique name within the fleet.
    pub name: String,
    /// Parent agent's name, if any.
    pub parent: Option<String>,
    /// Detection profile name (`claude`, `aider`, `shell`, …).
    pub kind: String,
    /// Lifecycle state of the current attempt.
    pub state: LifeState,
    /// Activity observed on the screen at the last capture.
    pub activity: Activity,
    /// Error shown on the screen, when there is one.
    pub error: Option<ErrorKind>,
    /// When the shown error says it resets (unix ms), if it says.
    pub reset_at_ms: Option<i64>,
    /// The rule (and region) that decided the activity, for the explanation view.
    pub reason: Option<String>,
    /// Current stall tier.
    pub tier: Tier,
    /// When the current tier was entered (unix ms).
    pub tier_since_ms: i64,
    /// When the next ladder step fires if nothing changes (unix ms); `None` when the
    /// ladder is held (needs input, paused, ended).
    pub next_action_at_ms: Option<i64>,
    /// Last proof of life (unix ms).
    pub last_progress_ms: i64,
    /// Stall timeout for this agent, in milliseconds.
    pub stall_timeout_ms: u64,
    /// Attempt number, starting at 1.
    pub attempt: u32,
    /// tmux pane id (`%12`) of the current attempt.
    pub pane: Option<String>,
    /// tmux socket name the pane lives on.
    pub server: Option<String>,
    /// Exit status once the pane died.
    pub exit_status: Option<i32>,
    /// Supervision paused by the operator: no escalation.
    pub paused: bool,
    /// When the current attempt ended (unix ms), once it has.
    #[serde(default)]
    pub ended_ms: Option<i64>,
    /// When the pane's raw screen last changed (unix ms; 0 = not seen by this
    /// supervisor): a spinner changes it, a silent program does not.
    #[serde(default)]
    pub screen_changed_ms: i64,
    /// The latest capture of the pane, with ANSI escapes.
    #[serde(skip)]
    pub capture: Arc<str>,
    /// Queue position, signals, subtree roll-up and history.
    #[serde(default)]
    pub lineage: super::lineage::Lineage,
    /// Tokens and cost: own, current attempt, subtree.
    #[serde(default)]
    pub usage: super::usage::UsageView,
    /// What happens while it idles at its own prompt (its own `on_idle`, else the
    /// fleet's): with `notify`, waiting for work needs the operator.
    #[serde(default)]
    pub on_idle: super::OnIdle,
}

impl AgentView {
    /// Idle at its prompt with no ladder step ahead: its turn is done and it waits for
    /// work (not a stall).
    pub fn waits_for_work(&self) -> bool {
        self.activity == super::Activity::Idle
            && self.state == super::LifeState::Running
            && self.tier == super::Tier::Ok
            && self.next_action_at_ms.is_none()
            && !self.paused
    }

    /// Waiting for work with `on_idle = "notify"`: the operator is told, and it counts
    /// as needing them.
    pub fn waits_to_be_told(&self) -> bool {
        self.waits_for_work() && self.on_idle == super::OnIdle::Notify
    }
}

/// Cost and health of the last supervisor tick.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TickStats {
    /// Wall time of the tick in microseconds.
    pub duration_us: u64,
    /// Panes listed across all servers.
    pub panes: usize,
    /// Panes captured this tick.
    pub captured: usize,
    /// tmux servers that answered / that the fleet uses.
    pub servers_up: usize,
    /// Number of tmux servers the fleet uses.
    pub servers: usize,
    /// The last tick's error, if it failed.
    pub error: Option<String>,
    /// Servers polled through one-shot commands because their control client kept
    /// missing its reply deadline (see `TmuxBackend::degraded`).
    #[serde(default)]
    pub degraded: Vec<String>,
    /// Agent kinds whose circuit is open or half-open.
    #[serde(default)]
    pub circuits: Vec<super::CircuitView>,
    /// Remote hosts that need the operator's eye: `gpu1 unreachable since 12:03`, or
    /// `gpu2 removed from the fleet file; kept until a, b end`.
    #[serde(default)]
    pub unreachable: Vec<String>,
    /// Every budget and what its scope spent, the fleet's first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub budgets: Vec<super::BudgetNote>,
}

/// The whole fleet at one instant.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct FleetSnapshot {
    /// Fleet name.
    pub fleet: String,
    /// When this snapshot was taken (unix ms).
    pub taken_at_ms: i64,
    /// Monotonic tick counter.
    pub tick: u64,
    /// Cost of the tick that produced it.
    pub stats: TickStats,
    /// Agents in declaration order; the tree is built from `parent`.
    pub agents: Vec<AgentView>,
}

impl FleetSnapshot {
    /// The agent with this name, if present.
    pub fn agent(&self, name: &str) -> Option<&AgentView> {
        self.agents.iter().find(|a| a.name == name)
    }
}

/// One stored event, as the console and `shoal events` show it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EventView {
    /// Store id; increases with time.
    pub id: i64,
    /// When it happened (unix ms).
    pub ts_ms: i64,
    /// The agent it concerns, if any.
    pub agent: Option<String>,
    /// Attempt of that agent.
    pub attempt: Option<u32>,
    /// What happened: `state`, `activity`, `tier`, `nudge`, `warn`, `kill`, `exit`, `retry`, …
    pub kind: String,
    /// Tier at the time, when relevant.
    pub tier: Option<Tier>,
    /// Human-readable detail.
    pub detail: String,
    /// The detection rule that caused it, when there is one.
    pub rule: Option<String>,
    /// Whether a capture is stored with the event.
    pub has_capture: bool,
    /// How much it matters.
    #[serde(default)]
    pub level: super::Level,
    /// What happened, as data; `None` for events stored before events carried it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<super::EventKind>,
}

impl EventView {
    /// The theme meaning it is drawn with.
    pub fn tone(&self) -> super::Tone {
        match &self.payload {
            Some(k) => k.tone(),
            None => super::event::legacy_tone(&self.kind),
        }
    }
}
