//! Fitting a theme to the terminal: `NO_COLOR` means monochrome, and terminals with 256
//! or 16 colours get the nearest colours they have, never one that vanishes into the
//! background.

use super::Theme;
use ratatui::style::{Color, Style};

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColorDepth {
    /// No colour: `NO_COLOR`, or a terminal that has none.
    Mono,
    /// The 16 ANSI colours.
    Ansi16,
    /// The xterm 256-colour palette.
    Ansi256,
    /// 24-bit colour.
    TrueColor,
}

impl ColorDepth {
    /// Read the environment: `NO_COLOR` (set and not empty) wins, then `COLORTERM`
    /// (truecolor / 24bit), then `TERM` (*256color*; dumb has no colour).
    pub fn detect(var: impl Fn(&str) -> Option<String>) -> ColorDepth {
        if var("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return ColorDepth::Mono;
        }
        let colorterm = var("COLORTERM").unwrap_or_default().to_ascii_lowercase();
        if colorterm == "truecolor" || colorterm == "24bit" {
            return ColorDepth::TrueColor;
        }
        let term = var("TERM").unwrap_or_default().to_ascii_lowercase();
        if term == "dumb" {
            ColorDepth::Mono
        } else if term.contains("256color") || term.contains("direct") {
            ColorDepth::Ansi256
        } else {
            ColorDepth::Ansi16
        }
    }

    /// From this process's environment.
    pub fn from_env() -> ColorDepth {
        ColorDepth::detect(|k| std::env::var(k).ok())
    }
}

/// xterm's RGB for the 16 ANSI colours, by ratatui name.
const ANSI16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

/// RGB of a 256-colour index.
fn index_rgb(i: u8) -> (u8, u8, u8) {
    match i {
        0..=15 => ANSI16[usize::from(i)].1,
        16..=231 => {
            let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
            let n = i - 16;
            (level(n / 36), level((n / 6) % 6), level(n % 6))
        }
        _ => {
            let g = 8 + 10 * (i - 232);
            (g, g, g)
        }
    }
}

/// Perceptual ("redmean") distance between two colours.
fn distance(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let rmean = (u32::from(a.0) + u32::from(b.0)) / 2;
    let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).unsigned_abs();
    let (dr, dg, db) = (d(a.0, b.0), d(a.1, b.1), d(a.2, b.2));
    (((512 + rmean) * dr * dr) >> 8) + 4 * dg * dg + (((767 - rmean) * db * db) >> 8)
}

/// The nearest palette index (16..=255) for an RGB colour.
fn nearest_256(rgb: (u8, u8, u8)) -> u8 {
    (16..=255u8)
        .min_by_key(|&i| distance(rgb, index_rgb(i)))
        .unwrap_or(16)
}

/// The nearest ANSI colour. A colour that is not itself black never becomes black, and
/// one that is not itself white never becomes white: those are the usual backgrounds,
/// and text or a highlight in them would vanish.
fn nearest_16(rgb: (u8, u8, u8)) -> Color {
    let max = rgb.0.max(rgb.1).max(rgb.2);
    let min = rgb.0.min(rgb.1).min(rgb.2);
    ANSI16
        .iter()
        .filter(|(c, _)| !(*c == Color::Black && max > 24))
        .filter(|(c, _)| !(*c == Color::White && min < 232))
        .min_by_key(|(_, v)| distance(rgb, *v))
        .map_or(Color::Reset, |(c, _)| *c)
}

fn degrade_color(c: Color, depth: ColorDepth) -> Option<Color> {
    match (c, depth) {
        (_, ColorDepth::Mono) => None,
        (c, ColorDepth::TrueColor) => Some(c),
        (Color::Rgb(r, g, b), ColorDepth::Ansi256) => Some(Color::Indexed(nearest_256((r, g, b)))),
        (Color::Rgb(r, g, b), ColorDepth::Ansi16) => Some(nearest_16((r, g, b))),
        (Color::Indexed(i), ColorDepth::Ansi16) if i >= 16 => Some(nearest_16(index_rgb(i))),
        (Color::Indexed(i), ColorDepth::Ansi16) => Some(ANSI16[usize::from(i)].0),
        (c, _) => Some(c),
    }
}

