//! One agent as the supervisor tracks it: its declaration, its current attempt and what
//! was last seen on its screen, as a state machine with no tmux and no store. The tick
//! feeds it captures and asks it for its next [`Step`]; carrying a step out is the
//! supervisor's job, and the agent records what became of it. Every method that changes
//! something returns the events it caused.

use super::detector::Observation;
use super::hold::{backoff_ms, Hold, Holds, NOT_READY_AFTER_MS};
use crate::fleet::{
    Activity, AgentView, Escalation, EventKind, KilledBy, LifeState, OnIdle, Tier, Verb,
};
use crate::store::{AgentRecord, AttemptRecord, NewEvent};
use std::sync::Arc;

mod signal;
pub use signal::{Signal, SIGNAL_GRACE_MS};

/// Screen changes within this long after shoal typed into a pane are the echo of that
/// typing, not the agent's progress.
pub const ECHO_WINDOW_MS: i64 = 1500;

/// What a tick decided about one fresh, changed screen.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The capture, with ANSI.
    pub raw: Arc<str>,
    /// Digest of the raw capture.
    pub screen_hash: String,
    /// Digest of the normalized capture: proof of life.
    pub proof: String,
    /// What the screen says.
    pub obs: Observation,
}

/// The fleet's rules an agent's next step depends on.
#[derive(Debug, Clone, Copy)]
pub struct Policy<'a> {
    /// Which tiers act.
    pub escalation: Escalation,
    /// Text typed at the nudge tier.
    pub nudge_message: &'a str,
    /// Type the task after this long even if the agent never looked ready (ms).
    pub task_ready_timeout_ms: i64,
    /// Type the continue message once a shown reset time has passed.
    pub resume_after_reset: bool,
    /// This agent's kind's continue message.
    pub continue_message: Option<&'a str>,
    /// The fleet's `on_idle`, for agents that do not set their own.
    pub on_idle: OnIdle,
}

/// Something an agent needs done to its pane. Carrying steps out is the only way the
/// tick touches tmux for an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Type its task: it looks ready, or waited long enough.
    Task(String),
    /// The first tier: type the nudge message.
    Nudge(String),
    /// The second tier: tell the operator (nothing is typed).
    Warn,
    /// Kill the pane and end the attempt.
    Kill(Ending),
    /// An error's reset time or backoff passed: type the continue message.
    Resume(String),
    /// Tell the operator why the ladder holds off (nothing is typed).
    Hold(Hold),
}

/// Why a pane is killed, and so how its attempt ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The stall ladder's last tier: `killed`.
    Ladder {
        /// Seconds without progress.
        stalled_s: i64,
    },
    /// A cancel's grace ran out: `cancelled`.
    CancelGrace,
    /// The operator (or an ancestor) asked: `killed`.
    Request,
}

/// What the supervisor remembers of an agent's screen between ticks.
#[derive(Debug, Clone, Default)]
struct Screen {
    /// Latest capture, with ANSI.
    capture: Arc<str>,
    /// Screen changes before this time are our own typing, not progress.
    rebaseline_until_ms: i64,
    /// The tick this pane was last captured.
    captured_tick: Option<u64>,
    /// The continue message was typed for this reset time.
    resumed_for: Option<i64>,
    /// The next capture only sets the baseline: after a restart, a stalled agent's
    /// changed screen may be the echo of a nudge typed just before the restart.
    baseline_next: bool,
    /// When the raw screen last changed (0 until this supervisor saw it change).
    changed_ms: i64,
    /// The last judged screen showed the CLI ready for input (`None`: cannot tell).
    ready: Option<bool>,
}

/// One agent: declaration, current attempt and screen memory.
#[derive(Debug, Clone)]
pub struct Agent {
    /// As declared (fleet file, spawn, adopt).
    pub decl: AgentRecord,
    /// The current attempt (attempt 0, `queued`, before the first start).
    pub att: AttemptRecord,
    screen: Screen,
    /// A blocked / need-input signal of this attempt waits for the operator.
    held_by_signal: bool,
    /// The attempt row needs writing.
    dirty: bool,
    /// The attempt ended without an event to carry its final screen yet.
    final_unrecorded: bool,
    /// Why the ladder holds off, and the backoff of an errored agent.
    holds: Holds,
    /// Hooks and pane titles waiting for the screen to bear them out.
    signals: signal::Signals,
}

