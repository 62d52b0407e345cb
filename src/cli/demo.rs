//! `shoal demo`: a built-in fleet of simulated agents on its own tmux server and store
//! (`<name>.sqlite`; its fleet file in `<name>/shoal.toml` under the data directory), with
//! short stall timeouts so the ladder is visible within a minute.

use super::ctx::{home_dir, Ctx, FleetArg, Overrides};
use crate::tmux::Server;
use anyhow::{Context, Result};
use std::io::{BufRead, IsTerminal, Write};

const DEMO: &str = include_str!("../../assets/demo.toml");

/// Where the demo fleet `name` keeps its fleet file; an error says how to start it when
/// it was never started.
pub fn fleet_file(name: &str) -> Result<std::path::PathBuf> {
    crate::fleet::file::check_name(name).map_err(|e| anyhow::anyhow!("--demo={name}: {e}"))?;
    let path = home_dir()?.join(name).join("shoal.toml");
    if !path.is_file() {
        let start = if name == "demo" {
            "shoal demo".to_string()
        } else {
            format!("shoal demo --name {name}")
        };
        anyhow::bail!(
            "no demo fleet at {}; `{start}` starts one (`{start} --no-console` without the console)",
            path.display()
        );
    }
    Ok(path)
}

/// Write the demo fleet file (fresh when the demo is not running) and open the console.
pub fn run(name: &str, no_console: bool, overrides: &Overrides) -> Result<i32> {
    Server::check_installed()?;
    crate::fleet::file::check_name(name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
    let home = home_dir()?;
    let dir = home.join(name);
    crate::store::private::create_dir(&dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let exe = std::env::current_exe().context("cannot find the shoal executable")?;
    let sim = format!(
        "'{}' sim-agent",
        exe.display().to_string().replace('\'', r"'\''")
    );
    let fleet_path = FleetArg::new(dir.join("shoal.toml"), overrides.clone());
    let running = Server::new(crate::fleet::file::socket_name(name, 0)).is_running();
    if !running {
        // A demo that is not running starts over: a fresh store, fresh agents.
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(home.join(format!("{name}.sqlite{suffix}")));
        }
    }
    let text = DEMO
        .replace("{sim}", &sim)
        .replace("name = \"demo\"", &format!("name = \"{name}\""));
    std::fs::write(&*fleet_path, text)
        .with_context(|| format!("cannot write {}", fleet_path.display()))?;
    println!("demo fleet file: {}", fleet_path.display());
    let ctx = Ctx::open(&fleet_path)?;
    if no_console {
        return super::fleet_cmds::up(&fleet_path, super::resume_offer::Choice::Ask);
    }
    super::console::open(&ctx)?;
    if std::io::stdin().is_terminal() {
        print!("Stop the demo fleet (its agents keep running otherwise)? [y/N] ");
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if answer.trim().eq_ignore_ascii_case("y") {
            return super::fleet_cmds::down(&fleet_path);
        }
    }
    let (flag, open) = if name == "demo" {
        ("--demo".to_string(), "shoal demo".to_string())
    } else {
        (
            format!("--demo={name}"),
            format!("shoal demo --name {name}"),
        )
    };
    println!(
        "The demo fleet keeps running: `shoal {flag} status`, `{open}` reopens it, `shoal {flag} down` stops it (its file: {}).",
        fleet_path.display()
    );
    Ok(0)
}
