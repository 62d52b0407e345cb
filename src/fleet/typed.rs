//! Text shoal types into an agent's pane (tasks, `send`, `steer`, nudges): what may be
//! typed.
//!
//! shoal types text literally. A control character cannot be typed literally: the
//! pane's terminal reads byte 0x03 as Ctrl-C and interrupts the agent, 0x1b starts an
//! escape sequence, 0x7f erases. So text holding one is refused with its position;
//! keys by name (`C-c`, `Escape`) go through `shoal send --keys`.

/// Refuse text that holds a control character other than newline and tab, naming
/// the first one and where it is, and what to do instead.
pub fn check_typed(text: &str) -> Result<(), String> {
    let Some((at, c)) = text
        .chars()
        .enumerate()
        .find(|&(_, c)| c.is_control() && c != '\n' && c != '\t')
    else {
        return Ok(());
    };
    Err(format!(
        "the text holds {} at character {} and shoal types text literally, never as a key; \
         remove it, or send keys by name with `shoal send --keys AGENT {}`",
        describe(c),
        at + 1,
        key_name(c).unwrap_or("KEY")
    ))
}

/// How an operator knows the character: `Ctrl-C (U+0003)`.
fn describe(c: char) -> String {
    let code = u32::from(c);
    match c {
        '\u{1b}' => "Escape (U+001B)".into(),
        '\u{7f}' => "Delete (U+007F)".into(),
        '\r' => "a carriage return (U+000D, as in a Windows line ending)".into(),
        '\0' => "a NUL byte (U+0000)".into(),
        _ if code < 0x20 => format!(
            "Ctrl-{} (U+{code:04X})",
            char::from_u32(code + 0x40).unwrap_or('?')
        ),
        _ => format!("the control character U+{code:04X}"),
    }
}

/// The tmux key name that sends the character, when there is one.
fn key_name(c: char) -> Option<&'static str> {
    const CTRL: [&str; 26] = [
        "C-a", "C-b", "C-c", "C-d", "C-e", "C-f", "C-g", "C-h", "C-i", "C-j", "C-k", "C-l", "C-m",
        "C-n", "C-o", "C-p", "C-q", "C-r", "C-s", "C-t", "C-u", "C-v", "C-w", "C-x", "C-y", "C-z",
    ];
    match c {
        '\u{1b}' => Some("Escape"),
        '\u{7f}' => Some("BSpace"),
        '\r' => Some("Enter"),
        '\u{1}'..='\u{1a}' => CTRL.get(u32::from(c) as usize - 1).copied(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_newlines_and_tabs_pass() {
        assert_eq!(check_typed("fix the bug\n\tthen run tests ✓"), Ok(()));
        assert_eq!(check_typed(""), Ok(()));
    }

    #[test]
    fn control_characters_are_refused_by_name_and_place() {
        let cases = [
            (
                "ab\u{3}",
                "Ctrl-C (U+0003) at character 3",
                "--keys AGENT C-c",
            ),
            (
                "\u{1b}[A",
                "Escape (U+001B) at character 1",
                "--keys AGENT Escape",
            ),
            (
                "x\ry",
                "carriage return (U+000D, as in a Windows line ending) at character 2",
                "Enter",
            ),
            ("\0", "NUL byte (U+0000)", "KEY"),
            ("del\u{7f}", "Delete (U+007F)", "BSpace"),
            ("c1\u{85}", "control character U+0085", "KEY"),
        ];
        for (text, what, hint) in cases {
            let e = check_typed(text).unwrap_err();
            assert!(e.contains(what), "{text:?}: {e}");
            assert!(e.contains(hint), "{text:?}: {e}");
        }
    }
}
