//! The supervisor's state: every agent's declaration, current attempt and what was last
//! seen on its screen, the tmux servers it watches, and the store it writes.

use super::detector::Detector;
use crate::fleet::{AgentView, FleetSnapshot, LifeState, TickStats, Tier};
use crate::store::{AgentRecord, AttemptRecord, NewEvent, Store, StoreError};
use crate::tmux::{TmuxBackend, TmuxError};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Opens a connection to the tmux server with this socket name; with `start` true it
/// starts the server first if it is not running. Polling connects without starting, so a
/// server that died is reported, not silently replaced by an empty one.
pub type Connector =
    Box<dyn FnMut(&str, bool) -> Result<Box<dyn TmuxBackend + Send>, TmuxError> + Send>;

/// Fleet-wide settings the supervisor acts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Fleet name.
    pub fleet: String,
    /// Data directory handed to agents as `SHOAL_HOME`.
    pub home: PathBuf,
    /// Tick period.
    pub poll_interval: Duration,
    /// Text typed at the nudge tier.
    pub nudge_message: String,
    /// Wait between a cancel's interrupt and the kill.
    pub cancel_grace: Duration,
    /// Agents per tmux server.
    pub agents_per_server: usize,
    /// Type the kind's continue message once a shown reset time has passed.
    pub resume_after_reset: bool,
    /// Type the task after this long even if the agent never looked ready.
    pub task_ready_timeout: Duration,
    /// Every pane is recaptured at least once per this many ticks, active or not.
    pub recapture_ticks: u32,
    /// Most agents running at once; the rest wait `queued`.
    pub max_running: Option<usize>,
    /// Which stall tiers act.
    pub escalation: crate::fleet::Escalation,
    /// Events and captures older than this are deleted; `None` keeps everything.
    pub log_retention: Option<Duration>,
    /// Retention cap of the store in bytes: past it the oldest log entries are deleted.
    pub log_max_bytes: u64,
}

impl Settings {
    /// Settings from a fleet file, with the data directory.
    pub fn from_fleet(fleet: &crate::fleet::Fleet, home: PathBuf) -> Settings {
        Settings {
            fleet: fleet.name.clone(),
            home,
            poll_interval: fleet.poll_interval,
            nudge_message: fleet.nudge_message.clone(),
            cancel_grace: fleet.cancel_grace,
            agents_per_server: fleet.agents_per_server,
            resume_after_reset: fleet.resume_after_reset,
            task_ready_timeout: Duration::from_secs(10),
            recapture_ticks: 30,
            max_running: fleet.max_running,
            escalation: crate::fleet::Escalation::default(),
            log_retention: None,
            log_max_bytes: fleet.log_max_size,
        }
    }
}

/// One agent as the supervisor tracks it.
#[derive(Debug, Clone)]
pub(crate) struct AgentRt {
    pub rec: AgentRecord,
    pub att: AttemptRecord,
    /// Latest capture, with ANSI.
    pub capture: Arc<str>,
    /// Screen changes before this time are our own typing, not progress.
    pub rebaseline_until_ms: i64,
    /// The tick this pane was last captured.
    pub captured_tick: Option<u64>,
    /// The continue message was typed for the current reset time.
    pub resumed_for: Option<i64>,
    /// The next capture only sets the baseline: after a restart, a stalled agent's
    /// changed screen may be the echo of a nudge typed just before the restart.
    pub baseline_next: bool,
    /// The attempt row needs writing.
    pub dirty: bool,
}

impl AgentRt {
    pub fn is_live(&self) -> bool {
        matches!(self.att.state, LifeState::Starting | LifeState::Running)
    }
}

pub(crate) struct ServerSlot {
    pub socket: String,
    pub conn: Option<Box<dyn TmuxBackend + Send>>,
    /// Seconds value of the previous successful list on this server.
    pub prev_list_sec: i64,
}

/// The supervisor: call [`Supervisor::tick`] every poll interval and
/// [`Supervisor::execute`] for operator commands.
pub struct Supervisor {
    pub(crate) settings: Settings,
    pub(crate) store: Store,
    pub(crate) detector: Box<dyn Detector>,
    pub(crate) connector: Connector,
    pub(crate) servers: Vec<ServerSlot>,
    pub(crate) agents: Vec<AgentRt>,
    pub(crate) pending: Vec<NewEvent>,
    pub(crate) published: Vec<crate::fleet::EventView>,
    pub(crate) outcomes: Vec<super::CommandOutcome>,
    pub(crate) ticks: u64,
    pub(crate) rr_cursor: usize,
    pub(crate) stats: TickStats,
    pub(crate) store_version: i64,
    pub(crate) lineage: super::lineage::LineageState,
    pub(crate) pruned_at_ms: i64,
    pub(crate) output: super::output::OutputLog,
}

