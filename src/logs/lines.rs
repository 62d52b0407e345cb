//! New output lines from successive screens of one pane.
//!
//! tmux gives shoal screens, not a byte stream, so "what did the agent print" is worked
//! out by aligning each capture with the previous one. Every row carries its marks
//! (logged, seen twice, animating) through the alignment: a longest common subsequence
//! of rows, compared in their normalized form so spinner frames, timers and counters do
//! not count as change. A row is logged once, when it is settled:
//!
//! - a row is logged once a second capture shows it too: a capture taken while the
//!   agent was half-way through redrawing holds torn rows that the next one does not;
//! - the last content row may still be growing (a streamed line) or be a live status
//!   line, so it waits until a row appears below it;
//! - a row that stays unchanged for a while ([`LineTracker::settle`]) is logged without
//!   a second capture (a still screen is not captured again), except a row that
//!   animates in place (same normalized text, different raw text: a spinner, a timer)
//!   or, for the last row, one holding anything normalization masks;
//! - a row that scrolls off the top before a second capture is logged as it leaves;
//! - the bottom chrome of full-screen agents (the input box between horizontal rules,
//!   the footer under it) is never logged while it sits there;
//! - blank rows and rows with no letter or digit carry nothing searchable and are skipped.
//!
//! A new row that appears above rows already seen (not at the growing end), or on a
//! screen that shares nothing with the previous one, is a redraw (a torn capture made
//! whole, a resize, a replay of history) when the same text was logged recently, and is
//! not logged again. The supervisor puts the scrollback that grew since the last
//! capture above the screen, so lines that scrolled past between two captures are
//! aligned like any other rows; an agent that redraws in place (no scrollback) and
//! scrolls more than a screen between two captures loses the lines in between.

use std::collections::{HashMap, VecDeque};

/// How many of the bottom non-blank rows may hold chrome (rules, input box, footer).
const CHROME_ROWS: usize = 8;
/// Logged keys remembered to suppress repeats after a redraw.
const RECENT: usize = 2000;
/// Rows beyond this many (from the bottom) are not aligned: a screen and the scrollback
/// read back with it (at most 1000 lines a tick) fit.
const MAX_ROWS: usize = 1200;
/// A last row with masked parts is logged once it has been still for this many settle
/// periods: a status line that lives changes well within that.
const QUIET_LAST_FACTOR: i64 = 3;
/// Key of a non-blank row whose normalized text is empty: pure animation.
const ANIMATION_KEY: &str = "\u{1}";

/// One screen row as the tracker remembers it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    /// The row's text without escapes, trailing blanks trimmed.
    text: String,
    /// The normalized text it is compared by.
    key: String,
    logged: bool,
    /// Seen in two captures in a row.
    confirmed: bool,
    /// Seen with the same key but different text: it moves in place.
    animated: bool,
    /// Its text has parts normalization masks (a glyph, a timer, a counter).
    volatile: bool,
    /// When this row was first seen with its current text (for settling).
    since_ms: i64,
}

impl Row {
    fn blank(&self) -> bool {
        self.key.is_empty()
    }

    fn loggable(&self) -> bool {
        !self.blank() && self.key != ANIMATION_KEY && self.text.chars().any(char::is_alphanumeric)
    }

    /// A row whose text is not moving: an anchor for telling new rows from redrawn ones.
    fn steady(&self) -> bool {
        !self.blank() && !self.volatile && !self.animated
    }
}

/// Follows one pane (one attempt of one agent) and says which rows are new output.
#[derive(Debug, Clone, Default)]
pub struct LineTracker {
    rows: Vec<Row>,
    /// First row of the bottom chrome; `rows.len()` when there is none.
    chrome_start: usize,
    recent: VecDeque<String>,
    recent_count: HashMap<String, usize>,
    /// Lines already in the log from before this tracker (a restarted supervisor):
    /// rows of the first screen with this text count as logged, once each.
    seed: HashMap<String, usize>,
}

impl LineTracker {
    /// A tracker that has seen nothing yet.
    pub fn new() -> LineTracker {
        LineTracker::default()
    }

    /// A tracker for a pane whose output was logged before (by a supervisor that has
    /// since stopped): rows of its first screen matching `logged` are not logged again.
    pub fn resuming(logged: impl IntoIterator<Item = String>) -> LineTracker {
        let mut t = LineTracker::default();
        for line in logged {
            *t.seed.entry(line.trim_end().to_string()).or_default() += 1;
        }
        t
    }

