//! Opening the console. With nobody supervising the fleet, the console supervises it
//! itself (the supervisor runs embedded on its own thread); while another process holds
//! the lease, the console opens as a view of it. On quit, a console that supervises
//! hands the fleet on as `[console] on_quit` says (see `handoff.rs`).

use super::ctx::Ctx;
use crate::console::{attach, run_console, ConsoleIo, LiveIo, ViewFeed, ViewSetup};
use crate::fleet::{Caller, EventKind, EventView};
use crate::store::{LeaseHolder, NewEvent, Store};
use crate::supervisor::runner::{self, Handle};
use crate::supervisor::{declare_only, Supervisor, Update};
use crate::tmux::TmuxBackend;
use anyhow::Result;

/// How many past events the console starts with.
const HISTORY: usize = 2000;

/// Where the console's picture comes from.
enum Source {
    /// Its own supervisor.
    Embedded(Handle),
    /// Another process's, through the store.
    View(ViewFeed),
}

/// Open the console on a fleet: supervising it, or viewing the supervisor that does.
pub fn open(ctx: &Ctx) -> Result<()> {
    crate::tmux::Server::check_installed()?;
    // The console's keys act as the operator: not for a command from an agent's pane.
    let caller = super::caller::identify(ctx)?;
    super::caller::authorize(ctx, &caller, crate::fleet::Verb::Console, "")?;
    super::require_terminal()?;
    let mut history = ctx.store.events(None, 0, usize::MAX)?;
    if history.len() > HISTORY {
        history.drain(..history.len() - HISTORY);
    }
    let (mut io, source) = match ctx.live_supervisor()? {
        Some(holder) => view(ctx, caller, holder, history)?,
        None => match embedded(ctx, history.clone()) {
            Ok(pair) => pair,
            // Another supervisor started meanwhile: view it instead.
            Err(e) => match ctx.live_supervisor()? {
                Some(holder) => view(ctx, caller, holder, history)?,
                None => return Err(e),
            },
        },
    };
    let loader = super::reload::Loader::new(
        ctx.paths.clone(),
        ctx.config.clone(),
        Some((ctx.fleet.path.clone(), ctx.fleet.clone())),
        crate::theme::ColorDepth::from_env(),
        match &source {
            Source::Embedded(h) => Some(h.updates.clone()),
            Source::View(_) => None,
        },
        ctx.overrides.clone(),
    );
    // Without a watcher the console still runs, with the settings it started with.
    let (_watch, live) = match super::reload::start(loader) {
        Ok((w, rx)) => (Some(w), Some(rx)),
        Err(e) => {
            eprintln!("shoal: {e}");
            (None, None)
        }
    };
    // A view's holder watches its own files; a view only declares the agents the
    // operator starts from a changed fleet file.
    let updates = match &source {
        Source::Embedded(h) => h.updates.clone(),
        Source::View(_) => view_updates(ctx),
    };
    io.live = live.map(|live| LiveIo { live, updates });
    // Read before the console takes the terminal: a broken user profile prints here.
    match super::fleet_edit::FleetEditor::new(ctx, super::ctx::registry()) {
        Ok(ed) => io.editor = Some(Box::new(ed)),
        Err(e) => eprintln!("shoal: the console cannot edit the fleet file: {e}"),
    }
    let result = run_console(io);
    let handle = match source {
        Source::Embedded(h) => Some(h),
        Source::View(feed) => feed.stop(),
    };
    match handle {
        Some(h) => super::handoff::on_quit(ctx, h),
        None => {
            if let Some(h) = ctx.live_supervisor()? {
                println!(
                    "fleet {}: still supervised by pid {} ({})",
                    ctx.fleet.settings.name,
                    h.pid,
                    h.mode.as_str()
                );
            }
        }
    }
    result
}

