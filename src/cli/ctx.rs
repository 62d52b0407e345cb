//! What every command needs: the fleet file, the data directory, the store, and a
//! supervisor wired to real tmux and the real profiles.

use crate::fleet::{file, Fleet};
use crate::profile::Registry;
use crate::store::{LeaseHolder, Store};
use crate::supervisor::runner::{now_ms, stale_after_ms};
use crate::supervisor::{declare, Connector, Settings, Supervisor};
use crate::tmux::{ControlClient, OneShot, Server, TmuxBackend};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// Pane size of agent windows on shoal's own servers.
pub const PANE_SIZE: (u16, u16) = (200, 50);

/// The data directory: `SHOAL_HOME`, else the platform's data dir for shoal.
pub fn home_dir() -> Result<PathBuf> {
    if let Some(h) = std::env::var_os("SHOAL_HOME").filter(|h| !h.is_empty()) {
        return Ok(PathBuf::from(h));
    }
    directories::ProjectDirs::from("", "", "shoal")
        .map(|d| d.data_dir().to_path_buf())
        .context("cannot find a data directory for shoal (no home directory?); set SHOAL_HOME")
}

/// An opened fleet: its file, data directory and store.
pub struct Ctx {
    /// The validated fleet file.
    pub fleet: Fleet,
    /// The data directory.
    pub home: PathBuf,
    /// The fleet's store.
    pub store: Store,
}

impl Ctx {
    /// Read the fleet file, open the store, and record the declared agents. The empty
    /// path (no `-f` inside an agent's pane) opens the pane's fleet from its store.
    pub fn open(fleet_path: &Path) -> Result<Ctx> {
        if super::lineage_ctx::is_pane_fleet(fleet_path) {
            return super::lineage_ctx::open_from_env();
        }
        let fleet = file::load(fleet_path).map_err(anyhow::Error::new)?;
        let home = home_dir()?;
        std::fs::create_dir_all(&home)
            .with_context(|| format!("cannot create the data directory {}", home.display()))?;
        let store = Store::open(&home.join(format!("{}.sqlite", fleet.name)))?;
        let registry = registry();
        declare(&store, &fleet, &registry, now_ms())?;
        super::lineage_ctx::record_fleet(&store, &fleet, now_ms())?;
        Ok(Ctx { fleet, home, store })
    }

    /// The live supervisor holding the lease, if one runs.
    pub fn live_supervisor(&self) -> Result<Option<LeaseHolder>> {
        let stale = stale_after_ms(self.fleet.poll_interval);
        Ok(self
            .store
            .lease()?
            .filter(|h| h.is_live(now_ms(), stale) && h.pid != std::process::id()))
    }

    /// A supervisor for this fleet: with `control` true it polls through persistent
    /// control-mode clients (the long-running supervisor); otherwise every tmux call is
    /// one process (a CLI command acting once).
    pub fn supervisor(&self, control: bool) -> Result<Supervisor> {
        let settings = Settings::from_fleet(&self.fleet, self.home.clone());
        let store = Store::open(self.store.path())?;
        Ok(Supervisor::new(
            settings,
            store,
            Box::new(registry()),
            super::lineage_ctx::connector_for(&self.fleet.name, control),
        )?)
    }
}

/// The profile registry: built-ins plus the user's profiles folder. Problems with user
/// profiles are printed once and the built-ins stay in use.
pub fn registry() -> Registry {
    let dir = std::env::var_os("SHOAL_CONFIG")
        .map(PathBuf::from)
        .or_else(|| {
            directories::ProjectDirs::from("", "", "shoal").map(|d| d.config_dir().to_path_buf())
        })
        .map(|d| d.join("profiles"));
    let (registry, problems) = Registry::load(dir.as_deref().filter(|d| d.is_dir()));
    for p in problems {
        eprintln!("shoal: profile ignored: {p}");
    }
    registry
}

/// Connects to a fleet's tmux servers.
pub fn connector(control: bool) -> Connector {
    Box::new(move |socket: &str, start: bool| {
        let server = Server::new(socket);
        if start {
            server.ensure_started(PANE_SIZE.0, PANE_SIZE.1)?;
        } else if !server.is_running() {
            return Err(crate::tmux::TmuxError::ServerDown {
                socket: socket.to_string(),
            });
        }
        let backend: Box<dyn TmuxBackend + Send> = if control {
            Box::new(ControlClient::connect(socket)?)
        } else {
            Box::new(OneShot::new(socket))
        };
        Ok(backend)
    })
}
