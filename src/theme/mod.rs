//! Console styles named by what they mean, not by the widget that uses them.
//!
//! The UI asks for `theme.needs_input`, never for "yellow": a theme can then change
//! every colour without touching drawing code, and `Theme::plain()` keeps the console
//! readable on terminals (and in tests) without colour.

use ratatui::style::{Color, Modifier, Style};

/// The styles the console draws with, keyed by meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    /// An agent that is doing something.
    pub working: Style,
    /// An agent waiting for the operator's answer.
    pub needs_input: Style,
    /// An agent at its prompt, turn finished.
    pub idle: Style,
    /// An agent stopped on an error it shows.
    pub errored: Style,
    /// An agent whose process is gone.
    pub exited: Style,
    /// An agent not classified yet.
    pub unknown: Style,
    /// Stall tier 1: a nudge was typed.
    pub tier_nudge: Style,
    /// Stall tier 2: the operator is warned.
    pub tier_warn: Style,
    /// Stall tier 3: the pane was killed.
    pub tier_kill: Style,
    /// Secondary text: column titles, times, context rows.
    pub muted: Style,
    /// The selected row.
    pub selection: Style,
    /// Panel borders.
    pub border: Style,
    /// Panel titles.
    pub title: Style,
    /// The header line.
    pub header: Style,
    /// The footer line (key hints, outcomes).
    pub footer: Style,
    /// Error messages.
    pub error: Style,
}

impl Theme {
    /// Colours for a dark terminal background.
    pub fn dark() -> Theme {
        let fg = |c: Color| Style::new().fg(c);
        Theme {
            working: fg(Color::Green),
            needs_input: fg(Color::Yellow).add_modifier(Modifier::BOLD),
            idle: fg(Color::Blue),
            errored: fg(Color::Red).add_modifier(Modifier::BOLD),
            exited: fg(Color::DarkGray),
            unknown: fg(Color::Gray),
            tier_nudge: fg(Color::Cyan),
            tier_warn: fg(Color::LightYellow).add_modifier(Modifier::BOLD),
            tier_kill: fg(Color::LightRed).add_modifier(Modifier::BOLD),
            muted: fg(Color::DarkGray),
            selection: Style::new()
                .bg(Color::Indexed(237))
                .add_modifier(Modifier::BOLD),
            border: fg(Color::DarkGray),
            title: fg(Color::White).add_modifier(Modifier::BOLD),
            header: Style::new().fg(Color::White).bg(Color::Indexed(235)),
            footer: fg(Color::Gray),
            error: fg(Color::LightRed).add_modifier(Modifier::BOLD),
        }
    }

    /// No colours at all: bold and reverse only, for `NO_COLOR` and for tests.
    pub fn plain() -> Theme {
        let bold = Style::new().add_modifier(Modifier::BOLD);
        Theme {
            working: Style::new(),
            needs_input: bold,
            idle: Style::new(),
            errored: bold,
            exited: Style::new(),
            unknown: Style::new(),
            tier_nudge: Style::new(),
            tier_warn: bold,
            tier_kill: bold,
            muted: Style::new(),
            selection: Style::new().add_modifier(Modifier::REVERSED),
            border: Style::new(),
            title: bold,
            header: Style::new(),
            footer: Style::new(),
            error: bold,
        }
    }

    /// `plain()` when the `NO_COLOR` convention asks for it (set and non-empty), else `dark()`.
    pub fn from_no_color(no_color: Option<&str>) -> Theme {
        match no_color {
            Some(v) if !v.is_empty() => Theme::plain(),
            _ => Theme::dark(),
        }
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::dark()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_uses_no_colour() {
        let t = Theme::plain();
        for s in [
            t.working,
            t.needs_input,
            t.idle,
            t.errored,
            t.exited,
            t.unknown,
            t.tier_nudge,
            t.tier_warn,
            t.tier_kill,
            t.muted,
            t.selection,
            t.border,
            t.title,
            t.header,
            t.footer,
            t.error,
        ] {
            assert_eq!(
                (s.fg, s.bg),
                (None, None),
                "plain style has a colour: {s:?}"
            );
        }
    }

    #[test]
    fn no_color_convention() {
        assert_eq!(Theme::from_no_color(Some("1")), Theme::plain());
        assert_eq!(Theme::from_no_color(Some("")), Theme::dark());
        assert_eq!(Theme::from_no_color(None), Theme::dark());
    }
}
