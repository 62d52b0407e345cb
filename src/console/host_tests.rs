//! The console loop driven by a script: TestBackend, fake input, fake screen, fake clock.

use super::*;
use crate::console::wake::{self, Bell, Wake};
use crate::fleet::sample::{agent, family, snapshot, NOW};
use crate::fleet::{Activity, Tier};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io;
use std::rc::Rc;
use std::sync::Mutex;

enum Step {
    /// A terminal event.
    Ev(Event),
    /// Nothing happens before the poll times out.
    Idle,
    /// Something happens elsewhere (a snapshot, a clock tick), then the poll times out.
    Do(Box<dyn FnOnce()>),
    /// Another thread rings the loop's bell (a log answer): wait for it.
    Settle,
}

/// The terminal and the bell, played from a list of steps.
pub(super) struct Script {
    steps: VecDeque<Step>,
    bell: Bell,
    rings: mpsc::Receiver<Wake>,
    /// The timeouts the loop asked for, in order.
    pub(super) timeouts: Rc<RefCell<Vec<Option<Duration>>>>,
}

impl Script {
    fn new(steps: Vec<Step>) -> Script {
        let (bell, rings) = wake::channel();
        Script {
            steps: steps.into(),
            bell,
            rings,
            timeouts: Rc::default(),
        }
    }
}

impl Input for Script {
    fn next(&mut self, timeout: Option<Duration>) -> io::Result<Option<Event>> {
        if timeout != Some(Duration::ZERO) {
            self.timeouts.borrow_mut().push(timeout);
        }
        match self.steps.pop_front() {
            Some(Step::Ev(e)) => Ok(Some(e)),
            Some(Step::Idle) => Ok(None),
            Some(Step::Do(f)) => {
                f();
                Ok(None)
            }
            Some(Step::Settle) => match self.rings.recv_timeout(Duration::from_secs(20)) {
                Ok(_) => Ok(None),
                Err(_) => Err(io::Error::other("nothing rang the bell within 20 s")),
            },
            None => Err(io::Error::other("script ran out before the console quit")),
        }
    }

    fn bell(&self) -> Bell {
        self.bell.clone()
    }
}

#[derive(Default)]
struct FakeScreen {
    log: Rc<RefCell<Vec<&'static str>>>,
}

impl Screen for FakeScreen {
    fn suspend(&mut self) -> io::Result<()> {
        self.log.borrow_mut().push("suspend");
        Ok(())
    }
    fn resume(&mut self) -> io::Result<()> {
        self.log.borrow_mut().push("resume");
        Ok(())
    }
    fn bell(&mut self) -> io::Result<()> {
        self.log.borrow_mut().push("bell");
        Ok(())
    }
}

