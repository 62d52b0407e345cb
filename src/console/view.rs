//! A view console: the fleet as another process's supervisor sees it. The holder of the
//! lease publishes its snapshot to the store; the view reads it when it changes, reads
//! new events, queues the operator's commands in the store (the holder carries each out
//! once) and captures only the pane on screen. When the holder goes away, the view takes
//! the lease and supervises by itself, handing the host the same channels throughout.

use crate::app::Supervision;
use crate::fleet::{Caller, Command, CommandOutcome, EventView, FleetSnapshot, Request};
use crate::store::{LeaseHolder, Store};
use crate::supervisor::runner::{self, now_ms, stale_after_ms, Handle};
use crate::supervisor::Supervisor;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How often a view looks at the store for a new snapshot, events, answers and the lease.
const LOOK: Duration = Duration::from_millis(100);
/// How often a view that could not take over tries again.
const RETRY_TAKE_OVER: Duration = Duration::from_secs(5);

/// What the host of a view console reads and tells.
pub struct ViewLink {
    /// Who supervises the fleet now.
    pub supervision: watch::Receiver<Supervision>,
    /// The agent on screen: the view captures its pane and no other.
    pub focus: watch::Sender<Option<String>>,
}

/// What a view needs from the rest of shoal.
pub struct ViewSetup {
    /// Its own connection to the fleet's store.
    pub store: Store,
    /// Events up to this id are already on screen.
    pub after_event: i64,
    /// Who the view's commands are from.
    pub caller: Caller,
    /// The fleet's poll interval: the selected pane is captured this often.
    pub poll: Duration,
    /// Build a supervisor for this fleet, to take over when the holder goes away.
    #[allow(clippy::type_complexity)]
    pub supervise: Box<dyn FnMut() -> Result<Supervisor, String> + Send>,
    /// Capture one pane: (tmux socket, pane id) → its screen with ANSI escapes.
    #[allow(clippy::type_complexity)]
    pub capture: Box<dyn FnMut(&str, &str) -> Option<String> + Send>,
}

/// The console-facing ends of a view: what `ConsoleIo` is made of.
pub struct ViewEnds {
    /// The fleet picture, with the selected pane's screen filled in.
    pub snapshots: watch::Receiver<Arc<FleetSnapshot>>,
    /// New events, in order.
    pub events: Receiver<EventView>,
    /// What became of each command.
    pub outcomes: Receiver<CommandOutcome>,
    /// The operator's commands.
    pub commands: Sender<Command>,
    /// Who supervises, and what is on screen.
    pub link: ViewLink,
}

/// The view's thread.
pub struct ViewFeed {
    stop: Arc<AtomicBool>,
    join: Option<JoinHandle<Option<Handle>>>,
}

impl ViewFeed {
    /// Start viewing the fleet whose lease `holder` has.
    pub fn start(setup: ViewSetup, holder: LeaseHolder) -> std::io::Result<(ViewFeed, ViewEnds)> {
        let (snap_tx, snap_rx) = watch::channel(Arc::new(FleetSnapshot::default()));
        let (ev_tx, ev_rx) = mpsc::channel();
        let (out_tx, out_rx) = mpsc::channel();
        let (cmd_tx, cmd_rx) = mpsc::channel();
        let (sup_tx, sup_rx) = watch::channel(by(&holder));
        let (focus_tx, focus_rx) = watch::channel(None);
        let stop = Arc::new(AtomicBool::new(false));
        let mut feed = Feed {
            last_event: setup.after_event,
            setup,
            snapshots: snap_tx,
            events: ev_tx,
            outcomes: out_tx,
            supervision: sup_tx,
            commands: cmd_rx,
            focus: focus_rx,
            seq: None,
            base: Arc::new(FleetSnapshot::default()),
            screen: None,
            pending: Vec::new(),
            holder: Some(holder.pid),
            captured_at: None,
            tried_at: None,
        };
        // The first picture before the first frame, so a view never opens empty.
        feed.look_at_store();
        let flag = Arc::clone(&stop);
        let join = std::thread::Builder::new()
            .name("shoal-view".into())
            .spawn(move || feed.run(&flag))?;
        Ok((
            ViewFeed {
                stop,
                join: Some(join),
            },
            ViewEnds {
                snapshots: snap_rx,
                events: ev_rx,
                outcomes: out_rx,
                commands: cmd_tx,
                link: ViewLink {
                    supervision: sup_rx,
                    focus: focus_tx,
                },
            },
        ))
    }

