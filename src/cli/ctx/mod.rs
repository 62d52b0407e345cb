//! What every command needs: the fleet file, the data directory, the store, and a
//! supervisor wired to real tmux and the real profiles.

mod connect;
mod env;
mod pane;

pub use connect::{
    connect_fleet_server, connector, connector_for, hosts, is_fleet_socket, PANE_SIZE,
};
pub use env::{config, home_dir, load_fleet, paths, registry, warn_exposed, FleetArg, Overrides};
pub use pane::{fleet_path, is_pane_fleet, pane_fleet, parents, record_fleet};

use crate::config::{Config, Paths};
use crate::fleet::{file, Fleet};
use crate::store::{LeaseHolder, Store};
use crate::supervisor::runner::{now_ms, stale_after_ms};
use crate::supervisor::{declare, Supervisor};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

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
    /// The command line's settings, for what the command reads again (a reload).
    pub overrides: Overrides,
}

impl Ctx {
    /// Read the fleet file, open the store, and record the declared agents. The empty
    /// path (no `-f` inside an agent's pane) opens the pane's fleet from its store.
    pub fn open(fleet_arg: &FleetArg) -> Result<Ctx> {
        let fleet_path: &Path = fleet_arg;
        let overrides = fleet_arg.overrides.clone();
        if pane::is_pane_fleet(fleet_path) {
            let (fleet, home, store) = pane::pane_fleet()?;
            return Ok(Ctx {
                fleet,
                home,
                store,
                config: config(&overrides)?,
                paths: paths()?,
                overrides,
            });
        }
        let config = config(&overrides)?;
        let fleet = load_fleet(fleet_path, &config, &overrides).map_err(anyhow::Error::new)?;
        let paths = paths()?;
        let home = paths.data_dir.clone();
        crate::store::private::create_dir(&home)
            .with_context(|| format!("cannot create the data directory {}", home.display()))?;
        let store = Store::open(&home.join(format!("{}.sqlite", fleet.settings.name)))?;
        warn_exposed(&store);
        let registry = registry();
        file::check_kinds(fleet_path, &registry.names()).map_err(anyhow::Error::new)?;
        declare(&store, &fleet, &registry, now_ms())?;
        pane::record_fleet(&store, &fleet, now_ms())?;
        Ok(Ctx {
            fleet,
            home,
            store,
            config,
            paths,
            overrides,
        })
    }

    /// How this fleet's hosts are reached: a server string from the store becomes a
    /// server that runs its commands there.
    pub fn hosts(&self) -> crate::tmux::ssh::Hosts {
        connect::hosts(&self.fleet.settings, &self.home)
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
            connector_for(&self.fleet.settings.name, control),
        )?)
    }
}
