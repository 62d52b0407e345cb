//! The terminal's input on a thread of its own, so the loop sleeps on one channel for
//! keys and everything else alike.
//!
//! While another program owns the terminal (an attach) this thread must not read it, or
//! it would steal that program's keys. It is paused first: it parks before its next
//! read. A blocking `crossterm::event::poll` cannot be interrupted from outside, so the
//! pause also raises SIGWINCH on this process, which crossterm already listens to and
//! turns into a resize event; the thread wakes, forwards it, and parks.

use super::wake::{Bell, Input, Wake};
use crossterm::event::Event;
use std::io;
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Longest the reader blocks in one poll; it only bounds how long a lost wake-up could
/// delay a pause (the pause raises its signal again meanwhile).
const POLL: Duration = Duration::from_secs(3600);
/// How often a pause raises its signal again while the reader has not parked.
const NUDGE: Duration = Duration::from_millis(100);
/// Longest a pause waits for the reader to park.
const PAUSE_LIMIT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Reading,
    /// Asked to park before its next read.
    Pause,
    Paused,
    /// Asked to end.
    Stop,
    Stopped,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a plain enum: a panic elsewhere cannot leave it half-written.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn set(&self, s: State) {
        *self.lock() = s;
        self.changed.notify_all();
    }
}

/// Reads terminal events on a thread and hands them to the loop; ends when dropped.
pub(crate) struct TermReader {
    shared: Arc<Shared>,
}

impl TermReader {
    /// Start reading; every event goes to `bell`.
    pub(crate) fn spawn(bell: Bell) -> io::Result<TermReader> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::Reading),
            changed: Condvar::new(),
        });
        let s = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("shoal-console-input".into())
            .spawn(move || read_loop(&s, &bell))?;
        Ok(TermReader { shared })
    }

    /// Park the reader before its next read; returns once it is parked (or after
    /// [`PAUSE_LIMIT`] if it does not answer).
    pub(crate) fn pause(&self) {
        self.hold(State::Pause, State::Paused);
    }

    /// Let the reader read again.
    pub(crate) fn resume(&self) {
        let mut st = self.shared.lock();
        if matches!(*st, State::Pause | State::Paused) {
            *st = State::Reading;
            self.shared.changed.notify_all();
        }
    }

    fn hold(&self, ask: State, until: State) {
        let mut st = self.shared.lock();
        if *st == State::Stopped {
            return;
        }
        *st = ask;
        self.shared.changed.notify_all();
        let t0 = Instant::now();
        while *st != until && *st != State::Stopped && t0.elapsed() < PAUSE_LIMIT {
            wake_reader();
            st = match self.shared.changed.wait_timeout(st, NUDGE) {
                Ok((g, _)) => g,
                Err(e) => e.into_inner().0,
            };
        }
    }
}

impl Drop for TermReader {
    fn drop(&mut self) {
        // After the console, the shell owns the terminal again: stop reading it.
        self.hold(State::Stop, State::Stopped);
    }
}

/// Interrupt the reader's poll: crossterm answers SIGWINCH with a resize event.
fn wake_reader() {
    // SAFETY: signalling our own process; crossterm's handler only writes to a pipe,
    // and before crossterm installs it SIGWINCH is ignored by default.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGWINCH);
    }
}

fn read_loop(shared: &Shared, bell: &Bell) {
    loop {
        {
            let mut st = shared.lock();
            loop {
                match *st {
                    State::Reading => break,
                    State::Pause | State::Paused => {
                        if *st == State::Pause {
                            *st = State::Paused;
                            shared.changed.notify_all();
                        }
                        st = match shared.changed.wait(st) {
                            Ok(g) => g,
                            Err(e) => e.into_inner(),
                        };
                    }
                    State::Stop | State::Stopped => {
                        *st = State::Stopped;
                        shared.changed.notify_all();
                        return;
                    }
                }
            }
        }
        let event = match crossterm::event::poll(POLL) {
            Ok(true) => crossterm::event::read().map(Some),
            Ok(false) => Ok(None),
            Err(e) => Err(e),
        };
        let sent = match event {
            Ok(Some(ev)) => bell.send(Wake::Input(ev)),
            Ok(None) => true,
            Err(e) => {
                bell.send(Wake::Failed(e));
                false
            }
        };
        if !sent {
            shared.set(State::Stopped);
            return;
        }
    }
}

/// The loop's channel, fed by the terminal reader and the bell.
pub(crate) struct Doorbell {
    rx: mpsc::Receiver<Wake>,
    bell: Bell,
    reader: Option<TermReader>,
    /// A terminal event met while collapsing a run of rings, returned next.
    held: Option<Event>,
}

impl Doorbell {
    pub(crate) fn new(rx: mpsc::Receiver<Wake>, bell: Bell, reader: Option<TermReader>) -> Self {
        Doorbell {
            rx,
            bell,
            reader,
            held: None,
        }
    }
}

impl Input for Doorbell {
    fn next(&mut self, timeout: Option<Duration>) -> io::Result<Option<Event>> {
        if let Some(ev) = self.held.take() {
            return Ok(Some(ev));
        }
        let first = match timeout {
            None => self.rx.recv().ok(),
            Some(d) if d.is_zero() => self.rx.try_recv().ok(),
            Some(d) => self.rx.recv_timeout(d).ok(),
        };
        match first {
            Some(Wake::Input(ev)) => Ok(Some(ev)),
            Some(Wake::Failed(e)) => Err(e),
            Some(Wake::Ring) => {
                // One look serves every ring already queued; a key met on the way waits.
                loop {
                    match self.rx.try_recv() {
                        Ok(Wake::Ring) => continue,
                        Ok(Wake::Input(ev)) => self.held = Some(ev),
                        Ok(Wake::Failed(e)) => return Err(e),
                        Err(_) => {}
                    }
                    return Ok(None);
                }
            }
            None => Ok(None),
        }
    }

    fn bell(&self) -> Bell {
        self.bell.clone()
    }

    fn pause(&mut self) {
        if let Some(r) = &self.reader {
            r.pause();
        }
    }

    fn resume(&mut self) {
        if let Some(r) = &self.reader {
            r.resume();
        }
    }
}
