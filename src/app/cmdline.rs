//! The `:` command line: an action's name and its arguments (`:approve lead`,
//! `:theme light`, `:logs error`), Tab completing command, agent and theme names.

use super::sort::SORTS;
use super::{Action, App, Effect, Mode};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Commands of the line that are not keymap actions: (name, arguments, what it does).
pub const EXTRA: &[(&str, &str, &str)] = &[
    (
        "theme",
        "NAME",
        "Draw with another theme until the config names one again.",
    ),
    (
        "logs",
        "[QUERY]",
        "Open the log browser on a query (`:logs error`, `:logs agent:lead timeout`).",
    ),
    ("q", "", "Leave the console; the agents keep running."),
];

/// Actions that act on one agent: on the named one when the line names it.
const AGENT_ACTIONS: &[Action] = &[
    Action::Attach,
    Action::Approve,
    Action::Deny,
    Action::Retry,
    Action::Cancel,
    Action::Kill,
    Action::Nudge,
    Action::TypeLine,
    Action::TogglePause,
    Action::ShowExplanation,
    Action::RemoveAgent,
    Action::ShowDiff,
];

/// Actions that move around the console: keys, not commands, so the command line
/// neither offers nor runs them.
const NAVIGATION: &[Action] = &[
    Action::MoveDown,
    Action::MoveUp,
    Action::MoveToTop,
    Action::MoveToBottom,
    Action::CollapseNode,
    Action::ExpandNode,
    Action::ScrollUp,
    Action::ScrollDown,
    Action::JumpToNeedy,
    Action::OpenCommand,
];

/// Tab completion in progress: the choices for the word being completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The line before the word being completed.
    pub stem: String,
    /// The choices, in order.
    pub options: Vec<String>,
    /// The choice on the line now; `None` while the choices are only listed (Tab on an
    /// empty word lists them; Tab again puts the first on the line).
    pub index: Option<usize>,
}

impl App {
    /// Every name the command line accepts: action names, their one-word labels, and
    /// the extra commands.
    pub fn command_names(&self) -> Vec<String> {
        let commands = || Action::ALL.iter().filter(|a| !NAVIGATION.contains(a));
        let mut names: Vec<String> = commands().map(|a| a.name()).collect();
        for a in commands() {
            let label = a.label().replace(' ', "-");
            if !names.contains(&label) {
                names.push(label);
            }
        }
        names.extend(EXTRA.iter().map(|(n, _, _)| (*n).to_string()));
        names.sort();
        names.dedup();
        names
    }

    /// The completion being cycled, if any.
    pub fn completion(&self) -> Option<&Completion> {
        self.completion.as_ref()
    }

    /// The themes `:theme` offers.
    pub fn set_theme_names(&mut self, names: Vec<String>) {
        self.theme_names = names;
    }

