//! The console loop with hot reload: new settings arrive on the live channel; the
//! screen, the keys, the offers and the notifications follow.

use super::*;
use crate::config::{Desktop, NotifyConfig};
use crate::console::wake::{self, Bell};
use crate::console::{Live, LiveIo};
use crate::fleet::sample::{agent, family, snapshot, NOW};
use crate::fleet::{Activity, Tier};
use crate::supervisor::Update;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;
use std::rc::Rc;

enum Step {
    Key(KeyCode),
    Do(Box<dyn FnOnce()>),
}

/// The steps, and a bell nobody listens to: these tests do not wait for other threads.
struct Script(VecDeque<Step>, Bell);

impl Input for Script {
    fn next(&mut self, _timeout: Option<Duration>) -> io::Result<Option<Event>> {
        match self.0.pop_front() {
            Some(Step::Key(c)) => Ok(Some(Event::Key(KeyEvent::new(c, KeyModifiers::NONE)))),
            Some(Step::Do(f)) => {
                f();
                Ok(None)
            }
            None => Err(io::Error::other("script ran out before the console quit")),
        }
    }

    fn bell(&self) -> Bell {
        self.1.clone()
    }
}

#[derive(Default)]
struct Screen2 {
    log: Rc<RefCell<Vec<String>>>,
}

impl Screen for Screen2 {
    fn suspend(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn resume(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn bell(&mut self) -> io::Result<()> {
        self.log.borrow_mut().push("bell".into());
        Ok(())
    }
    fn desktop(&mut self, escape: &str) -> io::Result<()> {
        self.log.borrow_mut().push(escape.to_string());
        Ok(())
    }
}

struct Ends {
    snapshots: tokio::sync::watch::Sender<Arc<FleetSnapshot>>,
    live: tokio::sync::watch::Sender<Arc<Live>>,
    updates: mpsc::Receiver<Update>,
    _keep: (
        mpsc::Sender<EventView>,
        mpsc::Sender<CommandOutcome>,
        mpsc::Receiver<Command>,
    ),
}

fn io_with(live: Live) -> (ConsoleIo, Ends) {
    let (snap_tx, snap_rx) = tokio::sync::watch::channel(snapshot(family()));
    let (ev_tx, ev_rx) = mpsc::channel();
    let (out_tx, out_rx) = mpsc::channel();
    let (cmd_tx, cmd_rx) = mpsc::channel();
    let (live_tx, live_rx) = tokio::sync::watch::channel(Arc::new(live));
    let (up_tx, up_rx) = mpsc::channel();
    let io = ConsoleIo {
        snapshots: snap_rx,
        events: ev_rx,
        history: Vec::new(),
        outcomes: out_rx,
        commands: cmd_tx,
        attach: Box::new(|_, _| Ok(())),
        bell: true,
        logs: Box::new(NoLogs),
        view: None,
        editor: None,
        live: Some(LiveIo {
            live: live_rx,
            updates: up_tx,
        }),
    };
    let ends = Ends {
        snapshots: snap_tx,
        live: live_tx,
        updates: up_rx,
        _keep: (ev_tx, out_tx, cmd_rx),
    };
    (io, ends)
}

const FAST: Pacing = Pacing {
    frame: Duration::ZERO,
};

fn run(io: ConsoleIo, steps: Vec<Step>) -> (Vec<String>, Vec<String>, ratatui::buffer::Buffer) {
    let mut terminal = Terminal::new(TestBackend::new(120, 30)).unwrap();
    let mut screen = Screen2::default();
    let log = Rc::clone(&screen.log);
    let stop = AtomicBool::new(false);
    drive(
        &mut terminal,
        io,
        &mut Script(steps.into(), wake::channel().0),
        &mut screen,
        &mut || NOW,
        &Theme::plain(),
        FAST,
        &stop,
    )
    .unwrap();
    let buf = terminal.backend().buffer().clone();
    let lines = (0..buf.area.height)
        .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect())
        .collect();
    let log = log.borrow().clone();
    (lines, log, buf)
}

fn fleet(names: &[&str]) -> Arc<crate::fleet::Fleet> {
    let mut text = String::from("[fleet]\nname = \"demo\"\n");
    for n in names {
        text.push_str(&format!("[[agent]]\nname = \"{n}\"\ncmd = \"x\"\n"));
    }
    Arc::new(crate::fleet::file::parse(std::path::Path::new("shoal.toml"), &text).unwrap())
}

#[test]
fn a_reload_changes_the_theme_and_keys_and_shows_problems_until_fixed() {
    let first = Live {
        fleet: Some(fleet(&["lead", "builder", "tester", "reviewer"])),
        ..Live::default()
    };
    let (io, ends) = io_with(first.clone());
    let live = Rc::new(ends.live);
    let (l1, l2) = (Rc::clone(&live), Rc::clone(&live));
    let mut light = first.clone();
    light.theme = crate::theme::resolve("light", None, None).unwrap();
    light.theme_name = "light".into();
    let config = crate::config::parse(
        std::path::Path::new("c.toml"),
        "[keymap.fleet]\nQ = \"quit\"\nq = \"none\"\n",
    )
    .unwrap();
    light.keymaps = crate::app::Keymaps::from_config(&config).unwrap();
    let mut broken = light.clone();
    broken.problems = vec!["c.toml:2:1: unknown key `pol_interval` in the config".into()];
    let steps = vec![
        Step::Do(Box::new(move || drop(l1.send_replace(Arc::new(broken))))),
        Step::Key(KeyCode::Char('q')), // unbound now: not quitting
        Step::Do(Box::new(move || drop(l2.send_replace(Arc::new(light))))),
        Step::Key(KeyCode::Char('Q')),
    ];
    let (lines, _, buf) = run(io, steps);
    let screen = lines.join("\n");
    assert!(
        !screen.contains("unknown key"),
        "fixed problem cleared:\n{screen}"
    );
    // The light theme's header style is on screen.
    let light = crate::theme::resolve("light", None, None).unwrap();
    assert_eq!(buf[(1, 0)].bg, light.header.bg.unwrap());
}

#[test]
fn a_bad_edit_is_shown_with_file_and_line() {
    let (io, ends) = io_with(Live::default());
    let live = ends.live;
    let broken = Live {
        problems: vec!["/home/op/.config/shoal/config.toml:2:1: unknown key `pol_interval` in the config — did you mean `poll_interval`?".into()],
        ..Live::default()
    };
    let steps = vec![
        Step::Do(Box::new(move || drop(live.send_replace(Arc::new(broken))))),
        Step::Key(KeyCode::Char('j')),
        Step::Key(KeyCode::Char('q')),
    ];
    let (lines, _, _) = run(io, steps);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("config.toml:2:1: unknown key `pol_interval`")),
        "{}",
        lines.join("\n")
    );
}

