//! The console's terminal loop: read keys, take snapshots, events and outcomes from the
//! supervisor, send commands back, and redraw only when something changed.

use crate::app::{App, Effect, LogReply, LogRequest};
use crate::fleet::{Command, CommandOutcome};
use crate::fleet::{EventView, FleetSnapshot};
use crate::theme::Theme;
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::layout::Rect;
use ratatui::Terminal;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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
    pub live: Option<super::LiveIo>,
    /// Searches the log and reads captures for the log browser.
    pub logs: Box<dyn crate::logs::LogSource>,
}

/// Where input comes from: the terminal, or a script in tests.
pub(crate) trait Input {
    /// The next terminal event, or `None` when `timeout` passes first.
    fn next(&mut self, timeout: Duration) -> io::Result<Option<Event>>;
}

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
}

/// How often the loop may draw and how long it sleeps between channel checks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pacing {
    /// Minimum time between two frames (~60 frames/s).
    pub frame: Duration,
    /// Longest wait for a key before looking at the channels again.
    pub poll: Duration,
}

const PACING: Pacing = Pacing {
    frame: Duration::from_millis(16),
    poll: Duration::from_millis(33),
};

/// Open the console on this terminal and run it until the operator quits. Agents keep
/// running; the terminal is restored on every exit path, panics included.
pub fn run_console(io: ConsoleIo) -> anyhow::Result<()> {
    let theme = Theme::from_no_color(std::env::var("NO_COLOR").ok().as_deref());
    let stop = Arc::new(AtomicBool::new(false));
    let mut signals = Vec::new();
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
        signals.push(signal_hook::flag::register(sig, Arc::clone(&stop))?);
    }

    // Installed before raw mode so a panic anywhere after it leaves a usable terminal.
    let previous = Arc::new(std::panic::take_hook());
    let chained = Arc::clone(&previous);
    std::panic::set_hook(Box::new(move |info| {
        let _ = leave_terminal();
        chained(info);
    }));

    let result = (|| {
        let mut guard = TerminalGuard::enter()?;
        let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        terminal.clear()?;
        drive(
            &mut terminal,
            io,
            &mut CrosstermInput,
            &mut guard,
            &mut wall_ms,
            &theme,
            PACING,
            &stop,
        )
    })();

    std::panic::set_hook(Box::new(move |info| previous(info)));
    for id in signals {
        signal_hook::low_level::unregister(id);
    }
    result.map(|_stats| ())
}

