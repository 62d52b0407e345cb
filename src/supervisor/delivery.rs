//! Typing into an agent's CLI with proof that it took the text: paste it, wait until the
//! input box (the composer) shows it, press Enter, and wait until the composer lets go of
//! it, pressing Enter once more if the CLI dropped the first one (Codex and Gemini CLI
//! drop an Enter that arrives right behind the text). A CLI whose profile cannot read its
//! composer is typed into as before, and the result says it was not confirmed.
//!
//! [`Delivery`] is the decision, pure and fed what the screen shows; the supervisor's
//! `deliver` carries it out against the pane with a short bounded wait.

use super::core::Supervisor;
use crate::tmux::TmuxError;
use std::fmt;
use std::time::{Duration, Instant};

/// How long typed text may take to show in the composer.
pub const SHOW_WAIT_MS: i64 = 3000;
/// How long the CLI may take to take the text after an Enter, before Enter is pressed
/// once more (and, after that one, before delivery has failed).
pub const TAKE_WAIT_MS: i64 = 2000;
/// How often the pane is read back while waiting.
const POLL: Duration = Duration::from_millis(80);

/// What became of text typed into an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// The composer showed it, then let go of it after Enter.
    Confirmed,
    /// Typed and Enter pressed, but the profile cannot read the composer to confirm it.
    Unconfirmed,
}

/// Why typed text did not reach the agent.
#[derive(Debug)]
pub enum DeliveryError {
    /// tmux could not type it (no pane, server gone, refused text).
    Tmux(TmuxError),
    /// The CLI did not take it: what the screen showed instead.
    NotTaken(String),
}

impl fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeliveryError::Tmux(e) => write!(f, "{e}"),
            DeliveryError::NotTaken(why) => f.write_str(why),
        }
    }
}

impl From<TmuxError> for DeliveryError {
    fn from(e: TmuxError) -> Self {
        DeliveryError::Tmux(e)
    }
}

/// What a read-back of the pane says about the typed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readback {
    /// Nothing to judge: no capture yet, or one caught mid-redraw (torn).
    Unreadable,
    /// No composer is drawn (a dialog, or the CLI's work replaced it).
    NoComposer,
    /// The composer is drawn and does (`true`) or does not hold the text.
    Composer(bool),
}

/// What to do next while delivering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Act {
    /// Paste (or type) the text.
    Paste,
    /// Press Enter.
    Enter,
    /// Read the screen again in a moment.
    Wait,
    /// The CLI took the text.
    Done,
    /// It did not; why.
    Fail(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Start,
    Showing,
    Submitting,
}

/// One delivery's progress: fed what each read-back shows, at a time in ms from any
/// origin, it says what to do next.
#[derive(Debug, Clone)]
pub struct Delivery {
    phase: Phase,
    deadline_ms: i64,
    enters: u8,
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery::new()
    }
}

impl Delivery {
    /// A delivery that has typed nothing yet.
    pub fn new() -> Delivery {
        Delivery {
            phase: Phase::Start,
            deadline_ms: 0,
            enters: 0,
        }
    }

    /// The next act, given what the pane shows now.
    pub fn step(&mut self, seen: Readback, now_ms: i64) -> Act {
        match self.phase {
            Phase::Start => {
                self.phase = Phase::Showing;
                self.deadline_ms = now_ms.saturating_add(SHOW_WAIT_MS);
                Act::Paste
            }
            Phase::Showing if seen == Readback::Composer(true) => self.enter(now_ms),
            Phase::Showing if now_ms >= self.deadline_ms => Act::Fail(match seen {
                Readback::NoComposer => "no input box on the screen to type into (a dialog, or the CLI is not at its prompt)".into(),
                _ => "the text never showed in the input box".into(),
            }),
            // Emptied, or the composer gave way to the work: taken. A torn frame proves
            // nothing either way.
            Phase::Submitting
                if matches!(seen, Readback::Composer(false) | Readback::NoComposer) =>
            {
                Act::Done
            }
            Phase::Submitting if now_ms >= self.deadline_ms => {
                if self.enters < 2 {
                    self.enter(now_ms)
                } else {
                    Act::Fail("Enter did not submit it: the text is still in the input box".into())
                }
            }
            Phase::Showing | Phase::Submitting => Act::Wait,
        }
    }

