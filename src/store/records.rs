//! Rows of the store as Rust values.

use crate::fleet::{Activity, ErrorKind, EventKind, EventView, Level, LifeState, Tier};
use rusqlite::{named_params, Connection, Row};
use std::collections::BTreeMap;

/// An agent's declaration as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentRecord {
    /// Unique name.
    pub name: String,
    /// Parent's name.
    pub parent: Option<String>,
    /// Profile name.
    pub kind: String,
    /// Command line.
    pub cmd: String,
    /// Start directory.
    pub cwd: Option<String>,
    /// First message.
    pub task: Option<String>,
    /// Extra environment.
    pub env: BTreeMap<String, String>,
    /// Stall timeout.
    pub stall_timeout_ms: u64,
    /// Ladder held by the operator.
    pub paused: bool,
    /// What happens when it idles at its prompt; the fleet's default when `None`.
    pub on_idle: Option<crate::fleet::OnIdle>,
    /// Declaration order.
    pub seq: i64,
    /// When first recorded.
    pub created_ms: i64,
}

impl AgentRecord {
    pub(crate) const SELECT: &'static str =
        "SELECT name, parent, kind, cmd, cwd, task, env, stall_timeout_ms, paused, seq, created_ms, on_idle FROM agents";

    pub(crate) fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        let env: String = r.get(6)?;
        Ok(AgentRecord {
            name: r.get(0)?,
            parent: r.get(1)?,
            kind: r.get(2)?,
            cmd: r.get(3)?,
            cwd: r.get(4)?,
            task: r.get(5)?,
            env: serde_json::from_str(&env).unwrap_or_default(),
            stall_timeout_ms: r.get::<_, i64>(7)?.max(1) as u64,
            paused: r.get(8)?,
            seq: r.get(9)?,
            created_ms: r.get(10)?,
            // A value this shoal does not know (written by a newer one) is the default.
            on_idle: r.get::<_, Option<String>>(11)?.and_then(|s| s.parse().ok()),
        })
    }

    pub(crate) fn env_json(&self) -> String {
        serde_json::to_string(&self.env).expect("string map serializes")
    }
}

/// One attempt of an agent, with the supervisor's running state for it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AttemptRecord {
    /// Agent name.
    pub agent: String,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// tmux socket name.
    pub server: Option<String>,
    /// tmux pane id.
    pub pane: Option<String>,
    /// Lifecycle state.
    pub state: LifeState,
    /// When the pane was created.
    pub started_ms: Option<i64>,
    /// When the attempt ended.
    pub ended_ms: Option<i64>,
    /// Exit status of a dead pane.
    pub exit_status: Option<i32>,
    /// Last observed activity.
    pub activity: Activity,
    /// Error shown on screen.
    pub error: Option<ErrorKind>,
    /// Rule that decided the activity.
    pub reason: Option<String>,
    /// When the shown error resets.
    pub reset_at_ms: Option<i64>,
    /// Stall tier reached in the current stall.
    pub tier: Tier,
    /// When that tier was entered.
    pub tier_since_ms: i64,
    /// Last proof of life.
    pub last_progress_ms: i64,
    /// Digest of the normalized capture.
    pub proof_hash: Option<String>,
    /// Digest of the raw capture.
    pub screen_hash: Option<String>,
    /// The task has been typed.
    pub task_sent: bool,
    /// A cancel is under way; kill at this time.
    pub cancel_deadline_ms: Option<i64>,
    /// The final capture kept when the attempt ended.
    pub death_capture: Option<i64>,
    /// pid of the pane's first process, recorded at start.
    pub pane_pid: Option<u32>,
    /// Start time of that process (clock ticks after boot), so a reused pid is never
    /// taken for it.
    pub pane_start: Option<u64>,
    /// The per-attempt mark set on the pane at start (`@shoal_mark`).
    pub pane_mark: Option<String>,
    /// Continue messages typed into an errored agent since it last finished a turn:
    /// its backoff doubles with each, across supervisor restarts.
    pub retries: u32,
}