/// The loop itself, over any backend, input and screen so tests can drive it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn drive<B: Backend>(
    terminal: &mut Terminal<B>,
    io: ConsoleIo,
    input: &mut dyn Input,
    screen: &mut dyn Screen,
    clock: &mut dyn FnMut() -> i64,
    theme: &Theme,
    pacing: Pacing,
    stop: &AtomicBool,
) -> anyhow::Result<LoopStats> {
    let ConsoleIo {
        mut snapshots,
        events,
        history,
        outcomes,
        commands,
        mut attach,
        bell,
        live,
        mut logs,
    } = io;
    let mut app = App::default();
    let mut theme = theme.clone();
    let mut reload = Reload::new(live);
    reload.check(&mut app, &mut theme, true);
    for e in history {
        app.on_event(e);
    }
    let mut shown = Arc::clone(&snapshots.borrow_and_update());
    app.on_snapshot(Arc::clone(&shown));
    let size = terminal.size()?;
    app.set_regions(super::regions(Rect::new(0, 0, size.width, size.height)));

    let mut stats = LoopStats::default();
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;
    let mut last_second = clock().div_euclid(1000);
    let mut closed = false;
    loop {
        if stop.load(Ordering::Relaxed) {
            return Ok(stats);
        }
        if !closed {
            let changed = match snapshots.has_changed() {
                Ok(changed) => changed,
                Err(_) => {
                    // The supervisor is gone; its last picture may still be unseen.
                    closed = true;
                    app.on_supervisor_gone();
                    dirty = true;
                    !Arc::ptr_eq(&snapshots.borrow(), &shown)
                }
            };
            if changed {
                let old = std::mem::replace(&mut shown, Arc::clone(&snapshots.borrow_and_update()));
                app.on_snapshot(Arc::clone(&shown));
                dirty = true;
                // The notification settings decide about the bell now.
                app.take_bell();
                let news = crate::notify::changes(&old, &shown, &reload.notify().on);
                if !news.is_empty() {
                    stats.bells += reload.notify_all(&news, bell, screen)?;
                }
            }
        }
        if reload.check(&mut app, &mut theme, false) {
            dirty = true;
        }
        for failure in reload.failures() {
            app.set_message(failure, true);
            dirty = true;
        }
        while let Ok(e) = events.try_recv() {
            app.on_event(e);
            dirty = true;
        }
        while let Ok(o) = outcomes.try_recv() {
            app.on_outcome(o);
            dirty = true;
        }
        // The log browser's searches run here, on the console's own store connection.
        while let Some(request) = app.take_log_request() {
            let reply = match request {
                LogRequest::Page(q) => LogReply::Page(logs.query(&q)),
                LogRequest::Capture(id) => LogReply::Capture(id, logs.capture(id)),
            };
            app.on_log_reply(reply);
            dirty = true;
        }
        let now = clock();
        if now.div_euclid(1000) != last_second {
            // Countdowns and "ago" columns move once a second.
            last_second = now.div_euclid(1000);
            dirty = true;
        }
        let since_draw = last_draw.map_or(pacing.frame, |t| t.elapsed());
        if dirty && since_draw >= pacing.frame {
            terminal.draw(|f| super::draw(f, &app, &theme, now))?;
            stats.frames += 1;
            dirty = false;
            last_draw = Some(Instant::now());
        }
        let to_next_second = Duration::from_millis((1000 - now.rem_euclid(1000)) as u64);
        let timeout = if dirty {
            pacing.frame.saturating_sub(since_draw)
        } else {
            pacing.poll.min(to_next_second)
        };

        let Some(first) = input.next(timeout)? else {
            continue;
        };
        let mut effects = handle(&mut app, first, now);
        // Take a burst of keys (a paste, key repeat) in one go: one frame for all of them.
        for _ in 0..256 {
            if effects
                .iter()
                .any(|e| matches!(e, Effect::Quit | Effect::Attach { .. }))
            {
                break;
            }
            match input.next(Duration::ZERO)? {
                Some(ev) => effects.extend(handle(&mut app, ev, now)),
                None => break,
            }
        }
        for effect in effects {
            match effect {
                Effect::Redraw => dirty = true,
                Effect::Quit => return Ok(stats),
                Effect::SetTheme(name) => {
                    if let Err(e) = reload.set_theme(&name, &mut theme) {
                        app.set_message(e, true);
                    }
                    dirty = true;
                }
                Effect::StartAgents(names) => {
                    if let Err(e) = reload.start(names) {
                        app.set_message(e, true);
                    }
                    dirty = true;
                }
                Effect::Send(command) => {
                    stats.sent += 1;
                    if let Err(mpsc::SendError(command)) = commands.send(command) {
                        app.on_outcome(CommandOutcome {
                            command,
                            result: Err("the supervisor is not running; nothing was sent".into()),
                        });
                    }
                    dirty = true;
                }
                Effect::Attach {
                    server,
                    pane,
                    agent,
                } => {
                    screen.suspend()?;
                    let result = attach(&server, &pane);
                    screen.resume()?;
                    // The attached program drew over everything: repaint the whole screen.
                    terminal.clear()?;
                    match result {
                        Ok(()) => app.set_message(format!("back from {agent}"), false),
                        Err(e) => app.set_message(
                            format!(
                                "could not attach to {agent} ({pane} on tmux -L {server}): {e:#}"
                            ),
                            true,
                        ),
                    }
                    let size = terminal.size()?;
                    app.set_regions(super::regions(Rect::new(0, 0, size.width, size.height)));
                    dirty = true;
                }
            }
        }
    }
}

fn handle(app: &mut App, ev: Event, now: i64) -> Vec<Effect> {
    match ev {
        Event::Key(key) => app.handle_key(key, now),
        Event::Mouse(m) => app.handle_mouse(m),
        Event::Paste(text) => app.handle_paste(&text),
        Event::Resize(w, h) => {
            app.set_regions(super::regions(Rect::new(0, 0, w, h)));
            vec![Effect::Redraw]
        }
        Event::FocusGained | Event::FocusLost => Vec::new(),
    }
}

/// What the loop did, for tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct LoopStats {
    /// Frames drawn.
    pub frames: u64,
    /// Bells rung.
    pub bells: u64,
    /// Commands handed to the channel.
    pub sent: u64,
}

fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

struct CrosstermInput;

impl Input for CrosstermInput {
    fn next(&mut self, timeout: Duration) -> io::Result<Option<Event>> {
        if crossterm::event::poll(timeout)? {
            crossterm::event::read().map(Some)
        } else {
            Ok(None)
        }
    }
}

/// Owns the terminal's raw/alternate mode; dropping it always gives the terminal back.
struct TerminalGuard {
    active: bool,
}

impl TerminalGuard {
    fn enter() -> io::Result<TerminalGuard> {
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
fn leave_terminal() -> io::Result<()> {
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

/// The console's side of hot reload and notifications: the latest settings, a `:theme`
/// override, and the notification command runner.
struct Reload {
    io: Option<super::LiveIo>,
    current: Arc<super::Live>,
    theme_override: Option<String>,
    notifier: Option<crate::notify::Notifier>,
}

impl Reload {
    fn new(io: Option<super::LiveIo>) -> Reload {
        Reload {
            io,
            current: Arc::new(super::Live::default()),
            theme_override: None,
            notifier: None,
        }
    }

    fn failures(&self) -> Vec<String> {
        self.notifier
            .as_ref()
            .map_or_else(Vec::new, |n| n.failures())
    }

    fn notify(&self) -> &crate::config::NotifyConfig {
        &self.current.notify
    }

    /// Take a new reload result if there is one (or the first one); true if it changed
    /// anything on screen.
    fn check(&mut self, app: &mut App, theme: &mut Theme, first: bool) -> bool {
        let Some(io) = self.io.as_mut() else {
            return false;
        };
        let changed = match io.live.has_changed() {
            Ok(changed) => changed,
            // The watcher stopped; its last value may still be unseen.
            Err(_) => !Arc::ptr_eq(&io.live.borrow(), &self.current),
        };
        if !first && !changed {
            return false;
        }
        let new = Arc::clone(&io.live.borrow_and_update());
        let old = (!first).then(|| Arc::clone(&self.current));
        super::live::apply(app, old.as_deref(), &new);
        // A `:theme` choice lasts until the config names a theme again.
        if old.as_ref().is_some_and(|o| o.theme_name != new.theme_name) {
            self.theme_override = None;
        }
        if self.theme_override.is_none() {
            *theme = new.theme.clone();
        }
        self.current = new;
        true
    }

    fn set_theme(&mut self, name: &str, theme: &mut Theme) -> Result<(), String> {
        let live = &self.current;
        match crate::theme::resolve(name, live.themes_dir.as_deref(), None) {
            Ok(t) => {
                *theme = t.for_depth(live.depth);
                self.theme_override = Some(name.to_string());
                Ok(())
            }
            Err(e) => Err(e.one_line()),
        }
    }

    fn start(&mut self, names: Vec<String>) -> Result<(), String> {
        let (Some(io), Some(fleet)) = (&self.io, &self.current.fleet) else {
            return Err("this console does not follow a fleet file; use `shoal up`".into());
        };
        io.updates
            .send(crate::supervisor::Update::Fleet {
                fleet: (**fleet).clone(),
                start: names,
            })
            .map_err(|_| "the supervisor is not running; nothing was started".to_string())
    }

    /// Ring, show and run what the notification settings ask for; returns bells rung.
    fn notify_all(
        &mut self,
        news: &[crate::notify::NotifyEvent],
        bell_allowed: bool,
        screen: &mut dyn Screen,
    ) -> io::Result<u64> {
        let cfg = self.current.notify.clone();
        let mut bells = 0;
        if cfg.bell && bell_allowed {
            screen.bell()?;
            bells = 1;
        }
        let in_tmux = crate::tmux::inside_tmux();
        for ev in news {
            if let Some(esc) =
                crate::notify::desktop_escape(cfg.desktop, "shoal", &ev.summary(), in_tmux)
            {
                screen.desktop(&esc)?;
            }
            if let Some(cmd) = &cfg.command {
                if self.notifier.is_none() {
                    self.notifier = crate::notify::Notifier::spawn().ok();
                }
                if let Some(n) = &self.notifier {
                    n.send(cmd, ev.clone());
                }
            }
        }
        Ok(bells)
    }
}

#[cfg(test)]
#[path = "live_tests.rs"]
mod live_tests;
#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;
