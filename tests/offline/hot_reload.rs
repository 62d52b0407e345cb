//! Hot reload through the real watcher: a good edit applies within a second, a bad one
//! keeps the old value and says where and why, and fixing it clears the message.

use shoal::cli::ctx::Overrides;
use shoal::cli::reload::{start, Loader};
use shoal::config::{self, Paths};
use shoal::console::Live;
use shoal::fleet::file;
use shoal::supervisor::Update;
use shoal::theme::ColorDepth;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::time::{Duration, Instant};

const FLEET: &str = "[fleet]\nname = \"hot\"\n\n[[agent]]\nname = \"a\"\ncmd = \"sleep 100\"\n";

struct Setup {
    _dir: tempfile::TempDir,
    config_dir: PathBuf,
    fleet: PathBuf,
    live: tokio::sync::watch::Receiver<Arc<Live>>,
    updates: Receiver<Update>,
    _watch: shoal::config::watch::Watch,
}

fn setup(config_text: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let config_dir = dir.path().join("config");
    std::fs::create_dir_all(config_dir.join("themes")).unwrap();
    std::fs::write(config_dir.join("config.toml"), config_text).unwrap();
    let fleet_path = dir.path().join("shoal.toml");
    std::fs::write(&fleet_path, FLEET).unwrap();
    let paths = Paths::at(&config_dir, &dir.path().join("home"));
    let cfg = config::load(&paths.config_file()).unwrap();
    let fleet = file::load_with(&fleet_path, &cfg.fleet_defaults()).unwrap();
    let (tx, updates) = mpsc::channel();
    let loader = Loader::new(
        paths,
        cfg,
        Some((fleet_path.clone(), fleet)),
        ColorDepth::TrueColor,
        Some(tx),
        Overrides::default(),
    );
    let (watch, live) = start(loader).unwrap();
    Setup {
        config_dir,
        fleet: fleet_path,
        live,
        updates,
        _watch: watch,
        _dir: dir,
    }
}

