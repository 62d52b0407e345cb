//! The log browser's searches, off the UI thread: a worker with its own store
//! connection runs them while the console keeps drawing. A newer search supersedes an
//! older one: queued ones are skipped and a late answer to an old one is dropped, so
//! the browser only ever shows the answer to what the operator asked last.

use super::wake::Bell;
use crate::app::{LogReply, LogRequest};
use crate::logs::LogSource;
use std::io;
use std::sync::mpsc;

/// A request and the number it was asked under.
type Ticket = (u64, LogRequest);

/// What the browser hears when the worker is gone.
const GONE: &str =
    "the log search stopped working; close the browser and open it again, or use `shoal logs`";

/// The console's end of the log worker.
pub(crate) struct LogWorker {
    requests: mpsc::Sender<Ticket>,
    replies: mpsc::Receiver<(u64, LogReply)>,
    asked: u64,
    /// The newest search not answered yet, by number.
    page: Option<u64>,
    /// The newest capture not answered yet: its number and capture id.
    capture: Option<(u64, i64)>,
    /// Answers dropped because a newer request had been made.
    dropped: u64,
}

impl LogWorker {
    /// Start the worker on `source`; it rings `bell` after each answer.
    pub(crate) fn spawn(source: Box<dyn LogSource + Send>, bell: Bell) -> io::Result<LogWorker> {
        let (requests, rx) = mpsc::channel::<Ticket>();
        let (tx, replies) = mpsc::channel();
        std::thread::Builder::new()
            .name("shoal-console-logs".into())
            .spawn(move || serve(source, &rx, &tx, &bell))?;
        Ok(LogWorker {
            requests,
            replies,
            asked: 0,
            page: None,
            capture: None,
            dropped: 0,
        })
    }

    /// Ask for a page or a capture; the answer comes back through [`Self::replies`].
    pub(crate) fn ask(&mut self, request: LogRequest) {
        self.asked += 1;
        match request {
            LogRequest::Page(_) => self.page = Some(self.asked),
            LogRequest::Capture(id) => self.capture = Some((self.asked, id)),
        }
        // A worker that is gone is noticed by `replies`, which answers in its place.
        let _ = self.requests.send((self.asked, request));
    }

    /// Answers that arrived, the stale ones left out.
    pub(crate) fn replies(&mut self) -> Vec<LogReply> {
        let mut out = Vec::new();
        loop {
            match self.replies.try_recv() {
                Ok((n, reply @ LogReply::Page(_))) if self.page == Some(n) => {
                    self.page = None;
                    out.push(reply);
                }
                Ok((n, reply @ LogReply::Capture(..))) if self.capture.map(|c| c.0) == Some(n) => {
                    self.capture = None;
                    out.push(reply);
                }
                Ok(_) => self.dropped += 1,
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    if self.page.take().is_some() {
                        out.push(LogReply::Page(Err(GONE.into())));
                    }
                    if let Some((_, id)) = self.capture.take() {
                        out.push(LogReply::Capture(id, Err(GONE.into())));
                    }
                    break;
                }
            }
        }
        out
    }

    /// Whether an answer is still awaited.
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> bool {
        self.page.is_some() || self.capture.is_some()
    }

    /// How many late answers were dropped.
    #[cfg(test)]
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// The worker: take every request queued, skip the ones a newer request of the same
/// kind supersedes, answer the rest in order.
fn serve(
    mut source: Box<dyn LogSource + Send>,
    rx: &mpsc::Receiver<Ticket>,
    tx: &mpsc::Sender<(u64, LogReply)>,
    bell: &Bell,
) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        batch.extend(rx.try_iter());
        let last_page = batch
            .iter()
            .rposition(|(_, r)| matches!(r, LogRequest::Page(_)));
        let last_capture = batch
            .iter()
            .rposition(|(_, r)| matches!(r, LogRequest::Capture(_)));
        for (i, (n, request)) in batch.into_iter().enumerate() {
            if Some(i) != last_page && Some(i) != last_capture {
                continue;
            }
            let reply = match request {
                LogRequest::Page(q) => LogReply::Page(source.query(&q)),
                LogRequest::Capture(id) => LogReply::Capture(id, source.capture(id)),
            };
            if tx.send((n, reply)).is_err() {
                return;
            }
            bell.ring();
        }
    }
}

#[cfg(test)]
#[path = "logs_tests.rs"]
mod tests;
