//! The supervisor's side of the log: new output lines from each capture, notes about
//! itself (errors, retention), and pruning the oldest entries when the store is over
//! its cap, a short step per tick so a tick is never held up for long.

use super::core::Supervisor;
use super::output_log::MAX_PENDING;
use crate::fleet::units::human_size;
use crate::logs::{Level, LineTracker, NewLog};
use crate::tmux::PaneState;
use std::collections::HashMap;

/// How long the last line of a pane must stay unchanged before it is logged while
/// nothing follows it.
pub const SETTLE_MS: i64 = 2000;
/// Entries deleted per pruning step (one short transaction per tick).
const PRUNE_BATCH: usize = 2000;
/// One pruning round deletes at most this share of the log before measuring again.
const PRUNE_SHARE_MAX: f64 = 0.25;
/// A round aims this far below the cap, so pruning does not restart at once.
const PRUNE_TARGET: f64 = 0.9;
/// Logged lines looked up when a pane is first seen, to recognise them on its screen.
const RESUME_LINES: usize = 1500;
/// Most scrollback lines read back per pane and tick (with the screen, what one
/// alignment takes).
const MAX_HISTORY_LINES: u64 = 1000;

impl Supervisor {
    /// Read back the scrollback that grew since the last listing on the panes about to
    /// be captured: the lines that scrolled past between two ticks. Read before the
    /// screens, so a line scrolling in between is missed here and read next tick, never
    /// read twice.
    pub(crate) fn fetch_history(
        &mut self,
        idx: usize,
        panes: &[PaneState],
        to_capture: &[(usize, String)],
        now_ms: i64,
    ) {
        self.output.history.clear();
        let mut want = Vec::new();
        let mut who = Vec::new();
        for (i, pane) in to_capture {
            let Some(info) = panes.iter().find(|p| &p.pane_id == pane) else {
                continue;
            };
            let rt = &self.agents[*i];
            let key = (rt.name().to_string(), rt.att.attempt);
            let Some(prev) = self.output.history_size.insert(key, info.history_size) else {
                continue; // first sight: the screen is where it starts
            };
            let grown = if info.history_size >= prev {
                info.history_size - prev
            } else {
                // The scrollback hit its limit and was trimmed: read a screen back.
                u64::from(info.height)
            };
            let read = grown.min(MAX_HISTORY_LINES);
            let limit = u64::from(crate::tmux::HISTORY_LIMIT);
            let skipped = super::flood::unread(prev, info.history_size, read, limit);
            if skipped > 0 && !info.dead {
                let key = (rt.name().to_string(), rt.att.attempt);
                self.output.floods.saw(key, now_ms, skipped);
            }
            if grown > 0 && !info.dead {
                want.push((pane.clone(), grown.min(MAX_HISTORY_LINES) as u32));
                who.push(*i);
            }
        }
        if want.is_empty() {
            return;
        }
        // A failure here shows again in the screen capture that follows; the screens
        // alone still give the visible lines.
        if let Ok(texts) = self
            .servers
            .connect(idx, false)
            .and_then(|b| b.capture_history(&want))
        {
            for (i, text) in who.into_iter().zip(texts) {
                if let Some(t) = text.filter(|t| !t.trim().is_empty()) {
                    self.output.history.insert(i, t);
                }
            }
        }
    }

    /// Log the rows of agent `i`'s new screen that are new output. `text` is the screen
    /// stripped of ANSI escapes, `normalized` the same screen as the detector normalizes
    /// it for proof of life.
    pub(crate) fn log_output(&mut self, i: usize, text: String, normalized: &str, now_ms: i64) {
        let rt = &self.agents[i];
        let (name, attempt, kind) = (rt.name().to_string(), rt.att.attempt, rt.decl.kind.clone());
        let mut text = text;
        let rows = text
            .split('\n')
            .collect::<Vec<_>>()
            .iter()
            .rposition(|l| !l.trim().is_empty())
            .map_or(0, |p| p + 1);
        let keys: Vec<String> = if normalized.split('\n').count() == rows || rows == 0 {
            normalized.split('\n').map(str::to_string).collect()
        } else {
            // A profile mask joined or dropped rows: normalize row by row instead.
            text.split('\n')
                .map(|l| self.detector.normalize(&kind, l))
                .collect()
        };
        let mut keys = keys;
        if let Some(history) = self.output.history.remove(&i) {
            // Scrolled-off lines go above the screen, as one taller screen.
            let history = crate::profile::strip_ansi(history.trim_end_matches('\n'));
            let mut hist_keys: Vec<String> = history
                .split('\n')
                .map(|l| self.detector.normalize(&kind, l))
                .collect();
            hist_keys.append(&mut keys);
            keys = hist_keys;
            text = format!("{history}\n{text}");
        }
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let key = (name.clone(), attempt);
        if !self.output.trackers.contains_key(&key) {
            // What an earlier supervisor logged from this pane is not logged again.
            let logged = self
                .store
                .recent_output(&name, attempt, RESUME_LINES)
                .unwrap_or_default();
            self.output
                .trackers
                .insert(key.clone(), LineTracker::resuming(logged));
        }
        let lines = self
            .output
            .trackers
            .get_mut(&key)
            .map(|t| t.update(&text, &keys, now_ms))
            .unwrap_or_default();
        for line in lines {
            self.output
                .push(NewLog::output(now_ms, &name, attempt, line));
        }
    }

