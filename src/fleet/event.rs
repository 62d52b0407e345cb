//! What happened, as data: every event the supervisor (or a command acting alone)
//! records is one [`EventKind`] variant. Its level, its colour meaning and its prose are
//! derived from the variant, so rewording a message never changes how it is filed or
//! shown, and nothing ever parses the prose back.

use super::model::{Activity, ErrorKind, LifeState, Tier};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How much an entry matters; queries ask for a minimum.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Detail only useful when digging.
    Debug,
    /// Ordinary output and events.
    #[default]
    Info,
    /// Something the operator may want to look at (a nudge, a warn tier, a refusal).
    Warn,
    /// Something went wrong (a kill, a failed exit, an error).
    Error,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 4] = [Level::Debug, Level::Info, Level::Warn, Level::Error];

    /// The name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }

    /// The number stored, so a minimum level is one comparison.
    pub fn rank(self) -> i64 {
        self as i64
    }

    /// The level stored as `rank`; unknown numbers read as `info`.
    pub fn from_rank(rank: i64) -> Level {
        Level::ALL
            .get(usize::try_from(rank).unwrap_or(1))
            .copied()
            .unwrap_or_default()
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A level name that is not one of `debug`, `info`, `warn`, `error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown level {0:?}: use debug, info, warn or error")]
pub struct UnknownLevel(pub String);

impl FromStr for Level {
    type Err = UnknownLevel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let found = match lower.as_str() {
            "warning" => Some(Level::Warn),
            "err" => Some(Level::Error),
            other => Level::ALL.into_iter().find(|l| l.as_str() == other),
        };
        found.ok_or_else(|| UnknownLevel(s.to_string()))
    }
}

/// The theme meaning an event is drawn with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tone {
    /// Nothing to draw attention to.
    Plain,
    /// The first stall tier.
    Nudge,
    /// The second stall tier.
    Warn,
    /// Something ended badly or failed.
    Bad,
}

/// What an operator or agent asks for, as the CLI spells it: every command, and the
/// fleet-wide actions the caller rule knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verb {
    /// Answer yes to a dialog.
    Approve,
    /// Answer no to a dialog.
    Deny,
    /// Start an ended agent again.
    Retry,
    /// Interrupt, wait, then kill.
    Cancel,
    /// Kill now.
    Kill,
    /// Type the nudge message.
    Nudge,
    /// Type a line.
    Send,
    /// Hold the stall ladder.
    Pause,
    /// Release the stall ladder.
    Resume,
    /// An agent's report about itself.
    Signal,
    /// An ancestor typing into a descendant.
    Steer,
    /// `shoal spawn --parent`.
    Spawn,
    /// `shoal inbox --agent`.
    Inbox,
    /// `shoal adopt`.
    Adopt,
    /// `shoal down`.
    Down,
    /// Opening the console, which acts with the operator's keyboard.
    Console,
    /// `shoal add`: a new agent in the fleet file, under `--parent`.
    Add,
    /// `shoal remove`: an agent ended and taken out of the fleet file.
    Remove,
}

impl Verb {
    /// The CLI's word for it, also the stored event kind of a carried-out command.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Approve => "approve",
            Verb::Deny => "deny",
            Verb::Retry => "retry",
            Verb::Cancel => "cancel",
            Verb::Kill => "kill",
            Verb::Nudge => "nudge",
            Verb::Send => "send",
            Verb::Pause => "pause",
            Verb::Resume => "resume",
            Verb::Signal => "signal",
            Verb::Steer => "steer",
            Verb::Spawn => "spawn",
            Verb::Inbox => "inbox",
            Verb::Adopt => "adopt",
            Verb::Down => "down",
            Verb::Console => "console",
            Verb::Add => "add",
            Verb::Remove => "remove",
        }
    }

    /// The verb of a command.
    pub fn of(cmd: &super::Command) -> Verb {
        cmd.verb()
    }

    /// Whether the verb types text or keys into a pane (a refusal says nothing was sent).
    pub fn types(self) -> bool {
        matches!(
            self,
            Verb::Send | Verb::Steer | Verb::Nudge | Verb::Approve | Verb::Deny
        )
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who ended an attempt with a kill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum KilledBy {
    /// The stall ladder's last tier, after this long without progress.
    Ladder {
        /// Seconds without progress.
        stalled_s: i64,
    },
    /// The operator (or an ancestor) asked.
    Request {
        /// The agent killed.
        agent: String,
    },
}

/// Everything shoal records as an event. The stored `kind` column, the level, the tone
/// and the prose are all functions of the variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum EventKind {
    /// A new attempt's pane was created.
    Started {
        /// Attempt number.
        attempt: u32,
        /// tmux pane id.
        pane: String,
        /// tmux socket name.
        server: String,
    },
    /// An attempt could not be started.
    StartFailed {
        /// Why.
        error: String,
    },
    /// The agent's task was typed into its pane.
    TaskTyped {
        /// The task.
        task: String,
    },
    /// Typing the task failed.
    TaskFailed {
        /// Why.
        error: String,
    },
    /// The screen shows another activity.
    Activity {
        /// Before.
        from: Activity,
        /// Now.
        to: Activity,
        /// The error shown, if any.
        error: Option<ErrorKind>,
    },
    /// Progress after a stall: the ladder is back at ok.
    Recovered {
        /// The tier it had reached.
        was: Tier,
    },
    /// The first tier: the nudge message was typed, or typing it failed.
    Nudged {
        /// Seconds without progress.
        stalled_s: i64,
        /// Why typing failed, if it did.
        failed: Option<String>,
    },
    /// The second tier: the operator is warned.
    Warned {
        /// Seconds without progress.
        stalled_s: i64,
    },
    /// The pane was killed.
    Killed {
        /// By the ladder or on request.
        #[serde(flatten)]
        by: KilledBy,
        /// What went wrong while killing, if anything.
        note: Option<String>,
    },
    /// A cancel's grace period ran out and the pane was killed.
    CancelFinished {
        /// What went wrong while killing, if anything.
        note: Option<String>,
    },
    /// The pane's process exited.
    Exited {
        /// Exit status, when tmux knows it.
        status: Option<i32>,
        /// The state the attempt ended in.
        state: LifeState,
    },
    /// The pane disappeared without a trace (killed outside shoal).
    Vanished {
        /// The state the attempt ended in.
        state: LifeState,
    },
    /// The tmux server the pane lived on is gone.
    ServerGone {
        /// Its socket name.
        socket: String,
    },
    /// An errored agent's reset time passed: the continue message was typed (or not).
    Resumed {
        /// Why typing failed, if it did.
        failed: Option<String>,
    },
    /// Idle at its own prompt with `on_idle = "notify"`: it waits for work, and the stall
    /// ladder leaves it alone.
    WaitingForWork,
    /// Errored on an error that passes with time: it is tried again at `retry_at_ms`.
    BackingOff {
        /// The error shown, when the profile names its kind.
        error: Option<ErrorKind>,
        /// When the continue message is typed (unix ms).
        retry_at_ms: i64,
        /// The time is the reset time the CLI showed (else a backoff).
        reset_shown: bool,
        /// Tries made already.
        retries: u32,
    },
    /// Errored on an error that waiting does not cure: nothing is typed until the
    /// operator acts.
    FatalError {
        /// The error shown.
        error: ErrorKind,
    },
    /// Text shoal typed was not taken by the agent's CLI.
    Undelivered {
        /// What was typed: `task`, `nudge`, `send`, `continue message`.
        what: String,
        /// What the screen showed instead.
        why: String,
    },
    /// The CLI has not looked ready for its task this long; the task waits for it.
    NotReady {
        /// Seconds since the attempt started.
        waited_s: i64,
    },
    /// A command was carried out.
    Acted {
        /// What was asked.
        verb: Verb,
        /// Who asked.
        by: String,
        /// What was done.
        outcome: String,
    },
    /// A command was refused.
    Refused {
        /// What was asked.
        verb: Verb,
        /// Who asked.
        by: String,
        /// Why not, and what to do.
        why: String,
    },
    /// New settings took effect.
    SettingsReloaded {
        /// Each changed setting, `name old → new`.
        changes: Vec<String>,
    },
    /// The agent profiles were read again.
    ProfilesReloaded,
    /// The fleet's `[[host]]` tables changed, or a removed host was let go once its last
    /// agent ended.
    HostsChanged {
        /// One phrase per host: `host gpu2 added`, `host gpu1 changed (port 22 → 2222)`.
        changes: Vec<String>,
    },
    /// A request written into a remote pane's options was not carried out: unreadable,
    /// too big, or not carrying that pane's attempt token.
    RequestDropped {
        /// The pane and agent it came from: `pane %3 of far#1 on gpu1`.
        by: String,
        /// Why.
        why: String,
    },
    /// The fleet file was read again.
    FleetReloaded {
        /// New agents started because of it.
        starting: Vec<String>,
    },
    /// The fleet file changed but could not be applied.
    FleetReloadFailed {
        /// Why.
        error: String,
    },
    /// A pane running elsewhere was taken under supervision.
    Adopted {
        /// tmux pane id.
        pane: String,
        /// Its tmux server.
        server: String,
        /// The pane's process.
        pid: u32,
        /// Its command line.
        cmd: String,
    },
    /// The pane the attempt was bound to now shows another process or another mark
    /// (a restarted tmux server numbers panes anew): the attempt ends `lost`, and shoal
    /// never acts on that pane for it.
    Lost {
        /// tmux pane id.
        pane: String,
        /// Its tmux server.
        server: String,
        /// What differs.
        why: String,
    },
    /// An attempt started with environment values from the fleet file other than the
    /// ones the agent was declared with (the file changed since).
    EnvChanged {
        /// The variables whose values changed (names only: values are secrets).
        vars: Vec<String>,
        /// The fleet file read.
        file: String,
    },
    /// The restart policy will start a new attempt after a delay.
    RestartScheduled {
        /// This restart's number within the window.
        n: u32,
        /// `max_restarts`.
        of: u32,
        /// The wait, in ms.
        delay_ms: i64,
    },
    /// The restart policy wanted a restart, but the window's restarts are spent: the
    /// agent stays failed until the operator acts.
    RestartLimit {
        /// `max_restarts`.
        max: u32,
        /// `restart_window` in ms.
        window_ms: i64,
    },
    /// The attempt died, or showed a fatal error, within `rapid_death` of its start.
    RapidFailure {
        /// How long after its start.
        after_ms: i64,
        /// The fatal error it showed, if any.
        error: Option<ErrorKind>,
    },
    /// A new attempt resumed the CLI's last conversation instead of starting afresh.
    SessionResumed {
        /// The session id.
        session: String,
    },
    /// Rapid failures of one kind opened its circuit: nothing of that kind starts.
    CircuitOpened {
        /// The agent kind.
        kind: String,
        /// Rapid failures within the window.
        failures: u32,
        /// The cool-down before one start is let through, in ms.
        cooldown_ms: i64,
    },
    /// A circuit's cool-down passed: one start of that kind is let through.
    CircuitHalfOpen {
        /// The agent kind.
        kind: String,
    },
    /// A circuit closed: starts of that kind go through again.
    CircuitClosed {
        /// The agent kind.
        kind: String,
        /// Who reset it; `None` when the start let through survived.
        by: Option<String>,
    },
    /// A budget's scope reached 80 % of it.
    BudgetWarning {
        /// The agent whose subtree it covers; `None`: the fleet's budget.
        owner: Option<String>,
        /// The limit.
        limit: super::Usd,
        /// What the scope has spent.
        spent: super::Usd,
    },
    /// A budget's scope spent all of it: its action was taken on the agents named.
    BudgetExhausted {
        /// The agent whose subtree it covers; `None`: the fleet's budget.
        owner: Option<String>,
        /// The limit.
        limit: super::Usd,
        /// What the scope has spent.
        spent: super::Usd,
        /// What the budget does when spent.
        action: super::BudgetAction,
        /// The live agents it paused or cancelled.
        agents: Vec<String>,
    },
    /// A spent budget stopped this agent: interrupted and paused, or cancelled.
    BudgetStopped {
        /// The agent whose subtree the budget covers; `None`: the fleet's budget.
        owner: Option<String>,
        /// The limit.
        limit: super::Usd,
        /// Pause or cancel.
        action: super::BudgetAction,
        /// What was done, or why it could not be.
        outcome: String,
    },
    /// The agent's git worktree was made for its first start (later attempts reuse it).
    WorktreeCreated {
        /// Its directory.
        path: String,
        /// The branch checked out in it.
        branch: String,
        /// The branch was made now, from the repository's HEAD.
        new_branch: bool,
    },
    /// The agent's CLI fired one of its own hooks (`shoal hook`, run from inside the
    /// agent's pane): a signal the supervisor checks against the screen.
    Hook {
        /// The CLI that fired it, as its hook command says (`claude`, `codex`, …).
        cli: String,
        /// The CLI's event: `PermissionRequest`, `Stop`, `Notification:idle_prompt`, …
        event: String,
    },
    /// An agent-native signal (a hook, the pane title) said one thing and the screen
    /// another: the screen wins, nothing is done on the signal's word.
    SignalDisagreed {
        /// Which signal: `hook PermissionRequest`, `title "✋  Action Required"`.
        signal: String,
        /// What it claimed.
        claim: super::Claim,
        /// What the screen showed instead.
        screen: Activity,
    },
}

