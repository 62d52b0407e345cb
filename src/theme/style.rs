//! Reading a style as a theme file writes it: `"yellow bold"`, `"white on 235"`,
//! `"on #d0d7de bold"`, `"reversed"`, `"none"`.

use ratatui::style::{Color, Modifier, Style};

/// Colour names a theme may use, with what they mean.
pub const COLOR_NAMES: &[(&str, Color)] = &[
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("grey", Color::Gray),
    ("dark-gray", Color::DarkGray),
    ("dark-grey", Color::DarkGray),
    ("light-red", Color::LightRed),
    ("light-green", Color::LightGreen),
    ("light-yellow", Color::LightYellow),
    ("light-blue", Color::LightBlue),
    ("light-magenta", Color::LightMagenta),
    ("light-cyan", Color::LightCyan),
    ("white", Color::White),
    ("default", Color::Reset),
];

/// Modifier words.
pub const MODIFIERS: &[(&str, Modifier)] = &[
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("underline", Modifier::UNDERLINED),
    ("reversed", Modifier::REVERSED),
    ("reverse", Modifier::REVERSED),
];

/// What is wrong with a style, and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StyleError {
    /// What is wrong, quoting the word.
    pub message: String,
    /// What to write instead.
    pub hint: String,
}

/// A colour: a name, a 256-colour index or `#rrggbb`.
pub fn parse_color(word: &str) -> Result<Color, StyleError> {
    let w = word.to_ascii_lowercase().replace('_', "-");
    if let Some((_, c)) = COLOR_NAMES.iter().find(|(n, _)| *n == w) {
        return Ok(*c);
    }
    if let Ok(n) = w.parse::<u16>() {
        return u8::try_from(n).map(Color::Indexed).map_err(|_| StyleError {
            message: format!("colour index {word} is out of range"),
            hint: "256-colour indexes go from 0 to 255".into(),
        });
    }
    if let Some(hex) = w.strip_prefix('#') {
        if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            let v = u32::from_str_radix(hex, 16).unwrap_or(0);
            return Ok(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
        }
        return Err(StyleError {
            message: format!("colour {word:?} is not #rrggbb"),
            hint: "write six hex digits, e.g. \"#d0d7de\"".into(),
        });
    }
    let names: Vec<&str> = COLOR_NAMES.iter().map(|(n, _)| *n).collect();
    let mut words = names.clone();
    words.extend(MODIFIERS.iter().map(|(n, _)| *n));
    let hint = match crate::config::suggest(&w, &words) {
        Some(near) => format!("did you mean \"{near}\"?"),
        None => format!(
            "use a colour name ({}), a 256-colour index or \"#rrggbb\"",
            names.join(", ")
        ),
    };
    Err(StyleError {
        message: format!("unknown colour {word:?}"),
        hint,
    })
}

/// A whole style.
pub fn parse_style(text: &str) -> Result<Style, StyleError> {
    let mut style = Style::new();
    let mut words = text.split_whitespace().peekable();
    let mut fg_set = false;
    while let Some(word) = words.next() {
        let lower = word.to_ascii_lowercase();
        if lower == "none" || lower == "plain" {
            continue;
        }
        if let Some((_, m)) = MODIFIERS.iter().find(|(n, _)| *n == lower) {
            style = style.add_modifier(*m);
            continue;
        }
        if lower == "on" {
            let Some(bg) = words.next() else {
                return Err(StyleError {
                    message: format!("{text:?}: `on` needs a background colour after it"),
                    hint: "e.g. \"white on 235\"".into(),
                });
            };
            style = style.bg(parse_color(bg)?);
            continue;
        }
        if fg_set {
            // A second colour is most likely a misspelt modifier: say so if it is near one.
            let mods: Vec<&str> = MODIFIERS.iter().map(|(n, _)| *n).collect();
            if let Some(near) = crate::config::suggest(&lower, &mods) {
                return Err(StyleError {
                    message: format!("unknown modifier {word:?}"),
                    hint: format!("did you mean \"{near}\"?"),
                });
            }
            return Err(StyleError {
                message: format!("{text:?} names two text colours"),
                hint: "write one colour for the text, and `on COLOUR` for the background".into(),
            });
        }
        style = style.fg(parse_color(word)?);
        fg_set = true;
    }
    Ok(style)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_read_as_written() {
        let cases = [
            (
                "yellow bold",
                Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            ),
            (
                "white on 235",
                Style::new().fg(Color::White).bg(Color::Indexed(235)),
            ),
            (
                "on #d0d7de bold",
                Style::new()
                    .bg(Color::Rgb(0xd0, 0xd7, 0xde))
                    .add_modifier(Modifier::BOLD),
            ),
            ("reversed", Style::new().add_modifier(Modifier::REVERSED)),
            ("none", Style::new()),
            ("Dark_Gray", Style::new().fg(Color::DarkGray)),
        ];
        for (text, want) in cases {
            assert_eq!(parse_style(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn mistakes_say_which_word() {
        let cases = [
            (
                "grean",
                "unknown colour \"grean\"",
                "did you mean \"green\"?",
            ),
            (
                "red blod",
                "unknown modifier \"blod\"",
                "did you mean \"bold\"?",
            ),
            ("white on", "`on` needs a background colour", "white on 235"),
            ("300", "colour index 300 is out of range", "0 to 255"),
            ("#12345", "is not #rrggbb", "six hex digits"),
            ("red blue", "names two text colours", "on COLOUR"),
        ];
        for (text, message, hint) in cases {
            let e = parse_style(text).unwrap_err();
            assert!(e.message.contains(message), "{text}: {e:?}");
            assert!(e.hint.contains(hint), "{text}: {e:?}");
        }
    }
}