fn key(c: char) -> Step {
    Step::Ev(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

fn code(c: KeyCode) -> Step {
    Step::Ev(Event::Key(KeyEvent::new(c, KeyModifiers::NONE)))
}

/// The other ends of a `ConsoleIo`, kept by the test.
struct Ends {
    snapshots: tokio::sync::watch::Sender<Arc<FleetSnapshot>>,
    events: mpsc::Sender<EventView>,
    outcomes: mpsc::Sender<CommandOutcome>,
    commands: mpsc::Receiver<Command>,
    attached: Rc<RefCell<Vec<(String, String)>>>,
}

fn io_pair(attach_result: fn() -> anyhow::Result<()>) -> (ConsoleIo, Ends) {
    let (snap_tx, snap_rx) = tokio::sync::watch::channel(snapshot(family()));
    let (ev_tx, ev_rx) = mpsc::channel();
    let (out_tx, out_rx) = mpsc::channel();
    let (cmd_tx, cmd_rx) = mpsc::channel();
    let attached = Rc::new(RefCell::new(Vec::new()));
    let log = Rc::clone(&attached);
    let io = ConsoleIo {
        snapshots: snap_rx,
        events: ev_rx,
        history: Vec::new(),
        outcomes: out_rx,
        commands: cmd_tx,
        attach: Box::new(move |server, pane| {
            log.borrow_mut()
                .push((server.to_string(), pane.to_string()));
            attach_result()
        }),
        bell: true,
        live: None,
        logs: Box::new(FakeLogs::default()),
        view: None,
        editor: None,
    };
    let ends = Ends {
        snapshots: snap_tx,
        events: ev_tx,
        outcomes: out_tx,
        commands: cmd_rx,
        attached,
    };
    (io, ends)
}

const FAST: Pacing = Pacing {
    frame: Duration::ZERO,
};

struct Run {
    stats: LoopStats,
    screen: Vec<String>,
    log: Vec<&'static str>,
    /// How long the loop asked to sleep each time it waited.
    timeouts: Vec<Option<Duration>>,
}

fn run(io: ConsoleIo, steps: Vec<Step>, clock: Rc<Cell<i64>>) -> Run {
    let mut terminal = Terminal::new(TestBackend::new(120, 30)).unwrap();
    let mut screen = FakeScreen::default();
    let log = Rc::clone(&screen.log);
    let mut now = move || clock.get();
    let stop = AtomicBool::new(false);
    let mut script = Script::new(steps);
    let timeouts = Rc::clone(&script.timeouts);
    let stats = drive(
        &mut terminal,
        io,
        &mut script,
        &mut screen,
        &mut now,
        &Theme::plain(),
        FAST,
        &stop,
    )
    .unwrap();
    let buf = terminal.backend().buffer();
    let screen = (0..buf.area.height)
        .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect())
        .collect();
    let log = log.borrow().clone();
    let timeouts = timeouts.borrow().clone();
    Run {
        stats,
        screen,
        log,
        timeouts,
    }
}

fn shows(run: &Run, needle: &str) -> bool {
    run.screen.iter().any(|l| l.contains(needle))
}

#[test]
fn draws_only_when_something_changed() {
    let (io, _ends) = io_pair(|| Ok(()));
    let clock = Rc::new(Cell::new(NOW + 100));
    let tick = Rc::clone(&clock);
    let steps = vec![
        Step::Idle,
        Step::Idle,
        Step::Idle, // nothing new: still the first frame
        key('j'),   // a key: one more
        Step::Idle,
        Step::Do(Box::new(move || tick.set(NOW + 1_100))), // the clock crossed a second
        Step::Idle,
        key('q'),
    ];
    let r = run(io, steps, clock);
    assert_eq!(r.stats.frames, 3, "initial + key + clock tick");
}

#[test]
fn a_burst_of_keys_costs_one_frame() {
    let (io, _ends) = io_pair(|| Ok(()));
    let steps = vec![key('j'), key('j'), key('j'), key('k'), Step::Idle, key('q')];
    let r = run(io, steps, Rc::new(Cell::new(NOW)));
    assert_eq!(r.stats.frames, 2);
    assert!(shows(&r, "tester · claude"), "{}", r.screen.join("\n"));
}

#[test]
fn snapshots_events_and_outcomes_reach_the_screen() {
    let (mut io, ends) = io_pair(|| Ok(()));
    io.history = vec![EventView {
        id: 1,
        ts_ms: NOW - 60_000,
        agent: Some("lead".into()),
        attempt: Some(1),
        kind: "state".into(),
        tier: None,
        detail: "started from history".into(),
        rule: None,
        has_capture: false,
        level: crate::fleet::Level::Info,
        payload: None,
    }];
    let Ends {
        snapshots,
        events,
        outcomes,
        ..
    } = ends;
    let steps = vec![
        Step::Do(Box::new(move || {
            let mut agents = family();
            agents.push(agent("latecomer", None, Activity::Working));
            snapshots.send_replace(snapshot(agents));
            let mut e = io_event(2, "a live event arrived");
            e.agent = Some("lead".into());
            events.send(e).unwrap();
            outcomes
                .send(CommandOutcome {
                    command: Command::Nudge {
                        agent: "lead".into(),
                    },
                    result: Ok("typed the nudge message".into()),
                })
                .unwrap();
        })),
        Step::Idle,
        key('q'),
    ];
    let r = run(io, steps, Rc::new(Cell::new(NOW)));
    assert!(shows(&r, "latecomer"));
    assert!(shows(&r, "started from history"));
    assert!(shows(&r, "a live event arrived"));
    assert!(shows(&r, "nudge lead: typed the nudge message"));
}

fn io_event(id: i64, detail: &str) -> EventView {
    EventView {
        id,
        ts_ms: NOW,
        agent: None,
        attempt: None,
        kind: "activity".into(),
        tier: None,
        detail: detail.into(),
        rule: None,
        has_capture: false,
        level: crate::fleet::Level::Info,
        payload: None,
    }
}

#[test]
fn commands_go_to_the_supervisor() {
    let (io, ends) = io_pair(|| Ok(()));
    // tester (needs input) is the third row.
    let steps = vec![key('j'), key('j'), key('a'), key('n'), key('q')];
    let r = run(io, steps, Rc::new(Cell::new(NOW)));
    let got: Vec<Command> = ends.commands.try_iter().collect();
    assert_eq!(
        got,
        [
            Command::Approve {
                agent: "tester".into()
            },
            Command::Nudge {
                agent: "tester".into()
            }
        ]
    );
    assert_eq!(r.stats.sent, 2);
}

#[test]
fn a_dead_supervisor_is_reported_not_fatal() {
    let (io, ends) = io_pair(|| Ok(()));
    let Ends {
        snapshots,
        commands,
        ..
    } = ends;
    drop(commands);
    let steps = vec![
        key('n'),
        Step::Do(Box::new(move || drop(snapshots))),
        Step::Idle,
        key('q'),
    ];
    let r = run(io, steps, Rc::new(Cell::new(NOW)));
    assert!(
        shows(&r, "nudge lead failed: the supervisor is not running"),
        "{}",
        r.screen.join("\n")
    );
    assert!(shows(&r, "supervisor stopped"));
}

#[test]
fn the_last_snapshot_before_the_supervisor_left_is_shown() {
    let (io, ends) = io_pair(|| Ok(()));
    let Ends { snapshots, .. } = ends;
    let steps = vec![
        Step::Do(Box::new(move || {
            snapshots.send_replace(snapshot(vec![agent("final-word", None, Activity::Idle)]));
            drop(snapshots);
        })),
        Step::Idle,
        key('q'),
    ];
    let r = run(io, steps, Rc::new(Cell::new(NOW)));
    assert!(shows(&r, "final-word"));
}

#[test]
fn attach_gives_the_terminal_back_and_takes_it_again() {
    let (io, ends) = io_pair(|| Ok(()));
    let steps = vec![key('j'), code(KeyCode::Enter), Step::Idle, key('q')];
    let r = run(io, steps, Rc::new(Cell::new(NOW)));
    assert_eq!(
        *ends.attached.borrow(),
        [("shoal-test".to_string(), "%7".to_string())]
    );
    assert_eq!(r.log, ["suspend", "resume"]);
    assert!(shows(&r, "back from builder"));
    assert!(shows(&r, "builder"), "state intact after attach");
}

#[test]
fn a_failed_attach_says_why() {
    let (io, _ends) = io_pair(|| Err(anyhow::anyhow!("can't find pane: %7")));
    let steps = vec![key('j'), code(KeyCode::Enter), Step::Idle, key('q')];
    let r = run(io, steps, Rc::new(Cell::new(NOW)));
    assert_eq!(r.log, ["suspend", "resume"]);
    assert!(shows(
        &r,
        "could not attach to builder (%7 on tmux -L shoal-test): can't find pane: %7"
    ));
}

#[test]
fn the_bell_rings_when_an_agent_reaches_warn() {
    let (io, ends) = io_pair(|| Ok(()));
    let Ends { snapshots, .. } = ends;
    let snapshots = Rc::new(snapshots);
    let mut warned = family();
    warned[3].tier = Tier::Warn;
    let mut later = warned.clone();
    later.push(agent("newcomer", None, Activity::Working));
    let (tx1, tx2, tx3) = (
        Rc::clone(&snapshots),
        Rc::clone(&snapshots),
        Rc::clone(&snapshots),
    );
    let (w1, w2) = (warned.clone(), warned);
    let steps = vec![
        Step::Do(Box::new(move || drop(tx1.send_replace(snapshot(w1))))),
        Step::Idle,
        // Still at warn, and other news: neither rings again.
        Step::Do(Box::new(move || drop(tx2.send_replace(snapshot(w2))))),
        Step::Idle,
        Step::Do(Box::new(move || drop(tx3.send_replace(snapshot(later))))),
        Step::Idle,
        key('q'),
    ];
    let r = run(io, steps, Rc::new(Cell::new(NOW)));
    assert_eq!(r.log, ["bell"]);
    assert_eq!(r.stats.bells, 1);
}

#[test]
fn a_stop_signal_ends_the_loop() {
    let (io, _ends) = io_pair(|| Ok(()));
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let stop = AtomicBool::new(true);
    let stats = drive(
        &mut terminal,
        io,
        &mut Script::new(Vec::new()),
        &mut FakeScreen::default(),
        &mut || NOW,
        &Theme::plain(),
        FAST,
        &stop,
    )
    .unwrap();
    assert_eq!(stats.frames, 0);
}

#[test]
fn resize_moves_the_mouse_targets() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let (io, _ends) = io_pair(|| Ok(()));
    // After a resize to 200 columns, the tree's 4th row (reviewer) is at y = 1 + 2 + 3.
    let click = Step::Ev(Event::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 3,
        row: 6,
        modifiers: KeyModifiers::NONE,
    }));
    let steps = vec![
        Step::Ev(Event::Resize(200, 50)),
        click,
        Step::Idle,
        key('q'),
    ];
    let r = run(io, steps, Rc::new(Cell::new(NOW)));
    assert!(shows(&r, "reviewer · claude"), "{}", r.screen.join("\n"));
}

