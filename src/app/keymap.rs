//! The key → action table. Footer hints and the help overlay are generated from it, so a
//! remapped key shows up everywhere at once.

use super::action::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::fmt;
use std::str::FromStr;

/// One key with its modifiers, as a keymap names it (`K`, `ctrl-c`, `enter`, `pgup`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyBinding {
    /// The key.
    pub code: KeyCode,
    /// Ctrl / Alt; Shift is folded into the character for letter keys.
    pub modifiers: KeyModifiers,
}

impl KeyBinding {
    /// A key without modifiers.
    pub const fn plain(code: KeyCode) -> KeyBinding {
        KeyBinding {
            code,
            modifiers: KeyModifiers::NONE,
        }
    }

    /// The binding a terminal key event corresponds to.
    pub fn from_event(key: &KeyEvent) -> KeyBinding {
        let mut modifiers = key.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        // Terminals report `K` as Char('K') with or without SHIFT; BackTab likewise.
        if !matches!(key.code, KeyCode::Char(_) | KeyCode::BackTab) {
            modifiers |= key.modifiers & KeyModifiers::SHIFT;
        }
        KeyBinding {
            code: key.code,
            modifiers,
        }
    }
}

impl fmt::Display for KeyBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            code => f.write_str(match code {
                KeyCode::Enter => "enter",
                KeyCode::Tab => "tab",
                KeyCode::BackTab => "backtab",
                KeyCode::Esc => "esc",
                KeyCode::Backspace => "backspace",
                KeyCode::Up => "↑",
                KeyCode::Down => "↓",
                KeyCode::Left => "←",
                KeyCode::Right => "→",
                KeyCode::PageUp => "pgup",
                KeyCode::PageDown => "pgdn",
                KeyCode::Home => "home",
                KeyCode::End => "end",
                KeyCode::Delete => "del",
                KeyCode::Insert => "ins",
                _ => "?",
            }),
        }
    }
}

/// Why a key name could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown key {0:?}; write a single character (`K`), a name (enter, tab, esc, up, down, left, right, pgup, pgdn, home, end, f1…f12) or prefix ctrl-/alt-/shift-")]
pub struct KeyParseError(pub String);

impl FromStr for KeyBinding {
    type Err = KeyParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut rest = s;
        let mut modifiers = KeyModifiers::NONE;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (m, len) = if lower.starts_with("ctrl-") {
                (KeyModifiers::CONTROL, 5)
            } else if lower.starts_with("alt-") {
                (KeyModifiers::ALT, 4)
            } else if lower.starts_with("shift-") {
                (KeyModifiers::SHIFT, 6)
            } else {
                break;
            };
            if rest.len() == len {
                break; // "ctrl-" alone, or the key "-" after a modifier
            }
            modifiers |= m;
            rest = &rest[len..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" | "⏎" => KeyCode::Enter,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "esc" | "escape" => KeyCode::Esc,
                "backspace" => KeyCode::Backspace,
                "space" => KeyCode::Char(' '),
                "up" | "↑" => KeyCode::Up,
                "down" | "↓" => KeyCode::Down,
                "left" | "←" => KeyCode::Left,
                "right" | "→" => KeyCode::Right,
                "pgup" | "pageup" => KeyCode::PageUp,
                "pgdn" | "pagedown" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "del" | "delete" => KeyCode::Delete,
                "ins" | "insert" => KeyCode::Insert,
                other => match other.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                    Some(n @ 1..=12) => KeyCode::F(n),
                    _ => return Err(KeyParseError(s.to_string())),
                },
            },
        };
        if matches!(code, KeyCode::Char(_)) {
            modifiers.remove(KeyModifiers::SHIFT);
        }
        Ok(KeyBinding { code, modifiers })
    }
}

/// An ordered key → action table; the first binding of an action is the one hints show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<(KeyBinding, Action)>,
}

impl Keymap {
    /// An empty keymap, for building one from configuration.
    pub fn empty() -> Keymap {
        Keymap {
            bindings: Vec::new(),
        }
    }

    /// Bind a key to an action, replacing whatever that key did before.
    pub fn bind(&mut self, key: KeyBinding, action: Action) {
        self.bindings.retain(|(k, _)| *k != key);
        self.bindings.push((key, action));
    }

    /// Remove a key's binding, if it has one.
    pub fn unbind(&mut self, key: KeyBinding) {
        self.bindings.retain(|(k, _)| *k != key);
    }

    /// The action bound to this key event, if any.
    pub fn action_for(&self, key: &KeyEvent) -> Option<Action> {
        let wanted = KeyBinding::from_event(key);
        self.bindings
            .iter()
            .find(|(k, _)| *k == wanted)
            .map(|(_, a)| *a)
    }

    /// All keys bound to an action, in table order.
    pub fn keys_for(&self, action: Action) -> Vec<KeyBinding> {
        self.bindings
            .iter()
            .filter(|(_, a)| *a == action)
            .map(|(k, _)| *k)
            .collect()
    }

    /// The whole table, in order.
    pub fn bindings(&self) -> &[(KeyBinding, Action)] {
        &self.bindings
    }
}

