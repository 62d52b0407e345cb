//! Every built-in theme is readable: the WCAG 2 contrast ratio of each meaning's text
//! against what it is drawn on is at least 4.5 (AA for text).
//!
//! What a meaning is drawn on, and with, when the theme does not say:
//! - its own colours first, then the theme's `body` (the page a theme paints itself);
//! - then the terminal's own: a theme that paints no page is drawn on the terminal it is
//!   meant for. The reference terminals are xterm's two default schemes with xterm's
//!   palette for the 16 named colours (the same table `degrade` uses): dark, `#e5e5e5`
//!   on `#000000` (`xterm -rv`); light, `#000000` on `#ffffff`. `dark` is meant for
//!   dark terminals; a theme that paints its page (`light`, `high-contrast`) is checked
//!   on both, and must not depend on which; `monochrome` sets no colour at all, so it
//!   is the terminal's own pair, whatever that is.
//! - `reversed` swaps text and background after that.
//!
//! Panel borders are lines, not text: they need 3 (WCAG's non-text contrast, 1.4.11).
//! Named colours stand for xterm's RGB; a terminal with its own palette can differ,
//! which no test here can know. Themes are checked as written (24-bit); the colours a
//! 16- or 256-colour terminal gets instead are not checked.

use super::degrade::rgb_of;
use super::{file, Theme};
use ratatui::style::{Color, Modifier, Style};

type Rgb = (u8, u8, u8);

/// A terminal's default text and background.
#[derive(Debug, Clone, Copy)]
struct Terminal {
    name: &'static str,
    fg: Rgb,
    bg: Rgb,
}

const DARK: Terminal = Terminal {
    name: "dark terminal",
    fg: (0xe5, 0xe5, 0xe5),
    bg: (0, 0, 0),
};
const LIGHT: Terminal = Terminal {
    name: "light terminal",
    fg: (0, 0, 0),
    bg: (0xff, 0xff, 0xff),
};

/// Text contrast WCAG asks for (AA).
const TEXT: f64 = 4.5;
/// Contrast for lines and other non-text marks.
const NON_TEXT: f64 = 3.0;

/// Relative luminance (WCAG 2.x) of an sRGB colour.
fn luminance((r, g, b): Rgb) -> f64 {
    let lin = |v: u8| {
        let c = f64::from(v) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/// WCAG contrast ratio of two colours, from 1 (same) to 21 (black on white).
fn ratio(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

/// A colour the style sets, `Reset` meaning "not set".
fn set(c: Option<Color>) -> Option<Rgb> {
    c.filter(|c| *c != Color::Reset).map(rgb_of)
}

/// The text and background a style is drawn with in `theme` on `term`.
fn drawn(style: Style, theme: &Theme, term: Terminal) -> (Rgb, Rgb) {
    let fg = set(style.fg).or(set(theme.body.fg)).unwrap_or(term.fg);
    let bg = set(style.bg).or(set(theme.body.bg)).unwrap_or(term.bg);
    if style.add_modifier.contains(Modifier::REVERSED) {
        (bg, fg)
    } else {
        (fg, bg)
    }
}

/// Every meaning of `theme` that reads below its threshold on `term`.
fn unreadable(theme: &Theme, term: Terminal) -> Vec<String> {
    Theme::MEANINGS
        .iter()
        .filter_map(|m| {
            let style = theme.get(m)?;
            let (fg, bg) = drawn(style, theme, term);
            let need = if *m == "border" { NON_TEXT } else { TEXT };
            let r = ratio(fg, bg);
            (r < need).then(|| {
                format!(
                    "{m}: {fg:02x?} on {bg:02x?} is {r:.2}, below {need} on a {}",
                    term.name
                )
            })
        })
        .collect()
}

#[test]
fn the_contrast_formula_matches_wcag() {
    assert!((ratio((0, 0, 0), (255, 255, 255)) - 21.0).abs() < 1e-9);
    assert!((ratio((9, 9, 9), (9, 9, 9)) - 1.0).abs() < 1e-9);
    // WCAG's own examples: #777777 on white is just under 4.5, #767676 just over.
    assert!(ratio((0x77, 0x77, 0x77), (255, 255, 255)) < 4.5);
    assert!(ratio((0x76, 0x76, 0x76), (255, 255, 255)) > 4.5);
}

#[test]
fn every_built_in_theme_is_readable_where_it_is_meant_to_be_used() {
    let mut problems = Vec::new();
    for (name, _) in file::BUILTIN {
        let theme = file::resolve(name, None, None).unwrap();
        let paints_its_page = set(theme.body.bg).is_some();
        let terminals: &[Terminal] = match *name {
            "dark" => &[DARK],
            _ if paints_its_page => &[DARK, LIGHT],
            "monochrome" => &[],
            other => panic!("say which terminals theme {other} is for"),
        };
        for term in terminals {
            problems.extend(
                unreadable(&theme, *term)
                    .into_iter()
                    .map(|p| format!("{name}: {p}")),
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_theme_that_paints_its_page_reads_the_same_on_any_terminal() {
    for name in ["light", "high-contrast"] {
        let theme = file::resolve(name, None, None).unwrap();
        assert!(
            set(theme.body.fg).is_some() && set(theme.body.bg).is_some(),
            "{name} paints text and page"
        );
        for m in Theme::MEANINGS {
            let style = theme.get(m).unwrap();
            assert_eq!(
                drawn(style, &theme, DARK),
                drawn(style, &theme, LIGHT),
                "{name}: {m} depends on the terminal"
            );
        }
    }
}

#[test]
fn monochrome_sets_no_colour_so_the_terminals_own_pair_shows() {
    let theme = file::resolve("monochrome", None, None).unwrap();
    for m in Theme::MEANINGS {
        let s = theme.get(m).unwrap();
        assert_eq!((set(s.fg), set(s.bg)), (None, None), "monochrome {m}");
    }
}

#[test]
fn the_check_catches_what_was_unreadable_before() {
    // The dark theme's old idle (blue) and errored (red) on black, and the high-contrast
    // theme's white text before it painted its page, on a light terminal.
    let mut old = file::resolve("dark", None, None).unwrap();
    old.idle = Style::new().fg(Color::Blue);
    old.errored = Style::new().fg(Color::Red);
    let found = unreadable(&old, DARK);
    assert!(found.iter().any(|p| p.starts_with("idle: ")), "{found:?}");
    assert!(
        found.iter().any(|p| p.starts_with("errored: ")),
        "{found:?}"
    );
    let mut hc = file::resolve("high-contrast", None, None).unwrap();
    hc.body = Style::new();
    let found = unreadable(&hc, LIGHT);
    assert!(found.iter().any(|p| p.starts_with("muted: ")), "{found:?}");
}
