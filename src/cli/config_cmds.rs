//! Commands about shoal itself: where its files are, its config, shell completions and
//! the man page.

use super::ctx::{paths, FleetArg};
use crate::app::{Action, Keymaps};
use anyhow::Result;
use std::io::Write;

/// `shoal paths`: every place shoal reads or writes, and whether it exists.
pub fn show_paths() -> Result<i32> {
    let p = paths()?;
    for (what, path, exists) in p.listing() {
        let note = if exists { "" } else { "  (not there yet)" };
        println!("{what:<12} {}{note}", path.display());
    }
    println!("fleet file   ./shoal.toml unless -f FILE");
    println!();
    println!("SHOAL_CONFIG moves the config dir, SHOAL_HOME the data dir.");
    Ok(0)
}

/// `shoal config --default`.
pub fn print_default() -> Result<i32> {
    print!("{}", crate::config::DEFAULT_FILE);
    Ok(0)
}

/// `shoal config --actions`: the names keymaps and the command line use.
pub fn print_actions() -> Result<i32> {
    let maps = Keymaps::default();
    for a in Action::ALL {
        let keys: Vec<String> = maps
            .fleet
            .keys_for(*a)
            .iter()
            .map(std::string::ToString::to_string)
            .collect();
        println!("{:<18} {:<14} {}", a.name(), keys.join(" "), a.describe());
    }
    for (name, args, what) in crate::app::cmdline_extras() {
        println!(
            "{:<18} {:<14} {what} (command line only: :{name} {args})",
            name, ""
        );
    }
    Ok(0)
}

/// `shoal config [--check]`: read the config, its keys, its theme and every user theme,
/// and say what is wrong. Exit status 1 when anything is.
pub fn check(fleet: &FleetArg) -> Result<i32> {
    let p = paths()?;
    let file = p.config_file();
    let mut problems = Vec::new();
    let config = match crate::config::load(&file) {
        Ok(mut c) => {
            fleet.overrides.apply_config(&mut c);
            Some(c)
        }
        Err(e) => {
            problems.push(e.to_string());
            None
        }
    };
    if let Some(c) = &config {
        if let Err(e) = Keymaps::from_config(c) {
            problems.push(e.to_string());
        }
        let asker = c.theme_pos.map(|pos| crate::theme::Asker {
            path: c.locator_path(),
            pos,
        });
        if let Err(e) = crate::theme::resolve(&c.theme, Some(&p.themes_dir()), asker.as_ref()) {
            problems.push(e.to_string());
        }
    }
    for name in crate::theme::names(Some(&p.themes_dir())) {
        if let Err(e) = crate::theme::resolve(&name, Some(&p.themes_dir()), None) {
            let text = e.to_string();
            if !problems.contains(&text) {
                problems.push(text);
            }
        }
    }
    let (_, profile_problems) =
        crate::profile::Registry::load(Some(p.profiles_dir()).filter(|d| d.is_dir()).as_deref());
    problems.extend(profile_problems.iter().map(|e| format!("profile: {e}")));
    // The fleet file too, when there is one here (or -f names one): one command checks
    // everything `shoal up` would read.
    let fleet_ok = if fleet.is_file() {
        let loaded = match &config {
            Some(c) => super::ctx::load_fleet(fleet, c, &fleet.overrides).map(|_| ()),
            None => crate::fleet::file::load(fleet).map(|_| ()),
        }
        .and_then(|()| {
            let (reg, _) = crate::profile::Registry::load(
                Some(p.profiles_dir()).filter(|d| d.is_dir()).as_deref(),
            );
            crate::fleet::file::check_kinds(fleet, &reg.names())
        });
        match loaded {
            Ok(()) => Some(fleet.display().to_string()),
            Err(e) => {
                problems.push(e.to_string());
                None
            }
        }
    } else {
        None
    };
    if problems.is_empty() {
        let what = if file.exists() {
            file.display().to_string()
        } else {
            format!("{} (not there: built-in defaults)", file.display())
        };
        println!("config ok: {what}");
        if let Some(f) = fleet_ok {
            println!("fleet file ok: {f}");
        }
        if let Some(c) = config {
            println!(
                "theme {}, poll {}, stall timeout {}",
                c.theme,
                humantime::format_duration(c.poll_interval),
                humantime::format_duration(c.stall_timeout)
            );
        }
        Ok(0)
    } else {
        for p in problems {
            eprintln!("{p}");
        }
        Ok(1)
    }
}

/// `shoal completions SHELL`.
pub fn completions(shell: clap_complete::Shell) -> Result<i32> {
    use clap::CommandFactory;
    let mut cmd = super::Cli::command();
    clap_complete::generate(shell, &mut cmd, "shoal", &mut std::io::stdout());
    Ok(0)
}

/// `shoal man`: the manual page (roff), generated from the command line definition.
pub fn man() -> Result<i32> {
    use clap::CommandFactory;
    let cmd = super::Cli::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut out)?;
    std::io::stdout().write_all(&out)?;
    Ok(0)
}
