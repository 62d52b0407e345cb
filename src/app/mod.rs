//! Console state: what is selected, folded, filtered and typed, and what the operator's
//! keys turn into. No drawing and no I/O here; time is passed in, so every behaviour is
//! testable with hand-built snapshots.

pub mod action;
pub mod capture;
mod cmdline;
mod ended;
pub mod filter;
mod find;
pub mod fleet_edit;
pub mod format;
mod history;
pub mod keymap;
pub mod keymap_config;
mod keys;
pub mod layout;
pub mod logs;
mod notice;
mod scrollback;
mod sort;
mod supervision;
pub mod tree;
mod urgency;

#[cfg(test)]
mod cmdline_tests;
#[cfg(test)]
mod pane_tests;
#[cfg(test)]
mod tests;

pub use action::Action;
pub use cmdline::Completion;
pub use filter::{Filter, FilterError};
pub use find::PaneSearch;
pub use notice::{FleetChange, Notice};
pub use scrollback::{PaneRequest, PaneText};
pub use sort::SortKey;
pub use supervision::Supervision;

/// The command line's commands that are not actions: (name, arguments, what it does).
pub fn cmdline_extras() -> &'static [(&'static str, &'static str, &'static str)] {
    cmdline::EXTRA
}
pub use keymap::{KeyBinding, Keymap};
pub use keymap_config::Keymaps;
pub use layout::Regions;
pub use logs::{LogDetail, LogReply, LogRequest, LogsView};
pub use tree::TreeRow;
pub use urgency::{needs_operator, urgency, Urgency};

use crate::fleet::{AgentView, EventView, FleetSnapshot, Tier};
use crate::fleet::{Command, CommandOutcome};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use tree::Forest;

/// Events kept per agent for the event strip.
pub const EVENTS_PER_AGENT: usize = 200;

/// What the host must do after the console handled an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Hand this command to the supervisor.
    Send(Command),
    /// Suspend the console and attach the terminal to this pane.
    Attach {
        /// tmux socket name.
        server: String,
        /// tmux pane id.
        pane: String,
        /// The agent, for messages.
        agent: String,
    },
    /// Leave the console.
    Quit,
    /// The screen is out of date.
    Redraw,
    /// Draw with the named theme from now on.
    SetTheme(String),
    /// Start these agents, added by a changed fleet file.
    StartAgents(Vec<String>),
    /// Put this text on the clipboard (OSC 52) and in the data directory's
    /// `clipboard.txt`, and say so.
    Copy {
        /// The text, lines ending in `\n`.
        text: String,
        /// What it is, for the footer (`lines 3–40 of 812 of builder's pane`).
        what: String,
    },
    /// Write this agent to the fleet file and start it (the add form was submitted).
    AddAgent(crate::fleet::draft::AgentDraft),
    /// End this agent and take it out of the fleet file (the operator said yes).
    RemoveAgent(String),
    /// Compute the git diff of this agent's directory, off the UI thread.
    Diff {
        /// The agent.
        agent: String,
        /// Its directory.
        dir: String,
    },
}

/// What the keyboard is talking to right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Keys go through the keymap.
    Normal,
    /// Keys edit the filter text.
    Filter,
    /// Keys edit a line that Enter types into `agent`.
    Input {
        /// The agent the line is for.
        agent: String,
        /// The line so far.
        text: String,
    },
    /// `y` sends the command, anything else drops it.
    Confirm {
        /// The command waiting for a yes.
        command: Command,
    },
    /// The key help overlay.
    Help,
    /// The detection explanation of `agent`.
    Explain {
        /// The agent being explained.
        agent: String,
    },
    /// Keys edit the `:` command line.
    Command {
        /// The line so far, without the colon.
        text: String,
    },
    /// Keys edit a search in `agent`'s pane.
    PaneSearch {
        /// The agent whose pane is searched.
        agent: String,
        /// The search so far.
        text: String,
    },
    /// Keys fill in the add form.
    AddAgent(Box<fleet_edit::AddForm>),
    /// `y` removes the agent, anything else keeps it.
    Remove {
        /// The agent to remove.
        agent: String,
        /// Its worktree's branch, when it has one.
        branch: Option<String>,
        /// Its attempt runs: it is killed first.
        live: bool,
    },
}

/// A one-line message in the footer, replacing the key hints until the next key or
/// until it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footer {
    /// The message.
    pub text: String,
    /// Shown in the error style.
    pub is_error: bool,
    /// When it was set (unix ms, the console's clock).
    pub at_ms: i64,
}

