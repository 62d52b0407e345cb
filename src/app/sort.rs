//! Sorting the fleet tree's siblings by a column. Only siblings move: a child stays under
//! its parent, so the lineage the tree shows is never broken by a sort.

use super::tree::Forest;
use super::App;
use crate::fleet::{Activity, AgentView};
use std::cmp::Ordering;

/// The order siblings are shown in; `s` cycles through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// As the fleet file declares them (and as they were adopted or spawned).
    #[default]
    Fleet,
    /// By name, A to Z.
    Name,
    /// Who needs you first: needs input, errored, working, idle, exited, unknown.
    Activity,
    /// Longest without progress first; ended agents last.
    Quiet,
    /// Furthest up the stall ladder first (kill, warn, nudge, ok).
    Tier,
}

/// Every order, in the order `s` cycles through them.
pub const SORTS: [SortKey; 5] = [
    SortKey::Fleet,
    SortKey::Name,
    SortKey::Activity,
    SortKey::Quiet,
    SortKey::Tier,
];

impl SortKey {
    /// The next order in the cycle.
    #[must_use]
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Fleet => SortKey::Name,
            SortKey::Name => SortKey::Activity,
            SortKey::Activity => SortKey::Quiet,
            SortKey::Quiet => SortKey::Tier,
            SortKey::Tier => SortKey::Fleet,
        }
    }

    /// How the tree's title names the order.
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Fleet => "fleet order",
            SortKey::Name => "name",
            SortKey::Activity => "activity",
            SortKey::Quiet => "quiet",
            SortKey::Tier => "tier",
        }
    }

    /// What the order puts first, for the footer.
    fn explain(self) -> &'static str {
        match self {
            SortKey::Fleet => "as the fleet file declares them",
            SortKey::Name => "A to Z",
            SortKey::Activity => "who needs you first, then errored, working, idle, exited",
            SortKey::Quiet => "longest without progress first",
            SortKey::Tier => "furthest up the stall ladder first",
        }
    }

    /// Compare two siblings; equal ones keep their fleet order (the sort is stable).
    pub fn compare(self, a: &AgentView, b: &AgentView) -> Ordering {
        match self {
            SortKey::Fleet => Ordering::Equal,
            SortKey::Name => a
                .name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then_with(|| a.name.cmp(&b.name)),
            SortKey::Activity => activity_rank(a.activity).cmp(&activity_rank(b.activity)),
            // An ended agent makes no progress any more: its silence says nothing.
            SortKey::Quiet => (a.state.is_ended(), a.last_progress_ms)
                .cmp(&(b.state.is_ended(), b.last_progress_ms)),
            SortKey::Tier => b.tier.cmp(&a.tier),
        }
    }
}

fn activity_rank(a: Activity) -> u8 {
    match a {
        Activity::NeedsInput => 0,
        Activity::Errored => 1,
        Activity::Working => 2,
        Activity::Idle => 3,
        Activity::Exited => 4,
        Activity::Unknown => 5,
    }
}

impl App {
    /// The order the tree's siblings are in.
    pub fn sort_key(&self) -> SortKey {
        self.sort
    }

    /// Resolve the snapshot's parentage and put siblings in the chosen order.
    pub(super) fn rebuild_forest(&mut self) {
        let mut forest = Forest::build(&self.snapshot.agents);
        forest.sort_siblings(&self.snapshot.agents, |a, b| self.sort.compare(a, b));
        self.forest = forest;
    }

    /// The next sort order, keeping the selection on the same agent.
    pub(super) fn cycle_sort(&mut self) {
        self.set_sort(self.sort.next());
    }