    /// Take a new screen: `text` is the capture without escapes, `keys` its normalized
    /// form, row for row (a row missing from `keys` is compared by its text). Returns
    /// the rows to log now, oldest first.
    pub fn update(&mut self, text: &str, keys: &[&str], now_ms: i64) -> Vec<String> {
        let mut new_rows: Vec<Row> = text
            .split('\n')
            .enumerate()
            .map(|(i, t)| {
                let text = t.trim_end_matches([' ', '\t', '\r']).to_string();
                let key = if text.trim().is_empty() {
                    String::new()
                } else {
                    let k = keys.get(i).copied().unwrap_or(text.as_str()).trim();
                    if k.is_empty() {
                        ANIMATION_KEY.to_string()
                    } else {
                        k.to_string()
                    }
                };
                let volatile = key != text.trim();
                Row {
                    text,
                    key,
                    logged: false,
                    confirmed: false,
                    animated: false,
                    volatile,
                    since_ms: now_ms,
                }
            })
            .collect();
        while new_rows.last().is_some_and(Row::blank) {
            new_rows.pop();
        }
        if new_rows.len() > MAX_ROWS {
            new_rows.drain(..new_rows.len() - MAX_ROWS);
        }

        if !self.seed.is_empty() {
            // From the bottom: the newest logged copy of a repeated line is the one shown.
            for row in new_rows.iter_mut().rev() {
                if let Some(n) = self.seed.get_mut(&row.text).filter(|n| **n > 0) {
                    *n -= 1;
                    row.logged = true;
                    row.confirmed = true;
                }
            }
            self.seed.clear();
        }
        let pairs = align(&self.rows, &new_rows);
        let mut old_first: Option<usize> = None;
        for &(o, n) in &pairs {
            let old = &self.rows[o];
            let row = &mut new_rows[n];
            row.logged = old.logged;
            row.confirmed = true;
            row.animated = old.animated || old.text != row.text;
            if old.text == row.text {
                row.since_ms = old.since_ms;
            }
            if !row.blank() {
                old_first = Some(old_first.map_or(o, |f| f.min(o)));
            }
        }
        let mut out = Vec::new();
        let had_content = self.rows.iter().any(|r| !r.blank());
        // Rows above the first one still shown scrolled off the top: log what was
        // waiting there. The last row only if it did not just grow into a longer one.
        let gone = old_first.unwrap_or(self.rows.len()).min(self.chrome_start);
        let last = self.last_content();
        for i in 0..gone {
            let row = &self.rows[i];
            let keep = if Some(i) == last {
                !row.volatile && !new_rows.iter().any(|r| r.text.starts_with(&row.text))
            } else {
                true
            };
            if keep && !row.animated {
                self.log_row(i, &mut out);
            }
        }
        if had_content {
            // New rows above the last steady row still shown are a redraw when their
            // text was logged lately; with nothing shown, every new row is judged so.
            let anchor = if old_first.is_none() {
                new_rows.len()
            } else {
                let chrome = chrome_start(&new_rows);
                pairs
                    .iter()
                    .map(|&(_, n)| n)
                    .filter(|&n| n < chrome && new_rows[n].steady())
                    .max()
                    .unwrap_or(0)
            };
            for row in &mut new_rows[..anchor] {
                if !row.confirmed && !row.logged && self.recent_count.contains_key(&row.key) {
                    row.logged = true;
                }
            }
        }
        self.chrome_start = chrome_start(&new_rows);
        self.rows = new_rows;

        let last = self.last_content();
        for i in 0..self.chrome_start {
            if Some(i) != last && self.rows[i].confirmed {
                self.log_row(i, &mut out);
            }
        }
        out
    }

    /// Log the rows that have stayed unchanged for `settle_ms` by `now_ms` without a
    /// second capture (the screen went still): never a row that animated, and for the
    /// last row nothing with masked parts until it has been still for three periods.
    pub fn settle(&mut self, now_ms: i64, settle_ms: i64) -> Vec<String> {
        let mut out = Vec::new();
        let last = self.last_content();
        for i in 0..self.chrome_start {
            let row = &self.rows[i];
            let still = !row.animated && now_ms - row.since_ms >= settle_ms;
            // A last row with masked parts (a `●` or `-` bullet, a count, a duration)
            // may be a live status line; once it has stayed the same for several
            // settle periods it is the agent's last word, the line an operator needs.
            let quiet =
                now_ms - row.since_ms >= settle_ms * QUIET_LAST_FACTOR && !spinner_led(&row.text);
            if still && (Some(i) != last || !row.volatile || quiet) {
                self.log_row(i, &mut out);
            }
        }
        out
    }

