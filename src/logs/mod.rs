//! The searchable log: every new line an agent printed, every supervisor event, and the
//! signals agents send, each with a time, an agent, a level and a source.
//!
//! This module holds the pure parts: the entry and query types, deriving new output
//! lines from successive screens ([`lines`]), redaction of secrets ([`redact`]), time
//! and size parsing ([`when`]) and the query filter as an operator types it
//! ([`filter`]). The store writes and searches entries; the supervisor feeds them.

pub mod filter;
pub mod lines;
pub mod redact;
pub mod when;

pub use filter::{LogFilter, LogQueryError};
pub use lines::LineTracker;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Longest message stored, in bytes; longer ones are cut with a marker saying how long
/// they were.
pub const MAX_MESSAGE_BYTES: usize = 8 * 1024;
/// Most entries one query page may return.
pub const MAX_LIMIT: usize = 10_000;
/// Entries per page when the caller does not say.
pub const DEFAULT_LIMIT: usize = 50;

pub use crate::fleet::event::Level;

impl From<crate::fleet::event::UnknownLevel> for LogQueryError {
    fn from(e: crate::fleet::event::UnknownLevel) -> Self {
        LogQueryError::BadLevel(e.0)
    }
}

/// Where an entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A line the agent printed in its pane.
    Output,
    /// A supervisor event about an agent (activity change, nudge, kill, exit, …).
    Event,
    /// A signal or note an agent sent about itself.
    Signal,
    /// The supervisor about itself (start, stop, errors, retention).
    Supervisor,
}

impl Source {
    /// Every source.
    pub const ALL: [Source; 4] = [
        Source::Output,
        Source::Event,
        Source::Signal,
        Source::Supervisor,
    ];

    /// The name stored and used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Output => "output",
            Source::Event => "event",
            Source::Signal => "signal",
            Source::Supervisor => "supervisor",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Source {
    type Err = LogQueryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Source::ALL
            .into_iter()
            .find(|x| x.as_str() == lower || (lower == "signals" && *x == Source::Signal))
            .ok_or_else(|| LogQueryError::BadSource(s.to_string()))
    }
}

/// An entry to append. The store cleans and redacts the message before it is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLog {
    /// When (unix ms).
    pub ts_ms: i64,
    /// About which agent; `None` for the fleet as a whole.
    pub agent: Option<String>,
    /// Which attempt of that agent.
    pub attempt: Option<u32>,
    /// How much it matters.
    pub level: Level,
    /// Where it came from.
    pub source: Source,
    /// The text.
    pub message: String,
    /// The capture behind it, if one was kept.
    pub capture_id: Option<i64>,
    /// The event it mirrors, for `source = event`.
    pub event_id: Option<i64>,
}

impl NewLog {
    /// A line an agent printed.
    pub fn output(ts_ms: i64, agent: &str, attempt: u32, line: String) -> NewLog {
        NewLog {
            ts_ms,
            agent: Some(agent.to_string()),
            attempt: Some(attempt),
            level: Level::Info,
            source: Source::Output,
            message: line,
            capture_id: None,
            event_id: None,
        }
    }

    /// A note from the supervisor about itself.
    pub fn supervisor(ts_ms: i64, level: Level, message: String) -> NewLog {
        NewLog {
            ts_ms,
            agent: None,
            attempt: None,
            level,
            source: Source::Supervisor,
            message,
            capture_id: None,
            event_id: None,
        }
    }
}

/// One stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Its id: increases with every entry, so it is also the paging cursor.
    pub id: i64,
    /// When (unix ms).
    pub ts_ms: i64,
    /// About which agent.
    pub agent: Option<String>,
    /// Which attempt.
    pub attempt: Option<u32>,
    /// How much it matters.
    pub level: Level,
    /// Where it came from.
    pub source: Source,
    /// The text, redacted.
    pub message: String,
    /// The capture behind it.
    pub capture_id: Option<i64>,
    /// The event it mirrors.
    pub event_id: Option<i64>,
    /// For an event: the detection rule that decided it, when there is one.
    pub rule: Option<String>,
}

