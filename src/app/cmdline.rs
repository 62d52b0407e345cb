//! The `:` command line: an action's name and its arguments (`:approve lead`,
//! `:theme light`, `:logs error`), Tab completing command, agent and theme names.

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
        "[WORDS]",
        "Show only the events that mention WORDS in the event panel; no words shows all.",
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

/// Tab completion in progress: the choices for the word being completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The line before the word being completed.
    pub stem: String,
    /// The choices, in order.
    pub options: Vec<String>,
    /// The choice on the line now.
    pub index: usize,
}

impl App {
    /// Every name the command line accepts: action names, their one-word labels, and
    /// the extra commands.
    pub fn command_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Action::ALL.iter().map(|a| a.name()).collect();
        for a in Action::ALL {
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
            if c.options.len() > 1 {
                let n = c.options.len();
                c.index = if backwards {
                    (c.index + n - 1) % n
                } else {
                    (c.index + 1) % n
                };
                *text = format!("{}{}", c.stem, c.options[c.index]);
            }
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
            [cmd]
                if self
                    .command_action(cmd)
                    .is_some_and(|a| AGENT_ACTIONS.contains(&a)) =>
            {
                self.snapshot
                    .agents
                    .iter()
                    .map(|a| a.name.clone())
                    .collect()
            }
            _ => Vec::new(),
        };
        let options: Vec<String> = pool.into_iter().filter(|o| o.starts_with(&word)).collect();
        match options.len() {
            0 => self.set_error(format!("nothing to complete for {:?}", text.trim())),
            1 => *text = format!("{stem}{} ", options[0]),
            _ => {
                *text = format!("{stem}{}", options[0]);
                self.completion = Some(Completion {
                    stem,
                    options,
                    index: 0,
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

    /// The action a command name means: its name, or its one-word label.
    fn command_action(&self, name: &str) -> Option<Action> {
        Action::from_name(name).or_else(|| {
            Action::ALL
                .iter()
                .copied()
                .find(|a| a.label().replace(' ', "-") == name)
        })
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
                if let Some(action) = self.command_action(name) {
                    effects.extend(self.run_action_with(action, rest));
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
