//! `shoal status --tmux`: one short line for tmux's `status-right`, e.g. `⚑2 ✗1`, read
//! from the snapshot the supervisor last published. It never looks at a pane and never
//! compiles a profile, so tmux can run it every few seconds for nothing.

use crate::fleet::{file, Activity, AgentView, FleetSnapshot, LifeState, Tier};
use crate::store::{AttemptRecord, Store};
use crate::supervisor::runner::{now_ms, stale_after_ms};

/// Agents that need the operator while they run: a question, an error, a warn-tier
/// stall, a restart limit.
pub fn needs_you(a: &AgentView) -> bool {
    !a.state.is_ended() && crate::app::needs_operator(a)
}

/// Agents whose current attempt ended badly and are still in the fleet.
pub fn dead(a: &AgentView) -> bool {
    matches!(
        a.state,
        LifeState::Failed | LifeState::Killed | LifeState::Lost
    ) && !a.lineage.removed
        && a.lineage.attempt_of.is_none()
}

/// What the badge counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Agents in the fleet (removed ones aside).
    pub agents: usize,
    /// Running agents that need the operator.
    pub need: usize,
    /// Agents whose attempt ended badly.
    pub dead: usize,
}

impl Tally {
    /// Counted from a fleet picture.
    pub fn of(s: &FleetSnapshot) -> Tally {
        Tally {
            agents: s.agents.iter().filter(|a| !a.lineage.removed).count(),
            need: s.agents.iter().filter(|a| needs_you(a)).count(),
            dead: s.agents.iter().filter(|a| dead(a)).count(),
        }
    }

    /// Counted from the store's records, when no supervisor published a picture of now:
    /// the state and screen each attempt was last seen with.
    fn of_records(agents: &[String], attempts: &[AttemptRecord], removed: &[String]) -> Tally {
        let mut t = Tally::default();
        for name in agents.iter().filter(|n| !removed.contains(n)) {
            t.agents += 1;
            let Some(a) = attempts.iter().find(|a| &a.agent == name) else {
                continue;
            };
            if matches!(
                a.state,
                LifeState::Failed | LifeState::Killed | LifeState::Lost
            ) {
                t.dead += 1;
            } else if !a.state.is_ended()
                && (matches!(a.activity, Activity::NeedsInput | Activity::Errored)
                    || a.tier >= Tier::Warn)
            {
                t.need += 1;
            }
        }
        t
    }
}

/// The badge: `⚑N` agents need you, `✗N` ended badly, `✓` when neither; `◌` follows
/// when no supervisor runs (the counts are as last seen). Empty for an empty fleet.
pub fn badge(t: Tally, supervised: bool) -> String {
    if t.agents == 0 {
        return String::new();
    }
    let mut parts = Vec::new();
    if t.need > 0 {
        parts.push(format!("⚑{}", t.need));
    }
    if t.dead > 0 {
        parts.push(format!("✗{}", t.dead));
    }
    if parts.is_empty() {
        parts.push("✓".to_string());
    }
    if !supervised {
        parts.push("◌".to_string());
    }
    parts.join(" ")
}

/// Print the badge; a fleet that cannot be read prints an empty line (a status bar
/// shows nothing rather than an error) and exits 1.
pub fn run(fleet: &super::ctx::FleetArg) -> i32 {
    match line(fleet) {
        Ok(s) => {
            println!("{s}");
            0
        }
        Err(e) => {
            println!();
            eprintln!("shoal: {e}");
            1
        }
    }
}