/// A resolved search: names checked, times turned into instants. Built from a
/// [`LogFilter`] with [`LogFilter::resolve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogQuery {
    /// Keyword query (FTS5 syntax; plain text when it is not valid FTS).
    pub text: Option<String>,
    /// Only these agents (empty: every agent and fleet-wide entries).
    pub agents: Vec<String>,
    /// Only entries at or above this level.
    pub min_level: Level,
    /// Only these sources (empty: all).
    pub sources: Vec<Source>,
    /// Only entries at or after this instant (unix ms).
    pub since_ms: Option<i64>,
    /// Only entries at or before this instant (unix ms).
    pub until_ms: Option<i64>,
    /// Entries per page.
    pub limit: usize,
    /// Entries skipped before the page starts (newest first).
    pub offset: usize,
    /// Only entries older than this id: a cursor that stays put while new entries arrive.
    pub before_id: Option<i64>,
    /// Only entries newer than this id (following a live log).
    pub after_id: Option<i64>,
}

impl Default for LogQuery {
    fn default() -> Self {
        LogQuery {
            text: None,
            agents: Vec::new(),
            min_level: Level::Debug,
            sources: Vec::new(),
            since_ms: None,
            until_ms: None,
            limit: DEFAULT_LIMIT,
            offset: 0,
            before_id: None,
            after_id: None,
        }
    }
}

/// One page of results, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LogPage {
    /// Entries on this page.
    pub count: usize,
    /// Entries matching the query in all (every page).
    pub total_count: u64,
    /// The entries, newest first.
    pub entries: Vec<LogEntry>,
    /// Said when the query was not taken as written (e.g. searched as plain text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// Cursor for the next (older) page: pass it as `before`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_before: Option<i64>,
}

/// What the console asks of the log: pages of entries and the captures behind them.
/// The store implements it; the console itself never touches SQLite.
pub trait LogSource {
    /// One page of entries matching `q`.
    fn query(&mut self, q: &LogQuery) -> Result<LogPage, String>;
    /// A stored capture's text (with ANSI escapes), if it is still kept.
    fn capture(&mut self, id: i64) -> Result<Option<String>, String>;
}