impl EventKind {
    /// The stored `kind` column: one short word per family of events.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Started { .. } => "start",
            EventKind::StartFailed { .. } | EventKind::TaskFailed { .. } => "error",
            EventKind::TaskTyped { .. } => "task",
            EventKind::Activity { .. } => "activity",
            EventKind::Recovered { .. } => "tier",
            EventKind::Nudged { .. } => "nudge",
            EventKind::Warned { .. } => "warn",
            EventKind::Killed { .. } => "kill",
            EventKind::CancelFinished { .. } => "cancel",
            EventKind::Exited { .. }
            | EventKind::Vanished { .. }
            | EventKind::ServerGone { .. } => "exit",
            EventKind::Resumed { .. } => "resume",
            EventKind::WaitingForWork => "idle",
            EventKind::BackingOff { .. } => "backoff",
            EventKind::FatalError { .. } | EventKind::Undelivered { .. } => "error",
            EventKind::NotReady { .. } => "task",
            EventKind::Acted { verb, .. } => verb.as_str(),
            EventKind::Refused { .. } | EventKind::RequestDropped { .. } => "refused",
            EventKind::SettingsReloaded { .. }
            | EventKind::ProfilesReloaded
            | EventKind::HostsChanged { .. }
            | EventKind::FleetReloaded { .. }
            | EventKind::FleetReloadFailed { .. } => "config",
            EventKind::Adopted { .. } => "adopt",
            EventKind::Lost { .. } => "lost",
            EventKind::EnvChanged { .. } => "config",
            EventKind::RestartScheduled { .. } | EventKind::RestartLimit { .. } => "restart",
            EventKind::RapidFailure { .. } => "rapid",
            EventKind::SessionResumed { .. } => "resume",
            EventKind::CircuitOpened { .. }
            | EventKind::CircuitHalfOpen { .. }
            | EventKind::CircuitClosed { .. } => "circuit",
            EventKind::BudgetWarning { .. }
            | EventKind::BudgetExhausted { .. }
            | EventKind::BudgetStopped { .. } => "budget",
            EventKind::WorktreeCreated { .. } => "worktree",
            EventKind::Hook { .. } => "hook",
            EventKind::SignalDisagreed { .. } => "disagree",
        }
    }

    /// How much it matters in the log.
    pub fn level(&self) -> Level {
        match self {
            EventKind::StartFailed { .. }
            | EventKind::TaskFailed { .. }
            | EventKind::Killed { .. }
            | EventKind::Vanished { .. }
            | EventKind::Lost { .. }
            | EventKind::ServerGone { .. }
            | EventKind::RestartLimit { .. }
            | EventKind::CircuitOpened { .. }
            | EventKind::FatalError { .. }
            | EventKind::Undelivered { .. } => Level::Error,
            EventKind::RapidFailure { .. }
            | EventKind::BudgetWarning { .. }
            | EventKind::BudgetStopped { .. } => Level::Warn,
            EventKind::BudgetExhausted { .. } => Level::Error,
            EventKind::Exited { state, .. } if *state == LifeState::Done => Level::Info,
            EventKind::Exited { .. } => Level::Error,
            EventKind::Nudged { .. }
            | EventKind::Warned { .. }
            | EventKind::CancelFinished { .. }
            | EventKind::Refused { .. }
            | EventKind::EnvChanged { .. }
            | EventKind::FleetReloadFailed { .. }
            | EventKind::RequestDropped { .. }
            | EventKind::WaitingForWork
            | EventKind::BackingOff { .. }
            | EventKind::NotReady { .. } => Level::Warn,
            EventKind::Activity { to, .. } if *to == Activity::Errored => Level::Warn,
            EventKind::Acted { verb, .. } => match verb {
                Verb::Kill => Level::Error,
                Verb::Nudge | Verb::Cancel => Level::Warn,
                _ => Level::Info,
            },
            // Fired every turn; what it led to is an event of its own.
            EventKind::Hook { .. } => Level::Debug,
            _ => Level::Info,
        }
    }

    /// The theme meaning it is drawn with.
    pub fn tone(&self) -> Tone {
        match self {
            EventKind::StartFailed { .. }
            | EventKind::TaskFailed { .. }
            | EventKind::Killed { .. }
            | EventKind::Vanished { .. }
            | EventKind::Lost { .. }
            | EventKind::ServerGone { .. }
            | EventKind::RestartLimit { .. }
            | EventKind::CircuitOpened { .. }
            | EventKind::FatalError { .. }
            | EventKind::Undelivered { .. } => Tone::Bad,
            EventKind::RapidFailure { .. }
            | EventKind::BudgetWarning { .. }
            | EventKind::BudgetStopped { .. } => Tone::Warn,
            EventKind::BudgetExhausted { .. } => Tone::Bad,
            EventKind::Exited { state, .. } if *state != LifeState::Done => Tone::Bad,
            EventKind::Nudged { .. } => Tone::Nudge,
            EventKind::Warned { .. } => Tone::Warn,
            EventKind::Acted {
                verb: Verb::Kill, ..
            } => Tone::Bad,
            EventKind::Acted {
                verb: Verb::Nudge, ..
            } => Tone::Nudge,
            _ => Tone::Plain,
        }
    }

    /// Whether it is an agent's report about itself rather than something shoal saw or did.
    pub fn is_signal(&self) -> bool {
        matches!(
            self,
            EventKind::Acted {
                verb: Verb::Signal,
                ..
            }
        )
    }

    /// One line for people.
    pub fn render(&self) -> String {
        match self {
            EventKind::Started {
                attempt,
                pane,
                server,
            } => format!("started attempt {attempt} in pane {pane} on {server}"),
            EventKind::StartFailed { error } => format!("could not start: {error}"),
            EventKind::TaskTyped { task } => format!("typed the task: {task}"),
            EventKind::TaskFailed { error } => format!("could not type the task: {error}"),
            EventKind::Activity { from, to, error } => match error {
                Some(e) => format!("{from} → {to} ({e})"),
                None => format!("{from} → {to}"),
            },
            EventKind::Recovered { was } => format!("progress again after {was}: back to ok"),
            EventKind::Nudged { stalled_s, failed } => match failed {
                None => format!("no progress for {stalled_s}s: typed the nudge message"),
                Some(e) => format!("no progress for {stalled_s}s: nudge failed: {e}"),
            },
            EventKind::Warned { stalled_s } => format!(
                "no progress for {stalled_s}s: operator warned; kill follows at 3× the stall timeout"
            ),
            EventKind::Killed { by, note } => {
                let what = match by {
                    KilledBy::Ladder { stalled_s } => {
                        format!("no progress for {stalled_s}s: killed by the stall ladder")
                    }
                    KilledBy::Request { agent } => {
                        format!("killed {agent} at the operator's request")
                    }
                };
                with_note(what, note.as_deref())
            }
            EventKind::CancelFinished { note } => with_note(
                "grace period over: killed to finish the cancel".to_string(),
                note.as_deref(),
            ),
            EventKind::Exited { status, state } => {
                let status = status.map_or("unknown".to_string(), |s| s.to_string());
                format!("process exited with status {status}: {state}")
            }
            EventKind::Vanished { .. } => {
                "the pane disappeared (killed outside shoal); last screen kept".to_string()
            }
            EventKind::ServerGone { socket } => format!("the tmux server {socket} is gone"),
            EventKind::Resumed { failed } => match failed {
                None => "the error's reset time passed: typed the continue message".to_string(),
                Some(e) => format!(
                    "the error's reset time passed; typing the continue message failed: {e}"
                ),
            },
            EventKind::WaitingForWork => {
                "idle at its prompt: waiting for work (on_idle = notify; not nudged)".to_string()
            }
            EventKind::BackingOff {
                error,
                retry_at_ms,
                reset_shown,
                retries,
            } => {
                let error = error.map_or("an error".to_string(), |e| e.to_string());
                let at = clock(*retry_at_ms);
                if *reset_shown {
                    format!("{error}: waiting for its reset time, then continuing at {at}")
                } else {
                    format!(
                        "{error} without a reset time: backing off, continuing at {at} (try {})",
                        retries + 1
                    )
                }
            }
            EventKind::FatalError { error } => format!(
                "{error}: waiting does not cure it; nothing is typed until you fix it and retry"
            ),
            EventKind::Undelivered { what, why } => format!("the {what} was not delivered: {why}"),
            EventKind::NotReady { waited_s } => format!(
                "not ready for its task after {waited_s}s; the task waits until it shows its prompt"
            ),
            EventKind::Acted { by, outcome, .. } => format!("{by}: {outcome}"),
            EventKind::Refused { verb, by, why } => format!("{by} {verb}: {why}"),
            EventKind::SettingsReloaded { changes } => {
                format!("settings reloaded: {}", changes.join(", "))
            }
            EventKind::HostsChanged { changes } => changes.join("; "),
            EventKind::RequestDropped { by, why } => format!("request from {by} dropped: {why}"),
            EventKind::ProfilesReloaded => {
                "agent profiles reloaded: screens are classified again".to_string()
            }
            EventKind::FleetReloaded { starting } if starting.is_empty() => {
                "fleet file reloaded".to_string()
            }
            EventKind::FleetReloaded { starting } => {
                format!("fleet file reloaded; starting {}", starting.join(", "))
            }
            EventKind::FleetReloadFailed { error } => {
                format!("fleet file changed but could not be applied: {error}")
            }
            EventKind::Adopted {
                pane,
                server,
                pid,
                cmd,
            } => format!(
                "adopted pane {pane} on tmux server {server} (pid {pid}, {cmd}) without restarting it"
            ),
            EventKind::Lost { pane, server, why } => format!(
                "pane {pane} on tmux server {server} is no longer this attempt's ({why}): lost; shoal does not act on that pane for it"
            ),
            EventKind::EnvChanged { vars, file } => format!(
                "started with the values {file} holds now for {}, not the ones declared",
                vars.join(", ")
            ),
            EventKind::RestartScheduled { n, of, delay_ms } => format!(
                "restart {n}/{of} in {}",
                super::restart::countdown(*delay_ms)
            ),
            EventKind::RestartLimit { max, window_ms } => format!(
                "{}: not restarted; `shoal retry` starts it again",
                super::restart::limit_text(*max, *window_ms)
            ),
            EventKind::RapidFailure { after_ms, error } => {
                let what = match error {
                    Some(e) => format!("showed a fatal error ({e})"),
                    None => "died".to_string(),
                };
                format!("{what} {} after its start: a rapid failure", super::restart::countdown(*after_ms))
            }
            EventKind::CircuitOpened {
                kind,
                failures,
                cooldown_ms,
            } => format!(
                "{kind}: circuit open after {failures} rapid failures; no {kind} agent starts for {} (`shoal circuit reset {kind}` closes it)",
                super::restart::countdown(*cooldown_ms)
            ),
            EventKind::SessionResumed { session } => {
                format!("resumed the CLI's session {session}; the task is not typed again")
            }
            EventKind::CircuitHalfOpen { kind } => {
                format!("{kind}: circuit half-open; one start goes through")
            }
            EventKind::CircuitClosed { kind, by: None } => {
                format!("{kind}: circuit closed; the start let through survived")
            }
            EventKind::CircuitClosed { kind, by: Some(by) } => {
                format!("{kind}: circuit closed by {by}")
            }
            EventKind::BudgetWarning {
                owner,
                limit,
                spent,
            } => format!(
                "{} at {}% ({spent} of {limit}): {}",
                budget_name(owner.as_deref()),
                spent.percent_of(*limit),
                match owner {
                    Some(o) => format!("{o} and its subtree are near their limit"),
                    None => "the fleet is near its limit".to_string(),
                }
            ),
            EventKind::BudgetExhausted {
                owner,
                limit,
                spent,
                action,
                agents,
            } => {
                let done = match action {
                    super::BudgetAction::Warn => "warn only: nothing was stopped".to_string(),
                    _ if agents.is_empty() => format!("{action}: no live agent to {action}"),
                    super::BudgetAction::Pause => format!("paused {}", agents.join(", ")),
                    super::BudgetAction::Cancel => format!("cancelling {}", agents.join(", ")),
                };
                format!(
                    "{} spent ({spent} of {limit}): {done}",
                    budget_name(owner.as_deref())
                )
            }
            EventKind::BudgetStopped {
                owner,
                limit,
                action,
                outcome,
            } => format!(
                "{} {limit} spent: {outcome}{}",
                budget_name(owner.as_deref()),
                match action {
                    super::BudgetAction::Pause =>
                        "; `shoal resume` once the budget is raised in the fleet file",
                    _ => "",
                }
            ),
            EventKind::WorktreeCreated {
                path,
                branch,
                new_branch,
            } => {
                let which = if *new_branch { "new branch" } else { "branch" };
                format!("made its git worktree {path} on {which} {branch}")
            }
            EventKind::Hook { cli, event } => format!("{cli} hook {event}"),
            EventKind::SignalDisagreed {
                signal,
                claim,
                screen,
            } => format!(
                "{signal} said {claim}, the screen shows {screen}: the screen wins"
            ),
        }
    }
}

