//! The terminal side of the simulated agent: raw mode, key reading, signals and drawing.
//!
//! Frames are drawn in place on the normal screen (no alternate screen, like Claude
//! Code), only when they differ from the last one, so an agent that is frozen really
//! writes nothing and `tmux capture-pane` always sees one coherent screen.

use super::screen::compose;
use super::script::{Key, Sim};
use anyhow::Context;
use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::{cursor, execute, terminal};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::io::{self, IsTerminal, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Longest sleep between checks of signals and (without a TTY) the terminal size.
const IDLE_POLL: Duration = Duration::from_millis(250);
/// Big enough for a full repaint of a large pane with colours.
const FRAME_BUFFER: usize = 256 * 1024;
/// Used when the terminal size cannot be read (output is not a terminal).
const FALLBACK_SIZE: (u16, u16) = (80, 24);

enum Input {
    Key(Key),
    Resize(u16, u16),
}

/// Signals that end or interrupt the run, raised by the OS and read by the loop.
struct Signals {
    interrupt: Arc<AtomicBool>,
    terminate: Arc<AtomicBool>,
    hangup: Arc<AtomicBool>,
}

impl Signals {
    fn register() -> io::Result<Self> {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let s = Self {
            interrupt: Arc::new(AtomicBool::new(false)),
            terminate: Arc::new(AtomicBool::new(false)),
            hangup: Arc::new(AtomicBool::new(false)),
        };
        signal_hook::flag::register(SIGINT, Arc::clone(&s.interrupt))?;
        signal_hook::flag::register(SIGTERM, Arc::clone(&s.terminate))?;
        signal_hook::flag::register(SIGHUP, Arc::clone(&s.hangup))?;
        Ok(s)
    }

    /// The exit status for a terminating signal, shell-style (128 + signal number).
    fn exit_status(&self) -> Option<i32> {
        if self.terminate.load(Ordering::Relaxed) {
            Some(128 + signal_hook::consts::SIGTERM)
        } else if self.hangup.load(Ordering::Relaxed) {
            Some(128 + signal_hook::consts::SIGHUP)
        } else {
            None
        }
    }
}

/// Leaves raw mode and shows the cursor again, whatever way the run ends.
struct RawGuard {
    raw: bool,
}

impl Drop for RawGuard {
    fn drop(&mut self) {
        if self.raw {
            let _ = terminal::disable_raw_mode();
        }
        let _ = execute!(io::stdout(), cursor::Show);
    }
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = terminal::disable_raw_mode();
        let _ = execute!(io::stdout(), cursor::Show);
        previous(info);
    }));
}

fn size() -> (u16, u16) {
    match terminal::size() {
        Ok((w, h)) if w > 0 && h > 0 => (w, h),
        _ => FALLBACK_SIZE,
    }
}