/// How long a message stays in the footer: long enough to read, short enough that it
/// does not go on stating what may no longer be true.
pub const FOOTER_INFO_MS: i64 = 6_000;
/// How long an error stays in the footer.
pub const FOOTER_ERROR_MS: i64 = 12_000;

impl Footer {
    /// When it leaves the footer.
    pub fn expires_at(&self) -> i64 {
        self.at_ms
            + if self.is_error {
                FOOTER_ERROR_MS
            } else {
                FOOTER_INFO_MS
            }
    }
}

/// The console's state between frames.
#[derive(Debug)]
pub struct App {
    snapshot: Arc<FleetSnapshot>,
    forest: Forest,
    rows: Vec<TreeRow>,
    keymap: Keymap,
    events: HashMap<String, VecDeque<EventView>>,
    fleet_events: VecDeque<EventView>,
    selected: Option<String>,
    collapsed: HashSet<String>,
    filter_text: String,
    filter: Filter,
    filter_error: Option<String>,
    mode: Mode,
    footer: Option<Footer>,
    scroll: usize,
    help_scroll: usize,
    tree_offset: usize,
    regions: Regions,
    seen_snapshot: bool,
    supervisor_gone: bool,
    supervision: Option<Supervision>,
    show_history: bool,
    /// The pane view has the whole screen.
    zoomed: bool,
    /// Ended attempts the operator took out of the tree: (agent, attempt).
    dismissed: HashSet<(String, u32)>,
    latest: Arc<FleetSnapshot>,
    help_keymap: Keymap,
    completion: Option<Completion>,
    theme_names: Vec<String>,
    problems: Vec<String>,
    fleet_change: Option<FleetChange>,
    logs: Option<LogsView>,
    /// The order of the tree's siblings.
    sort: SortKey,
    /// The selected pane's whole scrollback, held while the view is scrolled back.
    scrollback: Option<scrollback::Scrollback>,
    /// A scrollback read for the host to carry out.
    pane_request: Option<PaneRequest>,
    /// The search in the pane view.
    pane_search: Option<PaneSearch>,
    /// When the last key arrived (passed in by the host), for actions that need `now`.
    clock_ms: i64,
    /// The diff view, when open.
    diff: Option<fleet_edit::DiffView>,
    /// Removals waiting for their agent's attempt to end: (agent, when the kill was sent).
    removing: Vec<(String, i64)>,
    /// Agents this console added or removed: not announced as fleet file changes.
    own_edits: HashSet<String>,
    /// The operator was told that quitting drops a removal under way.
    quit_warned: bool,
    tz: chrono::FixedOffset,
}

impl Default for App {
    fn default() -> Self {
        App::new(Keymap::default())
    }
}

impl App {
    /// An empty console using this keymap; the first snapshot fills it.
    pub fn new(keymap: Keymap) -> App {
        App {
            snapshot: Arc::new(FleetSnapshot::default()),
            forest: Forest::default(),
            rows: Vec::new(),
            keymap,
            events: HashMap::new(),
            fleet_events: VecDeque::new(),
            selected: None,
            collapsed: HashSet::new(),
            filter_text: String::new(),
            filter: Filter::default(),
            filter_error: None,
            mode: Mode::Normal,
            footer: None,
            scroll: 0,
            help_scroll: 0,
            tree_offset: 0,
            regions: Regions::default(),
            seen_snapshot: false,
            supervisor_gone: false,
            supervision: None,
            show_history: false,
            zoomed: false,
            dismissed: HashSet::new(),
            latest: Arc::new(FleetSnapshot::default()),
            help_keymap: Keymaps::default().help,
            completion: None,
            theme_names: Vec::new(),
            problems: Vec::new(),
            fleet_change: None,
            logs: None,
            sort: SortKey::Fleet,
            scrollback: None,
            pane_request: None,
            pane_search: None,
            clock_ms: 0,
            diff: None,
            removing: Vec::new(),
            own_edits: HashSet::new(),
            quit_warned: false,
            tz: *chrono::Local::now().offset(),
        }
    }

    /// Use these keys from now on (a reloaded config).
    pub fn set_keymaps(&mut self, maps: Keymaps) {
        self.keymap = maps.fleet;
        self.help_keymap = maps.help;
    }

    /// The help view's keys.
    pub fn help_keymap(&self) -> &Keymap {
        &self.help_keymap
    }