    pub(super) fn command_key(&mut self, key: KeyEvent, mut text: String) -> Vec<Effect> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Enter => {
                self.completion = None;
                return self.run_line(&text);
            }
            KeyCode::Esc => {
                self.completion = None;
                return vec![Effect::Redraw];
            }
            KeyCode::Char('c') if ctrl => {
                self.completion = None;
                return vec![Effect::Redraw];
            }
            KeyCode::Tab => self.complete(&mut text, false),
            KeyCode::BackTab => self.complete(&mut text, true),
            KeyCode::Backspace if text.is_empty() => {
                self.completion = None;
                return vec![Effect::Redraw];
            }
            KeyCode::Backspace => {
                text.pop();
                self.completion = None;
            }
            KeyCode::Char('u') if ctrl => {
                text.clear();
                self.completion = None;
            }
            KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => {
                text.push(c);
                self.completion = None;
            }
            _ => {}
        }
        self.mode = Mode::Command { text };
        vec![Effect::Redraw]
    }

    /// Complete the last word, or move to the next (previous) choice.
    fn complete(&mut self, text: &mut String, backwards: bool) {
        if let Some(c) = self.completion.as_mut() {
            let n = c.options.len();
            let next = match (c.index, backwards) {
                (None, false) => 0,
                (None, true) => n - 1,
                (Some(_), _) if n == 1 => return,
                (Some(i), false) => (i + 1) % n,
                (Some(i), true) => (i + n - 1) % n,
            };
            c.index = Some(next);
            *text = format!("{}{}", c.stem, c.options[next]);
            return;
        }
        let (stem, word) = match text.rfind(' ') {
            Some(i) => (text[..=i].to_string(), text[i + 1..].to_string()),
            None => (String::new(), text.clone()),
        };
        let words: Vec<&str> = stem.split_whitespace().collect();
        let pool: Vec<String> = match words.as_slice() {
            [] => self.command_names(),
            [cmd] if *cmd == "theme" => self.theme_names.clone(),
            [cmd] if *cmd == "logs" => self.event_kinds(),
            [cmd] if command_action(cmd) == Some(Action::CycleSort) => {
                SORTS.iter().map(|k| k.label().replace(' ', "-")).collect()
            }
            [cmd] if command_action(cmd).is_some_and(|a| AGENT_ACTIONS.contains(&a)) => self
                .snapshot
                .agents
                .iter()
                .map(|a| a.name.clone())
                .collect(),
            _ => Vec::new(),
        };
        let options: Vec<String> = pool.into_iter().filter(|o| o.starts_with(&word)).collect();
        match options.len() {
            0 => self.set_error(format!("nothing to complete for {:?}", text.trim())),
            // An empty word is no choice yet: list what may go there, put nothing on the line.
            _ if word.is_empty() => {
                self.completion = Some(Completion {
                    stem,
                    options,
                    index: None,
                });
            }
            1 => *text = format!("{stem}{} ", options[0]),
            _ => {
                *text = format!("{stem}{}", options[0]);
                self.completion = Some(Completion {
                    stem,
                    options,
                    index: Some(0),
                });
            }
        }
    }

    /// Event kinds seen so far, for `:logs` completion.
    fn event_kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self
            .events
            .values()
            .flatten()
            .chain(self.fleet_events.iter())
            .map(|e| e.kind.clone())
            .collect();
        kinds.sort();
        kinds.dedup();
        kinds
    }

    fn run_line(&mut self, line: &str) -> Vec<Effect> {
        let line = line.trim();
        let (name, rest) = match line.split_once(char::is_whitespace) {
            Some((n, r)) => (n, r.trim()),
            None => (line, ""),
        };
        let mut effects = vec![Effect::Redraw];
        match name {
            "" => {}
            "q" => effects.push(Effect::Quit),
            "theme" if rest.is_empty() => self.set_error(format!(
                "theme needs a name: {}",
                self.theme_names.join(", ")
            )),
            "theme"
                if !self.theme_names.is_empty() && !self.theme_names.iter().any(|t| t == rest) =>
            {
                let hint = crate::config::suggest(rest, &self.theme_names)
                    .map_or(String::new(), |n| format!("did you mean {n}? "));
                self.set_error(format!(
                    "no theme named {rest:?}; {hint}themes: {}",
                    self.theme_names.join(", ")
                ));
            }
            "theme" => {
                self.set_info(format!("theme {rest}"));
                effects.push(Effect::SetTheme(rest.to_string()));
            }
            "logs" => self.open_logs_line(rest, self.clock_ms),
            _ => {
                if let Some(action) = command_action(name) {
                    effects.extend(self.run_action_with(action, rest));
                } else if let Some(nav) = any_action(name) {
                    let keys: Vec<String> = self
                        .keymap
                        .keys_for(nav)
                        .iter()
                        .map(ToString::to_string)
                        .collect();
                    let keys = match keys.as_slice() {
                        [] => "no key is bound to it".to_string(),
                        k => format!("press {}", k.join(" or ")),
                    };
                    self.set_error(format!("{name} moves around the console: {keys}"));
                } else {
                    let names = self.command_names();
                    let hint = crate::config::suggest(name, &names)
                        .map_or(String::new(), |n| format!("did you mean {n}? "));
                    self.set_error(format!(
                        "unknown command {name:?}; {hint}Tab lists the commands"
                    ));
                }
            }
        }
        effects
    }

    fn run_action_with(&mut self, action: Action, rest: &str) -> Vec<Effect> {
        if rest.is_empty() {
            return self.run_action(action);
        }
        if action == Action::OpenFilter {
            self.set_filter(rest.to_string());
            return vec![Effect::Redraw];
        }
        if action == Action::SearchPane {
            // `:find TEXT` is the search line typed and entered at once.
            self.start_pane_search();
            if matches!(self.mode, Mode::PaneSearch { .. }) {
                self.mode = Mode::Normal;
                self.run_pane_search(rest.to_string());
            }
            return vec![Effect::Redraw];
        }
        if action == Action::CycleSort {
            if let Some(k) = SORTS.iter().find(|k| k.label().replace(' ', "-") == rest) {
                self.set_sort(*k);
            } else {
                let names: Vec<String> =
                    SORTS.iter().map(|k| k.label().replace(' ', "-")).collect();
                self.set_error(format!("no sort {rest:?}; sorts: {}", names.join(", ")));
            }
            return vec![Effect::Redraw];
        }
        if !AGENT_ACTIONS.contains(&action) {
            self.set_error(format!("{} takes no arguments", action.name()));
            return vec![Effect::Redraw];
        }
        let (agent, text) = match rest.split_once(char::is_whitespace) {
            Some((a, t)) => (a, t.trim_start()),
            None => (rest, ""),
        };
        let Some(view) = self.snapshot.agent(agent).cloned() else {
            let names: Vec<String> = self
                .snapshot
                .agents
                .iter()
                .map(|a| a.name.clone())
                .collect();
            let hint = crate::config::suggest(agent, &names)
                .map_or(String::new(), |n| format!("did you mean {n}? "));
            self.set_error(format!(
                "no agent named {agent:?}; {hint}Tab completes agent names"
            ));
            return vec![Effect::Redraw];
        };
        self.select(Some(agent.to_string()));
        if action == Action::TypeLine && !text.is_empty() {
            let effect = self.send(crate::fleet::Command::Send {
                agent: agent.to_string(),
                text: text.to_string(),
            });
            return vec![effect, Effect::Redraw];
        }
        if !text.is_empty() {
            self.set_error(format!(
                "{} takes one agent name, not {rest:?}",
                action.name()
            ));
            return vec![Effect::Redraw];
        }
        let mut effects = vec![Effect::Redraw];
        effects.extend(self.agent_action(action, &view));
        effects
    }
}

/// The action a name means, commands and navigation alike.
fn any_action(name: &str) -> Option<Action> {
    Action::from_name(name).or_else(|| {
        Action::ALL
            .iter()
            .copied()
            .find(|a| a.label().replace(' ', "-") == name)
    })
}

/// The action a command name means: its name, or its one-word label.
fn command_action(name: &str) -> Option<Action> {
    any_action(name).filter(|a| !NAVIGATION.contains(a))
}