/// `budget of lead`, or `fleet budget`.
fn budget_name(owner: Option<&str>) -> String {
    owner.map_or_else(|| "fleet budget".to_string(), |o| format!("budget of {o}"))
}

/// A unix-ms time as the local wall clock, for prose.
fn clock(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || format!("{ms}ms"),
        |t| {
            t.with_timezone(&chrono::Local)
                .format("%H:%M:%S")
                .to_string()
        },
    )
}

fn with_note(what: String, note: Option<&str>) -> String {
    match note {
        Some(n) => format!("{what} ({n})"),
        None => what,
    }
}

/// The tone of an event stored before events carried their variant: from its kind word
/// alone, as such events were always drawn.
pub fn legacy_tone(kind: &str) -> Tone {
    match kind {
        "kill" | "exit" | "error" => Tone::Bad,
        "warn" => Tone::Warn,
        "nudge" => Tone::Nudge,
        _ => Tone::Plain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<EventKind> {
        use EventKind as K;
        vec![
            K::Started {
                attempt: 2,
                pane: "%3".into(),
                server: "shoal-x".into(),
            },
            K::StartFailed { error: "e".into() },
            K::TaskTyped { task: "t".into() },
            K::TaskFailed { error: "e".into() },
            K::Activity {
                from: Activity::Working,
                to: Activity::Errored,
                error: Some(ErrorKind::RateLimit),
            },
            K::Recovered { was: Tier::Nudge },
            K::Nudged {
                stalled_s: 60,
                failed: None,
            },
            K::Warned { stalled_s: 120 },
            K::Killed {
                by: KilledBy::Ladder { stalled_s: 180 },
                note: None,
            },
            K::CancelFinished { note: None },
            K::Exited {
                status: Some(0),
                state: LifeState::Done,
            },
            K::Exited {
                status: Some(3),
                state: LifeState::Failed,
            },
            K::Vanished {
                state: LifeState::Failed,
            },
            K::ServerGone {
                socket: "shoal-x".into(),
            },
            K::Resumed { failed: None },
            K::WaitingForWork,
            K::BackingOff {
                error: Some(ErrorKind::RateLimit),
                retry_at_ms: 1_000,
                reset_shown: false,
                retries: 1,
            },
            K::FatalError {
                error: ErrorKind::Auth,
            },
            K::Undelivered {
                what: "task".into(),
                why: "the composer kept it".into(),
            },
            K::NotReady { waited_s: 60 },
            K::Acted {
                verb: Verb::Kill,
                by: "operator".into(),
                outcome: "killed a".into(),
            },
            K::Acted {
                verb: Verb::Signal,
                by: "a".into(),
                outcome: "signalled done".into(),
            },
            K::Refused {
                verb: Verb::Approve,
                by: "operator".into(),
                why: "no dialog".into(),
            },
            K::SettingsReloaded {
                changes: vec!["poll_interval 1s → 2s".into()],
            },
            K::ProfilesReloaded,
            K::FleetReloaded { starting: vec![] },
            K::FleetReloadFailed { error: "e".into() },
            K::Adopted {
                pane: "%1".into(),
                server: "default".into(),
                pid: 42,
                cmd: "claude".into(),
            },
            K::Lost {
                pane: "%1".into(),
                server: "shoal-x".into(),
                why: "pid 7, not 6".into(),
            },
            K::EnvChanged {
                vars: vec!["TOKEN".into()],
                file: "shoal.toml".into(),
            },
            K::RestartScheduled {
                n: 1,
                of: 5,
                delay_ms: 1000,
            },
            K::RestartLimit {
                max: 5,
                window_ms: 600_000,
            },
            K::RapidFailure {
                after_ms: 800,
                error: Some(ErrorKind::Auth),
            },
            K::SessionResumed {
                session: "0a1b".into(),
            },
            K::CircuitOpened {
                kind: "claude".into(),
                failures: 3,
                cooldown_ms: 240_000,
            },
            K::CircuitHalfOpen {
                kind: "claude".into(),
            },
            K::CircuitClosed {
                kind: "claude".into(),
                by: None,
            },
            K::BudgetWarning {
                owner: Some("lead".into()),
                limit: super::super::Usd(5_000_000),
                spent: super::super::Usd(4_100_000),
            },
            K::BudgetExhausted {
                owner: None,
                limit: super::super::Usd(10_000),
                spent: super::super::Usd(12_000),
                action: super::super::BudgetAction::Pause,
                agents: vec!["a".into(), "b".into()],
            },
            K::BudgetStopped {
                owner: Some("lead".into()),
                limit: super::super::Usd(10_000),
                action: super::super::BudgetAction::Cancel,
                outcome: "sent C-c".into(),
            },
            K::WorktreeCreated {
                path: "/d/worktrees/f/a".into(),
                branch: "a".into(),
                new_branch: true,
            },
            K::HostsChanged {
                changes: vec!["host gpu2 added".into()],
            },
            K::RequestDropped {
                by: "pane %3 of far#1 on gpu1".into(),
                why: "bad token".into(),
            },
            K::Hook {
                cli: "claude".into(),
                event: "PermissionRequest".into(),
            },
            K::SignalDisagreed {
                signal: "hook Stop".into(),
                claim: crate::fleet::Claim::Idle,
                screen: Activity::Working,
            },
        ]
    }

    #[test]
    fn levels_and_tones_come_from_the_variant_not_the_words() {
        // (kind, expected level, expected tone)
        let expect = [
            (Level::Info, Tone::Plain),
            (Level::Error, Tone::Bad),
            (Level::Info, Tone::Plain),
            (Level::Error, Tone::Bad),
            (Level::Warn, Tone::Plain),
            (Level::Info, Tone::Plain),
            (Level::Warn, Tone::Nudge),
            (Level::Warn, Tone::Warn),
            (Level::Error, Tone::Bad),
            (Level::Warn, Tone::Plain),
            (Level::Info, Tone::Plain),
            (Level::Error, Tone::Bad),
            (Level::Error, Tone::Bad),
            (Level::Error, Tone::Bad),
            (Level::Info, Tone::Plain),
            (Level::Warn, Tone::Plain),
            (Level::Warn, Tone::Plain),
            (Level::Error, Tone::Bad),
            (Level::Error, Tone::Bad),
            (Level::Warn, Tone::Plain),
            (Level::Error, Tone::Bad),
            (Level::Info, Tone::Plain),
            (Level::Warn, Tone::Plain),
            (Level::Info, Tone::Plain),
            (Level::Info, Tone::Plain),
            (Level::Info, Tone::Plain),
            (Level::Warn, Tone::Plain),
            (Level::Info, Tone::Plain),
            (Level::Error, Tone::Bad),
            (Level::Warn, Tone::Plain),
            (Level::Info, Tone::Plain),
            (Level::Error, Tone::Bad),
            (Level::Warn, Tone::Warn),
            (Level::Info, Tone::Plain),
            (Level::Error, Tone::Bad),
            (Level::Info, Tone::Plain),
            (Level::Info, Tone::Plain),
            (Level::Warn, Tone::Warn),
            (Level::Error, Tone::Bad),
            (Level::Warn, Tone::Warn),
            (Level::Info, Tone::Plain),
            // HostsChanged, RequestDropped
            (Level::Info, Tone::Plain),
            (Level::Warn, Tone::Plain),
            (Level::Debug, Tone::Plain),
            (Level::Info, Tone::Plain),
        ];
        let kinds = every_kind();
        assert_eq!(kinds.len(), expect.len());
        for (k, (level, tone)) in kinds.iter().zip(expect) {
            assert_eq!((k.level(), k.tone()), (level, tone), "{k:?}");
        }
    }

    #[test]
    fn rewording_a_message_changes_neither_level_nor_tone() {
        // The free text a variant carries is data: any wording files the same way.
        let worded = |w: &str| {
            [
                EventKind::Nudged {
                    stalled_s: 1,
                    failed: Some(w.into()),
                },
                EventKind::Refused {
                    verb: Verb::Kill,
                    by: w.into(),
                    why: w.into(),
                },
                EventKind::Acted {
                    verb: Verb::Send,
                    by: w.into(),
                    outcome: w.into(),
                },
                EventKind::StartFailed { error: w.into() },
            ]
        };
        for (a, b) in worded("done")
            .iter()
            .zip(worded("killed: failed → errored"))
        {
            assert_eq!(a.level(), b.level());
            assert_eq!(a.tone(), b.tone());
            assert_eq!(a.name(), b.name());
            assert_ne!(a.render(), b.render());
        }
    }

    #[test]
    fn every_variant_round_trips_through_json() {
        for k in every_kind() {
            let json = serde_json::to_string(&k).unwrap();
            let back: EventKind = serde_json::from_str(&json).unwrap();
            assert_eq!(back, k, "{json}");
        }
    }

    #[test]
    fn prose_matches_what_operators_read() {
        let k = EventKind::Exited {
            status: None,
            state: LifeState::Failed,
        };
        assert_eq!(k.render(), "process exited with status unknown: failed");
        let k = EventKind::Killed {
            by: KilledBy::Request { agent: "a".into() },
            note: Some("kill-pane: gone".into()),
        };
        assert_eq!(
            k.render(),
            "killed a at the operator's request (kill-pane: gone)"
        );
        let k = EventKind::BudgetWarning {
            owner: Some("team".into()),
            limit: super::super::Usd(10_000),
            spent: super::super::Usd(8_500),
        };
        assert_eq!(
            k.render(),
            "budget of team at 85% ($0.0085 of $0.01): team and its subtree are near their limit"
        );
        let k = EventKind::BudgetExhausted {
            owner: Some("team".into()),
            limit: super::super::Usd(10_000),
            spent: super::super::Usd(12_000),
            action: super::super::BudgetAction::Pause,
            agents: vec!["team".into(), "w1".into()],
        };
        assert_eq!(
            k.render(),
            "budget of team spent ($0.012 of $0.01): paused team, w1"
        );
    }

    #[test]
    fn levels_parse_with_aliases() {
        assert_eq!("WARNING".parse::<Level>(), Ok(Level::Warn));
        assert_eq!("err".parse::<Level>(), Ok(Level::Error));
        assert!("loud".parse::<Level>().is_err());
    }
}