    /// Stop viewing; returns the supervisor the view started when it took over, still
    /// running, for the console to hand on or stop.
    pub fn stop(mut self) -> Option<Handle> {
        self.stop.store(true, Ordering::SeqCst);
        self.join.take().and_then(|j| j.join().ok()).flatten()
    }
}

impl Drop for ViewFeed {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

fn by(h: &LeaseHolder) -> Supervision {
    Supervision::By {
        pid: h.pid,
        mode: h.mode.as_str().to_string(),
    }
}

struct Feed {
    setup: ViewSetup,
    snapshots: watch::Sender<Arc<FleetSnapshot>>,
    events: Sender<EventView>,
    outcomes: Sender<CommandOutcome>,
    supervision: watch::Sender<Supervision>,
    commands: Receiver<Command>,
    focus: watch::Receiver<Option<String>>,
    /// The stored snapshot last read.
    seq: Option<i64>,
    /// The holder's picture, without captures.
    base: Arc<FleetSnapshot>,
    /// The selected agent and its screen.
    screen: Option<(String, Arc<str>)>,
    last_event: i64,
    /// Commands queued in the store and not answered yet: (id, command, deadline).
    pending: Vec<(i64, Command, Instant)>,
    /// The last holder seen, for "took over from".
    holder: Option<u32>,
    captured_at: Option<Instant>,
    tried_at: Option<Instant>,
}

impl Feed {
    fn run(mut self, stop: &AtomicBool) -> Option<Handle> {
        let mut held: Option<Handle> = None;
        while !stop.load(Ordering::SeqCst) {
            match held.take() {
                Some(h) => held = self.relay(h),
                None => held = self.view(),
            }
        }
        held
    }

    /// One round as a view; returns the supervisor if this round took over.
    fn view(&mut self) -> Option<Handle> {
        match self.commands.recv_timeout(LOOK) {
            Ok(cmd) => self.queue(cmd),
            Err(RecvTimeoutError::Timeout) => {}
            // The console is gone; the stop flag follows.
            Err(RecvTimeoutError::Disconnected) => std::thread::sleep(LOOK),
        }
        while let Ok(cmd) = self.commands.try_recv() {
            self.queue(cmd);
        }
        self.answers();
        let held = self.watch_lease();
        if held.is_none() {
            self.look_at_store();
        }
        held
    }

    /// Queue a command for the holder, exactly as the CLI does.
    fn queue(&mut self, cmd: Command) {
        let req = Request::new(cmd.clone(), self.setup.caller.clone());
        match self.setup.store.enqueue_command(&req, now_ms()) {
            Ok(id) => {
                let wait = (self.setup.poll * 10).max(Duration::from_secs(10));
                self.pending.push((id, cmd, Instant::now() + wait));
            }
            Err(e) => {
                let _ = self.outcomes.send(CommandOutcome {
                    command: cmd,
                    result: Err(format!("cannot queue it for the supervisor: {e}")),
                });
            }
        }
    }

    /// Answers to queued commands, and those that waited too long.
    fn answers(&mut self) {
        let now = Instant::now();
        let store = &self.setup.store;
        let outcomes = &self.outcomes;
        self.pending.retain(|(id, cmd, deadline)| {
            let result = match store.command_status(*id) {
                Ok(Some((status, Some(text)))) if status == "done" => Ok(text),
                Ok(Some((status, Some(text)))) if status == "failed" => Err(text),
                _ if now >= *deadline => Err(format!(
                    "the supervisor did not carry out `{}` in time; it stays queued",
                    cmd.verb()
                )),
                _ => return true,
            };
            let _ = outcomes.send(CommandOutcome {
                command: cmd.clone(),
                result,
            });
            false
        });
    }