    /// A screen unchanged since the digest a previous supervisor stored is still news to
    /// the log when no tracker follows the pane yet: its last lines may have been
    /// waiting to settle when that supervisor stopped.
    pub(crate) fn log_first_sight(&mut self, i: usize, raw: &str, now_ms: i64) {
        let rt = &self.agents[i];
        if self
            .output
            .trackers
            .contains_key(&(rt.name().to_string(), rt.att.attempt))
        {
            return;
        }
        let plain = crate::profile::strip_ansi(raw);
        let normalized = self.detector.normalize(&rt.decl.kind, &plain);
        self.log_output(i, plain, &normalized, now_ms);
    }

    /// Log last lines that have settled, and finish the trackers of attempts that ended.
    pub(crate) fn settle_output(&mut self, now_ms: i64) {
        let live: HashMap<(String, u32), bool> = self
            .agents
            .iter()
            .map(|a| ((a.name().to_string(), a.att.attempt), a.is_live()))
            .collect();
        let mut ended = Vec::new();
        let mut lines = Vec::new();
        for (key, tracker) in &mut self.output.trackers {
            if live.get(key).copied().unwrap_or(false) {
                for l in tracker.settle(now_ms, SETTLE_MS) {
                    lines.push((key.clone(), l));
                }
            } else {
                for l in tracker.finish() {
                    lines.push((key.clone(), l));
                }
                ended.push(key.clone());
            }
        }
        for key in ended {
            self.output.trackers.remove(&key);
        }
        // Scrollback sizes of ended attempts are never read again: a long-running
        // supervisor over a churning fleet would keep one per attempt ever started.
        self.output
            .history_size
            .retain(|key, _| live.get(key).copied().unwrap_or(false));
        for ((name, attempt), line) in lines {
            self.output
                .push(NewLog::output(now_ms, &name, attempt, line));
        }
    }

    /// End-of-tick log work: note a changed tick error, report dropped entries, and take
    /// one pruning step if the store is over its cap.
    pub(crate) fn after_tick_logs(&mut self, now_ms: i64) {
        if self.stats.error != self.output.last_error {
            if let Some(e) = &self.stats.error {
                let note = NewLog::supervisor(now_ms, Level::Error, e.clone());
                self.output.push(note);
            }
            self.output.last_error = self.stats.error.clone();
        }
        if self.output.dropped > 0 && self.output.pending.len() < MAX_PENDING / 2 {
            let n = std::mem::take(&mut self.output.dropped);
            let (from, to) = self.output.dropped_span.take().unwrap_or((now_ms, now_ms));
            self.output.push(NewLog::supervisor(
                now_ms,
                Level::Error,
                format!(
                    "{n} log entries from {} to {} were dropped while the store could not be written",
                    super::flood::clock(from),
                    super::flood::clock(to)
                ),
            ));
        }
        let quiet = 3 * crate::fleet::units::ms(self.settings.poll_interval);
        for note in self.output.floods.notes(now_ms, quiet.max(3000)) {
            self.output.push(note);
        }
        if let Err(e) = self.prune_step(now_ms) {
            self.stats.error = Some(e.to_string());
        }
    }

    fn prune_step(&mut self, now_ms: i64) -> Result<(), crate::store::StoreError> {
        let cap = self.settings.log_max_size;
        if self.output.prune_left == 0 {
            let used = self.store.used_bytes()?;
            if used <= cap {
                if self.output.pruned > 0 {
                    let n = std::mem::take(&mut self.output.pruned);
                    self.output.push(NewLog::supervisor(
                        now_ms,
                        Level::Info,
                        format!(
                            "log retention: deleted {n} old entries; the store uses {} of its {} cap",
                            human_size(used),
                            human_size(cap)
                        ),
                    ));
                }
                self.output.cap_warned = false;
                return Ok(());
            }
            let entries = self.store.log_count()?;
            if entries == 0 {
                if !self.output.cap_warned {
                    self.output.cap_warned = true;
                    self.output.push(NewLog::supervisor(
                        now_ms,
                        Level::Warn,
                        format!(
                            "the store uses {} and is over its {} cap (log_max_size), but holds no log entries left to delete",
                            human_size(used),
                            human_size(cap)
                        ),
                    ));
                }
                return Ok(());
            }
            let over = (used as f64 - cap as f64 * PRUNE_TARGET) / used as f64;
            let share = over.clamp(0.0, PRUNE_SHARE_MAX);
            self.output.prune_left = ((entries as f64 * share).ceil() as usize).max(1);
            if self.output.pruned == 0 {
                self.output.push(NewLog::supervisor(
                    now_ms,
                    Level::Warn,
                    format!(
                        "log retention: the store uses {}, over its {} cap; deleting the oldest output lines first",
                        human_size(used),
                        human_size(cap)
                    ),
                ));
            }
        }
        let step = self.output.prune_left.min(PRUNE_BATCH);
        let done = self.store.prune_logs(step)?;
        self.output.pruned += done.deleted;
        self.output.prune_left = if done.deleted == 0 {
            0
        } else {
            self.output.prune_left.saturating_sub(done.deleted)
        };
        Ok(())
    }
}