impl Agent {
    /// An agent as loaded from the store. An attempt that was on the ladder when its
    /// supervisor stopped takes its next screen as a baseline, not as progress.
    pub fn new(decl: AgentRecord, att: AttemptRecord) -> Agent {
        let screen = Screen {
            baseline_next: att.tier != Tier::Ok,
            ..Screen::default()
        };
        Agent {
            decl,
            att,
            screen,
            held_by_signal: false,
            dirty: false,
            final_unrecorded: false,
            holds: Holds::default(),
            signals: signal::Signals::default(),
        }
    }

    /// The agent's name.
    pub fn name(&self) -> &str {
        &self.decl.name
    }

    /// Starting or running.
    pub fn is_live(&self) -> bool {
        matches!(self.att.state, LifeState::Starting | LifeState::Running)
    }

    /// The latest capture.
    pub fn capture(&self) -> &Arc<str> {
        &self.screen.capture
    }

    /// Keep a screen as the latest capture without judging it (a final screen read
    /// back from the store).
    pub fn set_capture(&mut self, text: Arc<str>) {
        self.screen.capture = text;
    }

    /// The tick this pane was last captured.
    pub fn captured_tick(&self) -> Option<u64> {
        self.screen.captured_tick
    }

    /// Whether the attempt row changed since it was last written.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// The attempt row was written.
    pub fn mark_clean(&mut self) {
        self.dirty = false;
    }

    /// Whether a blocked / need-input signal holds it for the operator.
    pub fn held_by_signal(&self) -> bool {
        self.held_by_signal
    }

    /// Hold (or release) the ladder for an unanswered blocked / need-input signal.
    pub fn set_held_by_signal(&mut self, held: bool) {
        self.held_by_signal = held && self.is_live();
    }

    /// A newer declaration of the same agent.
    pub fn redeclare(&mut self, decl: AgentRecord) {
        self.decl = decl;
    }

    /// A newer attempt written by another process (a CLI that acted alone).
    pub fn adopt_attempt(&mut self, att: AttemptRecord) {
        self.att = att;
        self.screen = Screen::default();
        self.held_by_signal = false;
        self.forget_signals();
    }

    /// Screens are judged afresh (the rules changed).
    pub fn forget_screen(&mut self) {
        self.att.screen_hash = None;
        self.screen.captured_tick = None;
    }

    fn event(&self, now_ms: i64, kind: EventKind) -> NewEvent {
        NewEvent {
            tier: Some(self.att.tier),
            ..NewEvent::agent(now_ms, &self.decl.name, self.att.attempt, kind)
        }
    }

    fn set_tier(&mut self, tier: Tier, now_ms: i64) {
        if self.att.tier != tier {
            self.att.tier = tier;
            self.att.tier_since_ms = now_ms;
            self.dirty = true;
        }
    }

    /// Progress (or the start or end of a wait for the operator): the stall clock
    /// restarts, and a tier short of kill goes back to ok.
    fn restart_clock(&mut self, now_ms: i64) {
        self.att.last_progress_ms = now_ms;
        self.dirty = true;
        if self.att.tier != Tier::Kill {
            self.set_tier(Tier::Ok, now_ms);
        }
    }

    /// A new attempt began in `pane` on `server`.
    pub fn started(&mut self, attempt: u32, server: &str, pane: &str, now_ms: i64) -> NewEvent {
        self.att = AttemptRecord {
            agent: self.decl.name.clone(),
            attempt,
            server: Some(server.to_string()),
            pane: Some(pane.to_string()),
            state: LifeState::Starting,
            started_ms: Some(now_ms),
            tier_since_ms: now_ms,
            last_progress_ms: now_ms,
            ..Default::default()
        };
        self.screen = Screen::default();
        self.held_by_signal = false;
        self.holds = Holds::default();
        self.forget_signals();
        self.dirty = true;
        self.event(
            now_ms,
            EventKind::Started {
                attempt,
                pane: pane.to_string(),
                server: server.to_string(),
            },
        )
    }

    /// Starting an attempt failed: that attempt is `failed` with the reason, once; it is
    /// not tried again every tick (`retry` tries again).
    pub fn start_failed(&mut self, error: String, now_ms: i64) -> NewEvent {
        self.att = AttemptRecord {
            agent: self.decl.name.clone(),
            attempt: self.att.attempt + 1,
            state: LifeState::Failed,
            activity: Activity::Exited,
            reason: Some(format!("could not start: {error}")),
            started_ms: Some(now_ms),
            ended_ms: Some(now_ms),
            tier_since_ms: now_ms,
            last_progress_ms: now_ms,
            ..Default::default()
        };
        self.screen = Screen::default();
        self.dirty = true;
        self.event(now_ms, EventKind::StartFailed { error })
    }

