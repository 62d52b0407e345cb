//! What every command needs: the fleet file, the data directory, the store, and a
//! supervisor wired to real tmux and the real profiles.

use crate::config::{Config, Paths};
use crate::fleet::{file, Fleet};
use crate::profile::Registry;
use crate::store::{LeaseHolder, Store};
use crate::supervisor::runner::{now_ms, stale_after_ms};
use crate::supervisor::{declare, Connector, Supervisor};
use crate::tmux::{OneShot, Server, TmuxBackend, Watched};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// Pane size of agent windows on shoal's own servers.
pub const PANE_SIZE: (u16, u16) = (200, 50);

/// Settings given on the command line; they win over the fleet file and the config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--theme`.
    pub theme: Option<String>,
    /// `--poll-interval`.
    pub poll_interval: Option<Duration>,
}

impl Overrides {
    /// Lay the flags over a config read from its file.
    pub fn apply_config(&self, config: &mut Config) {
        if let Some(t) = &self.theme {
            config.theme = t.clone();
            config.theme_pos = None;
        }
    }

    /// Lay the flags over a fleet read from its file.
    pub fn apply_fleet(&self, fleet: &mut Fleet) {
        if let Some(p) = self.poll_interval {
            fleet.settings.poll_interval = p;
        }
    }
}

// Every command opens its fleet through `Ctx::open`; the flags are set once, before.
static OVERRIDES: OnceLock<Overrides> = OnceLock::new();

/// Record the command line's settings for every `Ctx::open` of this process.
pub fn set_overrides(o: Overrides) {
    let _ = OVERRIDES.set(o);
}

/// The command line's settings.
pub fn overrides() -> Overrides {
    OVERRIDES.get().cloned().unwrap_or_default()
}

/// Where shoal's files are: `SHOAL_CONFIG`, `SHOAL_HOME`, else the platform's dirs.
pub fn paths() -> Result<Paths> {
    Ok(Paths::from_env()?)
}

/// The data directory: `SHOAL_HOME`, else the platform's data dir for shoal.
pub fn home_dir() -> Result<PathBuf> {
    Ok(paths()?.data_dir)
}

/// The user's config with the command line's settings laid over it.
pub fn config() -> Result<Config> {
    let mut c = crate::config::load(&paths()?.config_file()).map_err(anyhow::Error::new)?;
    overrides().apply_config(&mut c);
    Ok(c)
}

/// Read a fleet file with the config's defaults and the command line's settings.
pub fn load_fleet(path: &Path, config: &Config) -> Result<Fleet, file::FleetFileError> {
    let mut fleet = file::load_with(path, &config.fleet_defaults())?;
    overrides().apply_fleet(&mut fleet);
    Ok(fleet)
}

/// An opened fleet: its file, data directory and store.
pub struct Ctx {
    /// The validated fleet file.
    pub fleet: Fleet,
    /// The data directory.
    pub home: PathBuf,
    /// The fleet's store.
    pub store: Store,
    /// The user's config, command-line settings laid over it.
    pub config: Config,
    /// Where shoal's files are.
    pub paths: Paths,
}

impl Ctx {
    /// Read the fleet file, open the store, and record the declared agents. The empty
    /// path (no `-f` inside an agent's pane) opens the pane's fleet from its store.
    pub fn open(fleet_path: &Path) -> Result<Ctx> {
        if super::lineage_ctx::is_pane_fleet(fleet_path) {
            return super::lineage_ctx::open_from_env();
        }
        let config = config()?;
        let fleet = load_fleet(fleet_path, &config).map_err(anyhow::Error::new)?;
        let paths = paths()?;
        let home = paths.data_dir.clone();
        crate::store::private::create_dir(&home)
            .with_context(|| format!("cannot create the data directory {}", home.display()))?;
        let store = Store::open(&home.join(format!("{}.sqlite", fleet.settings.name)))?;
        warn_exposed(&store);
        let registry = registry();
        file::check_kinds(fleet_path, &registry.names()).map_err(anyhow::Error::new)?;
        declare(&store, &fleet, &registry, now_ms())?;
        super::lineage_ctx::record_fleet(&store, &fleet, now_ms())?;
        Ok(Ctx {
            fleet,
            home,
            store,
            config,
            paths,
        })
    }

    /// The live supervisor holding the lease, if one runs.
    pub fn live_supervisor(&self) -> Result<Option<LeaseHolder>> {
        let stale = stale_after_ms(self.fleet.settings.poll_interval);
        Ok(self
            .store
            .lease()?
            .filter(|h| h.is_live(now_ms(), stale) && h.pid != std::process::id()))
    }

    /// A supervisor for this fleet: with `control` true it polls through persistent
    /// control-mode clients (the long-running supervisor); otherwise every tmux call is
    /// one process (a CLI command acting once).
    pub fn supervisor(&self, control: bool) -> Result<Supervisor> {
        let store = Store::open(self.store.path())?;
        Ok(Supervisor::new(
            self.fleet.settings.clone(),
            self.home.clone(),
            store,
            Box::new(registry()),
            super::lineage_ctx::connector_for(&self.fleet.settings.name, control),
        )?)
    }
}

/// Say once per command when the store, or the directory it is in, can be read by other
/// users (it holds what agents printed), or the config changed by them.
pub fn warn_exposed(store: &Store) {
    let mut lines = crate::store::private::exposure(store.path());
    if let Ok(p) = paths() {
        lines.extend(crate::store::private::config_exposure(&p.config_dir));
    }
    for line in lines {
        eprintln!("shoal: warning: {line}");
    }
}

/// The profile registry: built-ins plus the user's profiles folder. Problems with user
/// profiles are printed once and the built-ins stay in use.
pub fn registry() -> Registry {
    let dir = Paths::from_env().ok().map(|p| p.profiles_dir());
    let (registry, problems) = Registry::load(dir.as_deref().filter(|d| d.is_dir()));
    for p in problems {
        eprintln!("shoal: profile ignored: {p}");
    }
    registry
}

/// Connects to a fleet's tmux servers.
pub fn connector(control: bool) -> Connector {
    Box::new(move |socket: &str, start: bool| connect_fleet_server(socket, start, control))
}

/// One connection to a server of shoal's own: started first when `start`, reported
/// down otherwise; a watched control-mode client when `control` (one-shot commands
/// while the control client misses its deadlines), else one-shot commands.
pub fn connect_fleet_server(
    socket: &str,
    start: bool,
    control: bool,
) -> Result<Box<dyn TmuxBackend + Send>, crate::tmux::TmuxError> {
    let server = Server::new(socket);
    if start {
        server.ensure_started(PANE_SIZE.0, PANE_SIZE.1)?;
    } else if !server.is_running() {
        return Err(crate::tmux::TmuxError::ServerDown {
            socket: socket.to_string(),
        });
    }
    Ok(if control {
        Box::new(Watched::connect(socket)?)
    } else {
        Box::new(OneShot::new(socket))
    })
}
