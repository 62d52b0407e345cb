//! `shoal status --tmux`: one short line for tmux's `status-right`, e.g. `⚑2 ✗1`, read
//! from the snapshot the supervisor last published. It never looks at a pane and never
//! compiles a profile, so tmux can run it every few seconds for nothing.

use crate::fleet::{file, AgentView, FleetSnapshot, LifeState};
use crate::store::Store;
use crate::supervisor::runner::{now_ms, stale_after_ms};
use std::path::Path;

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

/// The badge: `⚑N` agents need you, `✗N` ended badly, `✓` when neither; `◌` follows
/// when no supervisor runs (the counts are the last one's). Empty for an empty fleet.
pub fn badge(s: &FleetSnapshot, supervised: bool) -> String {
    if s.agents.is_empty() {
        return String::new();
    }
    let need = s.agents.iter().filter(|a| needs_you(a)).count();
    let dead = s.agents.iter().filter(|a| dead(a)).count();
    let mut parts = Vec::new();
    if need > 0 {
        parts.push(format!("⚑{need}"));
    }
    if dead > 0 {
        parts.push(format!("✗{dead}"));
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
pub fn run(fleet: &Path) -> i32 {
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

fn line(fleet: &Path) -> anyhow::Result<String> {
    let (name, poll) = if super::ctx::is_pane_fleet(fleet) {
        let name = std::env::var("SHOAL_FLEET").unwrap_or_default();
        (name, crate::fleet::file::DEFAULT_POLL_INTERVAL)
    } else {
        let f = file::load(fleet)?;
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
    Ok(match store.published_snapshot()? {
        Some(p) => badge(&p.snapshot, supervised),
        None => String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::sample::NOW;
    use crate::fleet::{Activity, AgentView, Tier};

    fn snap(agents: Vec<AgentView>) -> FleetSnapshot {
        FleetSnapshot {
            fleet: "f".into(),
            agents,
            ..FleetSnapshot::default()
        }
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
        assert_eq!(badge(&snap(vec![ok.clone(), done.clone()]), true), "✓");
        assert_eq!(
            badge(
                &snap(vec![ok.clone(), asks, stuck, crashed, killed, done, gone]),
                true
            ),
            "⚑2 ✗2"
        );
        let lone = AgentView::sample("c").with_ended(LifeState::Lost, None, NOW);
        assert_eq!(badge(&snap(vec![ok.clone(), lone]), true), "✗1");
        assert_eq!(badge(&snap(vec![ok]), false), "✓ ◌");
        assert_eq!(badge(&snap(vec![]), true), "");
    }
}
