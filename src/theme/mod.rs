//! Console styles named by what they mean, not by the widget that uses them.
//!
//! The UI asks for `theme.needs_input`, never for "yellow": a theme can then change
//! every colour without touching drawing code, and `Theme::plain()` keeps the console
//! readable on terminals (and in tests) without colour. Themes are TOML files (the
//! built-ins embedded from `themes/`, the user's in the themes folder).

mod degrade;
pub mod file;
pub mod style;

pub use degrade::ColorDepth;
pub use file::{names, resolve, Asker, BUILTIN};

use crate::config::ConfigError;
use ratatui::style::Style;
use std::path::Path;

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
    /// The whole screen under everything else: a theme for a light (or any) background
    /// paints its own here, so it does not depend on the terminal's.
    pub body: Style,
}

macro_rules! meanings {
    ($($field:ident),+ $(,)?) => {
        impl Theme {
            /// Every meaning a theme file may set, as it spells them.
            pub const MEANINGS: &'static [&'static str] = &[$(stringify!($field)),+];

            /// The style of a meaning, by name.
            pub fn get(&self, meaning: &str) -> Option<Style> {
                match meaning {
                    $(stringify!($field) => Some(self.$field),)+
                    _ => None,
                }
            }

            /// Set the style of a meaning, by name; unknown names are ignored.
            pub fn set(&mut self, meaning: &str, style: Style) {
                match meaning {
                    $(stringify!($field) => self.$field = style,)+
                    _ => {}
                }
            }

            /// Every style the terminal's own colours.
            fn blank() -> Theme {
                Theme { $($field: Style::new()),+ }
            }
        }
    };
}

meanings!(
    working,
    needs_input,
    idle,
    errored,
    exited,
    unknown,
    tier_nudge,
    tier_warn,
    tier_kill,
    muted,
    selection,
    border,
    title,
    header,
    footer,
    error,
    body,
);

impl Theme {
    /// A built-in theme by name. The embedded files are checked by the tests, so a
    /// broken one can only be a build mistake.
    fn builtin(name: &str) -> Theme {
        file::resolve(name, None, None).unwrap_or_else(|_| Theme::blank())
    }

    /// Colours for a dark terminal background (`themes/dark.toml`).
    pub fn dark() -> Theme {
        Theme::builtin("dark")
    }

    /// No colours at all: bold and reverse only, for `NO_COLOR` and for tests
    /// (`themes/monochrome.toml`).
    pub fn plain() -> Theme {
        Theme::builtin("monochrome")
    }

    /// `plain()` when the `NO_COLOR` convention asks for it (set and non-empty), else `dark()`.
    pub fn from_no_color(no_color: Option<&str>) -> Theme {
        match no_color {
            Some(v) if !v.is_empty() => Theme::plain(),
            _ => Theme::dark(),
        }
    }

    /// The named theme fitted to the terminal's colours. A theme that cannot be built
    /// gives the default one and the reason, so a bad theme never stops the console.
    pub fn load(
        name: &str,
        user_dir: Option<&Path>,
        asker: Option<&Asker>,
        depth: ColorDepth,
    ) -> (Theme, Option<ConfigError>) {
        match file::resolve(name, user_dir, asker) {
            Ok(t) => (t.for_depth(depth), None),
            Err(e) => (Theme::dark().for_depth(depth), Some(e)),
        }
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::dark()
    }
}

#[cfg(test)]
mod contrast_tests;
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
    fn the_dark_file_draws_what_the_console_draws() {
        use ratatui::style::{Color, Modifier};
        let fg = |c: Color| Style::new().fg(c);
        let want = Theme {
            working: fg(Color::Green),
            needs_input: fg(Color::Yellow).add_modifier(Modifier::BOLD),
            // xterm's blue and red are too dark to read on black (contrast 2.2 and 3.6).
            idle: fg(Color::Indexed(75)),
            errored: fg(Color::LightRed).add_modifier(Modifier::BOLD),
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
            body: Style::new(),
        };
        assert_eq!(Theme::dark(), want);
    }

    #[test]
    fn every_built_in_theme_sets_every_meaning_itself() {
        for (name, text) in BUILTIN {
            let f = file::parse(Path::new(name), text).unwrap();
            assert!(f.parent.is_none(), "{name} has a parent");
            let set: Vec<&str> = f.styles.iter().map(|(m, _)| *m).collect();
            for m in Theme::MEANINGS {
                assert!(set.contains(m), "{name} leaves {m} unset");
            }
        }
    }

    #[test]
    fn no_color_convention() {
        assert_eq!(Theme::from_no_color(Some("1")), Theme::plain());
        assert_eq!(Theme::from_no_color(Some("")), Theme::dark());
        assert_eq!(Theme::from_no_color(None), Theme::dark());
    }
}
