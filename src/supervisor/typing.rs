//! The supervisor's own typing (a task, a nudge, a continue message) confirmed across
//! ticks: the text is pasted in one tick, and each later tick judges the pane's fresh
//! capture and presses Enter, presses it again, or ends the delivery (see
//! [`super::delivery::Delivery`]). So a fleet that starts fifty agents at once does not
//! stop watching the rest while each CLI takes its text. An operator's `send` or
//! `steer` still waits inside its command (it has a caller waiting for the answer).

use super::agent::Step;
use super::core::Supervisor;
use super::delivery::{clip, Act, Delivered, Delivery, DeliveryError, Readback};
use crate::store::NewEvent;
use crate::tmux::TmuxError;

/// One agent's typing under way.
pub(crate) struct Typing {
    /// The attempt it types into: a new attempt ends it silently.
    attempt: u32,
    /// The step it carries out (`Task`, `Nudge` or `Resume`).
    step: Step,
    /// When the step began: its event and the tier it reaches date from then, as if
    /// the typing had taken no time.
    began_ms: i64,
    delivery: Delivery,
    bracketed: bool,
    /// The pane as captured after the last act; `None` until a capture comes.
    fresh: Option<String>,
}

/// The text a typing step types.
fn text_of(step: &Step) -> &str {
    match step {
        Step::Task(t) | Step::Nudge(t) | Step::Resume(t) => t,
        _ => "",
    }
}

impl Supervisor {
    /// Whether agent `name` has typing under way: its pane is captured every tick, and
    /// it asks for no other step until the typing ends.
    pub(crate) fn is_typing(&self, name: &str) -> bool {
        !self.typing.is_empty() && self.typing.contains_key(name)
    }

    /// A capture of agent `i`'s pane, for its typing under way if it has one.
    pub(crate) fn typing_saw(&mut self, i: usize, raw: &str) {
        if self.typing.is_empty() {
            return;
        }
        if let Some(t) = self.typing.get_mut(self.agents[i].name()) {
            t.fresh = Some(raw.to_string());
        }
    }

    /// Carry out a typing step for agent `i`: the first act now and the rest on the next
    /// ticks. Returns the step's event when it ended at once (typed without a composer
    /// to confirm it by, or tmux refused).
    pub(crate) fn begin_typing(&mut self, i: usize, step: Step, now_ms: i64) -> Option<NewEvent> {
        let kind = self.agents[i].decl.kind.clone();
        let text = text_of(&step).to_string();
        let bracketed = self.detector.bracketed_paste(&kind);
        // A paste that is not bracketed submits at its first newline.
        if !self.detector.reads_composer(&kind) || (!bracketed && text.contains('\n')) {
            let r = self
                .type_line(i, &text, now_ms)
                .map(|()| Delivered::Unconfirmed)
                .map_err(DeliveryError::from);
            return Some(self.typing_ended(i, step, r, now_ms, now_ms));
        }
        let mut typing = Typing {
            attempt: self.agents[i].att.attempt,
            step,
            began_ms: now_ms,
            delivery: Delivery::new(),
            bracketed,
            fresh: None,
        };
        match self.typing_act(i, &mut typing, Readback::Unreadable, now_ms) {
            Ok(None) => {
                let name = self.agents[i].name().to_string();
                self.typing.insert(name, typing);
                None
            }
            Ok(Some(r)) => Some(self.typing_ended(i, typing.step, r, now_ms, now_ms)),
            Err(e) => Some(self.typing_ended(i, typing.step, Err(e.into()), now_ms, now_ms)),
        }
    }

