//! A reloaded fleet file's hosts, with a scripted tmux: added, changed and removed
//! `[[host]]` tables take effect on the running supervisor.

use super::testkit::{FakeDetector, FakeTmux};
use super::*;
use crate::fleet::{file, LifeState};
use crate::store::Store;
use std::path::Path;

const T0: i64 = 1_000_000;

const FLEET: &str = r#"[fleet]
name = "t"

[[host]]
name = "gpu1"
ssh = "me@gpu1.example"

[[host]]
name = "gpu2"
ssh = "me@gpu2.example"

[[agent]]
name = "far"
cmd = "agent-far"
host = "gpu1"
"#;

fn host(name: &str, port: Option<u16>) -> crate::fleet::host::HostSpec {
    crate::fleet::host::HostSpec {
        name: name.into(),
        ssh: format!("me@{name}.example"),
        port,
        identity: None,
        ssh_options: Vec::new(),
        shoal_home: None,
    }
}

fn host_events(sup: &Supervisor) -> Vec<String> {
    sup.store()
        .events(None, 0, 100)
        .unwrap()
        .into_iter()
        .filter(|e| e.agent.is_none() && e.kind == "config")
        .map(|e| e.detail)
        .collect()
}

fn port_of(sup: &Supervisor, server: &str) -> Option<Option<u16>> {
    (0..sup.servers.len())
        .find(|&i| sup.servers.socket(i) == server)
        .map(|i| {
            sup.servers
                .server(i)
                .transport()
                .and_then(|t| t.spec().port)
        })
}

#[test]
fn hosts_are_added_changed_and_let_go_once_their_agents_end() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = file::parse(Path::new("t.toml"), FLEET).unwrap();
    let store = Store::open(&dir.path().join("t.sqlite")).unwrap();
    declare(&store, &fleet, &FakeDetector, T0).unwrap();
    let tmux = FakeTmux::default();
    let mut sup = Supervisor::new(
        fleet.settings.clone(),
        dir.path().to_path_buf(),
        store,
        Box::new(FakeDetector),
        tmux.connector(),
    )
    .unwrap();
    // The shim counts as installed: no ssh runs in a unit test.
    sup.requests
        .installed
        .insert("gpu1".into(), ("/b".into(), "/usr/bin".into()));
    sup.tick(T0);
    let far = sup.snapshot(T0).agent("far").cloned().unwrap();
    assert_eq!(far.server.as_deref(), Some("gpu1:shoal-t"), "{far:?}");
    assert!(port_of(&sup, "gpu1:shoal-t").is_some_and(|p| p.is_none()));

    // gpu1 removed while far runs there, gpu2 moved to another port, gpu3 new.
    let mut s = sup.settings().clone();
    s.hosts = vec![host("gpu2", Some(2222)), host("gpu3", None)];
    sup.apply(Update::Settings(s), T0 + 100);
    let said = host_events(&sup).join("\n");
    for want in [
        "host gpu2 changed (port (none) → 2222)",
        "host gpu3 added",
        "host gpu1 removed from the fleet file; kept until its agents end: far",
    ] {
        assert!(said.contains(want), "no {want:?} in:\n{said}");
    }
    // far is still reachable through its old settings, and the header says why.
    assert_eq!(
        port_of(&sup, "gpu1:shoal-t"),
        Some(None),
        "gpu1 dropped too early"
    );
    let hosts = sup.snapshot(T0 + 100).stats.unreachable;
    assert_eq!(
        hosts,
        ["gpu1 removed from the fleet file; kept until far end"]
    );
    // A server on the changed host is reached with its new settings.
    let idx = sup.servers.index("gpu2:shoal-t");
    assert_eq!(
        sup.servers.server(idx).transport().unwrap().spec().port,
        Some(2222)
    );

    // far ends: gpu1 is let go on the next tick.
    tmux.with_pane("far", |p| {
        p.dead = true;
        p.status = Some(0);
    });
    sup.tick(T0 + 1_000);
    sup.tick(T0 + 2_000);
    let far = sup.snapshot(T0 + 2_000).agent("far").cloned().unwrap();
    assert_ne!(far.state, LifeState::Running, "{far:?}");
    let said = host_events(&sup).join("\n");
    assert!(
        said.contains("host gpu1 let go: its last agent ended"),
        "{said}"
    );
    assert!(sup.snapshot(T0 + 2_000).stats.unreachable.is_empty());
    let gone = sup.servers.index("gpu1:shoal-t");
    assert!(
        sup.servers.server(gone).transport().is_none(),
        "gpu1 still reachable after its last agent ended"
    );
}

#[test]
fn a_removed_host_without_agents_goes_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let text = FLEET.replace("host = \"gpu1\"", "host = \"gpu2\"");
    let fleet = file::parse(Path::new("t.toml"), &text).unwrap();
    let store = Store::open(&dir.path().join("t.sqlite")).unwrap();
    declare(&store, &fleet, &FakeDetector, T0).unwrap();
    let tmux = FakeTmux::default();
    let mut sup = Supervisor::new(
        fleet.settings.clone(),
        dir.path().to_path_buf(),
        store,
        Box::new(FakeDetector),
        tmux.connector(),
    )
    .unwrap();
    sup.tick(T0);
    let mut s = sup.settings().clone();
    s.hosts.retain(|h| h.name != "gpu1");
    sup.apply(Update::Settings(s), T0 + 100);
    assert!(host_events(&sup).iter().any(|e| e == "host gpu1 removed"));
    assert!(sup.servers.hosts().get("gpu1").is_none());
    assert!(sup.servers.hosts().get("gpu2").is_some());
    assert!(sup.snapshot(T0 + 100).stats.unreachable.is_empty());
}
