//! What commands run inside an agent's pane need: the fleet found from the pane's
//! environment (`SHOAL_FLEET`, `SHOAL_HOME`) through the settings recorded in the store,
//! and the lineage the caller rule ([`crate::fleet::caller`]) is checked against.

use super::env::{home_dir, warn_exposed};
use crate::fleet::caller::Parents;
use crate::fleet::{file, Fleet};
use crate::store::{AgentRecord, Origin, RecordedFleet, Store};
use anyhow::{anyhow, bail, Result};
use std::path::{Path, PathBuf};

/// The fleet file to use: the one given with `-f`; inside an agent's pane, none (the
/// pane's fleet is found from its environment); otherwise `./shoal.toml`.
pub fn fleet_path(given: Option<PathBuf>) -> PathBuf {
    match given {
        Some(p) => p,
        None if env("SHOAL_FLEET").is_some() => PathBuf::new(),
        None => PathBuf::from("shoal.toml"),
    }
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// The store and recorded settings of the fleet of the pane this command runs in.
pub fn pane_fleet() -> Result<(Fleet, PathBuf, Store)> {
    let Some(name) = env("SHOAL_FLEET") else {
        bail!("no fleet: not inside an agent's pane (SHOAL_FLEET is not set) and no fleet file given; pass -f FILE, or run where shoal.toml is");
    };
    file::check_name(&name).map_err(|e| anyhow!("SHOAL_FLEET: {e}"))?;
    let home = home_dir()?;
    let path = home.join(format!("{name}.sqlite"));
    if !path.is_file() {
        bail!(
            "fleet {name:?} (from SHOAL_FLEET) has no store at {}; check SHOAL_HOME, or pass -f FILE",
            path.display()
        );
    }
    let store = Store::open(&path)?;
    warn_exposed(&store);
    let settings = store.fleet_settings()?.ok_or_else(|| {
        anyhow!(
            "the store {} holds no fleet settings yet; run `shoal -f FILE up --no-console` once with the fleet file",
            path.display()
        )
    })?;
    Ok((settings.to_fleet(), home, store))
}

/// Record a fleet file's settings and its agents' lineage facts in the store, so that
/// commands inside panes can work without the file; agents the file no longer
/// declares become history.
pub fn record_fleet(store: &Store, fleet: &Fleet, now_ms: i64) -> Result<()> {
    // Every command opens the fleet: write only what changed, so a running supervisor
    // is not made to reload for nothing.
    let settings = RecordedFleet::of(fleet);
    if store.fleet_settings()?.as_ref() != Some(&settings) {
        store.save_fleet_settings(&settings)?;
    }
    let declared: Vec<String> = fleet.agents.iter().map(|a| a.name.clone()).collect();
    let meta = store.agent_meta()?;
    let stale_meta = fleet.agents.iter().any(|a| {
        meta.get(&a.name).map_or(true, |m| {
            m.origin != Origin::File || m.max_children != a.max_children
        })
    });
    let stale_removal = meta.iter().any(|(name, m)| {
        let listed = declared.contains(name);
        (listed && m.removed_ms.is_some())
            || (!listed && m.origin == Origin::File && m.removed_ms.is_none())
    });
    if stale_meta || stale_removal {
        store.write(|s| {
            for a in &fleet.agents {
                s.set_agent_meta(&a.name, Origin::File, a.max_children)?;
            }
            s.mark_removed(&declared, now_ms)
        })?;
    }
    Ok(())
}

/// Parent of each agent, by name.
pub fn parents(store: &Store) -> Result<Parents> {
    Ok(store
        .agents()?
        .into_iter()
        .map(|a: AgentRecord| (a.name, a.parent))
        .collect())
}

/// The fleet file a path names, or the pane's fleet for the empty path.
pub fn is_pane_fleet(path: &Path) -> bool {
    path.as_os_str().is_empty()
}