    /// Move every typing under way on by what its pane showed this tick.
    pub(crate) fn advance_typing(&mut self, now_ms: i64) {
        if self.typing.is_empty() {
            return;
        }
        let names: Vec<String> = self.typing.keys().cloned().collect();
        for name in names {
            let Some(mut typing) = self.typing.remove(&name) else {
                continue;
            };
            let Some(i) = self.find(&name) else {
                continue;
            };
            // The attempt ended or another began: nothing is left to type into.
            if !self.agents[i].is_live() || self.agents[i].att.attempt != typing.attempt {
                continue;
            }
            // Paused meanwhile (by the operator or a spent budget): nothing more is typed.
            if self.agents[i].decl.paused {
                let why = "the agent was paused before the CLI took it".to_string();
                let r = Err(DeliveryError::NotTaken(why));
                let e = self.typing_ended(i, typing.step, r, typing.began_ms, now_ms);
                self.record([e]);
                continue;
            }
            let kind = self.agents[i].decl.kind.clone();
            let text = text_of(&typing.step).to_string();
            let seen = match typing.fresh.as_deref() {
                Some(s) if !self.detector.is_torn(&kind, s) => {
                    match self.detector.composer_holds(&kind, s, &text) {
                        Some(holds) => Readback::Composer(holds),
                        None => Readback::NoComposer,
                    }
                }
                _ => Readback::Unreadable,
            };
            match self.typing_act(i, &mut typing, seen, now_ms) {
                Ok(None) => {
                    self.typing.insert(name, typing);
                }
                Ok(Some(r)) => {
                    let e = self.typing_ended(i, typing.step, r, typing.began_ms, now_ms);
                    self.record([e]);
                }
                Err(e) => {
                    let r = Err(e.into());
                    let e = self.typing_ended(i, typing.step, r, typing.began_ms, now_ms);
                    self.record([e]);
                }
            }
        }
    }

    /// One act of a typing: `Ok(None)` while it goes on, `Ok(Some(..))` when it ended.
    fn typing_act(
        &mut self,
        i: usize,
        typing: &mut Typing,
        seen: Readback,
        now_ms: i64,
    ) -> Result<Option<Result<Delivered, DeliveryError>>, TmuxError> {
        let kind = self.agents[i].decl.kind.clone();
        let text = text_of(&typing.step).to_string();
        let act = typing.delivery.step(seen, now_ms);
        let (server, pane) = self.pane_of(i)?;
        match act {
            Act::Paste | Act::Enter => {
                let backend = self.servers.backend(&server)?;
                match act {
                    Act::Paste if typing.bracketed => backend.paste_text(&pane, &text, true)?,
                    Act::Paste => backend.send_text(&pane, &text)?,
                    _ => backend.send_keys(&pane, &["Enter".to_string()])?,
                }
                // Only a capture after this act can judge it.
                typing.fresh = None;
                self.agents[i].typed(now_ms);
                Ok(None)
            }
            Act::Wait => Ok(None),
            Act::Done => {
                if let Some(s) = typing.fresh.as_deref() {
                    let proof = self.detector.progress_digest(&kind, s);
                    self.agents[i].echo_seen(proof);
                }
                Ok(Some(Ok(Delivered::Confirmed)))
            }
            Act::Fail(why) => {
                let shown = typing
                    .fresh
                    .as_deref()
                    .and_then(|s| self.detector.composer_text(&kind, s));
                Ok(Some(Err(DeliveryError::NotTaken(match shown {
                    Some(t) if !t.is_empty() => format!("{why} (it holds {:?})", clip(&t)),
                    _ => why,
                }))))
            }
        }
    }

    /// A typing step that began at `began_ms` ended at `now_ms`: the agent records
    /// what became of it, dated when it began.
    fn typing_ended(
        &mut self,
        i: usize,
        step: Step,
        r: Result<Delivered, DeliveryError>,
        began_ms: i64,
        now_ms: i64,
    ) -> NewEvent {
        // The echo window runs from the end of the typing.
        self.agents[i].typed(now_ms);
        let now_ms = began_ms;
        let agent = &mut self.agents[i];
        match step {
            // The CLI may hold the text: typing it again would double it.
            Step::Task(task) => match r {
                Err(DeliveryError::NotTaken(why)) => agent.task_undelivered(why, now_ms),
                r => agent.task_typed(&task, r.map(|_| ()).map_err(|e| e.to_string()), now_ms),
            },
            Step::Nudge(_) => agent.nudged(r.map(|_| ()).map_err(|e| e.to_string()), now_ms),
            _ => agent.resumed(r.map(|_| ()).map_err(|e| e.to_string()), now_ms),
        }
    }
}