    /// The pane is finished: log every content row still waiting, except rows that only
    /// ever animated.
    pub fn finish(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        for i in 0..self.chrome_start {
            if !self.rows[i].animated {
                self.log_row(i, &mut out);
            }
        }
        out
    }

    /// Index of the last non-blank row above the chrome: the one that may still change.
    /// A spinner-only row counts, so the text above a bare spinner is complete.
    fn last_content(&self) -> Option<usize> {
        (0..self.chrome_start)
            .rev()
            .find(|&i| !self.rows[i].blank())
    }

    fn log_row(&mut self, i: usize, out: &mut Vec<String>) {
        let row = &mut self.rows[i];
        if row.logged || !row.loggable() {
            return;
        }
        row.logged = true;
        out.push(row.text.clone());
        let key = row.key.clone();
        *self.recent_count.entry(key.clone()).or_default() += 1;
        self.recent.push_back(key);
        if self.recent.len() > RECENT {
            if let Some(old) = self.recent.pop_front() {
                if let Some(n) = self.recent_count.get_mut(&old) {
                    *n -= 1;
                    if *n == 0 {
                        self.recent_count.remove(&old);
                    }
                }
            }
        }
    }
}

/// Whether a row starts with a glyph only spinners use (`✻ Doodling…`): a status line
/// whose frame did not move between the captures that saw it, never content.
fn spinner_led(text: &str) -> bool {
    text.trim_start()
        .chars()
        .next()
        .is_some_and(|c| "✻✳✶✢✽✺◐◓◑◒".contains(c) || ('\u{2800}'..='\u{28ff}').contains(&c))
}

/// Whether a row is a horizontal rule or a box edge (`────`, `╭───╮`).
fn is_rule(text: &str) -> bool {
    let t = text.trim();
    let n = t.chars().count();
    n >= 8
        && t.chars()
            .all(|c| ('\u{2500}'..='\u{257f}').contains(&c) || c == ' ')
}

/// The first row of the bottom chrome: the topmost rule among the last
/// [`CHROME_ROWS`] non-blank rows, or the end when there is none.
fn chrome_start(rows: &[Row]) -> usize {
    let mut seen = 0;
    let mut start = rows.len();
    for i in (0..rows.len()).rev() {
        if rows[i].blank() {
            continue;
        }
        seen += 1;
        if seen > CHROME_ROWS {
            break;
        }
        if is_rule(&rows[i].text) {
            start = i;
        }
    }
    start
}

/// Matching rows (old index, new index) of a longest common subsequence by key.
fn align(old: &[Row], new: &[Row]) -> Vec<(usize, usize)> {
    // A common head and tail are matched directly; the middle goes through the table.
    let mut head = 0;
    while head < old.len() && head < new.len() && old[head].key == new[head].key {
        head += 1;
    }
    let mut tail = 0;
    while tail < old.len() - head
        && tail < new.len() - head
        && old[old.len() - 1 - tail].key == new[new.len() - 1 - tail].key
    {
        tail += 1;
    }
    let o = &old[head..old.len() - tail];
    let n = &new[head..new.len() - tail];
    let mut pairs: Vec<(usize, usize)> = (0..head).map(|i| (i, i)).collect();
    // table[i][j]: LCS length of o[i..] and n[j..].
    let w = n.len() + 1;
    let mut table = vec![0u32; (o.len() + 1) * w];
    for i in (0..o.len()).rev() {
        for j in (0..n.len()).rev() {
            table[i * w + j] = if o[i].key == n[j].key {
                table[(i + 1) * w + j + 1] + 1
            } else {
                table[(i + 1) * w + j].max(table[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < o.len() && j < n.len() {
        if o[i].key == n[j].key {
            pairs.push((head + i, head + j));
            i += 1;
            j += 1;
        } else if table[(i + 1) * w + j] >= table[i * w + j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    pairs.extend((0..tail).map(|k| (old.len() - tail + k, new.len() - tail + k)));
    pairs
}

#[cfg(test)]
#[path = "lines_tests.rs"]
mod tests;