    /// Take a new fleet picture. The selection follows the agent's name; if that agent
    /// left, the row that took its place is selected.
    pub fn on_snapshot(&mut self, s: Arc<FleetSnapshot>) {
        // Most ticks of a quiet fleet change no agent: the tree stays as built.
        let derived = self.show_history && s.agents.iter().any(|a| !a.lineage.past.is_empty());
        if self.seen_snapshot && !derived && s.agents == self.latest.agents {
            self.logs_on_snapshot(&s);
            self.latest = Arc::clone(&s);
            self.snapshot = s;
            return;
        }
        self.latest = s.clone();
        let s = self.history_view(s);
        let old_tiers: HashMap<&str, Tier> = self
            .snapshot
            .agents
            .iter()
            .map(|a| (a.name.as_str(), a.tier))
            .collect();
        let warned: Vec<&str> = s
            .agents
            .iter()
            .filter(|a| a.tier == Tier::Warn)
            .filter(|a| {
                old_tiers
                    .get(a.name.as_str())
                    .map_or(true, |t| *t < Tier::Warn)
            })
            .map(|a| a.name.as_str())
            .collect();
        let left = self.selected.clone().filter(|n| s.agent(n).is_none());
        if self.seen_snapshot && !warned.is_empty() {
            let more = match warned.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            self.set_error(format!(
                "{} stalled to the warn tier{more}; Tab jumps to it",
                warned[0]
            ));
        }
        self.seen_snapshot = true;
        let old_pos = self.selected_row();
        self.logs_on_snapshot(&s);
        self.snapshot = s;
        self.rebuild_forest();
        self.refresh_rows(old_pos);
        if let Some(name) = left {
            if !self.footer.as_ref().is_some_and(|f| f.is_error) {
                self.set_info(format!("{name} left the fleet"));
            }
        }
    }

    /// Record an event for the event strip; events already seen (same or older id for
    /// that agent) are skipped so history and the live stream can overlap.
    pub fn on_event(&mut self, e: EventView) {
        let ring = match &e.agent {
            Some(name) => self.events.entry(name.clone()).or_default(),
            None => &mut self.fleet_events,
        };
        if ring.back().is_some_and(|last| last.id >= e.id) {
            return;
        }
        if ring.len() == EVENTS_PER_AGENT {
            ring.pop_front();
        }
        ring.push_back(e);
    }

    /// Show what became of a command.
    pub fn on_outcome(&mut self, o: CommandOutcome) {
        let who = o.command.agent();
        let verb = o.command.verb();
        if o.result.is_err()
            && matches!(o.command, Command::Kill { .. })
            && self.removal_kill_failed(who)
        {
            let why = o.result.err().unwrap_or_default();
            self.set_error(format!(
                "kill {who} failed: {why}; {who} stays in the fleet file"
            ));
            return;
        }
        match o.result {
            Ok(done) => self.set_info(format!("{verb} {who}: {done}")),
            Err(why) => self.set_error(format!("{verb} {who} failed: {why}")),
        }
    }

    /// Show a message in the footer (from the host: attach results, channel failures).
    pub fn set_message(&mut self, text: String, is_error: bool) {
        self.footer = Some(Footer {
            text,
            is_error,
            // Before the host has said the time, the fleet picture's time stands in.
            at_ms: self.clock_ms.max(self.latest.taken_at_ms),
        });
    }

    /// The console's clock from the host, for stamping messages set between keys.
    pub fn set_clock(&mut self, now_ms: i64) {
        self.clock_ms = self.clock_ms.max(now_ms);
    }

    /// The supervisor stopped publishing; the view is frozen at the last snapshot.
    pub fn on_supervisor_gone(&mut self) {
        self.supervisor_gone = true;
    }

    /// Who supervises the fleet now (a view console learns it from the lease); an
    /// embedded console that never says shows nothing.
    pub fn set_supervision(&mut self, s: Supervision) {
        self.supervision = Some(s);
    }

    /// Who supervises the fleet, when the host said.
    pub fn supervision(&self) -> Option<&Supervision> {
        self.supervision.as_ref()
    }

    /// Tell the console where its panels are (after a resize).
    pub fn set_regions(&mut self, regions: Regions) {
        self.regions = regions;
        self.keep_selection_visible();
    }

    /// The fleet as last published.
    pub fn snapshot(&self) -> &FleetSnapshot {
        &self.snapshot
    }

    /// The tree rows to draw, top to bottom.
    pub fn rows(&self) -> &[TreeRow] {
        &self.rows
    }

    /// The selected agent's name, if any row is selected.
    pub fn selected(&self) -> Option<&str> {
        self.selected.as_deref()
    }

    /// The selected agent, if it is in the snapshot.
    pub fn selected_agent(&self) -> Option<&AgentView> {
        self.selected
            .as_deref()
            .and_then(|n| self.snapshot.agent(n))
    }

    /// Position of the selected agent among the rows.
    pub fn selected_row(&self) -> Option<usize> {
        let name = self.selected.as_deref()?;
        self.rows
            .iter()
            .position(|r| self.snapshot.agents[r.index].name == name)
    }

