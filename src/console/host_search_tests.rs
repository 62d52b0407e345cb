//! The log browser through the console loop: searches run on the log worker, the loop
//! keeps drawing and taking keys meanwhile, and a late answer to an older search is
//! dropped.

use super::*;

#[test]
fn the_log_browser_searches_through_the_host_and_opens_a_capture() {
    let (mut io, _ends) = io_pair(|| Ok(()));
    let logs = FakeLogs::default();
    let asked = Arc::clone(&logs.asked);
    io.logs = Box::new(logs);
    let ctrl_c = Step::Ev(Event::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    // l opens the browser on the selected agent; its search runs on the log worker.
    let r = run(
        io,
        vec![key('l'), Step::Idle, Step::Settle, ctrl_c],
        Rc::new(Cell::new(NOW)),
    );
    assert_eq!(asked.lock().unwrap().len(), 1);
    assert_eq!(asked.lock().unwrap()[0].agents, ["lead"]);
    assert!(shows(&r, "[agent:lead]"), "{}", r.screen.join("\n"));
    assert!(
        shows(&r, "cargo test: 12 passed"),
        "{}",
        r.screen.join("\n")
    );
    assert!(shows(&r, "1–2 of 2"), "{}", r.screen.join("\n"));

    // Enter on the event shows its capture beside the rule that matched.
    let (mut io, _ends) = io_pair(|| Ok(()));
    io.logs = Box::new(FakeLogs::default());
    let ctrl_c = Step::Ev(Event::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    let steps = vec![
        key('l'),
        Step::Idle,
        Step::Settle,
        key('j'),
        code(KeyCode::Enter),
        Step::Idle,
        Step::Settle,
        ctrl_c,
    ];
    let r = run(io, steps, Rc::new(Cell::new(NOW)));
    let screen = r.screen.join("\n");
    let row = r
        .screen
        .iter()
        .find(|l| l.contains("API Error: Request rejected (429)"))
        .unwrap_or_else(|| panic!("no capture on screen:\n{screen}"));
    assert!(
        row.contains("│"),
        "the capture sits in its own panel: {row}"
    );
    assert!(shows(&r, "rule that matched"), "{screen}");
    assert!(shows(&r, "rule `rate-limit` matched"), "{screen}");
}

/// A log whose searches wait for the test to let each one through (or 5 s), answering
/// "answer to N" for the Nth search.
struct GatedLogs {
    open: mpsc::Receiver<()>,
    asked: Arc<Mutex<usize>>,
}

impl crate::logs::LogSource for GatedLogs {
    fn query(&mut self, _q: &crate::logs::LogQuery) -> Result<crate::logs::LogPage, String> {
        use crate::logs::{Level, LogEntry, Source};
        let n = {
            let mut asked = self.asked.lock().unwrap();
            *asked += 1;
            *asked
        };
        let _ = self.open.recv_timeout(Duration::from_secs(5));
        Ok(crate::logs::LogPage {
            count: 1,
            total_count: 1,
            entries: vec![LogEntry {
                id: 1,
                ts_ms: NOW,
                agent: Some("lead".into()),
                attempt: Some(1),
                level: Level::Info,
                source: Source::Output,
                message: format!("answer to {n}"),
                capture_id: None,
                event_id: None,
                rule: None,
            }],
            ..Default::default()
        })
    }

    fn capture(&mut self, _id: i64) -> Result<Option<String>, String> {
        Ok(None)
    }
}

fn gated() -> (GatedLogs, mpsc::Sender<()>, Arc<Mutex<usize>>) {
    let (tx, open) = mpsc::channel();
    let asked = Arc::new(Mutex::new(0));
    let logs = GatedLogs {
        open,
        asked: Arc::clone(&asked),
    };
    (logs, tx, asked)
}

#[test]
fn a_slow_search_does_not_hold_up_the_screen() {
    let (mut io, _ends) = io_pair(|| Ok(()));
    let (logs, gate, _asked) = gated();
    io.logs = Box::new(logs);
    let ctrl_c = Step::Ev(Event::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    // The search is still running when the next keys arrive: they are handled, and the
    // browser says it is searching. Run on the loop's thread, the search would have
    // answered (after 5 s) before the screen was drawn.
    let r = run(
        io,
        vec![
            key('l'),
            Step::Idle,
            key('/'),
            key(' '),
            key('x'),
            Step::Idle,
            ctrl_c,
        ],
        Rc::new(Cell::new(NOW)),
    );
    drop(gate);
    let screen = r.screen.join("\n");
    assert!(shows(&r, "searching…"), "{screen}");
    assert!(
        shows(&r, "/ agent:lead x█"),
        "the keys were taken: {screen}"
    );
    assert!(!shows(&r, "answer to"), "{screen}");
}

#[test]
fn a_late_answer_to_an_older_search_is_dropped() {
    let (mut io, _ends) = io_pair(|| Ok(()));
    let (logs, gate, asked) = gated();
    io.logs = Box::new(logs);
    let ctrl_c = Step::Ev(Event::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    let first = gate.clone();
    let started = Arc::clone(&asked);
    let steps = vec![
        key('l'), // search 1 starts and waits at the gate
        Step::Idle,
        Step::Do(Box::new(move || {
            let t0 = Instant::now();
            while *started.lock().unwrap() == 0 && t0.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(5));
            }
        })),
        key('/'),
        key(' '),
        key('x'),
        code(KeyCode::Enter), // search 2 is asked while 1 runs
        Step::Idle,
        Step::Do(Box::new(move || first.send(()).unwrap())), // 1 answers; 2 starts
        Step::Settle,
        ctrl_c,
    ];
    let r = run(io, steps, Rc::new(Cell::new(NOW)));
    drop(gate);
    let screen = r.screen.join("\n");
    assert!(
        !shows(&r, "answer to 1"),
        "a stale answer was shown: {screen}"
    );
    assert!(shows(&r, "searching…"), "{screen}");
    assert!(shows(&r, "[\"x\"]"), "{screen}");
    // Search 2 reached the worker (it is what holds the gate now).
    let t0 = Instant::now();
    while *asked.lock().unwrap() < 2 && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(*asked.lock().unwrap(), 2);
}
