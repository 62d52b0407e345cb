//! Getting arbitrary strings through tmux's two parsers unchanged.
//!
//! tmux reads commands two ways. A control-mode client sends a command LINE that goes
//! through the full command parser (`;` separates commands, `#` starts a comment, `$X`
//! and `~` expand, quotes and backslashes are interpreted). A one-shot `tmux CMD ARGS…`
//! passes an argument vector, where only one rule applies: an argument ending in `;`
//! ends the command (and `\;` at the end stands for a literal `;`). Separately, a few
//! arguments (`new-window -n` and `-c`) are format-expanded, so `#` there must be `##`.

use std::borrow::Cow;
use thiserror::Error;

/// An argument that no quoting can carry to tmux.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QuoteError {
    /// tmux is written in C: a NUL byte would silently cut the argument short.
    #[error("argument {0:?} contains a NUL byte, which tmux cannot take; remove it")]
    Nul(String),
}

/// Quote one argument for tmux's command parser: single quotes, inside which tmux
/// interprets nothing. An embedded `'` closes the quote, adds `\'`, and reopens it; a
/// newline (which would end the control-mode line) becomes a double-quoted `"\n"`,
/// which tmux's parser turns back into a newline. Adjacent pieces form one argument.
pub fn quote_arg(arg: &str) -> Result<String, QuoteError> {
    if arg.contains('\0') {
        return Err(QuoteError::Nul(arg.to_string()));
    }
    let mut out = String::with_capacity(arg.len() + 2);
    out.push('\'');
    for c in arg.chars() {
        match c {
            '\'' => out.push_str("'\\''"),
            '\n' => out.push_str("'\"\\n\"'"),
            c => out.push(c),
        }
    }
    out.push('\'');
    Ok(out)
}

/// Build one control-mode command line (without the trailing newline) from an argument
/// vector. Every element is quoted, so no element can start a second command.
pub fn command_line<S: AsRef<str>>(argv: &[S]) -> Result<String, QuoteError> {
    let mut line = String::new();
    for (i, arg) in argv.iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        line.push_str(&quote_arg(arg.as_ref())?);
    }
    Ok(line)
}

/// Protect one element of a tmux argument vector: tmux treats an argument ending in `;`
/// as a command separator, and turns a trailing `\;` into `;`, so a backslash goes in
/// front of the final `;` and the text arrives unchanged.
pub fn argv_arg(arg: &str) -> Cow<'_, str> {
    match arg.strip_suffix(';') {
        Some(head) => Cow::Owned(format!("{head}\\;")),
        None => Cow::Borrowed(arg),
    }
}

/// Escape `#` for arguments tmux expands as formats (window names, start directories),
/// so `#{…}` in a name is kept as text instead of being replaced by tmux.
pub fn format_literal(text: &str) -> Cow<'_, str> {
    if text.contains('#') {
        Cow::Owned(text.replace('#', "##"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_plain_and_hostile_arguments() {
        let cases: &[(&str, &str)] = &[
            ("abc", "'abc'"),
            ("", "''"),
            ("a b", "'a b'"),
            ("it's", "'it'\\''s'"),
            ("'", "''\\'''"),
            ("; kill-server", "'; kill-server'"),
            ("#{pane_id} $HOME ~ {x}", "'#{pane_id} $HOME ~ {x}'"),
            ("back\\slash \"dq\"", "'back\\slash \"dq\"'"),
            ("café ✻", "'café ✻'"),
            ("tab\there\rcr", "'tab\there\rcr'"),
        ];
        for (arg, want) in cases {
            assert_eq!(quote_arg(arg).as_deref(), Ok(*want), "quoting {arg:?}");
        }
    }

    #[test]
    fn newlines_leave_the_line_as_escapes() {
        assert_eq!(quote_arg("two\nlines").unwrap(), r#"'two'"\n"'lines'"#);
        assert_eq!(quote_arg("\n").unwrap(), r#"''"\n"''"#);
        assert!(!command_line(&["a\nb", "\n\n"]).unwrap().contains('\n'));
    }

    #[test]
    fn refuses_nul_bytes() {
        assert_eq!(
            quote_arg("nul\0byte"),
            Err(QuoteError::Nul("nul\0byte".into()))
        );
        let err = command_line(&["send-keys", "-l", "a\0b"]).unwrap_err();
        assert!(err.to_string().contains("NUL"), "{err}");
    }

    #[test]
    fn command_line_quotes_every_element() {
        let line = command_line(&["send-keys", "-t", "%3", "--", "a;b"]).unwrap();
        assert_eq!(line, "'send-keys' '-t' '%3' '--' 'a;b'");
    }

    #[test]
    fn argv_protects_only_a_trailing_semicolon() {
        assert_eq!(argv_arg("echo hi;"), "echo hi\\;");
        assert_eq!(argv_arg(";"), "\\;");
        assert_eq!(argv_arg("a\\;"), "a\\\\;");
        assert_eq!(argv_arg("a;b"), "a;b");
        assert!(matches!(argv_arg("plain"), Cow::Borrowed("plain")));
    }

    #[test]
    fn format_literal_doubles_hashes() {
        assert_eq!(format_literal("n#{pane_id}"), "n##{pane_id}");
        assert_eq!(format_literal("##"), "####");
        assert!(matches!(format_literal("plain"), Cow::Borrowed(_)));
    }
}