    /// The pane was captured at `tick`; `screen_hash` is the raw capture's digest.
    /// Returns true when the screen is the one already judged: no progress, nothing
    /// to classify. A starting agent with no task to type is running once seen.
    pub fn captured(&mut self, tick: u64, screen_hash: &str, raw: &str) -> bool {
        self.screen.captured_tick = Some(tick);
        // No task to type, or typed already by a supervisor that died before it could
        // record so: running once seen.
        if self.att.state == LifeState::Starting && (self.task().is_none() || self.att.task_sent) {
            self.att.state = LifeState::Running;
            self.dirty = true;
        }
        if self.att.screen_hash.as_deref() != Some(screen_hash) {
            return false;
        }
        // A supervisor that loaded the digest from the store has not seen the screen
        // itself yet, though.
        if self.screen.capture.is_empty() {
            self.screen.capture = Arc::from(raw);
        }
        true
    }

    /// Take in a fresh, changed screen: proof of life and classification.
    pub fn observe(&mut self, seen: Seen, now_ms: i64) -> Vec<NewEvent> {
        let mut events = Vec::new();
        self.att.screen_hash = Some(seen.screen_hash);
        self.screen.capture = seen.raw;
        self.screen.changed_ms = now_ms;
        self.dirty = true;
        let progressed = self.att.proof_hash.as_deref() != Some(seen.proof.as_str());
        self.att.proof_hash = Some(seen.proof);
        let baseline = std::mem::take(&mut self.screen.baseline_next);
        if progressed && !baseline && now_ms >= self.screen.rebaseline_until_ms {
            self.att.last_progress_ms = now_ms;
            if self.att.tier != Tier::Ok && self.att.tier != Tier::Kill {
                let was = self.att.tier;
                self.set_tier(Tier::Ok, now_ms);
                events.push(self.event(now_ms, EventKind::Recovered { was }));
            }
        }
        let obs = seen.obs;
        self.screen.ready = obs.ready;
        let changed = self.att.activity != obs.activity || self.att.error != obs.error;
        self.att.reason = obs.reason.clone();
        self.att.reset_at_ms = obs.reset_at_ms;
        if changed {
            let from = self.att.activity;
            self.att.activity = obs.activity;
            self.att.error = obs.error;
            self.new_episode(from, obs.activity, now_ms);
            if obs.activity == Activity::NeedsInput || from == Activity::NeedsInput {
                // Waiting for the operator is not a stall: the clock starts afresh when
                // the wait begins and when it ends.
                self.restart_clock(now_ms);
            }
            let mut e = self.event(
                now_ms,
                EventKind::Activity {
                    from,
                    to: obs.activity,
                    error: obs.error,
                },
            );
            e.rule = self.rule_with_signals(obs.reason, obs.activity);
            e.capture_text = Some(self.screen.capture.clone());
            events.push(e);
        }
        events
    }

    fn task(&self) -> Option<&str> {
        self.decl.task.as_deref().filter(|t| !t.trim().is_empty())
    }

    /// Whether the stall ladder runs for it now, with the fleet's default `on_idle`.
    pub fn ladder_applies(&self) -> bool {
        self.ladder_applies_with(OnIdle::default())
    }

    /// Whether the stall ladder runs for it now: it should be making progress. Not when
    /// it waits for the operator, shows an error (errors back off instead), idles at its
    /// own prompt (unless `on_idle` is `nudge`), is being cancelled or is held by a
    /// signal. `fleet_on_idle` applies when the agent sets no `on_idle` of its own.
    pub fn ladder_applies_with(&self, fleet_on_idle: OnIdle) -> bool {
        let activity = self.att.activity;
        self.att.state == LifeState::Running
            && !matches!(activity, Activity::NeedsInput | Activity::Errored)
            && !(activity == Activity::Idle && self.on_idle(fleet_on_idle) != OnIdle::Nudge)
            && self.att.cancel_deadline_ms.is_none()
            && !self.held_by_signal
    }

