//! What wakes the console loop. Every source (the terminal, the supervisor's snapshots,
//! events and outcomes, hot reload, the log worker, notification failures, stop
//! signals) rings one channel; the loop sleeps on it with a deadline and, once woken,
//! looks at every source without blocking. A source rung twice costs one look.

use crossterm::event::Event;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// One message on the loop's channel.
#[derive(Debug)]
pub(crate) enum Wake {
    /// A terminal event (key, mouse, paste, resize).
    Input(Event),
    /// The terminal could not be read: the console cannot go on.
    Failed(io::Error),
    /// Something else may be waiting: look at every source.
    Ring,
}

/// The sending end of the loop's channel; other threads ring it.
#[derive(Debug, Clone)]
pub(crate) struct Bell(mpsc::Sender<Wake>);

impl Bell {
    /// Wake the loop to look at every source.
    pub(crate) fn ring(&self) {
        let _ = self.0.send(Wake::Ring);
    }

    /// Hand the loop a message; false once the loop is gone.
    pub(crate) fn send(&self, w: Wake) -> bool {
        self.0.send(w).is_ok()
    }
}

/// A new channel for the loop: the bell and what the loop sleeps on.
pub(crate) fn channel() -> (Bell, mpsc::Receiver<Wake>) {
    let (tx, rx) = mpsc::channel();
    (Bell(tx), rx)
}

/// Where the loop waits: the terminal and the bell in production, a script in tests.
pub(crate) trait Input {
    /// The next terminal event; `None` when woken for something else, or when `timeout`
    /// passed first (`None`: no deadline).
    fn next(&mut self, timeout: Option<Duration>) -> io::Result<Option<Event>>;
    /// A bell other threads ring to wake the loop.
    fn bell(&self) -> Bell;
    /// Stop reading the terminal: another program is about to use it.
    fn pause(&mut self) {}
    /// Read the terminal again.
    fn resume(&mut self) {}
}

/// Hand `rx`'s messages on through a new channel and ring after each: the loop cannot
/// sleep on the supervisor's channel and its own at once. The thread ends when the
/// sender goes away, or at the first message after the loop is gone.
pub(crate) fn relay<T: Send + 'static>(
    name: &str,
    rx: mpsc::Receiver<T>,
    bell: Bell,
) -> io::Result<mpsc::Receiver<T>> {
    let (tx, out) = mpsc::channel();
    std::thread::Builder::new()
        .name(format!("shoal-console-{name}"))
        .spawn(move || {
            for item in rx {
                if tx.send(item).is_err() {
                    return;
                }
                bell.ring();
            }
            // The sender is gone: the loop looks once more and sees it.
            bell.ring();
        })?;
    Ok(out)
}

/// Rings whenever one of the watched values (snapshots, settings) changes; the watch
/// channels are async, so one thread runs a small runtime for them. Stops when dropped.
pub(crate) struct WatchRelay {
    quit: Option<tokio::sync::oneshot::Sender<()>>,
}

/// One watched value: waits for its changes on the relay's runtime.
pub(crate) type Watched = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// Ring `bell` on every change of `rx`, and once more when its sender goes away.
pub(crate) fn ring_on_change<T: Send + Sync + 'static>(
    mut rx: tokio::sync::watch::Receiver<T>,
    bell: Bell,
) -> Watched {
    Box::pin(async move {
        while rx.changed().await.is_ok() {
            bell.ring();
        }
        bell.ring();
    })
}

impl WatchRelay {
    /// Start the thread watching `watched`.
    pub(crate) fn spawn(watched: Vec<Watched>) -> io::Result<WatchRelay> {
        let (quit, quit_rx) = tokio::sync::oneshot::channel::<()>();
        let rt = tokio::runtime::Builder::new_current_thread().build()?;
        std::thread::Builder::new()
            .name("shoal-console-watch".into())
            .spawn(move || {
                rt.block_on(async move {
                    for w in watched {
                        tokio::spawn(w);
                    }
                    let _ = quit_rx.await;
                });
            })?;
        Ok(WatchRelay { quit: Some(quit) })
    }
}

impl Drop for WatchRelay {
    fn drop(&mut self) {
        if let Some(q) = self.quit.take() {
            let _ = q.send(());
        }
    }
}

/// SIGTERM and SIGHUP end the console as `q` does: they set `stop` and ring. The
/// handlers are taken away when this is dropped.
pub(crate) struct StopSignals {
    handle: signal_hook::iterator::Handle,
}

impl StopSignals {
    pub(crate) fn spawn(stop: Arc<AtomicBool>, bell: Bell) -> io::Result<StopSignals> {
        use signal_hook::consts::{SIGHUP, SIGTERM};
        let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP])?;
        let handle = signals.handle();
        std::thread::Builder::new()
            .name("shoal-console-signals".into())
            .spawn(move || {
                for _ in signals.forever() {
                    stop.store(true, Ordering::SeqCst);
                    bell.ring();
                }
            })?;
        Ok(StopSignals { handle })
    }
}

impl Drop for StopSignals {
    fn drop(&mut self) {
        self.handle.close();
    }
}
