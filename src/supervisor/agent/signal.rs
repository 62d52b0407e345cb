//! Agent-native signals in the state machine: a CLI's own hook or the pane title it sets
//! says what the agent does, and the screen is the judge. A signal the screen bears out
//! was acted on through the screen the moment the tick it woke captured the pane; one the
//! screen does not bear out within [`SIGNAL_GRACE_MS`] changes nothing and is recorded as
//! a disagreement.

use super::Agent;
use crate::fleet::{Activity, Claim, EventKind};
use crate::store::NewEvent;

/// How long a signal waits for the screen to show what it claims: a CLI fires its hook
/// a moment before (or after) it draws the dialog or the prompt.
pub const SIGNAL_GRACE_MS: i64 = 2_000;
/// Most signals waiting to be weighed per agent; the oldest gives way.
const MAX_PENDING: usize = 4;
/// Separates the screen's reason from the verdict on a signal it contradicted.
const VERDICT: &str = " ‖ ";

/// One signal: where it came from and what it claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    /// `hook PermissionRequest`, `title "✋  Action Required"`.
    pub source: String,
    /// What it claims.
    pub claim: Claim,
    /// When it arrived (unix ms).
    pub at_ms: i64,
}

/// What an agent remembers of its signals.
#[derive(Debug, Clone, Default)]
pub(super) struct Signals {
    /// Waiting for the screen, oldest first.
    pending: Vec<Signal>,
    /// The claim of the pane title last listed: a title claims anew only when it changes.
    title: Option<Claim>,
}

impl Agent {
    /// A signal arrived: it is weighed against the screen from the next capture on.
    pub fn signal(&mut self, signal: Signal) {
        if !self.is_live() {
            return;
        }
        let pending = &mut self.signals.pending;
        if pending.len() >= MAX_PENDING {
            pending.remove(0);
        }
        pending.push(signal);
    }

    /// The pane title's claim in this listing (`None`: the title claims nothing). Only a
    /// change of claim is a signal: a spinner glyph turning in the title is not news.
    pub fn titled(&mut self, claim: Option<Claim>, title: &str, now_ms: i64) {
        if claim == self.signals.title {
            return;
        }
        self.signals.title = claim;
        if let Some(claim) = claim {
            self.signal(Signal {
                source: format!("title {:?}", title.trim_end()),
                claim,
                at_ms: now_ms,
            });
        }
    }

    /// Whether a signal waits for the screen (its pane is captured at once).
    pub fn signal_pending(&self) -> bool {
        !self.signals.pending.is_empty()
    }

    /// Weigh the waiting signals against what the screen shows now: one it bears out is
    /// settled; one it still contradicts after [`SIGNAL_GRACE_MS`] is dropped with a
    /// disagreement event (the screen wins). The rest wait for the next capture.
    pub fn weigh_signals(&mut self, now_ms: i64) -> Vec<NewEvent> {
        if !self.is_live() {
            self.signals.pending.clear();
            return Vec::new();
        }
        let screen = self.att.activity;
        let mut events = Vec::new();
        let mut kept = Vec::new();
        for s in std::mem::take(&mut self.signals.pending) {
            if s.claim.agrees(screen) {
                continue;
            }
            if now_ms.saturating_sub(s.at_ms) >= SIGNAL_GRACE_MS {
                // Why it is not what the signal said, where the operator reads why.
                // The screen's own reason stays; only the latest verdict follows it.
                let reason = self.att.reason.take().unwrap_or_default();
                let base = match reason.split(VERDICT).next().unwrap_or_default() {
                    "" => screen.to_string(),
                    b => b.to_string(),
                };
                self.att.reason = Some(format!(
                    "{base}{VERDICT}{} said {}: the screen wins",
                    s.source, s.claim
                ));
                self.dirty = true;
                let kind = EventKind::SignalDisagreed {
                    signal: s.source,
                    claim: s.claim,
                    screen,
                };
                let mut e = self.event(now_ms, kind);
                e.capture_text = Some(self.screen.capture.clone());
                events.push(e);
            } else {
                kept.push(s);
            }
        }
        self.signals.pending = kept;
        events
    }

    /// The rule of a change to `activity`, naming the waiting signals that bear it out
    /// (which are settled by it): the event says the signal made shoal look at once.
    pub(super) fn rule_with_signals(
        &mut self,
        rule: Option<String>,
        activity: Activity,
    ) -> Option<String> {
        let (agree, rest): (Vec<Signal>, Vec<Signal>) = std::mem::take(&mut self.signals.pending)
            .into_iter()
            .partition(|s| s.claim.agrees(activity));
        self.signals.pending = rest;
        if agree.is_empty() {
            return rule;
        }
        let names: Vec<&str> = agree.iter().map(|s| s.source.as_str()).collect();
        let said = format!("signalled by {}", names.join(", "));
        Some(match rule {
            Some(r) => format!("{r}; {said}"),
            None => said,
        })
    }

    /// Forget every signal (a new attempt, or an attempt taken over from the store).
    pub(super) fn forget_signals(&mut self) {
        self.signals = Signals::default();
    }
}
