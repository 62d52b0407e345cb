//! The log worker: answers come back off the caller's thread, superseded searches are
//! skipped or dropped, and a worker that died still answers.

use super::*;
use crate::console::wake;
use crate::logs::{LogPage, LogQuery};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Records the text of every search it runs; the first one waits for the gate.
struct Recording {
    ran: Arc<Mutex<Vec<String>>>,
    gate: mpsc::Receiver<()>,
}

impl LogSource for Recording {
    fn query(&mut self, q: &LogQuery) -> Result<LogPage, String> {
        let text = q.text.clone().unwrap_or_default();
        let first = self.ran.lock().unwrap().is_empty();
        self.ran.lock().unwrap().push(text.clone());
        if first {
            let _ = self.gate.recv_timeout(Duration::from_secs(10));
        }
        Ok(LogPage {
            notice: Some(text),
            ..LogPage::default()
        })
    }

    fn capture(&mut self, id: i64) -> Result<Option<String>, String> {
        Ok(Some(format!("screen {id}")))
    }
}

fn search(text: &str) -> LogRequest {
    LogRequest::Page(LogQuery {
        text: Some(text.into()),
        ..LogQuery::default()
    })
}

/// Answers until `n` arrived (or 10 s passed).
fn collect(w: &mut LogWorker, rings: &mpsc::Receiver<wake::Wake>, n: usize) -> Vec<LogReply> {
    let t0 = Instant::now();
    let mut got = Vec::new();
    while got.len() < n && t0.elapsed() < Duration::from_secs(10) {
        let _ = rings.recv_timeout(Duration::from_millis(50));
        got.extend(w.replies());
    }
    got
}

#[test]
fn only_the_newest_search_is_answered() {
    let (bell, rings) = wake::channel();
    let ran = Arc::new(Mutex::new(Vec::new()));
    let (open, gate) = mpsc::channel();
    let source = Recording {
        ran: Arc::clone(&ran),
        gate,
    };
    let mut w = LogWorker::spawn(Box::new(source), bell).unwrap();
    w.ask(search("one"));
    // "one" is running (held at the gate) while "two" and "three" queue up.
    let t0 = Instant::now();
    while ran.lock().unwrap().is_empty() && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(5));
    }
    w.ask(search("two"));
    w.ask(search("three"));
    w.ask(LogRequest::Capture(7));
    assert!(w.waiting());
    assert!(w.replies().is_empty(), "nothing answered yet");
    open.send(()).unwrap();
    let got = collect(&mut w, &rings, 2);
    assert_eq!(
        got,
        [
            LogReply::Page(Ok(LogPage {
                notice: Some("three".into()),
                ..LogPage::default()
            })),
            LogReply::Capture(7, Ok(Some("screen 7".into()))),
        ]
    );
    // "two" was superseded before it ran; "one" ran, and its answer was dropped.
    assert_eq!(*ran.lock().unwrap(), ["one", "three"]);
    assert_eq!(w.dropped(), 1);
    assert!(!w.waiting());
}

/// A source that fails hard on every search.
struct Broken;

impl LogSource for Broken {
    fn query(&mut self, _q: &LogQuery) -> Result<LogPage, String> {
        panic!("the store connection broke (a test panic)")
    }

    fn capture(&mut self, _id: i64) -> Result<Option<String>, String> {
        Ok(None)
    }
}

#[test]
fn a_worker_that_died_still_answers_with_what_to_do() {
    let (bell, rings) = wake::channel();
    let mut w = LogWorker::spawn(Box::new(Broken), bell).unwrap();
    w.ask(search("anything"));
    let got = collect(&mut w, &rings, 1);
    match got.as_slice() {
        [LogReply::Page(Err(e))] => assert!(e.contains("`shoal logs`"), "{e}"),
        other => panic!("expected one failed page, got {other:?}"),
    }
    // Asked again, it answers at once instead of leaving the browser searching.
    w.ask(search("again"));
    assert!(matches!(w.replies().as_slice(), [LogReply::Page(Err(_))]));
}