/// A log with two entries of `lead`: an output line and an event with its capture.
#[derive(Default)]
struct FakeLogs {
    asked: Arc<Mutex<Vec<crate::logs::LogQuery>>>,
}

impl crate::logs::LogSource for FakeLogs {
    fn query(&mut self, q: &crate::logs::LogQuery) -> Result<crate::logs::LogPage, String> {
        use crate::logs::{Level, LogEntry, Source};
        self.asked.lock().unwrap().push(q.clone());
        let entry = |id: i64, source: Source, message: &str, capture: Option<i64>| LogEntry {
            id,
            ts_ms: NOW - 1000 * id,
            agent: Some("lead".into()),
            attempt: Some(1),
            level: if capture.is_some() {
                Level::Warn
            } else {
                Level::Info
            },
            source,
            message: message.into(),
            capture_id: capture,
            event_id: capture,
            rule: capture.map(|_| "rule `rate-limit` matched in last-lines".into()),
        };
        let entries = vec![
            entry(2, Source::Output, "cargo test: 12 passed", None),
            entry(
                1,
                Source::Event,
                "activity: working → errored (rate-limit)",
                Some(7),
            ),
        ];
        Ok(crate::logs::LogPage {
            count: entries.len(),
            total_count: 2,
            entries,
            ..Default::default()
        })
    }

