//! What a command reads before it opens a fleet: shoal's paths, the user's config with
//! the command line's settings over it, the fleet file, and the profile registry.

use crate::config::{Config, Paths};
use crate::fleet::{file, Fleet};
use crate::profile::Registry;
use crate::store::Store;
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// The fleet file a command names (`-f`, or the one found) together with the command
/// line's settings, which apply to everything the command reads from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetArg {
    /// The fleet file; the empty path means the pane's fleet (see `is_pane_fleet`).
    pub path: PathBuf,
    /// `--theme`, `--poll-interval`.
    pub overrides: Overrides,
}

impl FleetArg {
    /// A fleet file with the command line's settings.
    pub fn new(path: PathBuf, overrides: Overrides) -> FleetArg {
        FleetArg { path, overrides }
    }
}

// Commands mostly use the fleet argument as a path (to print it, to find its folder);
// derefing keeps those uses plain while the settings travel with it.
impl std::ops::Deref for FleetArg {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.path
    }
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
pub fn config(overrides: &Overrides) -> Result<Config> {
    let mut c = crate::config::load(&paths()?.config_file()).map_err(anyhow::Error::new)?;
    overrides.apply_config(&mut c);
    Ok(c)
}

/// Read a fleet file with the config's defaults and the command line's settings.
pub fn load_fleet(
    path: &Path,
    config: &Config,
    overrides: &Overrides,
) -> Result<Fleet, file::FleetFileError> {
    let mut fleet = file::load_with(path, &config.fleet_defaults())?;
    overrides.apply_fleet(&mut fleet);
    Ok(fleet)
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