fn degrade_style(s: Style, depth: ColorDepth) -> Style {
    let mut out = s;
    out.fg = s.fg.and_then(|c| degrade_color(c, depth));
    out.bg = s.bg.and_then(|c| degrade_color(c, depth));
    // Two close colours can land on the same one: keep the text readable.
    if out.fg.is_some() && out.fg == out.bg {
        let bg = out.bg.map_or((0, 0, 0), rgb_of);
        let light = u32::from(bg.0) + u32::from(bg.1) + u32::from(bg.2) > 3 * 128;
        out.fg = Some(if light { Color::Black } else { Color::White });
    }
    out
}

pub(super) fn rgb_of(c: Color) -> (u8, u8, u8) {
    match c {
        Color::Rgb(r, g, b) => (r, g, b),
        Color::Indexed(i) => index_rgb(i),
        c => ANSI16
            .iter()
            .find(|(n, _)| *n == c)
            .map_or((0, 0, 0), |(_, v)| *v),
    }
}

impl Theme {
    /// This theme as the terminal can show it; monochrome when it shows no colour.
    #[must_use]
    pub fn for_depth(&self, depth: ColorDepth) -> Theme {
        if depth == ColorDepth::Mono {
            return Theme::plain();
        }
        let mut out = self.clone();
        for m in Theme::MEANINGS {
            if let Some(s) = self.get(m) {
                out.set(m, degrade_style(s, depth));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_string())
        }
    }

    #[test]
    fn the_environment_picks_the_depth() {
        let cases: [(&[(&str, &str)], ColorDepth); 7] = [
            (
                &[("NO_COLOR", "1"), ("COLORTERM", "truecolor")],
                ColorDepth::Mono,
            ),
            (
                &[("NO_COLOR", ""), ("COLORTERM", "truecolor")],
                ColorDepth::TrueColor,
            ),
            (
                &[("COLORTERM", "24bit"), ("TERM", "xterm")],
                ColorDepth::TrueColor,
            ),
            (&[("TERM", "tmux-256color")], ColorDepth::Ansi256),
            (&[("TERM", "xterm")], ColorDepth::Ansi16),
            (&[("TERM", "dumb")], ColorDepth::Mono),
            (&[], ColorDepth::Ansi16),
        ];
        for (vars, want) in cases {
            assert_eq!(ColorDepth::detect(env(vars)), want, "{vars:?}");
        }
    }

    #[test]
    fn colours_map_to_their_nearest() {
        assert_eq!(nearest_256((0xd0, 0xd7, 0xde)), 188);
        assert_eq!(index_rgb(235), (38, 38, 38));
        assert_eq!(nearest_16((200, 10, 10)), Color::Red);
        // Dark greys stay visible on a black background, light ones on a white one.
        assert_eq!(nearest_16(index_rgb(237)), Color::DarkGray);
        assert_eq!(nearest_16((0xea, 0xee, 0xf2)), Color::Gray);
        assert_eq!(nearest_16((0, 0, 0)), Color::Black);
    }

    #[test]
    fn a_degraded_theme_uses_only_colours_the_terminal_has() {
        for (name, _) in super::super::file::BUILTIN {
            let theme = super::super::file::resolve(name, None, None).unwrap();
            for depth in [ColorDepth::Ansi16, ColorDepth::Ansi256] {
                let t = theme.for_depth(depth);
                for m in Theme::MEANINGS {
                    let s = t.get(m).unwrap();
                    for c in [s.fg, s.bg].into_iter().flatten() {
                        let ok = !matches!(
                            (depth, c),
                            (_, Color::Rgb(..)) | (ColorDepth::Ansi16, Color::Indexed(_))
                        );
                        assert!(ok, "{name} at {depth:?}: {m} is {c:?}");
                    }
                    if s.fg.is_some() {
                        assert_ne!(s.fg, s.bg, "{name} at {depth:?}: {m} text vanishes");
                    }
                }
            }
        }
    }
}
