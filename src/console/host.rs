//! The console loop: sleep until something happens, feed it to the app state through
//! one pump per source, and draw when something changed, at most once per frame time.

use super::alerts::Alerts;
use super::logs::LogWorker;
use super::reload::Reload;
use super::terminal::Screen;
use super::wake::Input;
use super::ConsoleIo;
use crate::app::{App, Effect};
use crate::fleet::{Command, CommandOutcome, EventView, FleetSnapshot};
use crate::theme::Theme;
use crate::ui;
use crossterm::event::Event;
use ratatui::backend::Backend;
use ratatui::layout::Rect;
use ratatui::Terminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// How often the loop may draw.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pacing {
    /// Minimum time between two frames (~60 frames/s).
    pub frame: Duration,
}

pub(crate) const PACING: Pacing = Pacing {
    frame: Duration::from_millis(16),
};

/// Most terminal events taken in one go (a paste, key repeat): one frame for all.
const BURST: usize = 256;

/// What the loop did, for tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct LoopStats {
    /// Frames drawn.
    pub frames: u64,
    /// Bells rung.
    pub bells: u64,
    /// Commands handed to the channel.
    pub sent: u64,
    /// Times the loop woke up.
    pub wakes: u64,
}

/// Whether the loop goes on after a burst of input.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Go,
    Quit,
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
    let mut host = Host::new(terminal, io, input, theme)?;
    loop {
        if stop.load(Ordering::Relaxed) {
            return Ok(host.stats);
        }
        let now = clock();
        // Messages set by what arrives now are stamped with now, so they expire on time.
        host.app.set_clock(now);
        host.pump_snapshots(screen, now)?;
        host.pump_view();
        host.pump_reloads();
        host.pump_events();
        host.pump_outcomes();
        host.pump_logs();
        host.pump_scrollback();
        host.pump_edits(now);
        host.pump_timers(now);
        let since_draw = host.last_draw.map_or(pacing.frame, |t| t.elapsed());
        if host.dirty && since_draw >= pacing.frame {
            host.draw(now)?;
        }
        let timeout = host.sleep(now, pacing, since_draw);
        let first = input.next(timeout)?;
        host.stats.wakes += 1;
        if let Some(first) = first {
            if host.pump_keys(first, input, screen, now)? == Flow::Quit {
                return Ok(host.stats);
            }
            host.pump_view();
        }
    }
}

/// The console's state between two wake-ups and the ends of every source.
struct Host<'t, B: Backend> {
    terminal: &'t mut Terminal<B>,
    app: App,
    theme: Theme,
    reload: Reload,
    alerts: Alerts,
    snapshots: tokio::sync::watch::Receiver<Arc<FleetSnapshot>>,
    /// The snapshot on screen.
    shown: Arc<FleetSnapshot>,
    /// The supervisor stopped publishing.
    closed: bool,
    events: mpsc::Receiver<EventView>,
    outcomes: mpsc::Receiver<CommandOutcome>,
    commands: mpsc::Sender<Command>,
    #[allow(clippy::type_complexity)]
    attach: Box<dyn FnMut(&str, &str) -> anyhow::Result<()>>,
    bell_allowed: bool,
    logs: LogWorker,
    scrollback: super::scrollback::ScrollbackWorker,
    cache: ui::PaneCache,
    stats: LoopStats,
    /// The screen is out of date.
    dirty: bool,
    last_draw: Option<Instant>,
    /// When something on screen moves with the clock.
    next_change: Option<i64>,
    /// The supervisor this console views, when it is a view.
    view: Option<super::ViewLink>,
    /// Fleet-file edits and diffs.
    edits: super::edits::Edits,
}

impl<'t, B: Backend> Host<'t, B> {
    fn new(
        terminal: &'t mut Terminal<B>,
        io: ConsoleIo,
        input: &dyn Input,
        theme: &Theme,
    ) -> anyhow::Result<Self> {
        let ConsoleIo {
            mut snapshots,
            events,
            history,
            outcomes,
            commands,
            attach,
            bell,
            live,
            logs,
            view,
            editor,
        } = io;
        let mut app = App::default();
        let mut theme = theme.clone();
        let mut reload = Reload::new(live);
        reload.check(&mut app, &mut theme, true);
        for e in history {
            app.on_event(e);
        }
        let shown = Arc::clone(&snapshots.borrow_and_update());
        app.on_snapshot(Arc::clone(&shown));
        if let Some(v) = &view {
            app.set_supervision(v.supervision.borrow().clone());
        }
        let size = terminal.size()?;
        app.set_regions(ui::regions(Rect::new(0, 0, size.width, size.height)));
        Ok(Host {
            terminal,
            app,
            theme,
            reload,
            alerts: Alerts::new(input.bell()),
            snapshots,
            shown,
            closed: false,
            events,
            outcomes,
            commands,
            attach,
            bell_allowed: bell,
            logs: LogWorker::spawn(logs, input.bell())?,
            scrollback: super::scrollback::ScrollbackWorker::spawn(
                super::scrollback::tmux_reader(),
                input.bell(),
            )?,
            edits: super::edits::Edits::new(editor, input.bell()),
            cache: ui::PaneCache::default(),
            stats: LoopStats::default(),
            dirty: true,
            last_draw: None,
            next_change: None,
            view,
        })
    }