#[test]
fn new_agents_in_the_fleet_file_are_offered_and_started_on_request() {
    let first = Live {
        fleet: Some(fleet(&["lead", "builder", "tester", "reviewer"])),
        ..Live::default()
    };
    let (io, ends) = io_with(first.clone());
    let live = ends.live;
    let mut grown = first;
    grown.fleet = Some(fleet(&["lead", "builder", "tester", "w5"]));
    let steps = vec![
        Step::Do(Box::new(move || drop(live.send_replace(Arc::new(grown))))),
        Step::Key(KeyCode::Char('j')),
        Step::Key(KeyCode::Char('S')),
        Step::Key(KeyCode::Char('q')),
    ];
    let (lines, _, _) = run(io, steps);
    let screen = lines.join("\n");
    assert!(
        screen.contains("removed from the fleet file: reviewer"),
        "{screen}"
    );
    let sent: Vec<Update> = ends.updates.try_iter().collect();
    match sent.as_slice() {
        [Update::Fleet { fleet, start }] => {
            assert_eq!(start, &["w5".to_string()]);
            assert!(fleet.agent("w5").is_some());
        }
        other => panic!("expected one fleet update, got {other:?}"),
    }
}

#[test]
fn notifications_ring_write_the_desktop_escape_and_run_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let live = Live {
        notify: NotifyConfig {
            desktop: Desktop::Osc777,
            command: Some(format!("cat >> '{}'", out.display())),
            ..NotifyConfig::default()
        },
        ..Live::default()
    };
    let (io, ends) = io_with(live);
    let snaps = ends.snapshots;
    let mut changed = family();
    changed[0].activity = Activity::NeedsInput; // lead starts to wait
    changed[3].tier = Tier::Warn; // reviewer stalls
    changed.push(agent("newcomer", None, Activity::NeedsInput)); // first sight: not news
    let steps = vec![
        Step::Do(Box::new(move || {
            drop(snaps.send_replace(snapshot(changed)));
        })),
        Step::Key(KeyCode::Char('j')),
        Step::Key(KeyCode::Char('q')),
    ];
    let (_, log, _) = run(io, steps);
    assert_eq!(log[0], "bell", "one bell for the picture: {log:?}");
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(
        log[1].starts_with("\x1b]777;notify;shoal;lead needs input"),
        "{log:?}"
    );
    assert!(
        log[2].contains("reviewer is stalled (warn tier)"),
        "{log:?}"
    );
    // The hook runs in the background: wait for its two lines.
    let t0 = std::time::Instant::now();
    let mut text = String::new();
    while t0.elapsed() < Duration::from_secs(5) {
        text = std::fs::read_to_string(&out).unwrap_or_default();
        if text.lines().count() >= 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(String, String)> = events
        .iter()
        .map(|e| {
            (
                e["agent"].as_str().unwrap().to_string(),
                e["event"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("lead".into(), "needs-input".into()),
            ("reviewer".into(), "warn".into())
        ]
    );
}

/// A log with nothing in it: these tests are about reloads, not the log browser.
struct NoLogs;

impl crate::logs::LogSource for NoLogs {
    fn query(&mut self, _q: &crate::logs::LogQuery) -> Result<crate::logs::LogPage, String> {
        Ok(crate::logs::LogPage::default())
    }

    fn capture(&mut self, _id: i64) -> Result<Option<String>, String> {
        Ok(None)
    }
}