    /// Sort by `key`, keeping the selection on the same agent.
    pub(super) fn set_sort(&mut self, key: SortKey) {
        self.sort = key;
        let old = self.selected_row();
        self.rebuild_forest();
        self.refresh_rows(old);
        let key = self.keymap.keys_for(super::Action::CycleSort);
        let again = key.first().map_or(String::new(), |k| {
            format!("; {k} again: {}", self.sort.next().label())
        });
        self.set_info(format!(
            "sorted by {}: {}{again}",
            self.sort.label(),
            self.sort.explain()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::sample::{agent, snapshot, NOW};
    use crate::fleet::{LifeState, Tier};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn press(app: &mut App, code: KeyCode) {
        app.handle_key(KeyEvent::new(code, KeyModifiers::NONE), NOW);
    }

    fn order(app: &App) -> String {
        let agents = &app.snapshot().agents;
        let names: Vec<&str> = app
            .rows()
            .iter()
            .map(|r| agents[r.index].name.as_str())
            .collect();
        names.join(" ")
    }

    /// lead → (zed: idle → sub, amy: needs input, kim: working, warned); Bob: a failed root.
    fn fleet() -> Vec<AgentView> {
        let mut zed = agent("zed", Some("lead"), Activity::Idle);
        zed.last_progress_ms = NOW - 50_000;
        let amy = agent("amy", Some("lead"), Activity::NeedsInput);
        let mut kim = agent("kim", Some("lead"), Activity::Working);
        kim.tier = Tier::Warn;
        kim.last_progress_ms = NOW - 90_000;
        let mut bob = agent("Bob", None, Activity::Exited);
        bob.state = LifeState::Failed;
        bob.last_progress_ms = NOW - 900_000;
        let mut sub = agent("sub", Some("zed"), Activity::Working);
        sub.last_progress_ms = NOW - 1_000;
        vec![
            agent("lead", None, Activity::Working),
            zed,
            sub,
            amy,
            kim,
            bob,
        ]
    }

    #[test]
    fn s_cycles_the_sibling_order_and_children_stay_under_their_parent() {
        let mut app = App::default();
        app.on_snapshot(snapshot(fleet()));
        assert_eq!(order(&app), "lead zed sub amy kim Bob");
        press(&mut app, KeyCode::Char('s'));
        assert_eq!(app.sort_key(), SortKey::Name);
        assert_eq!(order(&app), "Bob lead amy kim zed sub");
        let footer = app.footer().map(|f| f.text.clone()).unwrap_or_default();
        assert_eq!(footer, "sorted by name: A to Z; s again: activity");
        press(&mut app, KeyCode::Char('s'));
        assert_eq!(order(&app), "lead amy kim zed sub Bob", "by activity");
        press(&mut app, KeyCode::Char('s'));
        // kim (90 s) before zed (50 s) before amy (5 s); the failed root goes last.
        assert_eq!(order(&app), "lead kim zed sub amy Bob", "by quiet");
        press(&mut app, KeyCode::Char('s'));
        assert_eq!(app.sort_key(), SortKey::Tier);
        assert_eq!(
            order(&app),
            "lead kim zed sub amy Bob",
            "by tier: kim is warned"
        );
        press(&mut app, KeyCode::Char('s'));
        assert_eq!(app.sort_key(), SortKey::Fleet);
        assert_eq!(order(&app), "lead zed sub amy kim Bob");
    }

    #[test]
    fn a_sort_survives_new_snapshots_and_tab_follows_it() {
        let mut app = App::default();
        app.on_snapshot(snapshot(fleet()));
        press(&mut app, KeyCode::Char('s')); // by name
        let mut agents = fleet();
        agents[1].activity = Activity::NeedsInput; // zed needs you now too
        app.on_snapshot(snapshot(agents));
        assert_eq!(order(&app), "Bob lead amy kim zed sub");
        // Tab walks the tree in the order shown: after lead comes amy, not zed.
        app.select(Some("lead".into()));
        press(&mut app, KeyCode::Tab);
        assert_eq!(app.selected(), Some("amy"));
        press(&mut app, KeyCode::Tab);
        assert_eq!(app.selected(), Some("kim"));
    }
}