    /// A new fleet picture: show it, and tell the operator about agents that newly need them.
    fn pump_snapshots(&mut self, screen: &mut dyn Screen, now: i64) -> anyhow::Result<()> {
        if self.closed {
            return Ok(());
        }
        let changed = if let Ok(changed) = self.snapshots.has_changed() {
            changed
        } else {
            // The supervisor is gone; its last picture may still be unseen.
            self.closed = true;
            self.app.on_supervisor_gone();
            self.dirty = true;
            !Arc::ptr_eq(&self.snapshots.borrow(), &self.shown)
        };
        if !changed {
            return Ok(());
        }
        let new = Arc::clone(&self.snapshots.borrow_and_update());
        let old = std::mem::replace(&mut self.shown, new);
        self.app.on_snapshot(Arc::clone(&self.shown));
        if ui::same_picture(&old, &self.shown, now) {
            // Nothing to draw or tell; only the stale warning's deadline moved.
            if !self.dirty {
                self.next_change = ui::next_change(&self.app, now);
            }
            return Ok(());
        }
        self.dirty = true;
        let news = crate::notify::changes(&old, &self.shown, &self.reload.notify().on);
        if !news.is_empty() {
            let cfg = self.reload.notify().clone();
            self.stats.bells += self
                .alerts
                .notify_all(&cfg, &news, self.bell_allowed, screen)?;
        }
        Ok(())
    }

    /// A view: who supervises now, and which pane it should capture for the screen.
    fn pump_view(&mut self) {
        let Some(v) = &mut self.view else {
            return;
        };
        if v.supervision.has_changed().unwrap_or(false) {
            let s = v.supervision.borrow_and_update().clone();
            self.app.set_supervision(s);
            self.dirty = true;
        }
        let selected = self.app.selected();
        v.focus.send_if_modified(|f| {
            let changed = f.as_deref() != selected;
            if changed {
                *f = selected.map(str::to_string);
            }
            changed
        });
    }

    /// New settings from hot reload, and failed notification commands.
    fn pump_reloads(&mut self) {
        if self.reload.check(&mut self.app, &mut self.theme, false) {
            self.dirty = true;
        }
        for failure in self.alerts.failures() {
            self.app.set_message(failure, true);
            self.dirty = true;
        }
    }

    fn pump_events(&mut self) {
        while let Ok(e) = self.events.try_recv() {
            self.app.on_event(e);
            self.dirty = true;
        }
    }

    fn pump_outcomes(&mut self) {
        while let Ok(o) = self.outcomes.try_recv() {
            self.app.on_outcome(o);
            self.dirty = true;
        }
    }

    /// The log browser's requests go to the worker; its answers come back here.
    fn pump_logs(&mut self) {
        while let Some(request) = self.app.take_log_request() {
            self.logs.ask(request);
            // "searching…" shows until the answer comes.
            self.dirty = true;
        }
        for reply in self.logs.replies() {
            self.app.on_log_reply(reply);
            self.dirty = true;
        }
    }

    /// The pane view's scrollback reads go to their reader; its answers come back here.
    fn pump_scrollback(&mut self) {
        if let Some(request) = self.app.take_pane_request() {
            self.scrollback.ask(request);
            self.dirty = true;
        }
        for (agent, result) in self.scrollback.replies() {
            self.app.on_scrollback(&agent, result);
            self.dirty = true;
        }
    }

    /// Diffs that arrived, and removals whose agent has ended since its kill.
    fn pump_edits(&mut self, now: i64) {
        if self.edits.take_diffs(&mut self.app) | self.edits.finish_removals(&mut self.app, now) {
            self.dirty = true;
        }
    }

    /// Countdowns and "ago" columns move with the clock.
    fn pump_timers(&mut self, now: i64) {
        if self.next_change.is_some_and(|t| now >= t) {
            self.dirty = true;
        }
    }

    fn draw(&mut self, now: i64) -> anyhow::Result<()> {
        let (app, theme, cache) = (&self.app, &self.theme, &mut self.cache);
        self.terminal
            .draw(|f| ui::draw_cached(f, app, theme, now, cache))?;
        self.stats.frames += 1;
        self.dirty = false;
        self.last_draw = Some(Instant::now());
        self.next_change = ui::next_change(&self.app, now);
        Ok(())
    }

