//! How much one agent wants the operator: the rank the tree sorts and colours by, and
//! the `!` the filter and the keys look for.

use crate::fleet::{Activity, AgentView, LifeState, Tier};

/// How much an agent wants the operator; a collapsed parent shows its subtree's maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Urgency {
    /// Idle, done, queued, unknown: nothing to do.
    Calm,
    /// Working normally.
    Working,
    /// Stalled once; a nudge was typed.
    Nudged,
    /// Ended badly (failed, killed, or exited non-zero).
    Failed,
    /// Stalled to the warn tier or beyond.
    Warned,
    /// Stopped on an error it shows.
    Errored,
    /// Waiting for the operator's answer.
    NeedsInput,
}

/// Rank one agent on its own (not its subtree).
pub fn urgency(a: &AgentView) -> Urgency {
    // Past its restart limit, an agent waits for the operator like a warned one.
    if a.lineage
        .restart
        .as_ref()
        .is_some_and(crate::fleet::restart::RestartNote::needs_operator)
        && a.activity != Activity::NeedsInput
    {
        return Urgency::Warned;
    }
    let failed = matches!(a.state, LifeState::Failed | LifeState::Killed)
        || (a.activity == Activity::Exited && a.exit_status.is_some_and(|s| s != 0));
    match a.activity {
        Activity::NeedsInput => Urgency::NeedsInput,
        Activity::Errored => Urgency::Errored,
        _ if a.tier >= Tier::Warn => Urgency::Warned,
        _ if failed => Urgency::Failed,
        _ if a.tier == Tier::Nudge => Urgency::Nudged,
        Activity::Working => Urgency::Working,
        _ => Urgency::Calm,
    }
}

/// True when the operator should look at this agent: a question, an error, a warn-tier
/// stall, an attempt that ended failed or killed, or (with `on_idle = "notify"`) an
/// agent waiting for work at its prompt.
pub fn needs_operator(a: &AgentView) -> bool {
    match urgency(a) {
        // An earlier attempt's row or a removed agent is history, not a call to act.
        Urgency::Failed => a.lineage.attempt_of.is_none() && !a.lineage.removed,
        u => u >= Urgency::Warned || a.waits_to_be_told(),
    }
}