/// Runs `sim` on this process's terminal until it exits; returns its exit status.
pub(crate) fn run(sim: &mut Sim) -> anyhow::Result<i32> {
    let tty = io::stdin().is_terminal();
    let signals = Signals::register().context("could not install signal handlers")?;
    install_panic_hook();
    if tty {
        terminal::enable_raw_mode()
            .context("could not put the terminal in raw mode; run without a TTY on stdin")?;
    }
    let guard = RawGuard { raw: tty };
    let (tx, rx) = mpsc::channel();
    spawn_reader(tty, tx)?;

    let (mut width, mut height) = size();
    let area = Rect::new(0, 0, width, height);
    // Stdout flushes every 1 KiB; one buffered write per frame keeps a capture-pane
    // from catching half a frame.
    let backend = CrosstermBackend::new(io::BufWriter::with_capacity(FRAME_BUFFER, io::stdout()));
    let mut term = Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Fixed(area),
        },
    )
    .context("could not set up drawing on the terminal")?;
    term.clear().context("could not clear the terminal")?;

    let mut last: Vec<Line<'static>> = Vec::new();
    let mut last_size_check = Instant::now();
    let mut input_open = true;
    let code = loop {
        let now = Instant::now();
        sim.tick(now);
        let frame = compose(&sim.view(now), width, height);
        if frame != last {
            term.draw(|f| f.render_widget(Paragraph::new(frame.clone()), f.area()))
                .context("could not draw on the terminal")?;
            last = frame;
        }
        if let Some(code) = sim.exit_code() {
            break code;
        }
        if let Some(code) = signals.exit_status() {
            break code;
        }

        let wait = sim
            .next_wakeup(now)
            .map_or(IDLE_POLL, |t| t.saturating_duration_since(Instant::now()))
            .min(IDLE_POLL);
        let mut resized = None;
        if input_open {
            match rx.recv_timeout(wait) {
                Ok(first) => {
                    for input in std::iter::once(first).chain(rx.try_iter()) {
                        match input {
                            Input::Key(k) => sim.key(k, Instant::now()),
                            Input::Resize(w, h) => resized = Some((w, h)),
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => input_open = false,
            }
        } else {
            std::thread::sleep(wait);
        }
        if signals.interrupt.swap(false, Ordering::Relaxed) {
            sim.key(Key::CtrlC, Instant::now());
        }
        // Without a TTY on stdin there are no resize events: look now and then.
        if !tty && last_size_check.elapsed() >= Duration::from_secs(1) {
            last_size_check = Instant::now();
            resized = Some(size());
        }
        if let Some((w, h)) = resized.filter(|&s| s != (width, height)) {
            (width, height) = (w.max(1), h.max(1));
            term.resize(Rect::new(0, 0, width, height))
                .context("could not redraw after a resize")?;
            last.clear();
        }
    };

    // Leave the cursor under the last frame so whatever prints next starts below it.
    let rows = u16::try_from(last.len()).unwrap_or(u16::MAX);
    drop(term);
    let mut out = io::stdout();
    if rows < height {
        let _ = execute!(out, cursor::MoveTo(0, rows));
    } else {
        let _ = execute!(out, cursor::MoveTo(0, height - 1));
        let _ = out.write_all(b"\r\n");
    }
    let _ = out.flush();
    drop(guard);
    Ok(code)
}

fn spawn_reader(tty: bool, tx: Sender<Input>) -> anyhow::Result<()> {
    let builder = std::thread::Builder::new().name("sim-input".into());
    let spawned = if tty {
        builder.spawn(move || read_events(&tx))
    } else {
        builder.spawn(move || read_bytes(&tx))
    };
    spawned.context("could not start the input thread")?;
    Ok(())
}

fn read_events(tx: &Sender<Input>) {
    while let Ok(ev) = event::read() {
        let input = match ev {
            Event::Key(k) if k.kind != KeyEventKind::Release => {
                let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
                match k.code {
                    KeyCode::Char('c') if ctrl => Input::Key(Key::CtrlC),
                    KeyCode::Char(_) if ctrl => continue,
                    KeyCode::Char(c) => Input::Key(Key::Char(c)),
                    KeyCode::Enter => Input::Key(Key::Enter),
                    KeyCode::Esc => Input::Key(Key::Esc),
                    KeyCode::Backspace => Input::Key(Key::Backspace),
                    _ => continue,
                }
            }
            Event::Resize(w, h) => Input::Resize(w, h),
            _ => continue,
        };
        if tx.send(input).is_err() {
            return;
        }
    }
}

/// Reads keys from a stdin that is not a terminal (a pipe or a file), byte by byte.
fn read_bytes(tx: &Sender<Input>) {
    let mut stdin = io::stdin().lock();
    let mut buf = [0u8; 1024];
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        pending.extend_from_slice(&buf[..n]);
        // Keep an incomplete UTF-8 sequence for the next read.
        let valid = match std::str::from_utf8(&pending) {
            Ok(s) => s.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => {
                pending.clear();
                continue;
            }
        };
        let text: String = String::from_utf8_lossy(&pending[..valid]).into_owned();
        pending.drain(..valid);
        for c in text.chars() {
            let key = match c {
                '\r' | '\n' => Key::Enter,
                '\u{1b}' => Key::Esc,
                '\u{3}' => Key::CtrlC,
                '\u{7f}' | '\u{8}' => Key::Backspace,
                c => Key::Char(c),
            };
            if tx.send(Input::Key(key)).is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminating_signals_map_to_shell_exit_statuses() {
        let s = Signals {
            interrupt: Arc::new(AtomicBool::new(false)),
            terminate: Arc::new(AtomicBool::new(false)),
            hangup: Arc::new(AtomicBool::new(false)),
        };
        assert_eq!(s.exit_status(), None);
        s.hangup.store(true, Ordering::Relaxed);
        assert_eq!(s.exit_status(), Some(129));
        s.terminate.store(true, Ordering::Relaxed);
        assert_eq!(s.exit_status(), Some(143));
    }
}
