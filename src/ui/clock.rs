//! When the drawing would change by itself: countdowns, "ago" columns and the stale
//! snapshot warning move with the clock. The host sleeps until then instead of
//! redrawing every second.

use super::chrome::STALE_MS;
use crate::app::{App, Mode};
use crate::fleet::{AgentView, LifeState, Tier};

const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// The first time after `now_ms` at which [`super::draw`] draws something different
/// from the same state, or `None` when nothing on screen depends on the clock. It may be
/// early (a redraw that changes nothing), never late.
pub fn next_change(app: &App, now_ms: i64) -> Option<i64> {
    let mut next = Soonest::default();
    let snap = app.snapshot();
    if !app.supervisor_gone() && snap.taken_at_ms != 0 {
        // The header calls the snapshot out once it is older than STALE_MS.
        let age = now_ms - snap.taken_at_ms;
        if age <= STALE_MS {
            next.at(snap.taken_at_ms + STALE_MS + 1);
        } else {
            next.at(elapsed_turns(snap.taken_at_ms, now_ms));
        }
    }
    if app.logs_view().is_some() {
        // Entries show a date once they are not from today.
        next.at(next_midnight(now_ms, app.utc_offset().local_minus_utc()));
    } else {
        for row in app.rows() {
            let a = &snap.agents[row.index];
            ladder_turns(a, now_ms, &mut next);
            if a.last_progress_ms > 0 && !matches!(a.state, LifeState::Queued) {
                next.at(elapsed_turns(a.last_progress_ms, now_ms));
            }
            word_turns(a, now_ms, &mut next);
        }
    }
    if let Some(f) = app.footer() {
        if f.expires_at() > now_ms {
            next.at(f.expires_at());
        }
    }
    if let Mode::Explain { agent } = app.mode() {
        if let Some(a) = snap.agent(agent) {
            ladder_turns(a, now_ms, &mut next);
            next.at(elapsed_turns(a.last_progress_ms, now_ms));
        }
    }
    next.0
}

/// The words that move with the clock: `quiet` and `working (no progress)` once the
/// threshold passes, `waiting for work · 3m`, and an ended attempt's `15s ago`.
fn word_turns(a: &AgentView, now_ms: i64, next: &mut Soonest) {
    let quiet = crate::app::format::quiet_after(a);
    let screen = a.screen_changed_ms.max(a.last_progress_ms);
    if a.state == LifeState::Running && a.last_progress_ms > 0 {
        for t in [screen + quiet + 1, a.last_progress_ms + quiet + 1] {
            if t > now_ms {
                next.at(t);
            }
        }
    }
    if screen > 0 && a.state == LifeState::Running {
        next.at(elapsed_turns(screen, now_ms));
    }
    if let Some(t) = a.ended_ms.filter(|_| a.state.is_ended()) {
        next.at(elapsed_turns(t, now_ms));
    }
}

/// The earliest of the times offered.
#[derive(Default)]
struct Soonest(Option<i64>);

impl Soonest {
    fn at(&mut self, t: i64) {
        self.0 = Some(self.0.map_or(t, |s| s.min(t)));
    }
}

/// The ladder column (and the explain popup's ladder and error lines): time in tier,
/// the countdown to the next step, or the error's reset time.
fn ladder_turns(a: &AgentView, now_ms: i64, next: &mut Soonest) {
    if a.paused {
        return;
    }
    if a.tier != Tier::Ok {
        next.at(elapsed_turns(a.tier_since_ms, now_ms));
    }
    if let (Some(_), Some(at)) = (a.tier.next(), a.next_action_at_ms) {
        if at > now_ms {
            next.at(remaining_turns(at, now_ms));
        }
    }
    if a.error.is_some() {
        if let Some(t) = a.reset_at_ms {
            if t > now_ms {
                next.at(remaining_turns(t, now_ms));
            } else {
                next.at(elapsed_turns(t, now_ms));
            }
        }
    }
}

/// When `format::elapsed(now - since)` next reads differently.
pub(crate) fn elapsed_turns(since: i64, now_ms: i64) -> i64 {
    let age = now_ms - since;
    if age < 0 {
        return since + SECOND;
    }
    let unit = match age / SECOND {
        0..=59 => SECOND,
        60..=3599 => MINUTE,
        3600..=86_399 => HOUR,
        _ => DAY,
    };
    since + (age / unit + 1) * unit
}

/// When `format::remaining(at - now)` (or the text that replaces it once `at` passes)
/// next reads differently; `at` is after `now`.
pub(crate) fn remaining_turns(at: i64, now_ms: i64) -> i64 {
    let left = at - now_ms;
    if left < MINUTE {
        // Seconds round up: `3s` holds until 2 s are left.
        let shown = (left + SECOND - 1) / SECOND;
        return at - (shown - 1) * SECOND;
    }
    let unit = match left / SECOND {
        0..=3599 => MINUTE,
        3600..=86_399 => HOUR,
        _ => DAY,
    };
    // Rounded down: `3m` holds while more than 3 minutes are left.
    at - (left / unit) * unit + 1
}

/// The next local midnight after `now`, in a zone `offset_s` seconds east of UTC.
fn next_midnight(now_ms: i64, offset_s: i32) -> i64 {
    let offset = i64::from(offset_s) * SECOND;
    ((now_ms + offset).div_euclid(DAY) + 1) * DAY - offset
}

#[cfg(test)]
#[path = "clock_tests.rs"]
mod tests;