impl Supervisor {
    /// Load the fleet's agents and attempts from the store.
    pub fn new(
        settings: Settings,
        store: Store,
        detector: Box<dyn Detector>,
        connector: Connector,
    ) -> Result<Supervisor, StoreError> {
        let mut sup = Supervisor {
            settings,
            store,
            detector,
            connector,
            servers: Vec::new(),
            agents: Vec::new(),
            pending: Vec::new(),
            published: Vec::new(),
            outcomes: Vec::new(),
            ticks: 0,
            rr_cursor: 0,
            stats: TickStats::default(),
            store_version: 0,
            lineage: Default::default(),
            pruned_at_ms: 0,
            output: Default::default(),
        };
        sup.reload()?;
        Ok(sup)
    }

    /// Pick up agents and attempts written by other processes (new agents, a CLI that
    /// acted while no supervisor ran). Agents already tracked keep their screen state.
    pub(crate) fn reload(&mut self) -> Result<(), StoreError> {
        let records = self.store.agents()?;
        let attempts = self.store.current_attempts()?;
        for rec in records {
            let att = attempts
                .iter()
                .find(|a| a.agent == rec.name)
                .cloned()
                .unwrap_or_else(|| AttemptRecord {
                    agent: rec.name.clone(),
                    attempt: 0,
                    state: LifeState::Queued,
                    ..Default::default()
                });
            match self.agents.iter_mut().find(|a| a.rec.name == rec.name) {
                Some(rt) => {
                    rt.rec = rec;
                    if att.attempt > rt.att.attempt {
                        rt.att = att;
                        rt.capture = Arc::from("");
                        rt.captured_tick = None;
                    }
                }
                None => self.agents.push(AgentRt {
                    rec,
                    baseline_next: att.tier != Tier::Ok,
                    att,
                    capture: Arc::from(""),
                    rebaseline_until_ms: 0,
                    captured_tick: None,
                    resumed_for: None,
                    dirty: false,
                }),
            }
        }
        let sockets: Vec<String> = self
            .agents
            .iter()
            .filter_map(|a| a.att.server.clone())
            .collect();
        for socket in sockets {
            self.slot_index(&socket);
        }
        self.reload_lineage()?;
        self.store_version = self.store.data_version()?;
        Ok(())
    }

    /// The server slot for a socket, created (not yet connected) if new.
    pub(crate) fn slot_index(&mut self, socket: &str) -> usize {
        if let Some(i) = self.servers.iter().position(|s| s.socket == socket) {
            return i;
        }
        self.servers.push(ServerSlot {
            socket: socket.to_string(),
            conn: None,
            prev_list_sec: 0,
        });
        self.servers.len() - 1
    }

    /// A connected backend for the slot, connecting if needed.
    pub(crate) fn backend(
        &mut self,
        idx: usize,
    ) -> Result<&mut (dyn TmuxBackend + Send), TmuxError> {
        self.connect(idx, false)
    }

    /// A connected backend for the slot; `start` starts the server if it is down.
    pub(crate) fn connect(
        &mut self,
        idx: usize,
        start: bool,
    ) -> Result<&mut (dyn TmuxBackend + Send), TmuxError> {
        if self.servers[idx].conn.is_none() {
            let conn = (self.connector)(&self.servers[idx].socket, start)?;
            self.servers[idx].conn = Some(conn);
        }
        Ok(self.servers[idx]
            .conn
            .as_deref_mut()
            .expect("just connected"))
    }