    /// Its own `on_idle`, else the fleet's.
    pub fn on_idle(&self, fleet_on_idle: OnIdle) -> OnIdle {
        self.decl.on_idle.unwrap_or(fleet_on_idle)
    }

    /// The screen shows another activity: holds announced for the old one are over, an
    /// error's clock starts, and a finished turn ends the backoff.
    fn new_episode(&mut self, from: Activity, to: Activity, now_ms: i64) {
        self.holds.announced = None;
        if to != Activity::Errored {
            self.holds.errored_since_ms = None;
        } else if from != Activity::Errored {
            self.holds.errored_since_ms = Some(now_ms);
        }
        if matches!(to, Activity::Idle | Activity::NeedsInput) && self.att.retries != 0 {
            self.att.retries = 0;
            self.dirty = true;
        }
    }

    /// What should be done to its pane now, if anything.
    pub fn next_step(&self, policy: &Policy<'_>, now_ms: i64) -> Option<Step> {
        if let Some(deadline) = self.att.cancel_deadline_ms {
            return (self.is_live() && now_ms >= deadline)
                .then_some(Step::Kill(Ending::CancelGrace));
        }
        if self.att.tier == Tier::Kill && self.is_live() {
            // The kill tier was recorded but the kill never finished (the supervisor
            // died in between): finish it.
            return Some(Step::Kill(Ending::Ladder {
                stalled_s: self.stalled_s(now_ms),
            }));
        }
        if self.att.state == LifeState::Starting {
            let task = self.task()?;
            self.screen.captured_tick?;
            let waited = now_ms - self.att.started_ms.unwrap_or(now_ms);
            return match self.screen.ready {
                // The profile reads readiness: no fixed timeout, the task waits for the
                // prompt (a CLI still starting drops or queues what is typed).
                Some(true) => Some(Step::Task(task.to_string())),
                Some(false) if waited >= NOT_READY_AFTER_MS.max(policy.task_ready_timeout_ms) => {
                    self.announce(Hold::NotReady {
                        waited_s: waited / 1000,
                    })
                    .filter(|_| !matches!(self.holds.announced, Some(Hold::NotReady { .. })))
                }
                Some(false) => None,
                None => (self.att.activity == Activity::Idle
                    || waited >= policy.task_ready_timeout_ms)
                    .then(|| Step::Task(task.to_string())),
            };
        }
        if self.decl.paused {
            return None;
        }
        if self.att.state == LifeState::Running
            && self.att.cancel_deadline_ms.is_none()
            && !self.held_by_signal
        {
            match self.att.activity {
                Activity::Errored => return self.error_step(policy, now_ms),
                Activity::Idle if self.on_idle(policy.on_idle) == OnIdle::Notify => {
                    return self.announce(Hold::WaitingForWork);
                }
                _ => {}
            }
        }
        if !self.ladder_applies_with(policy.on_idle) {
            return None;
        }
        let tier = policy.escalation.due(
            self.att.tier,
            self.att.last_progress_ms,
            self.decl.stall_timeout_ms,
            now_ms,
        )?;
        Some(match tier {
            Tier::Nudge => Step::Nudge(policy.nudge_message.to_string()),
            Tier::Warn => Step::Warn,
            Tier::Kill => Step::Kill(Ending::Ladder {
                stalled_s: self.stalled_s(now_ms),
            }),
            Tier::Ok => return None,
        })
    }

    /// An errored agent is never nudged: a fatal error waits for the operator; one that
    /// passes with time is tried again (the continue message) at the reset time it shows,
    /// or after an exponential backoff when it shows none.
    fn error_step(&self, policy: &Policy<'_>, now_ms: i64) -> Option<Step> {
        if let Some(error) = self.att.error.filter(|e| e.is_fatal()) {
            return self.announce(Hold::Fatal { error });
        }
        let message = policy
            .continue_message
            .filter(|_| policy.resume_after_reset)?;
        let retries = self.att.retries;
        let (retry_at_ms, reset_shown) = match self.att.reset_at_ms {
            Some(reset) if self.screen.resumed_for == Some(reset) => return None,
            Some(reset) => (reset, true),
            None => {
                // A supervisor that found the agent errored already counts from its
                // last progress.
                let since = (self.holds.errored_since_ms).unwrap_or(self.att.last_progress_ms);
                (since.saturating_add(backoff_ms(retries)), false)
            }
        };
        if now_ms >= retry_at_ms {
            return Some(Step::Resume(message.to_string()));
        }
        self.announce(Hold::BackingOff {
            error: self.att.error,
            retry_at_ms,
            reset_shown,
            retries,
        })
    }