impl AttemptRecord {
    pub(crate) const SELECT: &'static str = "SELECT agent, attempt, server, pane, state, started_ms, ended_ms, exit_status,
        activity, error, reason, reset_at_ms, tier, tier_since_ms, last_progress_ms, proof_hash, screen_hash,
        task_sent, cancel_deadline_ms, death_capture, pane_pid, pane_start, pane_mark, retries FROM attempts";

    pub(crate) fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        fn parse<T: std::str::FromStr + Default>(s: Option<String>) -> T {
            s.and_then(|s| s.parse().ok()).unwrap_or_default()
        }
        Ok(AttemptRecord {
            agent: r.get(0)?,
            attempt: r.get(1)?,
            server: r.get(2)?,
            pane: r.get(3)?,
            state: parse(r.get(4)?),
            started_ms: r.get(5)?,
            ended_ms: r.get(6)?,
            exit_status: r.get(7)?,
            activity: parse(r.get(8)?),
            error: r.get::<_, Option<String>>(9)?.and_then(|s| s.parse().ok()),
            reason: r.get(10)?,
            reset_at_ms: r.get(11)?,
            tier: parse(r.get(12)?),
            tier_since_ms: r.get(13)?,
            last_progress_ms: r.get(14)?,
            proof_hash: r.get(15)?,
            screen_hash: r.get(16)?,
            task_sent: r.get(17)?,
            cancel_deadline_ms: r.get(18)?,
            death_capture: r.get(19)?,
            pane_pid: r.get(20)?,
            pane_start: r.get::<_, Option<i64>>(21)?.map(|v| v as u64),
            pane_mark: r.get(22)?,
            retries: r.get(23)?,
        })
    }

    pub(crate) fn save(&self, conn: &Connection) -> rusqlite::Result<()> {
        conn.prepare_cached(
            "INSERT OR REPLACE INTO attempts (agent, attempt, server, pane, state, started_ms, ended_ms,
               exit_status, activity, error, reason, reset_at_ms, tier, tier_since_ms, last_progress_ms,
               proof_hash, screen_hash, task_sent, cancel_deadline_ms, death_capture, pane_pid, pane_start,
               pane_mark, retries)
             VALUES (:agent, :attempt, :server, :pane, :state, :started, :ended, :exit, :activity, :error,
               :reason, :reset, :tier, :tier_since, :progress, :proof, :screen, :task_sent, :cancel, :death,
               :pane_pid, :pane_start, :pane_mark, :retries)",
        )?
        .execute(named_params! {
            ":agent": self.agent, ":attempt": self.attempt, ":server": self.server, ":pane": self.pane,
            ":state": self.state.as_str(), ":started": self.started_ms, ":ended": self.ended_ms,
            ":exit": self.exit_status, ":activity": self.activity.as_str(),
            ":error": self.error.map(ErrorKind::as_str),
            // The reason quotes the screen: it is redacted like everything else from it.
            ":reason": self.reason.as_deref().map(crate::logs::redact::redact), ":reset": self.reset_at_ms,
            ":tier": self.tier.as_str(), ":tier_since": self.tier_since_ms, ":progress": self.last_progress_ms,
            ":proof": self.proof_hash, ":screen": self.screen_hash, ":task_sent": self.task_sent,
            ":cancel": self.cancel_deadline_ms, ":death": self.death_capture,
            ":pane_pid": self.pane_pid, ":pane_start": self.pane_start.map(|v| v as i64),
            ":pane_mark": self.pane_mark, ":retries": self.retries,
        })?;
        Ok(())
    }
}

/// An event to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// When.
    pub ts_ms: i64,
    /// About which agent.
    pub agent: Option<String>,
    /// Which attempt.
    pub attempt: Option<u32>,
    /// Tier at the time.
    pub tier: Option<Tier>,
    /// What happened.
    pub kind: EventKind,
    /// Detection rule behind it.
    pub rule: Option<String>,
    /// Capture behind it.
    pub capture_id: Option<i64>,
    /// A capture to store with the event (its id becomes `capture_id`).
    pub capture_text: Option<std::sync::Arc<str>>,
    /// The capture is the attempt's final screen: its id is recorded on the attempt.
    pub final_screen: bool,
}

