//! The terminal's modes: raw mode and the alternate screen on the way in, the normal
//! terminal on every way out (quit, attach, error, panic).

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use std::io::{self, Write};
use std::sync::Arc;

/// What the loop does to the terminal besides drawing.
pub(crate) trait Screen {
    /// Give the terminal back (raw mode off, main screen) for an attach.
    fn suspend(&mut self) -> io::Result<()>;
    /// Take the terminal again after an attach.
    fn resume(&mut self) -> io::Result<()>;
    /// Ring the bell.
    fn bell(&mut self) -> io::Result<()>;
    /// Write a desktop-notification escape sequence.
    fn desktop(&mut self, escape: &str) -> io::Result<()> {
        let _ = escape;
        Ok(())
    }
    /// Write an OSC 52 sequence that sets the terminal's clipboard.
    fn clipboard(&mut self, osc: &str) -> io::Result<()> {
        let _ = osc;
        Ok(())
    }
}

/// Owns the terminal's raw/alternate mode; dropping it always gives the terminal back.
pub(crate) struct TerminalGuard {
    active: bool,
}

impl TerminalGuard {
    /// Raw mode, the alternate screen, mouse and paste capture.
    pub(crate) fn enter() -> io::Result<TerminalGuard> {
        let mut guard = TerminalGuard { active: false };
        guard.resume()?;
        Ok(guard)
    }
}

impl Screen for TerminalGuard {
    fn suspend(&mut self) -> io::Result<()> {
        self.active = false;
        leave_terminal()
    }

    fn resume(&mut self) -> io::Result<()> {
        // Marked active first: if entering fails half-way, Drop still undoes what was done.
        self.active = true;
        terminal::enable_raw_mode()?;
        crossterm::execute!(
            io::stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste
        )
    }

    fn bell(&mut self) -> io::Result<()> {
        let mut out = io::stdout();
        out.write_all(b"\x07")?;
        out.flush()
    }

    fn desktop(&mut self, escape: &str) -> io::Result<()> {
        let mut out = io::stdout();
        out.write_all(escape.as_bytes())?;
        out.flush()
    }

    fn clipboard(&mut self, osc: &str) -> io::Result<()> {
        let mut out = io::stdout();
        out.write_all(osc.as_bytes())?;
        out.flush()
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if self.active {
            let _ = leave_terminal();
        }
    }
}

/// Raw mode off first (so nothing is left half-configured if the rest fails), then mouse
/// and paste capture off, then back to the main screen with a visible cursor.
pub(crate) fn leave_terminal() -> io::Result<()> {
    let raw = terminal::disable_raw_mode();
    let screen = crossterm::execute!(
        io::stdout(),
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    raw.and(screen)
}

/// A panic hook that restores the terminal before the previous hook prints the panic;
/// dropping it puts the previous hook back. Installed before raw mode, so a panic
/// anywhere after it leaves a usable terminal.
pub(crate) struct PanicRestore {
    put_back: Option<Box<dyn FnOnce()>>,
}

impl PanicRestore {
    pub(crate) fn install() -> PanicRestore {
        let previous = Arc::new(std::panic::take_hook());
        let chained = Arc::clone(&previous);
        std::panic::set_hook(Box::new(move |info| {
            let _ = leave_terminal();
            chained(info);
        }));
        PanicRestore {
            put_back: Some(Box::new(move || {
                std::panic::set_hook(Box::new(move |info| previous(info)));
            })),
        }
    }
}

impl Drop for PanicRestore {
    fn drop(&mut self) {
        if let Some(put_back) = self.put_back.take() {
            put_back();
        }
    }
}
