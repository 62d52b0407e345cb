//! Turning keys and mouse input into state changes and effects, one mode at a time.

use super::urgency::needs_operator;
use super::{Action, App, Effect, Filter, Mode};
use crate::fleet::Command;
use crate::fleet::{Activity, AgentView};
use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

/// Longest line the input box accepts; a paste beyond this is cut.
const MAX_INPUT: usize = 4096;
/// Lines one mouse wheel notch scrolls the pane view.
const WHEEL_LINES: usize = 3;

impl App {
    /// Handle one key press; `now_ms` is the wall clock, passed in for testability.
    pub fn handle_key(&mut self, key: KeyEvent, now_ms: i64) -> Vec<Effect> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        self.clock_ms = now_ms;
        if self.mode == Mode::Normal && self.diff.is_some() {
            return self.diff_key(key);
        }
        if self.mode == Mode::Normal && self.logs.is_some() {
            // The command line works from the log browser too, unless its query line
            // is taking the keys.
            let typing = self
                .logs
                .as_ref()
                .is_some_and(super::logs::LogsView::editing);
            if !typing && self.keymap.action_for(&key) == Some(Action::OpenCommand) {
                return self.run_action(Action::OpenCommand);
            }
            return self.logs_key(key, now_ms);
        }
        match std::mem::replace(&mut self.mode, Mode::Normal) {
            Mode::Normal => return self.normal_key(key),
            Mode::Filter => self.filter_key(key),
            Mode::Input { agent, text } => return self.input_key(key, agent, text),
            Mode::Confirm { command } => return self.confirm_key(key, command),
            Mode::Help => self.help_key(key),
            // Any key closes the explanation; its own key must not reopen it.
            Mode::Explain { .. } => {}
            Mode::Command { text } => return self.command_key(key, text),
            Mode::PaneSearch { agent, text } => return self.pane_search_key(key, agent, text),
            Mode::AddAgent(form) => return self.form_key(key, form),
            Mode::Remove {
                agent,
                branch,
                live,
            } => return self.remove_key(key, agent, branch, live),
        }
        vec![Effect::Redraw]
    }

    /// Handle pasted text: it goes into the input box or the filter, never through the
    /// keymap, so a paste cannot fire actions. Line breaks become spaces.
    pub fn handle_paste(&mut self, pasted: &str) -> Vec<Effect> {
        let clean: String = pasted
            .chars()
            .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
            .collect();
        if self.logs_paste(&clean) || self.form_paste(&clean) {
            return vec![Effect::Redraw];
        }
        match &mut self.mode {
            Mode::Input { text, .. } => {
                let room = MAX_INPUT.saturating_sub(text.chars().count());
                text.extend(clean.chars().take(room));
            }
            Mode::Filter => {
                let text = format!("{}{clean}", self.filter_text);
                self.set_filter(text);
            }
            Mode::Command { text } => {
                text.push_str(&clean);
                self.completion = None;
            }
            Mode::PaneSearch { text, .. } => text.push_str(&clean),
            _ => return Vec::new(),
        }
        vec![Effect::Redraw]
    }

    /// Handle a mouse event: click selects a tree row, the wheel scrolls the pane view
    /// (or moves the selection over the tree).
    pub fn handle_mouse(&mut self, ev: MouseEvent) -> Vec<Effect> {
        if self.mode != Mode::Normal {
            return Vec::new();
        }
        if self.logs.is_some() {
            return self.logs_mouse(ev);
        }
        let inside = |r: ratatui::layout::Rect| {
            ev.column >= r.x && ev.column < r.right() && ev.row >= r.y && ev.row < r.bottom()
        };
        let (mut in_tree, mut in_pane) = (inside(self.regions.tree), inside(self.regions.pane));
        if self.zoomed {
            // The pane view covers the tree's room too: the wheel scrolls it anywhere in
            // the body, and nothing there is a tree row to click.
            in_pane |= in_tree;
            in_tree = false;
        }
        match ev.kind {
            MouseEventKind::Down(MouseButton::Left) if in_tree => {
                // Two border/title lines sit above the first agent row: the top border and the
                // column titles.
                let Some(line) = ev.row.checked_sub(self.regions.tree.y + 2) else {
                    return Vec::new();
                };
                let line = usize::from(line);
                if line >= self.regions.tree_rows() {
                    return Vec::new();
                }
                let pos = self.tree_offset(self.regions.tree_rows()) + line;
                if pos >= self.rows.len() {
                    return Vec::new();
                }
                self.select_row(pos);
            }
            MouseEventKind::ScrollUp if in_pane => self.scroll_by(WHEEL_LINES as isize),
            MouseEventKind::ScrollDown if in_pane => self.scroll_by(-(WHEEL_LINES as isize)),
            MouseEventKind::ScrollUp if in_tree => self.move_by(-1),
            MouseEventKind::ScrollDown if in_tree => self.move_by(1),
            _ => return Vec::new(),
        }
        vec![Effect::Redraw]
    }

    fn normal_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        self.footer = None;
        if let Some(effects) = self.search_nav_key(&key) {
            return effects;
        }
        let Some(action) = self.keymap.action_for(&key) else {
            let help = self.keymap.keys_for(Action::ToggleHelp);
            let help = help.first().map_or_else(
                || "the help key".to_string(),
                std::string::ToString::to_string,
            );
            self.set_error(format!(
                "{} does nothing here; press {help} for the keys",
                super::KeyBinding::from_event(&key)
            ));
            return vec![Effect::Redraw];
        };
        self.run_action(action)
    }

    /// Do what an action means, on the selected agent where it needs one.
    pub(super) fn run_action(&mut self, action: Action) -> Vec<Effect> {
        let mut effects = vec![Effect::Redraw];
        match action {
            Action::MoveDown => self.move_by(1),
            Action::MoveUp => self.move_by(-1),
            Action::MoveToTop => self.select_row(0),
            Action::MoveToBottom => self.select_row(self.rows.len().saturating_sub(1)),
            Action::CollapseNode => self.collapse(),
            Action::ExpandNode => self.expand(),
            // Zoomed, the tree is hidden: `/` searches what is on screen instead.
            Action::OpenFilter if self.zoomed => self.start_pane_search(),
            Action::OpenFilter => self.mode = Mode::Filter,
            Action::SearchPane => self.start_pane_search(),
            Action::CopyPane => effects.extend(self.copy_pane()),
            Action::ClearFilter => {
                self.set_filter(String::new());
                self.fleet_change = None;
            }
            Action::OpenCommand => {
                self.completion = None;
                self.mode = Mode::Command {
                    text: String::new(),
                };
            }
            Action::StartNewAgents => effects.extend(self.start_new_agents()),
            Action::JumpToNeedy => self.jump_to_needy(),
            Action::ScrollUp => self.scroll_by(self.page() as isize),
            Action::ScrollDown => self.scroll_by(-(self.page() as isize)),
            Action::ToggleHelp => {
                self.help_scroll = 0;
                self.mode = Mode::Help;
            }
            Action::Quit if self.hold_quit() => {}
            Action::Quit => effects.push(Effect::Quit),
            Action::ToggleHistory => self.toggle_history(),
            Action::Dismiss => self.dismiss_selected(),
            Action::DismissAllEnded => self.dismiss_all_ended(),
            Action::ToggleZoom => self.zoomed = !self.zoomed,
            Action::FilterNeedsYou => self.quick_filter(super::filter::Quick::NeedsYou),
            Action::FilterRunning => self.quick_filter(super::filter::Quick::Running),
            Action::FilterEnded => self.quick_filter(super::filter::Quick::Ended),
            Action::CycleSort => self.cycle_sort(),
            Action::OpenLogs => self.open_logs(self.selected.clone(), self.clock_ms),
            Action::AddAgent => self.open_add_form(),
            Action::Attach
            | Action::Approve
            | Action::Deny
            | Action::Retry
            | Action::Cancel
            | Action::Kill
            | Action::Nudge
            | Action::TypeLine
            | Action::TogglePause
            | Action::ShowExplanation
            | Action::RemoveAgent
            | Action::ShowDiff => {
                let Some(agent) = self.target() else {
                    return effects;
                };
                effects.extend(self.agent_action(action, &agent));
            }
        }
        effects
    }

    /// Actions on the selected agent; `agent` is a copy so the state can change freely.
    pub(super) fn agent_action(&mut self, action: Action, a: &AgentView) -> Option<Effect> {
        let name = a.name.clone();
        let command = match action {
            Action::Attach if a.state.is_ended() => {
                // Its pane is gone or dead: what it left is the final screen, zoomed.
                self.zoomed = true;
                self.scroll = 0;
                let how = self.ending(a, self.clock_ms);
                let key = |act: Action| {
                    self.keymap
                        .keys_for(act)
                        .first()
                        .map_or_else(|| act.name(), std::string::ToString::to_string)
                };
                self.set_info(format!(
                    "{name} has ended ({how}): its final screen is shown, there is no pane to attach to; {} retries it, {} gives the tree back",
                    key(Action::Retry),
                    key(Action::ToggleZoom)
                ));
                return None;
            }
            Action::Attach => {
                return if let (Some(server), Some(pane)) = (&a.server, &a.pane) {
                    Some(Effect::Attach {
                        server: server.clone(),
                        pane: pane.clone(),
                        agent: name,
                    })
                } else {
                    self.set_error(format!(
                        "{name} has no tmux pane to attach to (state {}); retry it to start a new attempt",
                        a.state
                    ));
                    None
                };
            }
            Action::Approve | Action::Deny if a.activity != Activity::NeedsInput => {
                self.set_error(format!(
                    "{name} is {}, not waiting for input; {} only answers a prompt",
                    a.activity,
                    action.label()
                ));
                return None;
            }
            Action::Approve => Command::Approve { agent: name },
            Action::Deny => Command::Deny { agent: name },
            Action::Retry => Command::Retry { agent: name },
            Action::Nudge => Command::Nudge { agent: name },
            Action::TogglePause => Command::Pause {
                agent: name,
                paused: !a.paused,
            },
            Action::Cancel => {
                self.mode = Mode::Confirm {
                    command: Command::Cancel { agent: name },
                };
                return None;
            }
            Action::Kill => {
                self.mode = Mode::Confirm {
                    command: Command::Kill { agent: name },
                };
                return None;
            }
            Action::TypeLine => {
                self.mode = Mode::Input {
                    agent: name,
                    text: String::new(),
                };
                return None;
            }
            Action::ShowExplanation => {
                self.mode = Mode::Explain { agent: name };
                return None;
            }
            Action::RemoveAgent => {
                self.ask_remove(a);
                return None;
            }
            Action::ShowDiff => return self.open_diff(a),
            _ => return None,
        };
        Some(self.send(command))
    }

    pub(super) fn send(&mut self, command: Command) -> Effect {
        self.set_info(format!(
            "asked the supervisor to {} {}…",
            command.verb(),
            command.agent()
        ));
        Effect::Send(command)
    }

    /// The selected agent, or a footer saying why there is none.
    fn target(&mut self) -> Option<AgentView> {
        match (self.selected.clone(), self.selected_agent().cloned()) {
            (_, Some(a)) if a.lineage.attempt_of.is_some() => {
                let of = a.lineage.attempt_of.clone().unwrap_or_default();
                self.set_error(format!(
                    "{} is an ended attempt, kept as history; select {of} to act on the agent",
                    a.name
                ));
                None
            }
            (_, Some(a)) => Some(a),
            (Some(name), None) => {
                self.set_error(format!("{name} is no longer in the fleet; nothing sent"));
                None
            }
            (None, None) if self.snapshot.agents.is_empty() => {
                self.set_error("the fleet has no agents yet".to_string());
                None
            }
            (None, None) => {
                self.set_error("no agent matches the filter; Esc clears it".to_string());
                None
            }
        }
    }

    /// Movement keys scroll a help text taller than the screen; any other key closes it.
    fn help_key(&mut self, key: KeyEvent) {
        let page = self.page();
        let longest = super::Action::ALL.len();
        let step = match self.help_keymap.action_for(&key) {
            Some(Action::MoveDown) => 1,
            Some(Action::MoveUp) => -1,
            Some(Action::ScrollDown) => page as isize,
            Some(Action::ScrollUp) => -(page as isize),
            Some(Action::MoveToTop) => -(longest as isize),
            Some(Action::MoveToBottom) => longest as isize,
            _ => return,
        };
        self.help_scroll = self.help_scroll.saturating_add_signed(step).min(longest);
        self.mode = Mode::Help;
    }

    fn confirm_key(&mut self, key: KeyEvent, command: Command) -> Vec<Effect> {
        let name = command.agent().to_string();
        match key.code {
            KeyCode::Char('y' | 'Y') if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                if self.snapshot.agent(&name).is_none() {
                    self.set_error(format!("{name} is no longer in the fleet; nothing sent"));
                    return vec![Effect::Redraw];
                }
                let effect = self.send(command);
                vec![effect, Effect::Redraw]
            }
            KeyCode::Char('n' | 'N' | 'c' | 'q') | KeyCode::Esc => {
                self.set_info(format!("{} {name} not sent", command.verb()));
                vec![Effect::Redraw]
            }
            _ => {
                // Anything else is a likely mistype: keep asking rather than guess.
                self.mode = Mode::Confirm { command };
                Vec::new()
            }
        }
    }

    fn input_key(&mut self, key: KeyEvent, agent: String, mut text: String) -> Vec<Effect> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let full = text.chars().count() >= MAX_INPUT;
        match key.code {
            KeyCode::Enter => {
                if self.snapshot.agent(&agent).is_none() {
                    self.set_error(format!(
                        "{agent} is no longer in the fleet; the line was not sent"
                    ));
                    return vec![Effect::Redraw];
                }
                let effect = self.send(Command::Send { agent, text });
                return vec![effect, Effect::Redraw];
            }
            KeyCode::Esc => {
                self.set_info(format!("nothing typed into {agent}"));
                return vec![Effect::Redraw];
            }
            KeyCode::Char('c') if ctrl => {
                self.set_info(format!("nothing typed into {agent}"));
                return vec![Effect::Redraw];
            }
            KeyCode::Char('u') if ctrl => text.clear(),
            KeyCode::Char('w') if ctrl => {
                let keep = text.trim_end().rfind(' ').map_or(0, |i| i + 1);
                text.truncate(keep);
            }
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) && !full => {
                text.push(c);
            }
            KeyCode::Tab if !full => text.push('\t'),
            _ => {}
        }
        self.mode = Mode::Input { agent, text };
        vec![Effect::Redraw]
    }

    fn filter_key(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let mut text = self.filter_text.clone();
        match key.code {
            KeyCode::Enter => return,
            KeyCode::Esc => return self.set_filter(String::new()),
            KeyCode::Char('u') if ctrl => text.clear(),
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(c) if !ctrl => text.push(c),
            _ => {}
        }
        self.mode = Mode::Filter;
        self.set_filter(text);
    }

    /// Apply filter text as it is typed; an invalid filter keeps the last valid one and
    /// says why.
    pub(super) fn set_filter(&mut self, text: String) {
        match Filter::parse(&text) {
            Ok(filter) => {
                self.filter = filter;
                self.filter_error = None;
            }
            Err(e) => self.filter_error = Some(e.to_string()),
        }
        self.filter_text = text;
        let old = self.selected_row();
        self.refresh_rows(old);
    }

    fn move_by(&mut self, delta: isize) {
        let Some(pos) = self.selected_row() else {
            return self.select_row(0);
        };
        let last = self.rows.len().saturating_sub(1);
        self.select_row(pos.saturating_add_signed(delta).min(last));
    }

    fn collapse(&mut self) {
        let Some(pos) = self.selected_row() else {
            return;
        };
        let row = &self.rows[pos];
        if row.has_children && !row.collapsed {
            let name = self.snapshot.agents[row.index].name.clone();
            self.collapsed.insert(name);
            self.refresh_rows(Some(pos));
        } else if let Some(p) = self.forest.parent(row.index) {
            let name = self.snapshot.agents[p].name.clone();
            if self.rows.iter().any(|r| r.index == p) {
                self.select(Some(name));
            }
        }
    }

    fn expand(&mut self) {
        let Some(pos) = self.selected_row() else {
            return;
        };
        let row = &self.rows[pos];
        if row.collapsed {
            let name = self.snapshot.agents[row.index].name.clone();
            self.collapsed.remove(&name);
            self.refresh_rows(Some(pos));
        } else if row.has_children {
            self.select_row(pos + 1);
        }
    }

    /// Select the next agent (in tree order, after the selection, wrapping) that needs the
    /// operator, unfolding its ancestors if a fold hides it.
    fn jump_to_needy(&mut self) {
        let agents = &self.snapshot.agents;
        let order = self.forest.preorder();
        let here = self
            .selected
            .as_deref()
            .and_then(|n| order.iter().position(|&i| agents[i].name == n));
        let start = here.map_or(0, |p| p + 1);
        let found = (0..order.len())
            .map(|k| order[(start + k) % order.len()])
            .find(|&i| {
                needs_operator(&agents[i])
                    && self.filter.matches(&agents[i])
                    && self.in_view(&agents[i])
            });
        let Some(i) = found else {
            self.set_info("no agent needs you right now".to_string());
            return;
        };
        let mut up = self.forest.parent(i);
        let mut unfolded = false;
        while let Some(p) = up {
            unfolded |= self.collapsed.remove(&agents[p].name);
            up = self.forest.parent(p);
        }
        let name = agents[i].name.clone();
        if unfolded {
            self.refresh_rows(None);
        }
        self.select(Some(name));
    }

    fn page(&self) -> usize {
        self.pane_rows().saturating_sub(1).max(1)
    }

    /// Rows of the pane view: the whole body when zoomed.
    pub(super) fn pane_rows(&self) -> usize {
        if self.zoomed {
            usize::from(self.regions.tree.height.saturating_sub(2))
        } else {
            self.regions.pane_rows()
        }
    }

    /// Show only one group of agents; the same key again shows all.
    fn quick_filter(&mut self, group: super::filter::Quick) {
        if self.filter_text.trim() == group.text() {
            self.set_filter(String::new());
            self.set_info("filter cleared: every agent".to_string());
        } else {
            self.set_filter(group.text().to_string());
            let n = self.rows.iter().filter(|r| r.matched).count();
            self.set_info(format!(
                "{n} shown by /{}; the same key again shows all",
                group.text()
            ));
        }
    }
}
