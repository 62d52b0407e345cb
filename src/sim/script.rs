//! The simulated agent's behaviour: what each scenario shows over time and how it answers keys.
//!
//! Pure state: the caller passes the current instant in, so every scenario is tested
//! without sleeping, and the terminal loop only draws what [`Sim::view`] describes.

use super::screen::{Bottom, Footer, View};
use super::text;
use super::text::{Entry, TLine, GREY, WHITE};
use super::Scenario;
use chrono::NaiveDateTime;
use std::time::{Duration, Instant};

/// A key press, reduced to what the simulated agent reacts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    Char(char),
    Enter,
    Esc,
    Backspace,
    CtrlC,
}

/// The timing knobs from the command line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    /// How long `approval`, `crash`, `done` and `ratelimit` work before their event.
    pub after: Duration,
    /// How far in the future a rate limit resets.
    pub reset_in: Duration,
    /// How often steady work prints a transcript line.
    pub every: Duration,
}

/// How long the `Press Ctrl-C again to exit` hint stays armed.
const CTRL_C_WINDOW: Duration = Duration::from_secs(2);
/// Older entries are dropped past this many: only the tail is ever on screen.
const MAX_ENTRIES: usize = 500;
const RETRY_ATTEMPTS: u32 = 3;

/// What Enter at the idle prompt starts.
#[derive(Debug, Clone, Copy)]
enum Next {
    Scenario(Scenario),
    Work,
    /// After a rate limit: hit it again until it resets.
    LimitedUntil(Instant),
}

/// What ends a stretch of work.
#[derive(Debug, Clone, Copy)]
enum Event {
    Approval,
    Crash,
    Done,
    RateLimit,
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    Prompt {
        next: Next,
    },
    Working {
        next_line: Instant,
        event: Option<(Instant, Event)>,
    },
    Retrying {
        since: Instant,
        until: Instant,
    },
    Hanging,
    /// Drawn once, never changes again; `busy` if it froze mid-request.
    Frozen {
        busy: bool,
    },
    Dialog,
}

/// One run of the simulated agent.
pub(crate) struct Sim {
    timing: Timing,
    seed: u32,
    banner: Vec<TLine>,
    dir: String,
    /// Wall clock at `started`, to print reset times without reading the clock here.
    wall_at_start: NaiveDateTime,
    started: Instant,
    transcript: Vec<Entry>,
    input: String,
    phase: Phase,
    /// When the current request started (drives the spinner and the timer).
    turn_start: Instant,
    tokens: u32,
    lines: u64,
    /// The task just submitted, while no output has followed it yet.
    unanswered: Option<String>,
    footer_blank: bool,
    ctrl_c_until: Option<Instant>,
    exit: Option<i32>,
    drop_enters: u32,
}

impl Sim {
    /// Ignore the first `n` Enters that would submit typed text, as Gemini CLI and Codex
    /// drop an Enter sent right behind the text.
    pub fn drop_enters(&mut self, n: u32) {
        self.drop_enters = n;
    }

    /// Starts a run in `cwd`; with `wait_task` it first waits for a task at the prompt.
    pub fn new(
        scenario: Scenario,
        wait_task: bool,
        timing: Timing,
        cwd: &str,
        now: Instant,
        wall: NaiveDateTime,
        seed: u32,
    ) -> Self {
        let dir = cwd.rsplit('/').find(|s| !s.is_empty()).unwrap_or(cwd);
        let mut sim = Self {
            timing,
            seed,
            banner: text::banner(cwd),
            dir: dir.to_string(),
            wall_at_start: wall,
            started: now,
            transcript: Vec::new(),
            input: String::new(),
            phase: Phase::Prompt { next: Next::Work },
            turn_start: now,
            tokens: 0,
            lines: 0,
            unanswered: None,
            footer_blank: false,
            ctrl_c_until: None,
            exit: None,
            drop_enters: 0,
        };
        if wait_task {
            sim.phase = Phase::Prompt {
                next: Next::Scenario(scenario),
            };
        } else {
            sim.start_scenario(scenario, false, now);
        }
        sim
    }

    /// The exit status, once the run has ended.
    pub fn exit_code(&self) -> Option<i32> {
        self.exit
    }