    /// Who holds the lease; when nobody live does, take it.
    fn watch_lease(&mut self) -> Option<Handle> {
        let now = now_ms();
        let stale = stale_after_ms(self.setup.poll);
        let me = std::process::id();
        let Ok(holder) = self.setup.store.lease() else {
            return None;
        };
        let Some(holder) = holder else {
            // Let go on purpose (`shoal supervisor stop`, `shoal down`, a console that
            // quit with on_quit = "stop"): the operator chose, so the view does not
            // overrule them.
            let gone = self
                .holder
                .map_or("the supervisor".into(), |p| format!("pid {p}"));
            self.supervision.send_if_modified(|s| {
                replace(
                    s,
                    Supervision::Nobody {
                        why: format!("{gone} stopped; reopen the console or run `shoal supervise --detach` to supervise again"),
                    },
                )
            });
            return None;
        };
        if holder.pid != me && holder.is_live(now, stale) {
            self.holder = Some(holder.pid);
            self.supervision
                .send_if_modified(|s| replace(s, by(&holder)));
            return None;
        }
        if self.tried_at.is_some_and(|t| t.elapsed() < RETRY_TAKE_OVER) {
            return None;
        }
        self.tried_at = Some(Instant::now());
        // The holder died without letting go (killed, crashed, its machine suspended).
        let gone = format!("pid {} stopped answering", holder.pid);
        self.holder = Some(holder.pid);
        self.supervision.send_replace(Supervision::Nobody {
            why: format!("{gone}; this console takes over"),
        });
        let started = (self.setup.supervise)()
            .and_then(|sup| runner::spawn(sup, crate::store::SupervisorMode::Console));
        match started {
            Ok(handle) => {
                self.supervision
                    .send_replace(Supervision::Here { from: self.holder });
                Some(handle)
            }
            Err(why) => {
                // Another view may have been quicker: the next look shows who.
                self.supervision.send_replace(Supervision::Nobody {
                    why: format!("{gone}; cannot take over: {why}"),
                });
                None
            }
        }
    }

    /// A new stored snapshot, new events, and the selected pane's screen.
    fn look_at_store(&mut self) {
        let mut changed = false;
        if let Ok(seq) = self.setup.store.snapshot_seq() {
            if seq != self.seq {
                if let Ok(Some(p)) = self.setup.store.published_snapshot() {
                    self.base = Arc::new(p.snapshot);
                    changed = true;
                }
                self.seq = seq;
            }
        }
        if let Ok(events) = self.setup.store.events(None, self.last_event, 500) {
            for e in events {
                self.last_event = e.id;
                let _ = self.events.send(e);
            }
        }
        changed |= self.capture();
        if changed {
            self.send();
        }
    }

    /// Capture the selected pane when the selection moved or a poll interval passed;
    /// true when the screen changed.
    fn capture(&mut self) -> bool {
        let moved = self.focus.has_changed().unwrap_or(false);
        let due = self
            .captured_at
            .map_or(true, |t| t.elapsed() >= self.setup.poll);
        if !moved && !due {
            return false;
        }
        let focus = self.focus.borrow_and_update().clone();
        self.captured_at = Some(Instant::now());
        let Some(name) = focus else {
            return self.screen.take().is_some();
        };
        let target = self
            .base
            .agent(&name)
            .and_then(|a| Some((a.server.clone()?, a.pane.clone()?)));
        let text = target.and_then(|(server, pane)| (self.setup.capture)(&server, &pane));
        let text: Arc<str> = Arc::from(text.unwrap_or_default());
        let same = self
            .screen
            .as_ref()
            .is_some_and(|(n, t)| *n == name && *t == text);
        self.screen = Some((name, text));
        !same
    }

    /// The holder's picture with the selected pane's screen in it.
    fn send(&self) {
        let mut snap = (*self.base).clone();
        if let Some((name, text)) = &self.screen {
            if let Some(a) = snap.agents.iter_mut().find(|a| a.name == *name) {
                a.capture = Arc::clone(text);
            }
        }
        self.snapshots.send_replace(Arc::new(snap));
    }

    /// One round of passing the console's own supervisor's output on (after a take
    /// over); returns it while it still holds the lease.
    fn relay(&mut self, mut h: Handle) -> Option<Handle> {
        match self.commands.recv_timeout(Duration::from_millis(50)) {
            Ok(cmd) => {
                let _ = h.commands.send(cmd);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => std::thread::sleep(LOOK),
        }
        while let Ok(cmd) = self.commands.try_recv() {
            let _ = h.commands.send(cmd);
        }
        if h.snapshots.has_changed().unwrap_or(false) {
            let snap = Arc::clone(&h.snapshots.borrow_and_update());
            self.snapshots.send_replace(snap);
        }
        while let Ok(e) = h.events.try_recv() {
            self.last_event = self.last_event.max(e.id);
            let _ = self.events.send(e);
        }
        while let Ok(o) = h.outcomes.try_recv() {
            let _ = self.outcomes.send(o);
        }
        self.answers();
        if let Some(why) = h.ended_because() {
            // Another supervisor took the lease: view it from now on.
            self.supervision.send_replace(Supervision::Nobody { why });
            self.seq = None;
            self.tried_at = Some(Instant::now());
            return None;
        }
        Some(h)
    }
}

fn replace(s: &mut Supervision, new: Supervision) -> bool {
    if *s == new {
        return false;
    }
    *s = new;
    true
}
