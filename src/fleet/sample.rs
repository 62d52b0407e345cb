//! Sample agents and snapshots for tests, benchmarks and examples: one builder instead of
//! hand-built literals, so a new field of [`AgentView`] is filled in one place.

use super::{Activity, AgentView, FleetSnapshot, LifeState, TickStats, Tier};
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
            ended_ms: None,
            screen_changed_ms: 0,
            capture: format!("screen of {name}\n$ ").into(),
            lineage: Default::default(),
            usage: Default::default(),
            on_idle: Default::default(),
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

    /// The same agent under another detection profile.
    #[must_use]
    pub fn with_kind(mut self, kind: &str) -> AgentView {
        self.kind = kind.into();
        self
    }

    /// The same agent with another explanation of its activity (`None`: none).
    #[must_use]
    pub fn with_reason(mut self, reason: Option<&str>) -> AgentView {
        self.reason = reason.map(Into::into);
        self
    }

    /// The same agent on another tier of the ladder, entered at `since_ms`.
    #[must_use]
    pub fn with_tier(mut self, tier: Tier, since_ms: i64) -> AgentView {
        self.tier = tier;
        self.tier_since_ms = since_ms;
        self
    }

    /// The same agent with its next ladder step due at `at_ms`.
    #[must_use]
    pub fn with_next_action_at(mut self, at_ms: i64) -> AgentView {
        self.next_action_at_ms = Some(at_ms);
        self
    }

    /// The same agent with its last proof of life at `at_ms`.
    #[must_use]
    pub fn with_progress_at(mut self, at_ms: i64) -> AgentView {
        self.last_progress_ms = at_ms;
        self
    }

    /// The same agent with another stall timeout.
    #[must_use]
    pub fn with_stall_timeout_ms(mut self, ms: u64) -> AgentView {
        self.stall_timeout_ms = ms;
        self
    }

    /// The same agent on another attempt.
    #[must_use]
    pub fn with_attempt(mut self, attempt: u32) -> AgentView {
        self.attempt = attempt;
        self
    }

    /// The same agent in another pane, on another tmux server (`None`: not in one).
    #[must_use]
    pub fn with_pane(mut self, pane: Option<&str>, server: Option<&str>) -> AgentView {
        self.pane = pane.map(Into::into);
        self.server = server.map(Into::into);
        self
    }

    /// The same agent showing another screen.
    #[must_use]
    pub fn with_capture(mut self, capture: impl Into<Arc<str>>) -> AgentView {
        self.capture = capture.into();
        self
    }

    /// The same agent with its attempt ended at `at_ms` in `state`, with `status`.
    #[must_use]
    pub fn with_ended(mut self, state: LifeState, status: Option<i32>, at_ms: i64) -> AgentView {
        self.state = state;
        self.activity = Activity::Exited;
        self.exit_status = status;
        self.ended_ms = Some(at_ms);
        self
    }

    /// The same agent with its raw screen last changed at `at_ms`.
    #[must_use]
    pub fn with_screen_changed_at(mut self, at_ms: i64) -> AgentView {
        self.screen_changed_ms = at_ms;
        self
    }

    /// The same agent with supervision paused or resumed.
    #[must_use]
    pub fn with_paused(mut self, paused: bool) -> AgentView {
        self.paused = paused;
        self
    }
}

impl FleetSnapshot {
    /// Fleet `demo` with these agents, as tick 1 published it at [`NOW`].
    pub fn sample(agents: Vec<AgentView>) -> FleetSnapshot {
        FleetSnapshot {
            fleet: "demo".into(),
            taken_at_ms: NOW,
            tick: 1,
            agents,
            ..Default::default()
        }
    }

    /// The same snapshot taken at `at_ms`.
    #[must_use]
    pub fn taken_at(mut self, at_ms: i64) -> FleetSnapshot {
        self.taken_at_ms = at_ms;
        self
    }

    /// The same snapshot with another tick's cost and health.
    #[must_use]
    pub fn with_stats(mut self, stats: TickStats) -> FleetSnapshot {
        self.stats = stats;
        self
    }
}

/// A running agent with this parent and activity.
pub fn agent(name: &str, parent: Option<&str>, activity: Activity) -> AgentView {
    AgentView::sample(name)
        .with_parent(parent)
        .with_activity(activity)
}

/// A snapshot of these agents, taken at [`NOW`] (see [`FleetSnapshot::sample`]).
pub fn snapshot(agents: Vec<AgentView>) -> Arc<FleetSnapshot> {
    Arc::new(FleetSnapshot::sample(agents))
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