/// Make any text safe to store as a message: control characters become visible, and a
/// message past [`MAX_MESSAGE_BYTES`] is cut on a character boundary with a marker.
pub fn clean_message(text: &str) -> String {
    let total = text.len();
    let mut cut = total.min(MAX_MESSAGE_BYTES);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut out: String = text[..cut]
        .chars()
        .map(|c| match c {
            '\t' => ' ',
            '\n' => '\n',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect();
    if cut < total {
        out.push_str(&format!(" … [truncated: {total} bytes in all]"));
    }
    out
}

/// Bytes from outside (a signal's text, a pipe) as a message: invalid UTF-8 becomes
/// `�`, then [`clean_message`] applies.
pub fn message_from_bytes(bytes: &[u8]) -> String {
    clean_message(&String::from_utf8_lossy(bytes))
}

/// Removes ANSI escape sequences; any other text (even odd control bytes) survives as text.
///
/// Tabs are kept as a space, since the escape stripper would drop them silently.
pub fn strip_ansi(raw: &str) -> String {
    // Most captures of a quiet or plain-text pane hold nothing the parser would drop:
    // scanning for that is far cheaper than running every character through it.
    if is_plain(raw) {
        return raw.replace('\t', " ");
    }
    let raw = raw.replace('\t', " ");
    let bytes = strip_ansi_escapes::strip(raw.as_bytes());
    String::from_utf8_lossy(&bytes).into_owned()
}

/// True when [`strip_ansi`] would only turn tabs into spaces: no escape, no C0 control
/// other than newline and tab, no DEL and no C1 control (U+0080–U+009F).
fn is_plain(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let ascii_plain = |b: u8| b == b'\n' || b == b'\t' || (0x20..0x7f).contains(&b);
    if bytes.iter().all(|&b| ascii_plain(b)) {
        return true;
    }
    raw.chars().all(|c| {
        if c.is_ascii() {
            ascii_plain(c as u8)
        } else {
            !('\u{80}'..='\u{9f}').contains(&c)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_ansi_fast_path_agrees_with_the_parser() {
        let cases = [
            "plain text\nsecond\tline\n",
            "box ─│┌ and émoji 🐚 and CJK 漢字",
            "\x1b[31mred\x1b[0m",
            "bell\x07 cr\r bs\x08 del\x7f",
            "c1 \u{9b}31m csi and \u{85} nel",
            "",
            "\n\n",
        ];
        for case in cases {
            let slow = String::from_utf8_lossy(&strip_ansi_escapes::strip(
                case.replace('\t', " ").as_bytes(),
            ))
            .into_owned();
            assert_eq!(strip_ansi(case), slow, "{case:?}");
            // Stripping twice changes nothing, so a stripped screen can be passed on.
            assert_eq!(strip_ansi(&strip_ansi(case)), slow, "{case:?}");
        }
        assert!(is_plain("box ─│┌ 漢字\tx\n"));
        assert!(!is_plain("\x1b[1m"));
        assert!(!is_plain("a\rb"));
        assert!(!is_plain("\u{9b}"));
    }

    #[test]
    fn levels_order_parse_and_round_trip() {
        assert!(Level::Debug < Level::Info && Level::Warn < Level::Error);
        for l in Level::ALL {
            assert_eq!(l.as_str().parse::<Level>().unwrap(), l);
            assert_eq!(Level::from_rank(l.rank()), l);
        }
        assert_eq!("WARNING".parse::<Level>().unwrap(), Level::Warn);
        let err = "loud".parse::<Level>().unwrap_err().to_string();
        assert!(
            err.contains("\"loud\"") && err.contains("debug, info, warn"),
            "{err}"
        );
    }

    #[test]
    fn sources_parse() {
        for s in Source::ALL {
            assert_eq!(s.as_str().parse::<Source>().unwrap(), s);
        }
        let err = "stdout".parse::<Source>().unwrap_err().to_string();
        assert!(
            err.contains("\"stdout\"") && err.contains("output"),
            "{err}"
        );
    }

    #[test]
    fn event_levels() {
        use crate::fleet::event::{EventKind as K, KilledBy};
        use crate::fleet::{Activity, ErrorKind, LifeState};
        let killed = K::Killed {
            by: KilledBy::Ladder { stalled_s: 3 },
            note: None,
        };
        assert_eq!(killed.level(), Level::Error);
        let exit = |state| K::Exited {
            status: Some(0),
            state,
        };
        assert_eq!(exit(LifeState::Done).level(), Level::Info);
        assert_eq!(exit(LifeState::Failed).level(), Level::Error);
        let nudge = K::Nudged {
            stalled_s: 1,
            failed: None,
        };
        assert_eq!(nudge.level(), Level::Warn);
        let activity = |to, error| K::Activity {
            from: Activity::Working,
            to,
            error,
        };
        assert_eq!(
            activity(Activity::Errored, Some(ErrorKind::RateLimit)).level(),
            Level::Warn
        );
        assert_eq!(activity(Activity::Idle, None).level(), Level::Info);
    }

    #[test]
    fn a_megabyte_line_is_cut_with_a_marker() {
        let line = "é".repeat(512 * 1024); // one MiB of two-byte characters
        let m = clean_message(&line);
        assert!(m.len() < MAX_MESSAGE_BYTES + 64, "{}", m.len());
        assert!(
            m.ends_with(" … [truncated: 1048576 bytes in all]"),
            "{}",
            &m[m.len() - 60..]
        );
        assert!(m.starts_with("éé"));
    }

    #[test]
    fn invalid_utf8_and_control_bytes_become_visible() {
        let m = message_from_bytes(b"ok \xff\xfe then \x1b[31mred\x07");
        assert_eq!(m, "ok \u{fffd}\u{fffd} then \u{fffd}[31mred\u{fffd}");
        assert_eq!(clean_message("a\tb\nc"), "a b\nc");
    }
}