/// Where a view sends the fleet-file changes the operator accepts (`S`): the agents it
/// starts are declared in the store, as `shoal up` does, and the supervisor holding the
/// lease starts them within a tick. Settings and profiles are the holder's to reload.
/// The outcome is a fleet event, which the view shows like any other.
fn view_updates(ctx: &Ctx) -> std::sync::mpsc::Sender<Update> {
    let (tx, rx) = std::sync::mpsc::channel::<Update>();
    let path = ctx.store.path().to_path_buf();
    // Without the thread, `S` reports that nothing was sent, which is true.
    let _ = std::thread::Builder::new()
        .name("shoal-view-declare".into())
        .spawn(move || {
            let registry = super::ctx::registry();
            for update in rx {
                let Update::Fleet { fleet, start } = update else {
                    continue;
                };
                if start.is_empty() {
                    continue;
                }
                let Ok(store) = Store::open(&path) else {
                    continue;
                };
                let now = crate::fleet::units::now_ms();
                let kind = match declare_only(&store, &fleet, &registry, now, |name, known| {
                    known || start.iter().any(|s| s == name)
                }) {
                    Ok(starting) => EventKind::FleetReloaded { starting },
                    Err(e) => EventKind::FleetReloadFailed {
                        error: e.to_string(),
                    },
                };
                let _ = store.insert_event(&NewEvent::fleet(now, kind));
            }
        });
    tx
}

/// The console with its own supervisor.
fn embedded(ctx: &Ctx, history: Vec<EventView>) -> Result<(ConsoleIo, Source)> {
    let sup = ctx.supervisor(true)?;
    let mut handle =
        runner::spawn(sup, crate::store::SupervisorMode::Console).map_err(anyhow::Error::msg)?;
    let (events, outcomes) = handle.take_streams();
    let io = ConsoleIo {
        snapshots: handle.snapshots.clone(),
        events,
        history,
        outcomes,
        commands: handle.commands.clone(),
        attach: attach_through(ctx),
        bell: true,
        live: None,
        logs: Box::new(Store::open(ctx.store.path())?),
        view: None,
        editor: None,
    };
    Ok((io, Source::Embedded(handle)))
}

/// The console as a view of `holder`'s supervisor.
fn view(
    ctx: &Ctx,
    caller: Caller,
    holder: LeaseHolder,
    history: Vec<EventView>,
) -> Result<(ConsoleIo, Source)> {
    let hosts = ctx.hosts();
    let setup = ViewSetup {
        store: Store::open(ctx.store.path())?,
        after_event: history.last().map_or(0, |e| e.id),
        caller,
        poll: ctx.fleet.settings.poll_interval,
        supervise: supervise_later(ctx),
        capture: Box::new(move |server, pane| {
            let mut tmux = crate::tmux::OneShot::new(hosts.server(server));
            tmux.capture_panes(&[pane.to_string()])
                .ok()?
                .into_iter()
                .next()
                .flatten()
        }),
    };
    let (feed, ends) = ViewFeed::start(setup, holder)?;
    let io = ConsoleIo {
        snapshots: ends.snapshots,
        events: ends.events,
        history,
        outcomes: ends.outcomes,
        commands: ends.commands,
        attach: attach_through(ctx),
        bell: true,
        live: None,
        logs: Box::new(Store::open(ctx.store.path())?),
        view: Some(ends.link),
        editor: None,
    };
    Ok((io, Source::View(feed)))
}

/// The console's attach, reaching remote panes through their hosts.
#[allow(clippy::type_complexity)]
fn attach_through(ctx: &Ctx) -> Box<dyn FnMut(&str, &str) -> Result<()>> {
    let hosts = ctx.hosts();
    Box::new(move |server, pane| attach(&hosts.server(server), pane))
}

/// How a view builds a supervisor when the holder goes away: everything it needs is
/// read now, so nothing prints over the console later.
#[allow(clippy::type_complexity)]
fn supervise_later(ctx: &Ctx) -> Box<dyn FnMut() -> Result<Supervisor, String> + Send> {
    let settings = ctx.fleet.settings.clone();
    let home = ctx.home.clone();
    let path = ctx.store.path().to_path_buf();
    let registry = super::ctx::registry();
    Box::new(move || {
        let store = Store::open(&path).map_err(|e| e.to_string())?;
        Supervisor::new(
            settings.clone(),
            home.clone(),
            store,
            Box::new(registry.clone()),
            super::ctx::connector_for(&settings.name, true),
        )
        .map_err(|e| e.to_string())
    })
}