impl Default for Keymap {
    fn default() -> Self {
        use Action::{
            Approve, Attach, Cancel, ClearFilter, CollapseNode, Deny, Dismiss, DismissAllEnded,
            ExpandNode, FilterEnded, FilterNeedsYou, FilterRunning, JumpToNeedy, Kill, MoveDown,
            MoveToBottom, MoveToTop, MoveUp, Nudge, OpenCommand, OpenFilter, OpenLogs, Quit, Retry,
            ScrollDown, ScrollUp, ShowExplanation, StartNewAgents, ToggleHelp, ToggleHistory,
            TogglePause, ToggleZoom, TypeLine,
        };
        use KeyCode::{Char, Down, End, Enter, Esc, Home, Left, PageDown, PageUp, Right, Tab, Up};
        let key = KeyBinding::plain;
        let table = [
            (key(Char('j')), MoveDown),
            (key(Down), MoveDown),
            (key(Char('k')), MoveUp),
            (key(Up), MoveUp),
            (key(Char('g')), MoveToTop),
            (key(Home), MoveToTop),
            (key(Char('G')), MoveToBottom),
            (key(End), MoveToBottom),
            (key(Char('h')), CollapseNode),
            (key(Left), CollapseNode),
            (key(Char('l')), OpenLogs),
            (key(Right), ExpandNode),
            (key(Enter), Attach),
            (key(Char('a')), Approve),
            (key(Char('d')), Deny),
            (key(Char('r')), Retry),
            (key(Char('c')), Cancel),
            (key(Char('K')), Kill),
            (key(Char('n')), Nudge),
            (key(Char('i')), TypeLine),
            (key(Char('p')), TogglePause),
            (key(Char('/')), OpenFilter),
            (key(Esc), ClearFilter),
            (key(Tab), JumpToNeedy),
            (key(PageUp), ScrollUp),
            (key(PageDown), ScrollDown),
            (key(Char('e')), ShowExplanation),
            (key(Char('?')), ToggleHelp),
            (key(Char('q')), Quit),
            (key(Char(':')), OpenCommand),
            (key(Char('S')), StartNewAgents),
            (
                KeyBinding {
                    code: Char('c'),
                    modifiers: KeyModifiers::CONTROL,
                },
                Quit,
            ),
            (key(Char('H')), ToggleHistory),
            (key(Char('x')), Dismiss),
            (key(Char('X')), DismissAllEnded),
            (key(Char('z')), ToggleZoom),
            (key(Char('!')), FilterNeedsYou),
            (key(Char('@')), FilterRunning),
            (key(Char('#')), FilterEnded),
            (key(Char('s')), Action::CycleSort),
            (key(Char('f')), Action::SearchPane),
            (key(Char('y')), Action::CopyPane),
            (key(Char('N')), Action::AddAgent),
            (key(Char('D')), Action::RemoveAgent),
            (key(Char('v')), Action::ShowDiff),
        ];
        Keymap {
            bindings: table.to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventKind;

    fn ev(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new_with_kind(code, modifiers, KeyEventKind::Press)
    }

    #[test]
    fn default_keys_resolve() {
        let map = Keymap::default();
        let cases = [
            (
                ev(KeyCode::Char('j'), KeyModifiers::NONE),
                Some(Action::MoveDown),
            ),
            (
                ev(KeyCode::Down, KeyModifiers::NONE),
                Some(Action::MoveDown),
            ),
            (
                ev(KeyCode::Char('K'), KeyModifiers::SHIFT),
                Some(Action::Kill),
            ),
            (
                ev(KeyCode::Char('K'), KeyModifiers::NONE),
                Some(Action::Kill),
            ),
            (
                ev(KeyCode::Char('k'), KeyModifiers::NONE),
                Some(Action::MoveUp),
            ),
            (
                ev(KeyCode::Char('c'), KeyModifiers::CONTROL),
                Some(Action::Quit),
            ),
            (
                ev(KeyCode::Char('c'), KeyModifiers::NONE),
                Some(Action::Cancel),
            ),
            (
                ev(KeyCode::Tab, KeyModifiers::NONE),
                Some(Action::JumpToNeedy),
            ),
            (
                ev(KeyCode::Char('x'), KeyModifiers::NONE),
                Some(Action::Dismiss),
            ),
            (ev(KeyCode::Char('Z'), KeyModifiers::NONE), None),
        ];
        for (key, want) in cases {
            assert_eq!(map.action_for(&key), want, "{key:?}");
        }
    }

    #[test]
    fn names_parse_and_print() {
        for (text, shown) in [
            ("ctrl-c", "ctrl-c"),
            ("K", "K"),
            ("Enter", "enter"),
            ("pgdn", "pgdn"),
            ("f5", "f5"),
            ("alt-x", "alt-x"),
            ("space", "space"),
        ] {
            let key: KeyBinding = text.parse().unwrap();
            assert_eq!(key.to_string(), shown);
            assert_eq!(shown.parse::<KeyBinding>().unwrap(), key);
        }
        let err = "hyper-x".parse::<KeyBinding>().unwrap_err();
        assert!(err.to_string().contains("\"hyper-x\""), "{err}");
    }

    #[test]
    fn rebinding_replaces_the_old_meaning() {
        let mut map = Keymap::default();
        map.bind("x".parse().unwrap(), Action::Kill);
        map.bind("K".parse().unwrap(), Action::ToggleHelp);
        let x = ev(KeyCode::Char('x'), KeyModifiers::NONE);
        assert_eq!(map.action_for(&x), Some(Action::Kill));
        assert_eq!(
            map.keys_for(Action::Kill),
            vec![KeyBinding::plain(KeyCode::Char('x'))]
        );
    }
}