    /// A hold step, unless this hold was announced already.
    fn announce(&self, hold: Hold) -> Option<Step> {
        (self.holds.announced.as_ref() != Some(&hold)).then_some(Step::Hold(hold))
    }

    /// The operator was told why the ladder holds off.
    pub fn held(&mut self, hold: Hold, now_ms: i64) -> NewEvent {
        let kind = match &hold {
            Hold::WaitingForWork => EventKind::WaitingForWork,
            Hold::BackingOff {
                error,
                retry_at_ms,
                reset_shown,
                retries,
            } => EventKind::BackingOff {
                error: *error,
                retry_at_ms: *retry_at_ms,
                reset_shown: *reset_shown,
                retries: *retries,
            },
            Hold::Fatal { error } => EventKind::FatalError { error: *error },
            Hold::NotReady { waited_s } => EventKind::NotReady {
                waited_s: *waited_s,
            },
        };
        self.holds.announced = Some(hold);
        self.event(now_ms, kind)
    }

    fn stalled_s(&self, now_ms: i64) -> i64 {
        now_ms.saturating_sub(self.att.last_progress_ms) / 1000
    }

    /// Record, before acting, what a step is about to do, so that a supervisor that dies
    /// between acting and recording the result never does it twice: the tier a ladder
    /// step reaches, or that the task is being typed.
    pub fn intend(&mut self, step: &Step, now_ms: i64) {
        match step {
            Step::Nudge(_) => self.set_tier(Tier::Nudge, now_ms),
            Step::Kill(Ending::Ladder { .. }) => self.set_tier(Tier::Kill, now_ms),
            Step::Task(_) => {
                self.att.task_sent = true;
                self.dirty = true;
            }
            Step::Warn | Step::Resume(_) | Step::Kill(_) | Step::Hold(_) => {}
        }
    }

    /// The screen right after shoal's typing was taken, digested as proof of life: its
    /// echo (the submitted text in the transcript) is the new baseline, not progress,
    /// however late the next capture comes.
    pub fn echo_seen(&mut self, proof: String) {
        self.att.proof_hash = Some(proof);
        self.dirty = true;
    }

    /// Shoal typed into or sent keys to the pane: the echo is not progress.
    pub fn typed(&mut self, now_ms: i64) {
        // A window already reaching further (typing that ended later than this tick
        // began) is kept.
        let until = now_ms.saturating_add(ECHO_WINDOW_MS);
        self.screen.rebaseline_until_ms = self.screen.rebaseline_until_ms.max(until);
    }

    /// The task was typed (or typing failed).
    pub fn task_typed(&mut self, task: &str, result: Result<(), String>, now_ms: i64) -> NewEvent {
        match result {
            Ok(()) => {
                self.typed(now_ms);
                self.att.task_sent = true;
                self.att.state = LifeState::Running;
                self.att.last_progress_ms = now_ms;
                self.dirty = true;
                self.event(
                    now_ms,
                    EventKind::TaskTyped {
                        task: task.to_string(),
                    },
                )
            }
            Err(error) => {
                self.att.task_sent = false;
                self.dirty = true;
                self.event(now_ms, EventKind::TaskFailed { error })
            }
        }
    }

    /// The task was typed but the CLI did not take it (`why`). It is not typed again (the
    /// CLI may hold it, and a second copy would double it): the attempt runs on, and the
    /// event tells the operator.
    pub fn task_undelivered(&mut self, why: String, now_ms: i64) -> NewEvent {
        self.typed(now_ms);
        self.att.task_sent = true;
        self.att.state = LifeState::Running;
        self.att.last_progress_ms = now_ms;
        self.dirty = true;
        self.event(now_ms, EventKind::TaskFailed { error: why })
    }

    /// The nudge tier fired: the message was typed (or typing failed).
    pub fn nudged(&mut self, result: Result<(), String>, now_ms: i64) -> NewEvent {
        let stalled_s = self.stalled_s(now_ms);
        self.set_tier(Tier::Nudge, now_ms);
        if result.is_ok() {
            self.typed(now_ms);
        }
        self.event(
            now_ms,
            EventKind::Nudged {
                stalled_s,
                failed: result.err(),
            },
        )
    }