    /// Advances the scenario to `now`.
    pub fn tick(&mut self, now: Instant) {
        if self.ctrl_c_until.is_some_and(|t| now >= t) {
            self.ctrl_c_until = None;
        }
        match self.phase {
            Phase::Working { next_line, event } => {
                let mut next_line = next_line;
                // Catch up a little after a stall, but never flood the transcript.
                for _ in 0..3 {
                    if now < next_line {
                        break;
                    }
                    self.push_work_line();
                    next_line += self.timing.every;
                }
                if now >= next_line {
                    next_line = now + self.timing.every;
                }
                self.phase = Phase::Working { next_line, event };
                if let Some((at, event)) = event {
                    if now >= at {
                        self.fire(event, now);
                    }
                }
            }
            Phase::Retrying { until, .. } if now >= until => {
                let reset_at = now + self.timing.reset_in;
                let wall = self.wall_at_start + (reset_at - self.started);
                self.push(text::rate_limit_error(&text::clock(&wall)));
                self.push(text::turn_summary(self.seed, now - self.turn_start));
                self.phase = Phase::Prompt {
                    next: Next::LimitedUntil(reset_at),
                };
            }
            _ => {}
        }
    }

    /// When the screen or the scenario next changes on its own, if it does.
    pub fn next_wakeup(&self, now: Instant) -> Option<Instant> {
        let frame = |since: Instant| {
            let n = (now - since).as_millis() / text::SPINNER_FRAME.as_millis() + 1;
            since + text::SPINNER_FRAME * n as u32
        };
        let own = match self.phase {
            Phase::Working { next_line, event } => {
                let mut t = frame(self.turn_start).min(next_line);
                if let Some((at, _)) = event {
                    t = t.min(at);
                }
                Some(t)
            }
            Phase::Retrying { until, .. } => Some(frame(self.turn_start).min(until)),
            Phase::Hanging => Some(frame(self.turn_start)),
            Phase::Prompt { .. } | Phase::Frozen { .. } | Phase::Dialog => None,
        };
        match (own, self.ctrl_c_until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Reacts to one key press.
    pub fn key(&mut self, key: Key, now: Instant) {
        if matches!(self.phase, Phase::Frozen { .. }) {
            return;
        }
        // Some CLIs drop an Enter that arrives right behind typed text.
        if key == Key::Enter && self.drop_enters > 0 && !self.input.trim().is_empty() {
            self.drop_enters -= 1;
            return;
        }
        self.footer_blank = false;
        if key == Key::CtrlC {
            if self.ctrl_c_until.is_some() {
                self.exit = Some(0);
            } else {
                self.ctrl_c_until = Some(now + CTRL_C_WINDOW);
                self.input.clear();
            }
            return;
        }
        match self.phase {
            Phase::Dialog => match key {
                Key::Enter | Key::Char('1' | '2') => self.answer(true, now),
                Key::Esc | Key::Char('3') => self.answer(false, now),
                _ => {}
            },
            Phase::Prompt { next } => {
                if key == Key::Enter {
                    if !self.input.trim().is_empty() {
                        self.submit();
                        self.start(next, now);
                    }
                } else {
                    self.edit(key);
                }
            }
            Phase::Working { .. } | Phase::Retrying { .. } | Phase::Hanging => match key {
                Key::Esc => self.interrupt(),
                // Claude Code takes a message typed mid-request into the conversation.
                Key::Enter if !self.input.trim().is_empty() => self.submit(),
                _ => self.edit(key),
            },
            Phase::Frozen { .. } => {}
        }
    }

    /// Describes the current screen.
    pub fn view(&self, now: Instant) -> View<'_> {
        let running = now.saturating_duration_since(self.turn_start);
        let glyph = text::spinner(running);
        let verb = text::verb(self.seed);
        let busy = match self.phase {
            Phase::Working { .. } => Some(text::busy(glyph, verb, running, self.tokens)),
            Phase::Hanging => Some(text::busy(glyph, verb, running, 0)),
            Phase::Retrying { since, until } => {
                let span = (until - since) / RETRY_ATTEMPTS;
                let done = now.saturating_duration_since(since);
                let attempt = (done.as_nanos() / span.as_nanos().max(1)) as u32 + 1;
                let attempt = attempt.min(RETRY_ATTEMPTS);
                let wait = (since + span * attempt).saturating_duration_since(now);
                Some(text::retrying(glyph, wait, attempt, RETRY_ATTEMPTS))
            }
            Phase::Frozen { busy: true } => Some(text::busy("✻", verb, Duration::ZERO, 0)),
            Phase::Prompt { .. } | Phase::Frozen { busy: false } | Phase::Dialog => None,
        };
        let footer = if self.ctrl_c_until.is_some() {
            Footer::CtrlC
        } else if self.footer_blank {
            Footer::Empty
        } else if busy.is_some() {
            Footer::Busy
        } else {
            Footer::Idle
        };
        let bottom = match self.phase {
            Phase::Dialog => Bottom::Dialog {
                dir: &self.dir,
                ctrl_c: self.ctrl_c_until.is_some(),
            },
            _ => Bottom::Prompt {
                input: &self.input,
                footer,
            },
        };
        View {
            banner: &self.banner,
            transcript: &self.transcript,
            busy,
            bottom,
        }
    }

    fn start(&mut self, next: Next, now: Instant) {
        match next {
            Next::Scenario(s) => self.start_scenario(s, true, now),
            Next::Work => self.work(None, now),
            Next::LimitedUntil(reset) if now < reset => {
                self.work(Some((now + self.timing.after / 2, Event::RateLimit)), now);
            }
            Next::LimitedUntil(_) => self.work(None, now),
        }
    }

    fn start_scenario(&mut self, scenario: Scenario, had_task: bool, now: Instant) {
        let after = self.timing.after;
        match scenario {
            Scenario::Work => self.work(None, now),
            Scenario::SpinHang => {
                self.turn_start = now;
                self.phase = Phase::Hanging;
            }
            Scenario::Silent => self.phase = Phase::Frozen { busy: had_task },
            Scenario::Approval => self.work(Some((now + after, Event::Approval)), now),
            Scenario::Crash => self.work(Some((now + after, Event::Crash)), now),
            Scenario::Done => self.work(Some((now + after, Event::Done)), now),
            Scenario::Ratelimit => self.work(Some((now + after / 2, Event::RateLimit)), now),
            Scenario::Idle if had_task => self.work(None, now),
            Scenario::Idle => self.phase = Phase::Prompt { next: Next::Work },
        }
    }

    fn work(&mut self, event: Option<(Instant, Event)>, now: Instant) {
        self.turn_start = now;
        self.tokens = 0;
        self.phase = Phase::Working {
            next_line: now + self.timing.every,
            event,
        };
    }

    fn fire(&mut self, event: Event, now: Instant) {
        match event {
            Event::Approval => {
                self.push(vec![text::bullet("I'll run a shell command.", WHITE)]);
                self.push(text::pending_bash());
                self.phase = Phase::Dialog;
            }
            Event::Crash => {
                self.push(text::crash_error());
                self.phase = Phase::Prompt { next: Next::Work };
                self.exit = Some(3);
            }
            Event::Done => {
                self.push(vec![text::bullet(text::FINAL_ANSWER, WHITE)]);
                self.push(text::turn_summary(self.seed, now - self.turn_start));
                self.phase = Phase::Prompt { next: Next::Work };
                self.exit = Some(0);
            }
            Event::RateLimit => {
                let span = (self.timing.after / 2).max(Duration::from_millis(300));
                self.phase = Phase::Retrying {
                    since: now,
                    until: now + span,
                };
            }
        }
    }

    fn answer(&mut self, approve: bool, now: Instant) {
        let outcome = if approve {
            text::MOCK_OUTPUT
        } else {
            text::INTERRUPTED
        };
        let color = if approve { super::text::GREEN } else { GREY };
        if let Some(last) = self.transcript.last_mut() {
            *last = vec![
                text::tool("Bash", text::MOCK_COMMAND, color),
                text::result(outcome),
            ];
        }
        if approve {
            let tokens = self.tokens;
            self.work(None, now);
            self.tokens = tokens;
        } else {
            self.phase = Phase::Prompt { next: Next::Work };
        }
    }

    fn interrupt(&mut self) {
        self.phase = Phase::Prompt { next: Next::Work };
        if let Some(task) = self.unanswered.take() {
            // Interrupted before any output: Claude Code hands the task back for editing.
            self.transcript.pop();
            self.input = task;
            self.footer_blank = true;
        } else if let Some(last) = self.transcript.last_mut() {
            last.push(text::result(text::INTERRUPTED));
        } else {
            self.push(vec![text::result(text::INTERRUPTED)]);
        }
    }

    fn submit(&mut self) {
        let task = std::mem::take(&mut self.input);
        self.push(text::user_message(task.trim()));
        self.unanswered = Some(task);
    }

    fn edit(&mut self, key: Key) {
        match key {
            Key::Char(c) if !c.is_control() => self.input.push(c),
            Key::Backspace => {
                self.input.pop();
            }
            _ => {}
        }
    }

    fn push_work_line(&mut self) {
        let (line, new_entry) = text::work_line(self.lines);
        self.lines += 1;
        self.tokens += 20 + (self.lines * 37 % 50) as u32;
        match self.transcript.last_mut() {
            Some(last) if !new_entry && self.unanswered.is_none() => last.push(line),
            _ => self.push(vec![line]),
        }
    }

    fn push(&mut self, entry: Entry) {
        if self.unanswered.is_some() && !is_user_message(&entry) {
            self.unanswered = None;
        }
        self.transcript.push(entry);
        if self.transcript.len() > MAX_ENTRIES {
            self.transcript.drain(..MAX_ENTRIES / 5);
        }
    }
}

fn is_user_message(entry: &Entry) -> bool {
    entry
        .first()
        .and_then(|l| l.spans.first())
        .is_some_and(|s| s.content == "❯ ")
}

#[cfg(test)]
#[path = "script_tests.rs"]
mod tests;
