//! Hot reload for a running console or supervisor: watch the config file, the themes,
//! the user profiles and the fleet file; on a change re-read them all, keep each file's
//! last good value when it has a mistake (and say so), hand the supervisor what changed,
//! and publish what the console draws with.

use super::ctx::Overrides;
use crate::app::Keymaps;
use crate::config::watch::{self, Target, Watch, WatchError};
use crate::config::{Config, Paths};
use crate::console::Live;
use crate::fleet::Fleet;
use crate::fleet::FleetSettings;
use crate::profile::Registry;
use crate::supervisor::Update;
use crate::theme::{Asker, ColorDepth, Theme};
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::{mpsc, Arc};

/// Re-reads shoal's files and remembers the last good value of each.
pub struct Loader {
    paths: Paths,
    fleet_path: Option<PathBuf>,
    depth: ColorDepth,
    updates: Option<mpsc::Sender<Update>>,
    config: Config,
    keymaps: Keymaps,
    theme: (String, Theme),
    fleet: Option<Arc<Fleet>>,
    profiles: Option<u64>,
    profile_problems: Vec<String>,
    settings: Option<FleetSettings>,
    overrides: Overrides,
}

impl Loader {
    /// A loader that starts from values already read (the running ones); `updates`
    /// receives what the supervisor must apply.
    pub fn new(
        paths: Paths,
        config: Config,
        fleet: Option<(PathBuf, Fleet)>,
        depth: ColorDepth,
        updates: Option<mpsc::Sender<Update>>,
        overrides: Overrides,
    ) -> Loader {
        let settings = fleet.as_ref().map(|(_, f)| f.settings.clone());
        let (fleet_path, fleet) = match fleet {
            Some((p, f)) => (Some(p), Some(Arc::new(f))),
            None => (None, None),
        };
        Loader {
            // The starting config may still be refused later (an unknown theme): its
            // keys apply meanwhile if they are good.
            keymaps: Keymaps::from_config(&config).unwrap_or_default(),
            profiles: Some(digest_dir(&paths.profiles_dir())),
            paths,
            fleet_path,
            depth,
            updates,
            config,
            theme: ("dark".into(), Theme::dark().for_depth(depth)),
            fleet,
            profile_problems: Vec::new(),
            settings,
            overrides,
        }
    }

    /// What to watch: the config folder (config file, themes, profiles) and the fleet file.
    pub fn targets(&self) -> Vec<Target> {
        let mut t = vec![Target::Dir(self.paths.config_dir.clone())];
        if let Some(f) = &self.fleet_path {
            t.push(Target::File(f.clone()));
        }
        t
    }

    /// Read everything again; each file with a mistake keeps its last good value.
    pub fn load(&mut self) -> Live {
        let mut problems = Vec::new();
        match self.read_config() {
            Ok((config, keymaps, theme)) => {
                self.config = config;
                self.keymaps = keymaps;
                match theme {
                    Ok(t) => self.theme = (self.config.theme.clone(), t),
                    Err(e) => problems.push(e.one_line()),
                }
            }
            Err(e) => problems.push(e),
        }
        if let Some(path) = self.fleet_path.clone() {
            match super::ctx::load_fleet(&path, &self.config, &self.overrides) {
                Ok(f) => match &self.fleet {
                    Some(old) if old.settings.name != f.settings.name => problems.push(format!(
                        "{}: the fleet name changed from {:?} to {:?}; restart shoal to switch fleets",
                        path.display(),
                        old.settings.name,
                        f.settings.name
                    )),
                    Some(old) if **old == f => {}
                    _ => {
                        let f = Arc::new(f);
                        self.send(Update::Fleet {
                            fleet: (*f).clone(),
                            start: Vec::new(),
                        });
                        self.fleet = Some(f);
                    }
                },
                Err(e) => problems.push(e.to_string().replace("\n  hint: ", " — ")),
            }
        }
        if let Some(f) = &self.fleet {
            let s = f.settings.clone();
            if self.settings.as_ref() != Some(&s) {
                self.settings = Some(s.clone());
                self.send(Update::Settings(s));
            }
        }
        self.reload_profiles();
        problems.extend(self.profile_problems.iter().cloned());
        let themes_dir = self.paths.themes_dir();
        Live {
            theme: self.theme.1.clone(),
            theme_name: self.theme.0.clone(),
            theme_names: crate::theme::names(Some(&themes_dir)),
            themes_dir: Some(themes_dir),
            depth: self.depth,
            keymaps: self.keymaps.clone(),
            notify: self.config.notify.clone(),
            fleet: self.fleet.clone(),
            problems,
        }
    }

    /// The config, its keymaps and its theme. An unknown theme name is the config's
    /// mistake (the whole config is kept); a broken theme file is the theme's.
    #[allow(clippy::type_complexity)]
    fn read_config(
        &self,
    ) -> Result<(Config, Keymaps, Result<Theme, crate::config::ConfigError>), String> {
        let mut config =
            crate::config::load(&self.paths.config_file()).map_err(|e| e.one_line())?;
        self.overrides.apply_config(&mut config);
        let keymaps = Keymaps::from_config(&config).map_err(|e| e.one_line())?;
        let asker = config.theme_pos.map(|pos| Asker {
            path: config.locator_path(),
            pos,
        });
        let themes_dir = self.paths.themes_dir();
        let theme = match crate::theme::resolve(&config.theme, Some(&themes_dir), asker.as_ref()) {
            Ok(t) => Ok(t.for_depth(self.depth)),
            Err(e) if e.message.starts_with("unknown theme") && e.path == config.locator_path() => {
                return Err(e.one_line())
            }
            Err(e) => Err(e),
        };
        Ok((config, keymaps, theme))
    }

    /// Reload the user's profiles when their files changed, and hand them on.
    fn reload_profiles(&mut self) {
        let dir = self.paths.profiles_dir();
        let digest = digest_dir(&dir);
        if self.profiles == Some(digest) {
            return;
        }
        self.profiles = Some(digest);
        let (registry, problems) = Registry::load(
            Some(&dir)
                .filter(|d| d.is_dir())
                .map(std::path::PathBuf::as_path),
        );
        self.profile_problems = problems
            .iter()
            .map(|p| format!("profile ignored: {p}"))
            .collect();
        self.send(Update::Detector(Box::new(registry)));
    }

    fn send(&self, u: Update) {
        if let Some(tx) = &self.updates {
            let _ = tx.send(u);
        }
    }
}

/// A fingerprint of a folder's files (names and contents), to tell whether it changed.
fn digest_dir(dir: &std::path::Path) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        p.hash(&mut h);
        std::fs::read(&p).unwrap_or_default().hash(&mut h);
    }
    h.finish()
}

/// Load once now, then watch and reload on every settled change.
pub fn start(
    mut loader: Loader,
) -> Result<(Watch, tokio::sync::watch::Receiver<Arc<Live>>), WatchError> {
    let initial = loader.load();
    let targets = loader.targets();
    watch::spawn(&targets, watch::DEBOUNCE, initial, move || loader.load())
}
