//! Located problems in shoal's own TOML files (config, themes, keymaps): the file, the
//! line and column, what is wrong quoting the value, and what to write instead.

pub use crate::fleet::words::{distance, suggest, unknown_field};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A problem in a configuration or theme file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line; 0 when the whole file is at fault (unreadable).
    pub line: usize,
    /// 1-based column; 0 when the whole file is at fault.
    pub column: usize,
    /// What is wrong, quoting the value.
    pub message: String,
    /// What to write instead; may be empty.
    pub hint: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.message)?;
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.path.display(),
                self.line,
                self.column,
                self.message
            )?;
        }
        if !self.hint.is_empty() {
            write!(f, "\n  hint: {}", self.hint)?;
        }
        Ok(())
    }
}

impl ConfigError {
    /// The whole message on one line, for a one-line banner.
    pub fn one_line(&self) -> String {
        self.to_string().replace("\n  hint: ", " — ")
    }
}

/// A line and column in a file (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// Turns byte spans of a file's text into located errors.
pub struct Locator<'a> {
    /// The file, for messages.
    pub path: &'a Path,
    /// Its text.
    pub text: &'a str,
}

impl Locator<'_> {
    /// The line and column of a byte offset.
    pub fn pos(&self, offset: usize) -> Pos {
        let mut start = offset.min(self.text.len());
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        let before = &self.text[..start];
        Pos {
            line: before.matches('\n').count() + 1,
            column: before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
        }
    }

    /// An error at the start of `span`.
    pub fn at(&self, span: Range<usize>, message: String, hint: impl Into<String>) -> ConfigError {
        self.at_pos(self.pos(span.start), message, hint)
    }

    /// An error at a known position.
    pub fn at_pos(&self, pos: Pos, message: String, hint: impl Into<String>) -> ConfigError {
        ConfigError {
            path: self.path.to_path_buf(),
            line: pos.line,
            column: pos.column,
            message,
            hint: hint.into(),
        }
    }

    /// A TOML syntax or shape error, with unknown keys named and the nearest valid key
    /// suggested.
    pub fn toml(&self, e: &toml::de::Error, what: &str, reference: &str) -> ConfigError {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim();
        if let Some((field, expected)) = unknown_field(message) {
            let hint = match suggest(&field, &expected) {
                Some(near) => format!("did you mean `{near}`?"),
                None => format!("valid keys here: {}", expected.join(", ")),
            };
            return self.at(span, format!("unknown key `{field}` in the {what}"), hint);
        }
        self.at(span, message.to_string(), reference)
    }

    /// An unreadable file.
    pub fn unreadable(path: &Path, e: &std::io::Error, hint: &str) -> ConfigError {
        ConfigError {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            message: format!("cannot read the file: {e}"),
            hint: hint.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let loc = Locator {
            path: Path::new("c.toml"),
            text: "a = 1\nbé = 2\n",
        };
        assert_eq!(loc.pos(0), Pos { line: 1, column: 1 });
        assert_eq!(loc.pos(12), Pos { line: 2, column: 6 });
    }
}
