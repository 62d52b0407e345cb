//! Ended attempts stay in the tree: a crashed, killed or finished agent keeps its row
//! (dimmed, with how and when it ended) until the operator dismisses it or retries it, so
//! nothing the operator should see leaves the screen on its own.

use super::format::elapsed;
use super::App;
use crate::fleet::AgentView;

impl App {
    /// Whether this ended attempt still stands in the live tree: ended, not removed from
    /// the fleet, not a history row, and not dismissed.
    pub(super) fn ended_in_view(&self, a: &AgentView) -> bool {
        a.state.is_ended()
            && !a.lineage.removed
            && a.lineage.attempt_of.is_none()
            && !self.dismissed.contains(&(a.name.clone(), a.attempt))
    }

    /// Take the selected ended agent out of the tree (history still shows it).
    pub(super) fn dismiss_selected(&mut self) {
        let Some(a) = self.selected_agent() else {
            self.set_error("no agent selected".to_string());
            return;
        };
        if !a.state.is_ended() || a.lineage.attempt_of.is_some() {
            self.set_error(format!(
                "{} is {}: only ended agents are dismissed",
                a.name, a.state
            ));
            return;
        }
        let key = (a.name.clone(), a.attempt);
        let name = a.name.clone();
        self.dismissed.insert(key);
        let old = self.selected_row();
        self.refresh_rows(old);
        self.set_info(format!("dismissed {name}; H shows it in the history"));
    }

    /// Take every ended agent out of the tree.
    pub(super) fn dismiss_all_ended(&mut self) {
        let ended: Vec<(String, u32)> = self
            .snapshot
            .agents
            .iter()
            .filter(|a| self.ended_in_view(a))
            .map(|a| (a.name.clone(), a.attempt))
            .collect();
        if ended.is_empty() {
            self.set_info("no ended agents to dismiss".to_string());
            return;
        }
        let n = ended.len();
        self.dismissed.extend(ended);
        let old = self.selected_row();
        self.refresh_rows(old);
        self.set_info(format!(
            "dismissed {n} ended agent{}; H shows them in the history",
            if n == 1 { "" } else { "s" }
        ));
    }

    /// How the agent's current attempt ended and how long ago, e.g. `exit 3 · 15s ago`,
    /// `killed (stalled 3×) · 2m ago`; empty while it runs.
    pub fn ending(&self, a: &AgentView, now_ms: i64) -> String {
        if !a.state.is_ended() {
            return String::new();
        }
        let how = crate::fleet::ending::words(a, self.events_for(&a.name).rev());
        match a.ended_ms {
            Some(t) => format!("{how} · {} ago", elapsed(now_ms - t)),
            None => how,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::sample::{snapshot, NOW};
    use crate::fleet::{Activity, AgentView, EventKind, EventView, KilledBy, LifeState, Verb};

    fn event(id: i64, agent: &str, kind: EventKind) -> EventView {
        EventView {
            id,
            ts_ms: NOW,
            agent: Some(agent.into()),
            attempt: Some(1),
            kind: kind.name().into(),
            tier: None,
            detail: kind.render(),
            rule: None,
            has_capture: false,
            level: kind.level(),
            payload: Some(kind),
        }
    }

    fn crashed() -> AgentView {
        AgentView::sample("crasher").with_ended(LifeState::Failed, Some(3), NOW - 15_000)
    }

    #[test]
    fn ended_agents_stay_until_dismissed_and_a_retry_brings_the_new_attempt_back() {
        let mut app = App::default();
        let live = AgentView::sample("lead");
        app.on_snapshot(snapshot(vec![live.clone(), crashed()]));
        assert_eq!(app.rows().len(), 2, "the crashed agent keeps its row");
        app.select(Some("crasher".into()));
        app.run_action(crate::app::Action::Dismiss);
        assert_eq!(app.rows().len(), 1, "x takes it out");
        assert!(app.footer().unwrap().text.contains("dismissed crasher"));
        // A retry is a new attempt: it shows again, and ends visibly again.
        let again = crashed().with_attempt(2);
        app.on_snapshot(snapshot(vec![live.clone(), again]));
        assert_eq!(app.rows().len(), 2);
        app.run_action(crate::app::Action::DismissAllEnded);
        assert_eq!(app.rows().len(), 1);
        app.select(Some("lead".into()));
        app.run_action(crate::app::Action::Dismiss);
        assert!(
            app.footer().unwrap().is_error,
            "a running agent is not dismissed"
        );
        assert_eq!(app.rows().len(), 1);
    }

    #[test]
    fn the_ending_says_who_killed_and_when() {
        let mut app = App::default();
        let a = crashed();
        app.on_snapshot(snapshot(vec![a.clone()]));
        assert_eq!(app.ending(&a, NOW), "exit 3 · 15s ago");
        let killed = AgentView::sample("k").with_ended(LifeState::Killed, None, NOW - 120_000);
        let ladder = EventKind::Killed {
            by: KilledBy::Ladder { stalled_s: 60 },
            note: None,
        };
        app.on_event(event(1, "k", ladder));
        assert_eq!(app.ending(&killed, NOW), "killed (stalled 3×) · 2m ago");
        let op = AgentView::sample("o").with_ended(LifeState::Killed, None, NOW - 1_000);
        app.on_event(event(
            2,
            "o",
            EventKind::Acted {
                verb: Verb::Kill,
                by: "operator (tty /dev/pts/3)".into(),
                outcome: "killed".into(),
            },
        ));
        app.on_event(event(
            3,
            "o",
            EventKind::Killed {
                by: KilledBy::Request { agent: "o".into() },
                note: None,
            },
        ));
        assert_eq!(app.ending(&op, NOW), "killed by operator · 1s ago");
        let running = AgentView::sample("r").with_activity(Activity::Working);
        assert_eq!(app.ending(&running, NOW), "");
    }
}
