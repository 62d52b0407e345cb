//! Output that scrolls past faster than the supervisor reads it back. Between two ticks
//! only so much scrollback is read (and tmux trims its own past its limit), so under a
//! flood (`yes`, a runaway build log) the log holds a sample of the lines, not all of
//! them. Each flood is said in the log: which agent, from when to when, and at least
//! how many lines were not read, instead of the log pretending it kept every line.

use crate::logs::{Level, NewLog, Source};
use std::collections::HashMap;

/// A flood still going is summed up in the log this often.
const NOTE_EVERY_MS: i64 = 10_000;

/// One agent's flood in progress.
#[derive(Debug, Clone)]
struct Flood {
    first_ms: i64,
    last_ms: i64,
    /// Lines known to have scrolled past unread, at least.
    skipped: u64,
    /// When the flood was last summed up in the log (its start when never).
    noted_ms: i64,
}

/// Floods per (agent, attempt).
#[derive(Debug, Default)]
pub(crate) struct Floods {
    open: HashMap<(String, u32), Flood>,
}

/// Lines that scrolled past since the previous listing and were not read back, at
/// least: `prev` and `now` are the pane's scrollback sizes, `read` the lines read.
/// A scrollback that shrank was trimmed by tmux at its limit, a tenth of it at a time.
pub(crate) fn unread(prev: u64, now: u64, read: u64, limit: u64) -> u64 {
    let scrolled = if now >= prev {
        now - prev
    } else if prev * 10 >= limit * 9 {
        (now + limit / 10).saturating_sub(prev)
    } else {
        0
    };
    scrolled.saturating_sub(read)
}

impl Floods {
    /// `skipped` lines of an agent's output went unread at `now_ms`.
    pub(crate) fn saw(&mut self, key: (String, u32), now_ms: i64, skipped: u64) {
        let f = self.open.entry(key).or_insert(Flood {
            first_ms: now_ms,
            last_ms: now_ms,
            skipped: 0,
            noted_ms: now_ms,
        });
        f.last_ms = now_ms;
        f.skipped += skipped;
    }

    /// Log entries for floods that ended (nothing skipped for `quiet_ms`) or that have
    /// gone on for [`NOTE_EVERY_MS`] since they were last summed up.
    pub(crate) fn notes(&mut self, now_ms: i64, quiet_ms: i64) -> Vec<NewLog> {
        let mut out = Vec::new();
        self.open.retain(|(agent, attempt), f| {
            let ended = now_ms - f.last_ms >= quiet_ms;
            if !ended && now_ms - f.noted_ms < NOTE_EVERY_MS {
                return true;
            }
            out.push(NewLog {
                ts_ms: now_ms,
                agent: Some(agent.clone()),
                attempt: Some(*attempt),
                level: Level::Warn,
                source: Source::Supervisor,
                message: format!(
                    "output sampled: {agent} printed faster than shoal reads its pane from {} to {}; at least {} lines were not read, so the log holds a sample of that output",
                    clock(f.first_ms),
                    clock(f.last_ms),
                    f.skipped
                ),
                capture_id: None,
                event_id: None,
            });
            f.first_ms = f.last_ms;
            f.noted_ms = now_ms;
            f.skipped = 0;
            !ended
        });
        out
    }
}

/// Local wall-clock time of unix ms, to the second.
pub(crate) fn clock(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |t| {
            t.with_timezone(&chrono::Local)
                .format("%H:%M:%S")
                .to_string()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unread_lines_are_counted_from_growth_and_trims() {
        // Grew by 5000, 1000 read back.
        assert_eq!(unread(0, 5000, 1000, 10_000), 4000);
        // Grew less than was read: nothing missed.
        assert_eq!(unread(100, 150, 50, 10_000), 0);
        // Near the limit and trimmed by a tenth: 9800 + 700 = 10500, less 1000 is 9500;
        // 700 went by, 50 read.
        assert_eq!(unread(9800, 9500, 50, 10_000), 650);
        // One line past a full scrollback: the trim alone is no flood.
        assert_eq!(unread(10_000, 9001, 50, 10_000), 0);
    }

    #[test]
    fn a_flood_is_summed_up_when_it_ends_and_every_ten_seconds() {
        let mut f = Floods::default();
        let key = ("b".to_string(), 1);
        f.saw(key.clone(), 1000, 4000);
        f.saw(key.clone(), 2000, 500);
        assert!(f.notes(2500, 3000).is_empty(), "still going");
        let n = f.notes(5000, 3000);
        assert_eq!(n.len(), 1);
        assert!(
            n[0].message.starts_with("output sampled: b printed"),
            "{}",
            n[0].message
        );
        assert!(
            n[0].message.contains("at least 4500 lines"),
            "{}",
            n[0].message
        );
        assert_eq!(n[0].agent.as_deref(), Some("b"));
        assert!(f.notes(9000, 3000).is_empty(), "said once");
        // A long flood is summed up while it goes on.
        for t in 0..12 {
            f.saw(key.clone(), 20_000 + t * 1000, 100);
        }
        assert_eq!(f.notes(30_500, 3000).len(), 1);
    }
}
