//! Hand-built agents and snapshots for the console's unit tests.

use crate::fleet::{Activity, AgentView, FleetSnapshot, LifeState, Tier};
use std::sync::Arc;

/// A fixed clock for tests: 2024-01-01T00:00:00Z.
pub const NOW: i64 = 1_704_067_200_000;

/// A running agent with a pane, progress 5 s ago and the ladder at rest.
pub fn agent(name: &str, parent: Option<&str>, activity: Activity) -> AgentView {
    AgentView {
        name: name.into(),
        parent: parent.map(Into::into),
        kind: "claude".into(),
        state: LifeState::Running,
        activity,
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

/// A snapshot of these agents, taken at `NOW`.
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