    /// How long to sleep: until the next frame may be drawn if the screen is out of
    /// date, else until something on screen moves (no deadline if nothing does).
    fn sleep(&self, now: i64, pacing: Pacing, since_draw: Duration) -> Option<Duration> {
        if self.dirty {
            return Some(pacing.frame.saturating_sub(since_draw));
        }
        self.next_change
            .map(|t| Duration::from_millis(u64::try_from(t - now).unwrap_or(0)))
    }

    /// A terminal event, and any more already waiting, then what they asked for.
    fn pump_keys(
        &mut self,
        first: Event,
        input: &mut dyn Input,
        screen: &mut dyn Screen,
        now: i64,
    ) -> anyhow::Result<Flow> {
        let mut effects = self.handle(first, now);
        for _ in 0..BURST {
            if effects
                .iter()
                .any(|e| matches!(e, Effect::Quit | Effect::Attach { .. }))
            {
                break;
            }
            match input.next(Some(Duration::ZERO))? {
                Some(ev) => effects.extend(self.handle(ev, now)),
                None => break,
            }
        }
        for effect in effects {
            if self.apply(effect, input, screen)? == Flow::Quit {
                return Ok(Flow::Quit);
            }
        }
        Ok(Flow::Go)
    }

    fn handle(&mut self, ev: Event, now: i64) -> Vec<Effect> {
        match ev {
            Event::Key(key) => self.app.handle_key(key, now),
            Event::Mouse(m) => self.app.handle_mouse(m),
            Event::Paste(text) => self.app.handle_paste(&text),
            Event::Resize(w, h) => {
                self.app.set_regions(ui::regions(Rect::new(0, 0, w, h)));
                vec![Effect::Redraw]
            }
            Event::FocusGained | Event::FocusLost => Vec::new(),
        }
    }

    fn apply(
        &mut self,
        effect: Effect,
        input: &mut dyn Input,
        screen: &mut dyn Screen,
    ) -> anyhow::Result<Flow> {
        match effect {
            Effect::Redraw => {}
            Effect::Quit => return Ok(Flow::Quit),
            Effect::SetTheme(name) => {
                if let Err(e) = self.reload.set_theme(&name, &mut self.theme) {
                    self.app.set_message(e, true);
                }
            }
            Effect::Copy { text, what } => {
                let data = crate::config::Paths::from_env().ok().map(|p| p.data_dir);
                let in_tmux = std::env::var_os("TMUX").is_some();
                let (message, is_error) =
                    super::clipboard::copy(&text, &what, screen, data.as_deref(), in_tmux);
                self.app.set_message(message, is_error);
            }
            Effect::StartAgents(names) => {
                if let Err(e) = self.reload.start(names) {
                    self.app.set_message(e, true);
                }
            }
            Effect::Send(command) => {
                self.stats.sent += 1;
                if let Err(mpsc::SendError(command)) = self.commands.send(command) {
                    self.app.on_outcome(CommandOutcome {
                        command,
                        result: Err("the supervisor is not running; nothing was sent".into()),
                    });
                }
            }
            Effect::Attach {
                server,
                pane,
                agent,
            } => self.attach(&server, &pane, &agent, input, screen)?,
            edit @ (Effect::AddAgent(_) | Effect::RemoveAgent(_) | Effect::Diff { .. }) => {
                let shown = Arc::clone(&self.shown);
                if let super::edits::Then::Send(command) =
                    self.edits.apply(edit, &mut self.app, &shown)
                {
                    return self.apply(Effect::Send(command), input, screen);
                }
            }
        }
        self.dirty = true;
        Ok(Flow::Go)
    }

    /// Hand the terminal to tmux until the operator detaches: the input thread stops
    /// reading first, or it would take the attached program's keys.
    fn attach(
        &mut self,
        server: &str,
        pane: &str,
        agent: &str,
        input: &mut dyn Input,
        screen: &mut dyn Screen,
    ) -> anyhow::Result<()> {
        input.pause();
        screen.suspend()?;
        let result = (self.attach)(server, pane);
        screen.resume()?;
        input.resume();
        // The attached program drew over everything: repaint the whole screen.
        self.terminal.clear()?;
        match result {
            Ok(()) => self.app.set_message(format!("back from {agent}"), false),
            Err(e) => self.app.set_message(
                format!("could not attach to {agent} ({pane} on tmux -L {server}): {e:#}"),
                true,
            ),
        }
        let size = self.terminal.size()?;
        self.app
            .set_regions(ui::regions(Rect::new(0, 0, size.width, size.height)));
        Ok(())
    }
}

#[cfg(test)]
#[path = "live_tests.rs"]
mod live_tests;
#[cfg(test)]
#[path = "host_tests.rs"]
mod tests;
