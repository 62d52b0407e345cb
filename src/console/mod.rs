//! The console host: the terminal and its input, and the loop that feeds the app state
//! (`crate::app`) from the supervisor, hot reload and the log store, and draws it with
//! `crate::ui`. Everything that waits, reads the terminal, talks to other threads or
//! restores the terminal lives here; `app` and `ui` stay free of it.
//!
//! The loop sleeps until something happens: a key, a snapshot, an event, a command's
//! outcome, a reload, a log answer, or the moment a countdown on screen moves.

mod alerts;
mod attach;
mod clipboard;
mod edits;
mod host;
mod input;
pub mod live;
mod logs;
mod reload;
mod scrollback;
mod terminal;
pub mod view;
mod wake;

pub use attach::attach;
pub use edits::FleetEdits;
pub use live::{Live, LiveIo};
pub use view::{ViewFeed, ViewLink, ViewSetup};

use crate::fleet::{Command, CommandOutcome, EventView, FleetSnapshot};
use crate::theme::Theme;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::sync::atomic::AtomicBool;
use std::sync::{mpsc, Arc};

/// Everything the console exchanges with the rest of shoal.
pub struct ConsoleIo {
    /// The latest fleet picture; only the newest matters.
    pub snapshots: tokio::sync::watch::Receiver<Arc<FleetSnapshot>>,
    /// Events as they are stored; none lost, newest appended.
    pub events: mpsc::Receiver<EventView>,
    /// Events from before the console opened, oldest first.
    pub history: Vec<EventView>,
    /// What became of the commands sent.
    pub outcomes: mpsc::Receiver<CommandOutcome>,
    /// Operator commands for the supervisor.
    pub commands: mpsc::Sender<Command>,
    /// Called with the terminal restored to normal (raw mode off, main screen); returns when the operator detaches.
    #[allow(clippy::type_complexity)]
    pub attach: Box<dyn FnMut(&str, &str) -> anyhow::Result<()>>,
    /// Ring the terminal bell when a snapshot shows an agent newly needing the operator
    /// (as the notification settings say).
    pub bell: bool,
    /// Hot reload of the config, themes and fleet file; `None` keeps the start settings.
    pub live: Option<LiveIo>,
    /// Searches the log and reads captures for the log browser, on a thread of its own.
    pub logs: Box<dyn crate::logs::LogSource + Send>,
    /// Set when this console views another process's supervisor: who supervises, and
    /// which agent is on screen (the view captures only that pane).
    pub view: Option<ViewLink>,
    /// Adds agents to and removes them from the fleet file (`N`, `D`); `None`: the
    /// console follows no fleet file.
    pub editor: Option<Box<dyn FleetEdits>>,
}

/// Open the console on this terminal and run it until the operator quits. Agents keep
/// running; the terminal is restored on every exit path, panics included.
pub fn run_console(io: ConsoleIo) -> anyhow::Result<()> {
    let theme = Theme::from_no_color(std::env::var("NO_COLOR").ok().as_deref());
    let (bell, wakes) = wake::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let _signals = wake::StopSignals::spawn(Arc::clone(&stop), bell.clone())?;
    // Before raw mode, so a panic anywhere after it leaves a usable terminal.
    let _panic = terminal::PanicRestore::install();
    let mut guard = terminal::TerminalGuard::enter()?;
    let mut term = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    term.clear()?;

    // The sources the loop cannot sleep on directly ring its channel instead.
    let mut watched = vec![wake::ring_on_change(io.snapshots.clone(), bell.clone())];
    if let Some(l) = &io.live {
        watched.push(wake::ring_on_change(l.live.clone(), bell.clone()));
    }
    if let Some(v) = &io.view {
        watched.push(wake::ring_on_change(v.supervision.clone(), bell.clone()));
    }
    let _watch = wake::WatchRelay::spawn(watched)?;
    let io = ConsoleIo {
        events: wake::relay("events", io.events, bell.clone())?,
        outcomes: wake::relay("outcomes", io.outcomes, bell.clone())?,
        ..io
    };
    let reader = input::TermReader::spawn(bell.clone())?;
    // Declared last, dropped first: the reader stops before the terminal is given back.
    let mut input = input::Doorbell::new(wakes, bell, Some(reader));
    host::drive(
        &mut term,
        io,
        &mut input,
        &mut guard,
        &mut crate::fleet::units::now_ms,
        &theme,
        host::PACING,
        &stop,
    )
    .map(|_stats| ())
}