    /// The warn tier fired.
    pub fn warned(&mut self, now_ms: i64) -> NewEvent {
        let stalled_s = self.stalled_s(now_ms);
        self.set_tier(Tier::Warn, now_ms);
        self.event(now_ms, EventKind::Warned { stalled_s })
    }

    /// The continue message was typed for the current reset time (or typing failed).
    pub fn resumed(&mut self, result: Result<(), String>, now_ms: i64) -> NewEvent {
        self.screen.resumed_for = self.att.reset_at_ms;
        self.att.retries = self.att.retries.saturating_add(1);
        self.holds.errored_since_ms = Some(now_ms);
        self.holds.announced = None;
        if result.is_ok() {
            self.typed(now_ms);
        }
        self.att.last_progress_ms = now_ms;
        self.dirty = true;
        self.event(
            now_ms,
            EventKind::Resumed {
                failed: result.err(),
            },
        )
    }

    /// The pane was killed for `ending`; `screen` is its last capture, `note` what went
    /// wrong killing it.
    pub fn killed(
        &mut self,
        ending: &Ending,
        screen: Option<String>,
        note: Option<String>,
        now_ms: i64,
    ) -> NewEvent {
        if let Some(s) = screen {
            self.screen.capture = Arc::from(s.as_str());
        }
        self.att.activity = Activity::Exited;
        let (state, kind) = match ending {
            Ending::Ladder { stalled_s } => (
                LifeState::Killed,
                EventKind::Killed {
                    by: KilledBy::Ladder {
                        stalled_s: *stalled_s,
                    },
                    note,
                },
            ),
            Ending::Request => (
                LifeState::Killed,
                EventKind::Killed {
                    by: KilledBy::Request {
                        agent: self.decl.name.clone(),
                    },
                    note,
                },
            ),
            Ending::CancelGrace => (LifeState::Cancelled, EventKind::CancelFinished { note }),
        };
        // The kill tier is the ladder's: an operator's kill leaves the tier it had.
        if matches!(ending, Ending::Ladder { .. }) {
            self.set_tier(Tier::Kill, now_ms);
        }
        self.end(state, kind, now_ms)
    }

    /// End the attempt in `state`, with its final screen kept on the event.
    fn end(&mut self, state: LifeState, kind: EventKind, now_ms: i64) -> NewEvent {
        self.att.state = state;
        self.att.ended_ms = Some(now_ms);
        self.att.cancel_deadline_ms = None;
        self.held_by_signal = false;
        self.dirty = true;
        let mut e = self.event(now_ms, kind);
        e.capture_text = Some(self.screen.capture.clone());
        e.final_screen = true;
        e
    }

    /// How an attempt that ended by itself ends: a cancel under way makes it cancelled.
    fn ended_state(&self, clean: bool) -> LifeState {
        if self.att.cancel_deadline_ms.is_some() {
            LifeState::Cancelled
        } else if clean {
            LifeState::Done
        } else {
            LifeState::Failed
        }
    }

    /// The pane's process exited with `status` (when tmux knows it).
    pub fn died(&mut self, status: Option<i32>, now_ms: i64) -> NewEvent {
        let state = self.ended_state(status == Some(0));
        self.att.exit_status = status;
        self.att.activity = Activity::Exited;
        self.end(state, EventKind::Exited { status, state }, now_ms)
    }

    /// The pane is gone without a trace (killed outside shoal).
    pub fn vanished(&mut self, now_ms: i64) -> NewEvent {
        let state = self.ended_state(false);
        self.att.activity = Activity::Exited;
        self.end(state, EventKind::Vanished { state }, now_ms)
    }

    /// The tmux server its pane lived on is gone.
    pub fn server_gone(&mut self, socket: &str, now_ms: i64) -> NewEvent {
        self.att.activity = Activity::Exited;
        let kind = EventKind::ServerGone {
            socket: socket.to_string(),
        };
        self.end(LifeState::Failed, kind, now_ms)
    }

    /// The pane at its recorded id is another process now (`why`): the attempt is
    /// `lost`, with no final screen (the screen there is not this agent's).
    pub fn lost(&mut self, why: String, now_ms: i64) -> NewEvent {
        let kind = EventKind::Lost {
            pane: self.att.pane.clone().unwrap_or_default(),
            server: self.att.server.clone().unwrap_or_default(),
            why: why.clone(),
        };
        self.att.activity = Activity::Unknown;
        self.att.reason = Some(format!("pane lost: {why}"));
        self.att.state = LifeState::Lost;
        self.att.ended_ms = Some(now_ms);
        self.att.cancel_deadline_ms = None;
        self.held_by_signal = false;
        self.dirty = true;
        self.event(now_ms, kind)
    }