impl Setup {
    /// Write a file, then wait (at most `within`) for a reload; returns it.
    fn edit(&mut self, path: &Path, text: &str, within: Duration) -> Arc<Live> {
        self.live.borrow_and_update();
        std::fs::write(path, text).unwrap();
        let t0 = Instant::now();
        while t0.elapsed() < within {
            if self.live.has_changed().unwrap_or(false) {
                return Arc::clone(&self.live.borrow_and_update());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("no reload within {within:?} of writing {}", path.display());
    }

    fn config(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    fn updates(&self) -> Vec<Update> {
        self.updates.try_iter().collect()
    }
}

const SECOND: Duration = Duration::from_secs(1);

#[test]
fn a_config_edit_applies_within_a_second_a_bad_one_keeps_the_old_and_a_fix_clears_it() {
    let mut s = setup("theme = \"dark\"\n");
    assert_eq!(s.live.borrow().theme_name, "dark");
    assert!(s.live.borrow().problems.is_empty());

    let config = s.config();
    let live = s.edit(
        &config,
        "theme = \"light\"\n[escalation]\nkill = false\n",
        SECOND,
    );
    assert_eq!(live.theme_name, "light");
    assert!(live.problems.is_empty(), "{:?}", live.problems);
    let settings: Vec<_> = s
        .updates()
        .into_iter()
        .filter_map(|u| match u {
            Update::Settings(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(settings.len(), 1, "the supervisor gets the new settings");
    assert!(!settings[0].escalation.kill);

    // A typo: the old settings stay, the problem is named with file, line and column.
    let live = s.edit(
        &config,
        "theme = \"high-contrast\"\npol_interval = \"2s\"\n",
        SECOND,
    );
    assert_eq!(live.theme_name, "light", "old theme kept");
    assert_eq!(live.problems.len(), 1, "{:?}", live.problems);
    let p = &live.problems[0];
    assert!(
        p.contains("config.toml:2:1: unknown key `pol_interval` in the config — did you mean `poll_interval`?"),
        "{p}"
    );
    assert!(s.updates().is_empty(), "nothing reaches the supervisor");

    let live = s.edit(
        &config,
        "theme = \"high-contrast\"\npoll_interval = \"2s\"\n",
        SECOND,
    );
    assert_eq!(live.theme_name, "high-contrast");
    assert!(live.problems.is_empty(), "fixed: {:?}", live.problems);
    let polls: Vec<_> = s
        .updates()
        .into_iter()
        .filter_map(|u| match u {
            Update::Settings(s) => Some(s.poll_interval),
            _ => None,
        })
        .collect();
    assert_eq!(
        polls,
        [Duration::from_secs(2)],
        "the fleet file sets none: the config's applies"
    );
}

#[test]
fn a_fleet_file_edit_is_offered_and_a_broken_one_is_reported() {
    let mut s = setup("");
    let fleet = s.fleet.clone();
    let grown = format!("{FLEET}\n[[agent]]\nname = \"b\"\ncmd = \"sleep 100\"\n");
    let live = s.edit(&fleet, &grown, SECOND);
    let names: Vec<&str> = live
        .fleet
        .as_ref()
        .unwrap()
        .agents
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["a", "b"]);
    let fleets: Vec<_> = s
        .updates()
        .into_iter()
        .filter_map(|u| match u {
            Update::Fleet { fleet, start } => Some((fleet.agents.len(), start)),
            _ => None,
        })
        .collect();
    assert_eq!(
        fleets,
        [(2, Vec::<String>::new())],
        "declared agents update; none started unasked"
    );

    let broken = format!("{grown}parent = \"ghost\"\n");
    let live = s.edit(&fleet, &broken, SECOND);
    assert_eq!(
        live.fleet.as_ref().unwrap().agents.len(),
        2,
        "old fleet kept"
    );
    assert!(
        live.problems
            .iter()
            .any(|p| p.contains("shoal.toml:11:10: agent \"b\": parent \"ghost\" names no agent")),
        "{:?}",
        live.problems
    );
    let live = s.edit(&fleet, FLEET, SECOND);
    assert!(live.problems.is_empty());
    assert_eq!(live.fleet.as_ref().unwrap().agents.len(), 1);
}

#[test]
fn theme_files_and_profiles_reload_too() {
    let mut s = setup("theme = \"mine\"\n");
    let mine = s.config_dir.join("themes/mine.toml");
    let live = s.edit(&mine, "[styles]\nworking = \"magenta\"\n", SECOND);
    assert!(live.problems.is_empty(), "{:?}", live.problems);
    assert_eq!(live.theme.working.fg, Some(ratatui::style::Color::Magenta));
    let live = s.edit(&mine, "[styles]\nworking = \"magneta\"\n", SECOND);
    assert_eq!(
        live.theme.working.fg,
        Some(ratatui::style::Color::Magenta),
        "old theme kept"
    );
    assert!(
        live.problems.iter().any(|p| p.contains(
            "mine.toml:2:11: working: unknown colour \"magneta\" — did you mean \"magenta\"?"
        )),
        "{:?}",
        live.problems
    );
    let live = s.edit(&mine, "[styles]\nworking = \"cyan\"\n", SECOND);
    assert!(live.problems.is_empty());
    assert_eq!(live.theme.working.fg, Some(ratatui::style::Color::Cyan));

    std::fs::create_dir_all(s.config_dir.join("profiles")).unwrap();
    let profile = s.config_dir.join("profiles/broken.toml");
    let live = s.edit(&profile, "this is not toml [", Duration::from_secs(2));
    assert!(
        live.problems
            .iter()
            .any(|p| p.starts_with("profile ignored:")),
        "{:?}",
        live.problems
    );
    assert!(
        s.updates().iter().any(|u| matches!(u, Update::Detector(_))),
        "the supervisor gets the reloaded profiles"
    );
}
