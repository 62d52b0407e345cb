//! Valid and invalid config, keymap and theme files (tests/fixtures/): every valid one
//! loads, every invalid one fails with the message its first lines expect.

use shoal::app::Keymaps;
use shoal::config::{self, ConfigError};
use shoal::theme::{self, Asker};
use std::path::{Path, PathBuf};

fn files(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no fixtures in {}", root.display());
    out
}

/// (message, hint) the fixture's first lines expect.
fn expected(path: &Path) -> (String, String) {
    let text = std::fs::read_to_string(path).unwrap();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("# {name}: ")))
            .map(str::to_string)
            .unwrap_or_default()
    };
    let message = field("expect");
    assert!(
        !message.is_empty(),
        "{} has no `# expect:` line",
        path.display()
    );
    (message, field("hint"))
}

/// The error as the operator sees it, with the fixture folder left out of paths.
fn shown(e: &ConfigError, dir: &Path) -> String {
    e.to_string().replace(&format!("{}/", dir.display()), "")
}

/// Load a config the way the console does: the file, its keys, its theme.
fn load_config(path: &Path) -> Result<(), ConfigError> {
    let c = config::load(path)?;
    Keymaps::from_config(&c)?;
    let asker = c.theme_pos.map(|pos| Asker {
        path: c.locator_path(),
        pos,
    });
    theme::resolve(&c.theme, None, asker.as_ref())?;
    Ok(())
}

fn check_invalid(path: &Path, err: ConfigError) {
    let (message, hint) = expected(path);
    let text = shown(&err, path.parent().unwrap());
    let first = text.lines().next().unwrap_or("");
    assert!(
        first.starts_with(&message),
        "{}\n  got:  {text}\n  want: {message}",
        path.display()
    );
    let got_hint = text.split_once("\n  hint: ").map_or("", |(_, h)| h);
    assert!(
        got_hint.contains(&hint),
        "{}\n  got hint:  {got_hint}\n  want hint: {hint}",
        path.display()
    );
}

#[test]
fn valid_configs_and_keymaps_load() {
    for dir in ["config/valid", "keymap/valid"] {
        for path in files(dir) {
            if let Err(e) = load_config(&path) {
                panic!("{} should load: {e}", path.display());
            }
        }
    }
}

#[test]
fn invalid_configs_and_keymaps_say_where_and_what() {
    for dir in ["config/invalid", "keymap/invalid"] {
        for path in files(dir) {
            match load_config(&path) {
                Ok(()) => panic!("{} should not load", path.display()),
                Err(e) => check_invalid(&path, e),
            }
        }
    }
}

#[test]
fn a_full_config_says_what_it_sets() {
    let path = &files("config/valid")
        .into_iter()
        .find(|p| p.ends_with("full.toml"))
        .unwrap();
    let c = config::load(path).unwrap();
    assert_eq!(c.poll_interval.as_millis(), 500);
    assert_eq!(c.theme, "light");
    assert!(!c.escalation.kill && c.escalation.warn);
    assert_eq!(c.notify.command.as_deref(), Some("notify-send shoal"));
    assert_eq!(c.notify.desktop, config::Desktop::Osc777);
    assert!(!c.notify.bell);
    let maps = Keymaps::from_config(&c).unwrap();
    let kill: Vec<String> = maps
        .fleet
        .keys_for(shoal::app::Action::Kill)
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    assert_eq!(kill, ["x"], "K unbound, x bound");
}

fn theme_name(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

#[test]
fn valid_user_themes_build_on_their_parents() {
    let dir = files("themes/valid")[0].parent().unwrap().to_path_buf();
    for path in files("themes/valid") {
        if let Err(e) = theme::resolve(&theme_name(&path), Some(&dir), None) {
            panic!("{} should load: {e}", path.display());
        }
    }
    use ratatui::style::{Color, Modifier};
    let light = theme::resolve("light", None, None).unwrap();
    let ocean = theme::resolve("ocean", Some(&dir), None).unwrap();
    assert_eq!(ocean.needs_input.fg, Some(Color::Rgb(0xff, 0x88, 0)));
    assert!(ocean
        .needs_input
        .add_modifier
        .contains(Modifier::UNDERLINED));
    assert_eq!(
        ocean.working, light.working,
        "unset meanings come from the parent"
    );
    let night = theme::resolve("ocean-night", Some(&dir), None).unwrap();
    assert_eq!(
        night.needs_input, ocean.needs_input,
        "grandparent's choice kept"
    );
    assert_eq!(night.header.bg, Some(Color::Rgb(0, 0x1f, 0x3f)));
    let plain_dark = theme::resolve("plain-dark", Some(&dir), None).unwrap();
    let dark = theme::resolve("dark", None, None).unwrap();
    assert_eq!(plain_dark.working.fg, Some(Color::LightGreen));
    assert_eq!(plain_dark.errored, dark.errored, "no parent means dark");
    let my_dark = theme::resolve("dark", Some(&dir), None).unwrap();
    assert_eq!(
        my_dark.idle.fg,
        Some(Color::Magenta),
        "the user's dark shadows the built-in"
    );
    assert_eq!(my_dark.working, dark.working);
    assert!(theme::names(Some(&dir)).contains(&"ocean-night".to_string()));
}

#[test]
fn invalid_themes_say_which_colour_or_meaning() {
    let dir = files("themes/invalid")[0].parent().unwrap().to_path_buf();
    for path in files("themes/invalid") {
        match theme::resolve(&theme_name(&path), Some(&dir), None) {
            Ok(_) => panic!("{} should not load", path.display()),
            Err(e) => check_invalid(&path, e),
        }
    }
}