    /// The agent reported that it is done or failed (`shoal signal`). The attempt ends
    /// now; its final screen goes with the event that records the signal
    /// ([`Agent::take_final_screen`]).
    pub fn signalled_end(&mut self, state: LifeState, now_ms: i64) {
        self.att.state = state;
        self.att.ended_ms = Some(now_ms);
        self.att.cancel_deadline_ms = None;
        self.held_by_signal = false;
        self.final_unrecorded = true;
        self.dirty = true;
    }

    /// Put the final screen of an attempt that ended without its own event on `event`.
    pub fn take_final_screen(&mut self, event: &mut NewEvent) {
        if std::mem::take(&mut self.final_unrecorded) {
            event.capture_text = Some(self.screen.capture.clone());
            event.final_screen = true;
        }
    }

    /// A progress or holding signal: proof of life.
    pub fn signalled(&mut self, now_ms: i64) {
        self.restart_clock(now_ms);
    }

    /// The operator answered a holding signal.
    pub fn answered(&mut self, now_ms: i64) {
        self.held_by_signal = false;
        self.att.last_progress_ms = now_ms;
        self.dirty = true;
        self.set_tier(Tier::Ok, now_ms);
    }

    /// A cancel began: the pane is killed at `deadline_ms` unless it exits first.
    pub fn cancelling(&mut self, deadline_ms: i64) {
        self.att.cancel_deadline_ms = Some(deadline_ms);
        self.dirty = true;
    }

    /// The operator held or released the ladder. Supervision that resumes restarts the
    /// stall clock.
    pub fn paused(&mut self, paused: bool, now_ms: i64) {
        self.decl.paused = paused;
        if !paused {
            self.att.last_progress_ms = now_ms;
            self.set_tier(Tier::Ok, now_ms);
            self.dirty = true;
        }
    }

    /// Whether approve / deny can answer it now: it must show a live dialog.
    pub fn check_answerable(&self, verb: Verb) -> Result<(), String> {
        let name = self.name();
        let activity = self.att.activity;
        if activity != Activity::NeedsInput && self.held_by_signal {
            return Err(format!(
                "{name} signalled that it needs you, but shows no dialog to answer; type your answer with `shoal send {name} TEXT` (i in the console)"
            ));
        }
        if activity != Activity::NeedsInput {
            return Err(format!(
                "{name} is {activity}, not waiting for input; nothing to {verb}"
            ));
        }
        Ok(())
    }

    /// The fleet as the operator sees this agent, before lineage is filled in.
    pub fn view(&self, escalation: &Escalation) -> AgentView {
        self.view_with(escalation, OnIdle::default())
    }

    /// [`Agent::view`], with the fleet's default `on_idle`.
    pub fn view_with(&self, escalation: &Escalation, fleet_on_idle: OnIdle) -> AgentView {
        let held = self.decl.paused || !self.ladder_applies_with(fleet_on_idle);
        let att = &self.att;
        AgentView {
            name: self.decl.name.clone(),
            parent: self.decl.parent.clone(),
            kind: self.decl.kind.clone(),
            state: att.state,
            activity: att.activity,
            error: att.error,
            reset_at_ms: att.reset_at_ms,
            reason: att.reason.clone(),
            tier: att.tier,
            tier_since_ms: att.tier_since_ms,
            next_action_at_ms: if held {
                None
            } else {
                escalation.next_action_at(
                    att.tier,
                    att.last_progress_ms,
                    self.decl.stall_timeout_ms,
                )
            },
            last_progress_ms: att.last_progress_ms,
            stall_timeout_ms: self.decl.stall_timeout_ms,
            attempt: att.attempt,
            pane: att.pane.clone(),
            server: att.server.clone(),
            exit_status: att.exit_status,
            paused: self.decl.paused,
            ended_ms: att.ended_ms,
            screen_changed_ms: self.screen.changed_ms,
            capture: self.screen.capture.clone(),
            lineage: Default::default(),
            usage: Default::default(),
            on_idle: self.on_idle(fleet_on_idle),
        }
    }
}
