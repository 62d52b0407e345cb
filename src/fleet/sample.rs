//! Sample agents and snapshots for tests, benchmarks and examples: one builder instead of
//! hand-built literals, so a new field of [`AgentView`] is filled in one place.

use super::{Activity, AgentView, FleetSnapshot, LifeState, Tier};
use std::sync::Arc;

/// A fixed clock for samples: 2024-01-01T00:00:00Z.
pub const NOW: i64 = 1_704_067_200_000;

impl AgentView {
    /// A running `claude` agent with a pane, progress 5 s before [`NOW`], the ladder at
    /// rest and a two-line screen.
    pub fn sample(name: &str) -> AgentView {
        AgentView {
            name: name.into(),
            parent: None,
            kind: "claude".into(),
            state: LifeState::Running,
            activity: Activity::Working,
            error: None,
            reset_at_ms: None,
            reason: Some(format!("rule {name}-rule matched")),
            tier: Tier::Ok,
            tier_since_ms: NOW - 60_000,
            next_action_at_ms: None,
            last_progress_ms: NOW - 5_000,
            stall_timeout_ms: 120_000,
            attempt: 1,
            pane: Some(format!("%{}", name.len())),
            server: Some("shoal-test".into()),
            exit_status: None,
            paused: false,
            capture: format!("screen of {name}\n$ ").into(),
            lineage: Default::default(),
        }
    }

    /// The same agent under `parent`.
    #[must_use]
    pub fn with_parent(mut self, parent: Option<&str>) -> AgentView {
        self.parent = parent.map(Into::into);
        self
    }

    /// The same agent doing something else.
    #[must_use]
    pub fn with_activity(mut self, activity: Activity) -> AgentView {
        self.activity = activity;
        self
    }

    /// The same agent in another lifecycle state.
    #[must_use]
    pub fn with_state(mut self, state: LifeState) -> AgentView {
        self.state = state;
        self
    }
}

/// A running agent with this parent and activity.
pub fn agent(name: &str, parent: Option<&str>, activity: Activity) -> AgentView {
    AgentView::sample(name)
        .with_parent(parent)
        .with_activity(activity)
}

/// A snapshot of these agents, taken at [`NOW`].
pub fn snapshot(agents: Vec<AgentView>) -> Arc<FleetSnapshot> {
    Arc::new(FleetSnapshot {
        fleet: "demo".into(),
        taken_at_ms: NOW,
        tick: 1,
        agents,
        ..Default::default()
    })
}

/// lead → (builder → tester, reviewer); `tester` needs input.
pub fn family() -> Vec<AgentView> {
    vec![
        agent("lead", None, Activity::Working),
        agent("builder", Some("lead"), Activity::Working),
        agent("tester", Some("builder"), Activity::NeedsInput),
        agent("reviewer", Some("lead"), Activity::Idle),
    ]
}