    fn capture(&mut self, id: i64) -> Result<Option<String>, String> {
        Ok((id == 7).then(|| "API Error: Request rejected (429)".to_string()))
    }
}

#[test]
fn an_idle_console_sleeps_until_something_on_screen_moves() {
    let (io, _ends) = io_pair(|| Ok(()));
    // The family's progress column reads "5s" at NOW + 100; it turns at NOW + 1000.
    let r = run(
        io,
        vec![Step::Idle, key('q')],
        Rc::new(Cell::new(NOW + 100)),
    );
    assert_eq!(r.timeouts[0], Some(Duration::from_millis(900)));

    // Nothing that moves with the clock: no deadline at all.
    let (io, ends) = io_pair(|| Ok(()));
    let mut quiet = agent("queued", None, Activity::Unknown);
    quiet.state = crate::fleet::LifeState::Queued;
    ends.snapshots.send_replace(snapshot(vec![quiet]));
    let snapshots = ends.snapshots;
    let steps = vec![
        Step::Do(Box::new(move || drop(snapshots))),
        Step::Idle,
        key('q'),
    ];
    let r = run(io, steps, Rc::new(Cell::new(NOW + 100)));
    assert!(shows(&r, "supervisor stopped"), "{}", r.screen.join("\n"));
    assert_eq!(r.timeouts.last(), Some(&None), "{:?}", r.timeouts);
}

#[test]
fn a_tick_that_changes_nothing_on_screen_costs_no_frame() {
    let (io, ends) = io_pair(|| Ok(()));
    let snapshots = Rc::new(ends.snapshots);
    let (quiet, busy) = (Rc::clone(&snapshots), Rc::clone(&snapshots));
    let steps = vec![
        Step::Idle,
        Step::Do(Box::new(move || {
            let mut next = (*snapshot(family())).clone();
            next.tick = 2;
            next.taken_at_ms = NOW + 1000;
            next.stats.duration_us = 1_700;
            quiet.send_replace(Arc::new(next));
        })),
        Step::Idle,
        Step::Do(Box::new(move || {
            let mut agents = family();
            agents[3].activity = Activity::Working;
            busy.send_replace(snapshot(agents));
        })),
        Step::Idle,
        key('q'),
    ];
    let r = run(io, steps, Rc::new(Cell::new(NOW + 100)));
    assert_eq!(
        r.stats.frames, 2,
        "the first frame, then the reviewer at work"
    );
    assert!(shows(&r, "● 3 working"), "{}", r.screen.join("\n"));
}

#[path = "host_search_tests.rs"]
mod search;