    /// The first row to draw in a tree panel of `height` agent rows, keeping the
    /// selection in view.
    pub fn tree_offset(&self, height: usize) -> usize {
        let height = height.max(1);
        let max = self.rows.len().saturating_sub(height);
        let mut off = self.tree_offset.min(max);
        if let Some(sel) = self.selected_row() {
            off = off.clamp(sel.saturating_sub(height - 1), sel);
        }
        off
    }

    /// The current input mode.
    pub fn mode(&self) -> &Mode {
        &self.mode
    }

    /// The footer message, if one replaces the key hints.
    pub fn footer(&self) -> Option<&Footer> {
        self.footer.as_ref()
    }

    /// Whether the pane view has the whole screen.
    pub fn zoomed(&self) -> bool {
        self.zoomed
    }

    /// The footer message still shown at `now_ms`: a message expires after a few seconds.
    pub fn footer_at(&self, now_ms: i64) -> Option<&Footer> {
        self.footer.as_ref().filter(|f| now_ms < f.expires_at())
    }

    /// The key table.
    pub fn keymap(&self) -> &Keymap {
        &self.keymap
    }

    /// The filter as typed.
    pub fn filter_text(&self) -> &str {
        &self.filter_text
    }

    /// Why the typed filter is not applied, if it is invalid.
    pub fn filter_error(&self) -> Option<&str> {
        self.filter_error.as_deref()
    }

    /// Recent events of one agent, oldest first.
    pub fn events_for(&self, agent: &str) -> impl DoubleEndedIterator<Item = &EventView> {
        self.events.get(agent).into_iter().flatten()
    }

    /// The newest `n` events of the whole fleet, every agent's and the fleet's own,
    /// oldest first.
    pub fn recent_events(&self, n: usize) -> Vec<&EventView> {
        let mut all: Vec<&EventView> = self
            .events
            .values()
            .flat_map(|ring| ring.iter().rev().take(n))
            .chain(self.fleet_events.iter().rev().take(n))
            .collect();
        all.sort_by_key(|e| std::cmp::Reverse(e.id));
        all.truncate(n);
        all.reverse();
        all
    }

    /// Recent events not about any one agent, oldest first.
    pub fn fleet_events(&self) -> &VecDeque<EventView> {
        &self.fleet_events
    }

    /// Lines scrolled back from the live tail of the pane view (0 = following the tail).
    pub fn scroll(&self) -> usize {
        self.scroll
    }

    /// Lines the help overlay is scrolled down by.
    pub fn help_scroll(&self) -> usize {
        self.help_scroll
    }

    /// Whether the supervisor has stopped publishing snapshots.
    pub fn supervisor_gone(&self) -> bool {
        self.supervisor_gone
    }

    fn set_info(&mut self, text: String) {
        self.set_message(text, false);
    }

    fn set_error(&mut self, text: String) {
        self.set_message(text, true);
    }

    fn select(&mut self, name: Option<String>) {
        if self.selected != name {
            self.follow_live();
        }
        self.selected = name;
        self.keep_selection_visible();
    }

    fn select_row(&mut self, pos: usize) {
        let name = self
            .rows
            .get(pos)
            .map(|r| self.snapshot.agents[r.index].name.clone());
        if name.is_some() {
            self.select(name);
        }
    }

    /// Rebuild the rows after a snapshot, fold or filter change, keeping the selection on
    /// the same agent, else its nearest visible ancestor, else the row at `old_pos`.
    fn refresh_rows(&mut self, old_pos: Option<usize>) {
        self.rows = self.forest.rows_where(
            &self.snapshot.agents,
            &self.collapsed,
            &self.filter,
            &|a: &AgentView| self.in_view(a),
        );
        if self.selected_row().is_some() {
            self.keep_selection_visible();
            return;
        }
        let agents = &self.snapshot.agents;
        let mut up = self
            .selected
            .as_deref()
            .and_then(|n| agents.iter().position(|a| a.name == n));
        while let Some(i) = up {
            if self.rows.iter().any(|r| r.index == i) {
                let name = agents[i].name.clone();
                self.select(Some(name));
                return;
            }
            up = self.forest.parent(i);
        }
        let pos = old_pos.unwrap_or(0).min(self.rows.len().saturating_sub(1));
        let name = self.rows.get(pos).map(|r| agents[r.index].name.clone());
        self.select(name);
    }

    fn keep_selection_visible(&mut self) {
        let height = self.regions.tree_rows().max(1);
        self.tree_offset = self.tree_offset(height);
    }
}