fn line(fleet: &super::ctx::FleetArg) -> anyhow::Result<String> {
    let (name, poll) = if super::ctx::is_pane_fleet(fleet) {
        let name = std::env::var("SHOAL_FLEET").unwrap_or_default();
        (name, crate::fleet::file::DEFAULT_POLL_INTERVAL)
    } else {
        // The config's poll interval too: it says when the lease counts as stale.
        let f = super::ctx::load_fleet(
            fleet,
            &super::ctx::config(&fleet.overrides)?,
            &fleet.overrides,
        )?;
        (f.settings.name.clone(), f.settings.poll_interval)
    };
    file::check_name(&name).map_err(anyhow::Error::msg)?;
    let path = super::ctx::home_dir()?.join(format!("{name}.sqlite"));
    if !path.is_file() {
        return Ok(String::new());
    }
    let store = Store::open(&path)?;
    let supervised = store
        .lease()?
        .is_some_and(|h| h.is_live(now_ms(), stale_after_ms(poll)));
    if supervised {
        if let Some(p) = store.published_snapshot()? {
            return Ok(badge(Tally::of(&p.snapshot), true));
        }
    }
    let agents: Vec<String> = store.agents()?.into_iter().map(|a| a.name).collect();
    let removed: Vec<String> = store
        .agent_meta()?
        .into_iter()
        .filter(|(_, m)| m.removed_ms.is_some())
        .map(|(n, _)| n)
        .collect();
    let attempts = store.current_attempts()?;
    Ok(badge(
        Tally::of_records(&agents, &attempts, &removed),
        supervised,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::sample::NOW;
    use crate::fleet::{Activity, AgentView, Tier};

    fn snap(agents: Vec<AgentView>) -> Tally {
        Tally::of(&FleetSnapshot {
            fleet: "f".into(),
            agents,
            ..FleetSnapshot::default()
        })
    }

    #[test]
    fn the_badge_counts_who_needs_you_and_who_died() {
        let ok = AgentView::sample("ok").with_activity(Activity::Working);
        let asks = AgentView::sample("asks").with_activity(Activity::NeedsInput);
        let stuck = AgentView::sample("stuck").with_tier(Tier::Warn, NOW);
        let crashed = AgentView::sample("crashed").with_ended(LifeState::Failed, Some(1), NOW);
        let killed = AgentView::sample("killed").with_ended(LifeState::Killed, None, NOW);
        let done = AgentView::sample("done").with_ended(LifeState::Done, Some(0), NOW);
        let mut gone = AgentView::sample("gone").with_ended(LifeState::Failed, Some(1), NOW);
        gone.lineage.removed = true;
        assert_eq!(badge(snap(vec![ok.clone(), done.clone()]), true), "✓");
        assert_eq!(
            badge(
                snap(vec![ok.clone(), asks, stuck, crashed, killed, done, gone]),
                true
            ),
            "⚑2 ✗2"
        );
        let lone = AgentView::sample("c").with_ended(LifeState::Lost, None, NOW);
        assert_eq!(badge(snap(vec![ok.clone(), lone]), true), "✗1");
        assert_eq!(badge(snap(vec![ok]), false), "✓ ◌");
        assert_eq!(badge(snap(vec![]), true), "");
    }

    #[test]
    fn without_a_supervisor_the_records_are_counted_as_last_seen() {
        let att = |agent: &str, state: LifeState, activity: Activity, tier: Tier| AttemptRecord {
            agent: agent.into(),
            attempt: 1,
            state,
            activity,
            tier,
            ..AttemptRecord::default()
        };
        let names: Vec<String> = ["a", "b", "c", "d", "e", "q"].map(String::from).to_vec();
        let attempts = vec![
            att("a", LifeState::Running, Activity::Working, Tier::Ok),
            att("b", LifeState::Running, Activity::NeedsInput, Tier::Ok),
            att("c", LifeState::Running, Activity::Working, Tier::Warn),
            att("d", LifeState::Failed, Activity::Exited, Tier::Ok),
            att("e", LifeState::Killed, Activity::Exited, Tier::Kill),
        ];
        let t = Tally::of_records(&names, &attempts, &["e".to_string()]);
        assert_eq!(
            t,
            Tally {
                agents: 5,
                need: 2,
                dead: 1
            }
        );
        assert_eq!(badge(t, false), "⚑2 ✗1 ◌");
    }
}
