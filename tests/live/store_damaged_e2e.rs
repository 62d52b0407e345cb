//! A damaged or locked store does not leave the operator blind or the fleet unstoppable:
//! `shoal status` lists the fleet's marked panes from tmux and says plainly what is
//! wrong with the store, and `shoal down` ends every server and process without it. A
//! store deleted under a running supervisor stops it loudly, and the next store adopts
//! the live panes instead of starting them twice.

use crate::common::Rig;
use crate::down_e2e::{with_env, Sweep};
use std::time::{Duration, Instant};

/// An agent that ignores the polite signals and leaves a `setsid` grandchild behind.
const STUBBORN: &str = "trap '' INT TERM HUP; setsid sleep 1013 & exec sleep 1011";

fn rig_with(agents: &[(&str, &str)]) -> (Rig, Sweep, String) {
    let rig = Rig::new("", "");
    let mut text = std::fs::read_to_string(&rig.fleet).unwrap();
    for (name, script) in agents {
        let path = rig.dir.path().join(format!("{name}.sh"));
        std::fs::write(&path, script).unwrap();
        text += &format!(
            "\n[[agent]]\nname = \"{name}\"\ncmd = \"sh {}\"\n",
            path.display()
        );
    }
    std::fs::write(&rig.fleet, text).unwrap();
    let pair = format!("SHOAL_FLEET={}", rig.name);
    let sweep = Sweep(vec![pair.clone()]);
    (rig, sweep, pair)
}

/// Wait until tmux shows `agent`'s pane in the wanted state.
fn wait_pane(rig: &Rig, agent: &str, dead: bool) {
    rig.wait_for(Duration::from_secs(20), "the agent's pane", || {
        let out = std::process::Command::new("tmux")
            .args(["-L", &rig.socket(), "-f", "/dev/null", "list-panes", "-a"])
            .args(["-F", "#{@shoal_agent} #{pane_dead}"])
            .output()
            .ok()?;
        let want = format!("{agent} {}", u8::from(dead));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l == want)
            .then_some(())
    });
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_damaged_store_still_gives_status_and_down_from_tmux() {
    let (rig, _sweep, pair) = rig_with(&[("calm", STUBBORN), ("gone", "echo finished; exit 3")]);
    rig.ok(&["up", "--no-console"]);
    wait_pane(&rig, "calm", false);
    wait_pane(&rig, "gone", true);
    let t0 = Instant::now();
    while with_env(&pair).len() < 2 {
        assert!(
            t0.elapsed() < Duration::from_secs(15),
            "agent did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // Cut the store short, as a full disk or a crash mid-copy would.
    let db = rig.db();
    let _ = std::fs::remove_file(db.with_extension("sqlite-wal"));
    let _ = std::fs::remove_file(db.with_extension("sqlite-shm"));
    let f = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
    f.set_len(8192).unwrap();
    drop(f);

    let out = rig.shoal(&["status"]);
    let all = text(&out);
    println!("{all}");
    assert!(all.contains("damaged"), "{all}");
    assert!(
        !all.contains("locked"),
        "a damaged store is not a locked one:\n{all}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let row = |name: &str| {
        stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no row for {name}:\n{stdout}"))
            .split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let calm = row("calm");
    assert_eq!(calm[1], "1", "attempt: {calm:?}");
    assert_eq!(calm[2], rig.socket(), "server: {calm:?}");
    assert!(calm[3].starts_with('%'), "pane: {calm:?}");
    assert_eq!(calm[4], "alive", "{calm:?}");
    let gone = row("gone");
    assert_eq!(gone[4..6], ["dead", "(exit"], "{gone:?}");
    assert_eq!(gone[6], "3)", "{gone:?}");

    let out = rig.shoal(&["down"]);
    let all = text(&out);
    println!("{all}");
    assert!(out.status.success(), "down failed:\n{all}");
    assert!(all.contains("damaged"), "{all}");
    assert!(
        all.contains(&format!("tmux server {}: stopped", rig.socket())),
        "{all}"
    );
    assert_eq!(with_env(&pair), Vec::<(u32, String)>::new(), "{all}");
}

#[test]
fn a_locked_store_says_who_holds_it_and_for_how_long() {
    let (rig, _sweep, pair) = rig_with(&[("calm", STUBBORN)]);
    rig.ok(&["up", "--no-console"]);
    wait_pane(&rig, "calm", false);

    // Another program keeps a write transaction open on the store.
    let conn = rusqlite::Connection::open(rig.db()).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();

    let out = rig.shoal(&["status", "--json"]);
    let all = text(&out);
    println!("{all}");
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{all}"));
    let note = doc["store"].as_str().unwrap_or_default();
    assert!(note.contains("is locked"), "{note}");
    assert!(!note.contains("damaged"), "{note}");
    assert!(
        note.contains(&format!("pid {}", std::process::id())),
        "the lock holder is named: {note}"
    );
    assert!(note.contains("for at least"), "{note}");
    assert_eq!(doc["panes"][0]["name"], "calm", "{all}");
    assert_eq!(doc["panes"][0]["attempt"], 1, "{all}");
    assert_eq!(doc["panes"][0]["alive"], true, "{all}");

    let out = rig.shoal(&["down"]);
    let all = text(&out);
    println!("{all}");
    assert!(out.status.success(), "down failed:\n{all}");
    assert!(all.contains("is locked"), "{all}");
    assert_eq!(with_env(&pair), Vec::<(u32, String)>::new(), "{all}");
    conn.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn a_store_deleted_under_a_running_supervisor_stops_it_and_a_new_store_adopts_the_panes() {
    let (mut rig, _sweep, _pair) = rig_with(&[("calm", "exec sleep 1021")]);
    rig.ok(&["up", "--no-console"]);
    wait_pane(&rig, "calm", false);
    let log = rig.dir.path().join("supervise.err");
    let pid = rig.spawn_logged(&["supervise"], &log);
    rig.wait_ticks(2);
    let panes = rig.pane_ids();
    let pane = rig.agent("calm")["pane"].as_str().unwrap().to_string();
    let db = rig.db();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let ended = rig.wait_child(pid, Duration::from_secs(20));
    let said = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        ended.and_then(|s| s.code()),
        Some(1),
        "the supervisor stops with an error: {said}"
    );
    assert!(
        said.contains("is no longer the file this process opened"),
        "it says why on stderr: {said}"
    );
    assert!(
        !db.exists(),
        "it did not write a new store behind the operator's back"
    );
    // A new store takes the live, marked window in: no second copy of the agent.
    rig.ok(&["up", "--no-console"]);
    assert_eq!(rig.pane_ids(), panes, "no pane started twice");
    let calm = rig.agent("calm");
    assert_eq!(calm["state"], "running", "{calm}");
    assert_eq!(calm["pane"], pane.as_str(), "{calm}");
}
