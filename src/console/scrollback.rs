//! Reading a pane's whole scrollback off the UI thread: ten thousand lines from a busy
//! tmux server can take longer than a frame, and a wedged server must not freeze the
//! console. Only the newest request matters: older ones still queued are skipped.

use super::wake::Bell;
use crate::app::PaneRequest;
use std::io;
use std::sync::mpsc;
use std::time::Duration;

/// Longest a scrollback read may take before it is given up.
const DEADLINE: Duration = Duration::from_secs(5);

/// Reads one pane's scrollback: (tmux socket, pane id) → its text with colours.
pub(crate) type ReadScrollback = Box<dyn FnMut(&str, &str) -> Result<String, String> + Send>;

/// The agent a read was for, and its text or why there is none.
pub(crate) type Answer = (String, Result<String, String>);

/// The console's end of the scrollback reader.
pub(crate) struct ScrollbackWorker {
    requests: mpsc::Sender<PaneRequest>,
    replies: mpsc::Receiver<Answer>,
    /// The agent of the newest request not answered yet.
    pending: Option<String>,
}

impl ScrollbackWorker {
    /// Start the reader; it rings `bell` after each answer.
    pub(crate) fn spawn(read: ReadScrollback, bell: Bell) -> io::Result<ScrollbackWorker> {
        let (requests, rx) = mpsc::channel::<PaneRequest>();
        let (tx, replies) = mpsc::channel();
        std::thread::Builder::new()
            .name("shoal-console-scrollback".into())
            .spawn(move || serve(read, &rx, &tx, &bell))?;
        Ok(ScrollbackWorker {
            requests,
            replies,
            pending: None,
        })
    }

    /// Ask for a pane's scrollback; the answer comes back through [`Self::replies`].
    pub(crate) fn ask(&mut self, request: PaneRequest) {
        self.pending = Some(request.agent.clone());
        // A reader that is gone is noticed by `replies`, which answers in its place.
        let _ = self.requests.send(request);
    }

    /// Answers that arrived.
    pub(crate) fn replies(&mut self) -> Vec<Answer> {
        let mut out = Vec::new();
        loop {
            match self.replies.try_recv() {
                Ok(answer) => {
                    if self.pending.as_deref() == Some(answer.0.as_str()) {
                        self.pending = None;
                    }
                    out.push(answer);
                }
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    if let Some(agent) = self.pending.take() {
                        out.push((agent, Err("the scrollback reader stopped".into())));
                    }
                    break;
                }
            }
        }
        out
    }
}

/// tmux's own reader: one `capture-pane` process with a deadline.
pub(crate) fn tmux_reader() -> ReadScrollback {
    Box::new(|server, pane| {
        crate::tmux::OneShot::with_deadline(server, DEADLINE)
            .capture_scrollback(pane)
            .map_err(|e| e.to_string())
    })
}

fn serve(
    mut read: ReadScrollback,
    rx: &mpsc::Receiver<PaneRequest>,
    tx: &mpsc::Sender<Answer>,
    bell: &Bell,
) {
    while let Ok(first) = rx.recv() {
        let newest = rx.try_iter().last().unwrap_or(first);
        let text = read(&newest.server, &newest.pane);
        if tx.send((newest.agent, text)).is_err() {
            return;
        }
        bell.ring();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::wake;
    use std::time::Instant;

    fn request(agent: &str) -> PaneRequest {
        PaneRequest {
            agent: agent.into(),
            server: "shoal-test".into(),
            pane: format!("%{agent}"),
        }
    }

    #[test]
    fn answers_come_back_with_their_agent_and_ring_the_loop() {
        let (bell, rings) = wake::channel();
        let read: ReadScrollback = Box::new(|server, pane| match pane {
            "%gone" => Err(format!("can't find pane {pane} on {server}")),
            _ => Ok(format!("history of {pane}\n")),
        });
        let mut worker = ScrollbackWorker::spawn(read, bell).unwrap();
        worker.ask(request("lead"));
        worker.ask(request("gone"));
        let mut got = Vec::new();
        let t0 = Instant::now();
        while got.len() < 2 && t0.elapsed() < Duration::from_secs(20) {
            let _ = rings.recv_timeout(Duration::from_millis(100));
            got.extend(worker.replies());
        }
        // The second request may have superseded the first while it was still queued.
        let last = got.last().expect("an answer");
        assert_eq!(
            last,
            &(
                "gone".to_string(),
                Err("can't find pane %gone on shoal-test".to_string())
            )
        );
        if let Some(first) = got.iter().find(|(a, _)| a == "lead") {
            assert_eq!(first.1, Ok("history of %lead\n".to_string()));
        }
    }
}
