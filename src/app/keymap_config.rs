//! The config's `[keymap.VIEW]` tables laid over the default keys: every action named,
//! every key read, each mistake located in the config file.

use super::action::Action;
use super::keymap::{KeyBinding, Keymap};
use crate::config::{Config, ConfigError, KeyEntry, Pos};
use crossterm::event::KeyCode;
use std::collections::HashMap;

/// The key tables of every view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymaps {
    /// The fleet view: the tree, the pane view, the agent actions.
    pub fleet: Keymap,
    /// The help overlay: scrolling (any other key closes it).
    pub help: Keymap,
}

/// Actions the help view does something with.
pub const HELP_ACTIONS: &[Action] = &[
    Action::MoveDown,
    Action::MoveUp,
    Action::MoveToTop,
    Action::MoveToBottom,
    Action::ScrollDown,
    Action::ScrollUp,
];

/// Actions the fleet view must keep a key for, or the operator could get stuck.
const ESSENTIAL: &[Action] = &[Action::Quit, Action::ToggleHelp];

impl Default for Keymaps {
    fn default() -> Self {
        let mut help = Keymap::empty();
        for (k, a) in Keymap::default().bindings() {
            if HELP_ACTIONS.contains(a) {
                help.bind(*k, *a);
            }
        }
        help.bind(KeyBinding::plain(KeyCode::Char(' ')), Action::ScrollDown);
        Keymaps {
            fleet: Keymap::default(),
            help,
        }
    }
}

/// The word that removes a key's default meaning.
pub const UNBIND: &str = "none";

impl Keymaps {
    /// The default keys with the config's bindings laid over them.
    pub fn from_config(config: &Config) -> Result<Keymaps, ConfigError> {
        let mut maps = Keymaps::default();
        let path = config.locator_path();
        let err = |pos: Pos, message: String, hint: String| ConfigError {
            path: path.clone(),
            line: pos.line,
            column: pos.column,
            message,
            hint,
        };
        let mut seen: HashMap<(&str, KeyBinding), &KeyEntry> = HashMap::new();
        for e in &config.keymap {
            let key: KeyBinding = e.key.parse().map_err(|p: super::keymap::KeyParseError| {
                err(e.key_pos, format!("keymap.{}: {p}", e.view), String::new())
            })?;
            if let Some(first) = seen.get(&(e.view.as_str(), key)) {
                return Err(err(
                    e.key_pos,
                    format!(
                        "keymap.{}: key `{key}` is bound twice: to `{}` on line {} and to `{}` here",
                        e.view, first.action, first.key_pos.line, e.action
                    ),
                    "keep one of the two lines".into(),
                ));
            }
            seen.insert((e.view.as_str(), key), e);
            let map = match e.view.as_str() {
                "help" => &mut maps.help,
                _ => &mut maps.fleet,
            };
            if e.action == UNBIND {
                map.unbind(key);
                continue;
            }
            let Some(action) = Action::from_name(&e.action) else {
                let mut names: Vec<String> = Action::ALL.iter().map(|a| a.name()).collect();
                let hint = if let Some(near) = crate::config::suggest(&e.action, &names) {
                    format!("did you mean `{near}`?")
                } else {
                    names.push(UNBIND.into());
                    format!("actions: {}", names.join(", "))
                };
                return Err(err(
                    e.action_pos,
                    format!(
                        "keymap.{}: unknown action `{}` for key `{key}`",
                        e.view, e.action
                    ),
                    hint,
                ));
            };
            if e.view == "help" && !HELP_ACTIONS.contains(&action) {
                let names: Vec<String> = HELP_ACTIONS.iter().map(|a| a.name()).collect();
                return Err(err(
                    e.action_pos,
                    format!("keymap.help: `{}` does nothing in the help view", e.action),
                    format!("the help view scrolls: {}", names.join(", ")),
                ));
            }
            map.bind(key, action);
        }
        for a in ESSENTIAL {
            if maps.fleet.keys_for(*a).is_empty() {
                let pos = config
                    .keymap
                    .iter()
                    .rev()
                    .find(|e| e.view == "fleet")
                    .map_or(Pos::default(), |e| e.key_pos);
                return Err(err(
                    pos,
                    format!("keymap.fleet: no key is left for `{}`", a.name()),
                    format!(
                        "bind one, e.g. \"{}\" = \"{}\"",
                        if *a == Action::Quit { "q" } else { "?" },
                        a.name()
                    ),
                ));
            }
        }
        Ok(maps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyEvent, KeyModifiers};
    use std::path::Path;

    fn config(text: &str) -> Config {
        crate::config::parse(Path::new("c.toml"), text).unwrap()
    }

    fn press(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn bindings_lay_over_the_defaults() {
        let c = config("[keymap.fleet]\nx = \"kill\"\nK = \"none\"\nj = \"move-up\"\n[keymap.help]\nn = \"scroll-down\"\n");
        let m = Keymaps::from_config(&c).unwrap();
        assert_eq!(m.fleet.action_for(&press('x')), Some(Action::Kill));
        assert_eq!(m.fleet.action_for(&press('K')), None);
        assert_eq!(m.fleet.action_for(&press('j')), Some(Action::MoveUp));
        assert_eq!(
            m.fleet.keys_for(Action::Kill),
            vec![KeyBinding::plain(KeyCode::Char('x'))]
        );
        assert_eq!(m.help.action_for(&press('n')), Some(Action::ScrollDown));
        assert_eq!(
            m.help.action_for(&press('j')),
            Some(Action::MoveDown),
            "help keeps its own j"
        );
    }

    #[test]
    fn mistakes_name_the_key_or_action() {
        let cases = [
            ("[keymap.fleet]\nx = \"kil\"\n", "c.toml:2:5: keymap.fleet: unknown action `kil` for key `x`", "did you mean `kill`?"),
            ("[keymap.fleet]\nenter = \"kill\"\n\"Return\" = \"quit\"\n", "c.toml:3:1: keymap.fleet: key `enter` is bound twice: to `kill` on line 2 and to `quit` here", "keep one"),
            ("[keymap.fleet]\nhyper-x = \"kill\"\n", "c.toml:2:1: keymap.fleet: unknown key \"hyper-x\"", ""),
            ("[keymap.help]\nx = \"kill\"\n", "keymap.help: `kill` does nothing in the help view", "move-down"),
            ("[keymap.fleet]\nq = \"none\"\nctrl-c = \"none\"\n", "no key is left for `quit`", "\"q\" = \"quit\""),
        ];
        for (text, message, hint) in cases {
            let e = Keymaps::from_config(&config(text)).unwrap_err().to_string();
            assert!(
                e.contains(message),
                "{text:?}\n  got: {e}\n  want: {message}"
            );
            assert!(
                e.contains(hint),
                "{text:?}\n  got: {e}\n  want hint: {hint}"
            );
        }
    }
}