impl NewEvent {
    /// An event about the whole fleet.
    pub fn fleet(ts_ms: i64, kind: EventKind) -> NewEvent {
        NewEvent {
            ts_ms,
            agent: None,
            attempt: None,
            tier: None,
            kind,
            rule: None,
            capture_id: None,
            capture_text: None,
            final_screen: false,
        }
    }

    /// An event about one attempt of an agent.
    pub fn agent(ts_ms: i64, agent: &str, attempt: u32, kind: EventKind) -> NewEvent {
        NewEvent {
            agent: Some(agent.to_string()),
            attempt: Some(attempt),
            ..NewEvent::fleet(ts_ms, kind)
        }
    }
}

/// An event row, read with the columns `id, ts_ms, agent, attempt, kind, tier, detail,
/// rule, capture_id, level, payload` in that order.
pub(crate) fn event_from_row(r: &Row<'_>) -> rusqlite::Result<EventView> {
    Ok(EventView {
        id: r.get(0)?,
        ts_ms: r.get(1)?,
        agent: r.get(2)?,
        attempt: r.get(3)?,
        kind: r.get(4)?,
        tier: r.get::<_, Option<String>>(5)?.and_then(|s| s.parse().ok()),
        detail: r.get(6)?,
        rule: r.get(7)?,
        has_capture: r.get::<_, Option<i64>>(8)?.is_some(),
        level: Level::from_rank(r.get(9)?),
        // Written by this code only; an event from before payloads has none.
        payload: r
            .get::<_, Option<String>>(10)?
            .and_then(|p| serde_json::from_str(&p).ok()),
    })
}

/// The process holding the supervisor lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseHolder {
    /// Its pid.
    pub pid: u32,
    /// When it took the lease.
    pub started_ms: i64,
    /// Its last heartbeat.
    pub heartbeat_ms: i64,
    /// Raised by every take-over.
    pub epoch: i64,
    /// Ticks it has run since it took the lease.
    pub ticks: u64,
    /// Where it runs.
    pub mode: SupervisorMode,
}

/// Where a supervisor runs, as views and `shoal supervisor status` say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SupervisorMode {
    /// Inside a console.
    Console,
    /// `shoal supervise` in a terminal (or under a service manager).
    #[default]
    Foreground,
    /// `shoal supervise --detach`: its own session, logging to a file.
    Detached,
}

impl SupervisorMode {
    /// The word stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            SupervisorMode::Console => "console",
            SupervisorMode::Foreground => "foreground",
            SupervisorMode::Detached => "detached",
        }
    }

    /// The mode stored as `word`; unknown words read as foreground.
    pub fn parse(word: &str) -> SupervisorMode {
        match word {
            "console" => SupervisorMode::Console,
            "detached" => SupervisorMode::Detached,
            _ => SupervisorMode::Foreground,
        }
    }
}

/// A lease as its holder knows it: it acts only while the store's lease row still
/// names this pid and epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    /// The holder's pid.
    pub pid: u32,
    /// The epoch it took.
    pub epoch: i64,
}

impl LeaseHolder {
    /// A holder is live while it beats and its process exists.
    pub fn is_live(&self, now_ms: i64, stale_ms: i64) -> bool {
        now_ms - self.heartbeat_ms <= stale_ms && process_exists(self.pid)
    }
}

/// Whether a process with this pid runs: it exists and is not a zombie waiting to be
/// reaped.
pub fn process_running(pid: u32) -> bool {
    if !process_exists(pid) {
        return false;
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The state follows the command name's closing parenthesis.
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next());
    state != Some('Z')
}

/// Whether a process with this pid exists (signal 0 probes without delivering).
pub fn process_exists(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // SAFETY: kill with signal 0 only checks that the pid exists and may be signalled.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}