    /// Index of a tracked agent.
    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        self.agents.iter().position(|a| a.rec.name == name)
    }

    /// Queue an event for the end-of-tick write.
    pub(crate) fn event(&mut self, i: usize, now_ms: i64, kind: &str, detail: String) {
        let rt = &self.agents[i];
        self.pending.push(NewEvent {
            ts_ms: now_ms,
            agent: Some(rt.rec.name.clone()),
            attempt: Some(rt.att.attempt),
            kind: kind.to_string(),
            tier: Some(rt.att.tier),
            detail,
            rule: None,
            capture_id: None,
            capture_text: None,
        });
    }

    /// Write dirty attempts, queued events and new log entries in one transaction. On
    /// failure nothing is dropped: it is all tried again next time.
    pub(crate) fn persist(&mut self) -> Result<(), StoreError> {
        let dirty: Vec<usize> = (0..self.agents.len())
            .filter(|&i| self.agents[i].dirty)
            .collect();
        if dirty.is_empty() && self.pending.is_empty() && self.output.pending.is_empty() {
            return Ok(());
        }
        let agents = &self.agents;
        let pending = &self.pending;
        let output = &self.output.pending;
        let ids = self.store.write(|s| {
            // Output first: the lines on screen come before the event they caused.
            s.insert_logs(output)?;
            for &i in &dirty {
                s.save_attempt(&agents[i].att)?;
            }
            // An event's capture is written with it, in the same transaction.
            let mut ids = Vec::with_capacity(pending.len());
            for e in pending {
                let capture_id = match (&e.capture_text, e.agent.as_deref(), e.attempt) {
                    (Some(text), Some(agent), Some(attempt)) => {
                        Some(s.insert_capture(e.ts_ms, agent, attempt, &e.kind, text)?)
                    }
                    _ => e.capture_id,
                };
                let id = s.insert_event(&NewEvent {
                    capture_id,
                    capture_text: None,
                    ..e.clone()
                })?;
                ids.push((id, capture_id));
            }
            Ok(ids)
        })?;
        self.output.pending.clear();
        for i in dirty {
            self.agents[i].dirty = false;
        }
        for (e, (id, capture_id)) in self.pending.drain(..).zip(ids) {
            self.published.push(crate::fleet::EventView {
                id,
                ts_ms: e.ts_ms,
                agent: e.agent,
                attempt: e.attempt,
                kind: e.kind,
                tier: e.tier,
                detail: e.detail,
                rule: e.rule,
                has_capture: capture_id.is_some(),
            });
        }
        Ok(())
    }

    /// Outcomes of store-queued commands run since the last call.
    pub fn take_outcomes(&mut self) -> Vec<super::CommandOutcome> {
        std::mem::take(&mut self.outcomes)
    }

    /// Events written since the last call, oldest first.
    pub fn take_events(&mut self) -> Vec<crate::fleet::EventView> {
        std::mem::take(&mut self.published)
    }

    /// The fleet as it stands.
    pub fn snapshot(&self, now_ms: i64) -> FleetSnapshot {
        let mut agents: Vec<AgentView> = self.agents.iter().map(|rt| self.view(rt)).collect();
        self.decorate(&mut agents);
        FleetSnapshot {
            fleet: self.settings.fleet.clone(),
            taken_at_ms: now_ms,
            tick: self.ticks,
            stats: self.stats.clone(),
            agents,
        }
    }

    fn view(&self, rt: &AgentRt) -> AgentView {
        let held = rt.rec.paused || !self.ladder_applies(rt);
        let mut view = AgentView {
            name: rt.rec.name.clone(),
            parent: rt.rec.parent.clone(),
            kind: rt.rec.kind.clone(),
            state: rt.att.state,
            activity: rt.att.activity,
            error: rt.att.error,
            reset_at_ms: rt.att.reset_at_ms,
            reason: rt.att.reason.clone(),
            tier: rt.att.tier,
            tier_since_ms: rt.att.tier_since_ms,
            next_action_at_ms: if held {
                None
            } else {
                self.settings.escalation.next_action_at(
                    rt.att.tier,
                    rt.att.last_progress_ms,
                    rt.rec.stall_timeout_ms,
                )
            },
            last_progress_ms: rt.att.last_progress_ms,
            stall_timeout_ms: rt.rec.stall_timeout_ms,
            attempt: rt.att.attempt,
            pane: rt.att.pane.clone(),
            server: rt.att.server.clone(),
            exit_status: rt.att.exit_status,
            paused: rt.rec.paused,
            capture: rt.capture.clone(),
            lineage: Default::default(),
        };
        self.apply_lineage(rt, &mut view);
        view
    }

    /// Whether the stall ladder runs for this agent now: running, not waiting for the
    /// operator, not being cancelled, not held by an error whose reset time is ahead.
    pub(crate) fn ladder_applies(&self, rt: &AgentRt) -> bool {
        use crate::fleet::Activity;
        rt.att.state == LifeState::Running
            && rt.att.activity != Activity::NeedsInput
            && rt.att.cancel_deadline_ms.is_none()
            && !(rt.att.activity == Activity::Errored && rt.att.reset_at_ms.is_some())
            && !self.held_by_signal(rt)
    }

    /// Set an agent's tier, recording when it changed.
    pub(crate) fn set_tier(&mut self, i: usize, tier: Tier, now_ms: i64) {
        let att = &mut self.agents[i].att;
        if att.tier != tier {
            att.tier = tier;
            att.tier_since_ms = now_ms;
            self.agents[i].dirty = true;
        }
    }

    /// The store this supervisor writes.
    pub fn store(&self) -> &Store {
        &self.store
    }
}
