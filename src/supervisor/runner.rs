//! The supervisor on its own named thread: tick every poll interval, carry out commands
//! as they arrive, publish the latest snapshot and every event, and hold the lease that
//! makes it the only supervisor acting on the fleet.

use super::core::Supervisor;
use crate::fleet::{Command, CommandOutcome};
use crate::fleet::{EventView, FleetSnapshot};
use crate::store::{LeaseHolder, SupervisorMode};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A lease whose heartbeat is older than this many poll intervals (and at least
/// [`MIN_STALE_MS`]) belongs to a supervisor that is gone.
pub const STALE_INTERVALS: i64 = 5;
/// Lower bound on lease staleness.
pub const MIN_STALE_MS: i64 = 5000;
/// A tick that changed nothing publishes no snapshot, but one is published at least this
/// often so the header's tick cost stays current and the console can tell a quiet fleet
/// from a stopped supervisor (it warns after 10 s without a snapshot).
const REFRESH_MS: i64 = 5_000;
/// The loop sleeps at most this long between looks at its stop flag and at the store
/// for agents' hooks, which wake a tick at once.
const WAKE_MS: i64 = 100;

pub use crate::fleet::units::now_ms;

/// How stale a lease must be before another supervisor may take it.
pub fn stale_after_ms(poll: Duration) -> i64 {
    (poll.as_millis() as i64 * STALE_INTERVALS).max(MIN_STALE_MS)
}

/// The running supervisor, as its owner sees it.
pub struct Handle {
    /// Commands to carry out now.
    pub commands: Sender<Command>,
    /// New settings, rules or fleet declarations to apply.
    pub updates: Sender<super::Update>,
    /// The latest snapshot (latest wins).
    pub snapshots: tokio::sync::watch::Receiver<Arc<FleetSnapshot>>,
    /// Every event, none lost.
    pub events: Receiver<EventView>,
    /// What became of each command.
    pub outcomes: Receiver<CommandOutcome>,
    stop: Arc<AtomicBool>,
    ended: Arc<Mutex<Option<String>>>,
    join: Option<JoinHandle<()>>,
}

impl Handle {
    /// Ask the thread to stop and wait for it; agents keep running in tmux.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        // The thread sleeps at most `WAKE_MS` between looks at the flag.
        self.stop.store(true, Ordering::SeqCst);
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }

    /// Take the event and outcome streams, for a consumer that outlives borrowing the
    /// handle (the console); the handle keeps empty ones.
    pub fn take_streams(&mut self) -> (Receiver<EventView>, Receiver<CommandOutcome>) {
        let events = std::mem::replace(&mut self.events, mpsc::channel().1);
        let outcomes = std::mem::replace(&mut self.outcomes, mpsc::channel().1);
        (events, outcomes)
    }

    /// A flag that stops the thread when set (for signal handlers).
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// Why the thread ended by itself, if it did: it lost the lease.
    pub fn ended_because(&self) -> Option<String> {
        self.ended
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Wait until the thread ends by itself (its stop flag was set elsewhere).
    pub fn join(mut self) {
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Take the lease and start the supervisor thread. Refused, with the holder, when
/// another live supervisor acts on this fleet.
pub fn spawn(sup: Supervisor, mode: SupervisorMode) -> Result<Handle, String> {
    spawn_when_free(sup, mode, Duration::ZERO)
}

/// [`spawn`], waiting up to `within` for the lease to come free: a supervisor taking
/// over from one that is about to stop (a console handing its fleet to a detached
/// supervisor) starts the moment the other lets go.
pub fn spawn_when_free(
    mut sup: Supervisor,
    mode: SupervisorMode,
    within: Duration,
) -> Result<Handle, String> {
    let pid = std::process::id();
    let poll = sup.settings.poll_interval;
    let stale = stale_after_ms(poll);
    let deadline = std::time::Instant::now() + within;
    loop {
        match sup.store.try_lease_as(pid, now_ms(), stale, mode) {
            Ok(Ok(lease)) => {
                sup.hold_lease(lease);
                break;
            }
            Ok(Err(_)) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(Err(LeaseHolder { pid: other, .. })) => {
                return Err(format!(
                    "another shoal supervisor (pid {other}) already watches fleet {}; stop it first (`shoal supervisor stop`), or use the CLI, which goes through it",
                    sup.settings.name
                ))
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    start(sup)
}

/// Take the lease over from the console `from` as it hands its fleet on, and start the
/// thread; waits up to `within` for a holder other than `from` to let go. The console's
/// supervisor is fenced off by the new epoch the moment this one holds the lease.
pub fn spawn_taking_over(
    mut sup: Supervisor,
    mode: SupervisorMode,
    from: u32,
    within: Duration,
) -> Result<Handle, String> {
    let pid = std::process::id();
    let stale = stale_after_ms(sup.settings.poll_interval);
    let deadline = std::time::Instant::now() + within;
    loop {
        match sup.store.take_lease_over(pid, from, now_ms(), stale, mode) {
            Ok(Ok(lease)) => {
                sup.hold_lease(lease);
                return start(sup);
            }
            Ok(Err(_)) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(Err(LeaseHolder { pid: other, .. })) => {
                return Err(format!(
                    "another shoal supervisor (pid {other}) watches fleet {}; nothing to take over from pid {from}",
                    sup.settings.name
                ))
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Start the thread of a supervisor that holds the lease.
fn start(mut sup: Supervisor) -> Result<Handle, String> {
    let pid = std::process::id();
    let (cmd_tx, cmd_rx) = mpsc::channel::<Command>();
    let (up_tx, up_rx) = mpsc::channel::<super::Update>();
    let (ev_tx, ev_rx) = mpsc::channel();
    let (out_tx, out_rx) = mpsc::channel();
    let first = Arc::new(sup.snapshot(now_ms()));
    let (snap_tx, snap_rx) = tokio::sync::watch::channel(first);
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let ended = Arc::new(Mutex::new(None));
    let ended2 = ended.clone();
    note(&sup, format!("supervisor started (pid {pid})"));
    let join = std::thread::Builder::new()
        .name("shoal-supervisor".into())
        .spawn(move || {
            let chans = Channels {
                commands: &cmd_rx,
                updates: &up_rx,
                snapshots: &snap_tx,
                events: &ev_tx,
                outcomes: &out_tx,
            };
            run(&mut sup, &chans, &stop2);
            if let Some(why) = sup.must_stop().map(str::to_string) {
                note(&sup, why.clone());
                *ended2
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(why);
            } else {
                note(&sup, format!("supervisor stopped (pid {pid})"));
                if let Some(lease) = sup.lease() {
                    let _ = sup.store.release_lease(lease);
                }
            }
        })
        .map_err(|e| format!("cannot start the supervisor thread: {e}"))?;
    Ok(Handle {
        commands: cmd_tx,
        updates: up_tx,
        snapshots: snap_rx,
        events: ev_rx,
        outcomes: out_rx,
        stop,
        ended,
        join: Some(join),
    })
}

/// A supervisor note in the log; a store that cannot take it is reported by the tick.
fn note(sup: &Supervisor, message: String) {
    let entry = crate::logs::NewLog::supervisor(now_ms(), crate::logs::Level::Info, message);
    let _ = sup.store.insert_log(&entry);
}

struct Channels<'a> {
    commands: &'a Receiver<Command>,
    updates: &'a Receiver<super::Update>,
    snapshots: &'a tokio::sync::watch::Sender<Arc<FleetSnapshot>>,
    events: &'a Sender<EventView>,
    outcomes: &'a Sender<CommandOutcome>,
}

fn run(sup: &mut Supervisor, chans: &Channels<'_>, stop: &AtomicBool) {
    let Channels {
        commands,
        updates,
        snapshots,
        events,
        outcomes,
    } = *chans;
    let mut next_tick = now_ms();
    let mut published_at = next_tick;
    // What the store's copy holds, so a publish rewrites only the agents that changed.
    let mut stored: Option<Arc<FleetSnapshot>> = None;
    // A supervisor that lost its lease stops at once: another one acts now.
    while !stop.load(Ordering::SeqCst) && sup.must_stop().is_none() {
        let now = now_ms();
        let mut applied = false;
        while let Ok(u) = updates.try_recv() {
            sup.apply(u, now);
            applied = true;
        }
        if applied {
            publish(sup, snapshots, events, now, &mut stored);
            published_at = now;
        }
        // Read each time round: a reloaded config may change it.
        let poll = sup.settings.poll_interval.as_millis().max(10) as i64;
        if now >= next_tick {
            sup.tick(now);
            if let Some(lease) = sup.lease() {
                match sup.store.heartbeat(lease, now, sup.ticks) {
                    Ok(true) => {}
                    Ok(false) => sup.lose_lease(),
                    Err(e) => sup.stats.error = Some(e.to_string()),
                }
            }
            for o in sup.take_outcomes() {
                let _ = outcomes.send(o);
            }
            // No change, no snapshot; the tick's cost still refreshes now and then.
            if sup.take_changed() || now - published_at >= REFRESH_MS {
                publish(sup, snapshots, events, now, &mut stored);
                published_at = now;
            }
            next_tick = now + poll;
            // A signal waiting for the screen to bear it out is looked at again soon.
            if let Some(at) = sup.signal_recheck_at(now) {
                next_tick = next_tick.min(at);
            }
        }
        // Sleep until the next tick, but wake at once for a command or a stop.
        let wait = Duration::from_millis((next_tick - now_ms()).clamp(1, WAKE_MS) as u64);
        match commands.recv_timeout(wait) {
            Ok(cmd) => {
                let now = now_ms();
                let result = sup.execute(&cmd, now);
                let _ = outcomes.send(CommandOutcome {
                    command: cmd,
                    result,
                });
                publish(sup, snapshots, events, now, &mut stored);
                published_at = now;
            }
            Err(RecvTimeoutError::Timeout) => {}
            // Nobody can send commands any more; keep ticking at the poll interval.
            Err(RecvTimeoutError::Disconnected) => std::thread::sleep(wait),
        }
        // A hook from an agent's CLI: look at its pane now, not at the next poll.
        if sup.signal_arrived(now_ms()) {
            next_tick = now_ms();
        }
    }
}

fn publish(
    sup: &mut Supervisor,
    snapshots: &tokio::sync::watch::Sender<Arc<FleetSnapshot>>,
    events: &Sender<EventView>,
    now: i64,
    stored: &mut Option<Arc<FleetSnapshot>>,
) {
    for e in sup.take_events() {
        let _ = events.send(e);
    }
    sup.take_changed();
    let mut snap = sup.snapshot(now);
    // View consoles in other processes draw this copy; a failed write shows next tick.
    if let Some(lease) = sup.lease() {
        // Agents go in their own rows, only those changed since the last stored copy.
        let agents = std::mem::take(&mut snap.agents);
        let prev = stored.as_ref().map(|p| p.agents.as_slice());
        let written = sup
            .store
            .publish_snapshot_since(lease, &snap, &agents, prev);
        snap.agents = agents;
        let snap = Arc::new(snap);
        match written {
            Ok(true) => *stored = Some(Arc::clone(&snap)),
            Ok(false) => *stored = None,
            Err(e) => {
                *stored = None;
                sup.stats.error = Some(format!("cannot publish the snapshot for views: {e}"));
            }
        }
        snapshots.send_replace(snap);
        return;
    }
    snapshots.send_replace(Arc::new(snap));
}