    fn enter(&mut self, now_ms: i64) -> Act {
        self.phase = Phase::Submitting;
        self.enters += 1;
        self.deadline_ms = now_ms.saturating_add(TAKE_WAIT_MS);
        Act::Enter
    }

    /// Enters pressed so far.
    pub fn enters(&self) -> u8 {
        self.enters
    }
}

impl Supervisor {
    /// Type `text` into agent `i`'s CLI and submit it, confirmed from the screen where the
    /// profile can read its composer (see the module doc); the echo is not progress.
    pub(crate) fn deliver(
        &mut self,
        i: usize,
        text: &str,
        now_ms: i64,
    ) -> Result<Delivered, DeliveryError> {
        let kind = self.agents[i].decl.kind.clone();
        let bracketed = self.detector.bracketed_paste(&kind);
        // A paste that is not bracketed submits at its first newline.
        if !self.detector.reads_composer(&kind) || (!bracketed && text.contains('\n')) {
            self.type_line(i, text, now_ms)?;
            return Ok(Delivered::Unconfirmed);
        }
        let (server, pane) = self.pane_of(i)?;
        let started = Instant::now();
        let mut delivery = Delivery::new();
        let mut screen: Option<String> = None;
        let result = loop {
            let seen = match screen.as_deref() {
                Some(s) if !self.detector.is_torn(&kind, s) => {
                    match self.detector.composer_holds(&kind, s, text) {
                        Some(holds) => Readback::Composer(holds),
                        None => Readback::NoComposer,
                    }
                }
                _ => Readback::Unreadable,
            };
            let elapsed = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
            let backend = self.servers.backend(&server)?;
            match delivery.step(seen, elapsed) {
                Act::Paste if bracketed => backend.paste_text(&pane, text, true)?,
                Act::Paste => backend.send_text(&pane, text)?,
                Act::Enter => backend.send_keys(&pane, &["Enter".to_string()])?,
                Act::Wait => std::thread::sleep(POLL),
                Act::Done => {
                    if let Some(s) = screen.as_deref() {
                        let proof = self.detector.progress_digest(&kind, s);
                        self.agents[i].echo_seen(proof);
                    }
                    break Ok(Delivered::Confirmed);
                }
                Act::Fail(why) => {
                    let shown = screen
                        .as_deref()
                        .and_then(|s| self.detector.composer_text(&kind, s));
                    break Err(DeliveryError::NotTaken(match shown {
                        Some(t) if !t.is_empty() => format!("{why} (it holds {:?})", clip(&t)),
                        _ => why,
                    }));
                }
            }
            screen = backend
                .capture_panes(std::slice::from_ref(&pane))?
                .pop()
                .flatten();
        };
        // The echo window starts when the typing ends: the submitted text shows in the
        // transcript after that, and it is ours, not the agent's progress.
        let took = i64::try_from(started.elapsed().as_millis()).unwrap_or(0);
        self.agents[i].typed(now_ms.saturating_add(took));
        result
    }
}

/// At most 60 characters of a composer's text, for a message.
pub(crate) fn clip(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &one_line[..at]),
        None => one_line,
    }
}

impl Supervisor {
    /// [`Supervisor::deliver`] for an operator's command: a CLI that did not take the
    /// text is an `undelivered` event and an error, never reported as done. `Ok` says how
    /// it was confirmed, as a suffix for the command's outcome.
    pub(crate) fn deliver_reporting(
        &mut self,
        i: usize,
        what: &str,
        text: &str,
        now_ms: i64,
    ) -> Result<&'static str, String> {
        match self.deliver(i, text, now_ms) {
            Ok(Delivered::Confirmed) => Ok(" (the CLI took it)"),
            Ok(Delivered::Unconfirmed) => Ok(""),
            Err(DeliveryError::Tmux(e)) => Err(e.to_string()),
            Err(DeliveryError::NotTaken(why)) => {
                let name = self.agents[i].name().to_string();
                let agent = &self.agents[i];
                let event = crate::store::NewEvent {
                    tier: Some(agent.att.tier),
                    ..crate::store::NewEvent::agent(
                        now_ms,
                        agent.name(),
                        agent.att.attempt,
                        crate::fleet::EventKind::Undelivered {
                            what: what.to_string(),
                            why: why.clone(),
                        },
                    )
                };
                self.record([event]);
                Err(format!("the {what} was not delivered to {name}: {why}"))
            }
        }
    }
}
