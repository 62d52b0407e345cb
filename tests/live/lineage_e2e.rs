//! Lineage through the real binary and real tmux: agents spawn agents from inside their
//! panes (true parentage, three levels), signals flow up to the parent's inbox, the
//! start queue honours `max_running`, steering is limited to one's own subtree, the
//! history is kept, and panes on another tmux server are adopted without a restart.

use crate::common::{unique, Rig, SHOAL};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Run shoal as a command inside `agent`'s pane would: no `-f`, the pane's environment.
fn as_agent(rig: &Rig, agent: &str, args: &[&str]) -> Output {
    Command::new(SHOAL)
        .args(args)
        .current_dir(rig.dir.path())
        .env("SHOAL_HOME", rig.home())
        .env("SHOAL_FLEET", &rig.name)
        .env("SHOAL_AGENT", agent)
        .env("SHOAL_CONFIG", rig.dir.path().join("config"))
        .env_remove("TMUX")
        .stdin(Stdio::null())
        .output()
        .expect("run shoal")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn names(status: &[Value]) -> Vec<String> {
    status
        .iter()
        .map(|a| a["name"].as_str().unwrap_or("").to_string())
        .collect()
}

fn find<'a>(status: &'a [Value], name: &str) -> Option<&'a Value> {
    status.iter().find(|a| a["name"] == name)
}

fn write_script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    let full = format!("set -u\nS='{SHOAL}'\nD='{}'\n{body}\n", dir.display());
    std::fs::write(&path, full).unwrap();
    path
}

#[test]
fn agents_spawn_three_levels_and_signals_flow_up_to_the_inbox() {
    let dir = tempfile::tempdir().unwrap();
    let d2 = dir.path();
    write_script(
        d2,
        "lead.sh",
        r#"
$S spawn helper-a -- bash "$D/helper_a.sh" > "$D/spawn-a.out" 2>&1
$S spawn helper-b -- bash "$D/helper_b.sh" > "$D/spawn-b.out" 2>&1
touch "$D/spawned"
while true; do
  $S inbox --wait 60s >> "$D/inbox.log" 2>> "$D/inbox.err" || break
  if grep -q "helper-a#1  done" "$D/inbox.log" && grep -q "helper-b#1  done" "$D/inbox.log"; then break; fi
done
echo "LEAD SAW ALL" >> "$D/inbox.log"
$S signal done "both helpers finished" > "$D/lead-signal.out" 2>&1
sleep 60
"#,
    );
    write_script(
        d2,
        "helper_a.sh",
        r#"
until [ -e "$D/go" ]; do sleep 0.2; done
$S signal progress "halfway there" > "$D/a-progress.out" 2>&1
sleep 0.5
$S signal done "a finished" > "$D/a-done.out" 2>&1
sleep 60
"#,
    );
    write_script(
        d2,
        "helper_b.sh",
        r#"
$S spawn grandchild -- bash "$D/grandchild.sh" > "$D/spawn-gc.out" 2>&1
until [ -e "$D/go" ]; do sleep 0.2; done
until [ -e "$D/gc-done" ]; do sleep 0.2; done
$S inbox --wait 20s > "$D/b-inbox.log" 2>&1
$S signal done "b finished" > "$D/b-done.out" 2>&1
sleep 60
"#,
    );
    write_script(
        d2,
        "grandchild.sh",
        r#"
until [ -e "$D/go" ]; do sleep 0.2; done
sleep 0.5
$S signal done "grandchild finished" > "$D/gc-signal.out" 2>&1
touch "$D/gc-done"
sleep 60
"#,
    );
    let agents = format!(
        "[[agent]]\nname = \"lead\"\ncmd = \"bash {}/lead.sh\"\nkind = \"shell\"\n",
        d2.display()
    );
    let mut rig = Rig::new("poll_interval = \"250ms\"\nstall_timeout = \"1h\"", &agents);
    rig.supervise();

    // Three levels with true parentage, while the helpers wait for the go.
    let status = rig.wait_for(Duration::from_secs(30), "three levels of agents", || {
        let s = rig.status();
        let all_live = ["helper-a", "helper-b", "grandchild"].iter().all(|n| {
            find(&s, n).is_some_and(|a| a["state"] == "running" || a["state"] == "starting")
        });
        all_live.then_some(s)
    });
    assert_eq!(
        names(&status),
        ["lead", "helper-a", "helper-b", "grandchild"]
    );
    assert_eq!(find(&status, "lead").unwrap()["parent"], Value::Null);
    assert_eq!(find(&status, "helper-a").unwrap()["parent"], "lead");
    assert_eq!(find(&status, "helper-b").unwrap()["parent"], "lead");
    assert_eq!(
        find(&status, "grandchild").unwrap()["parent"],
        "helper-b",
        "a grandchild is never flattened to the root"
    );
    let spawn_out = std::fs::read_to_string(d2.join("spawn-a.out")).unwrap();
    assert!(
        spawn_out.contains("spawned helper-a (shell) as a child of lead"),
        "{spawn_out}"
    );
    assert!(
        !d2.join("inbox.log").exists()
            || std::fs::read_to_string(d2.join("inbox.log"))
                .unwrap()
                .is_empty(),
        "the lead is still waiting"
    );

    std::fs::write(d2.join("go"), "").unwrap();
    let lead = rig.wait_for(Duration::from_secs(40), "the lead to finish", || {
        let a = rig.agent("lead");
        (a["state"] == "done").then_some(a)
    });
    assert_eq!(lead["signal"]["message"], "both helpers finished");
    assert_eq!(lead["signal"]["kind"], "done");

    let inbox = std::fs::read_to_string(d2.join("inbox.log")).unwrap();
    let a_progress = inbox
        .find("helper-a#1  progress   halfway there")
        .expect(&inbox);
    let a_done = inbox
        .find("helper-a#1  done       a finished")
        .expect(&inbox);
    let b_done = inbox
        .find("helper-b#1  done       b finished")
        .expect(&inbox);
    let saw_all = inbox.find("LEAD SAW ALL").expect(&inbox);
    assert!(
        a_progress < a_done && a_done.max(b_done) < saw_all,
        "{inbox}"
    );
    assert!(
        !inbox.contains("grandchild finished"),
        "only direct children report to the lead:\n{inbox}"
    );
    let b_inbox = std::fs::read_to_string(d2.join("b-inbox.log")).unwrap();
    assert!(
        b_inbox.contains("grandchild#1  done       grandchild finished"),
        "{b_inbox}"
    );

    // The lead's roll-up counts its ended descendants; signals are events too.
    let rollup = &rig.agent("lead")["rollup"];
    assert_eq!(rollup["done"], 3, "{rollup}");
    assert_eq!(rollup["live"], 0, "{rollup}");
    let events = rig.events("helper-a");
    let signals: Vec<&str> = events
        .iter()
        .filter(|e| e["kind"] == "signal")
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    // The signals came from helper-a's own pane, and the events say so.
    let pane = rig.agent("helper-a")["pane"].as_str().unwrap().to_string();
    let who = format!("agent helper-a#1 (pane {pane})");
    assert_eq!(
        signals,
        [
            format!("{who}: signalled progress: halfway there"),
            format!("{who}: signalled done: a finished; attempt 1 ended done")
        ]
    );
}

#[test]
fn max_running_starts_five_agents_two_at_a_time_in_fifo_order() {
    let agents: String = (1..=5)
        .map(|n| format!("[[agent]]\nname = \"a{n}\"\ncmd = \"sleep 1.5\"\nkind = \"shell\"\n\n"))
        .collect();
    let mut rig = Rig::new(
        "poll_interval = \"200ms\"\nstall_timeout = \"1h\"\nmax_running = 2",
        &agents,
    );
    let before = rig.status();
    let positions: Vec<Value> = before.iter().map(|a| a["queue_position"].clone()).collect();
    assert_eq!(positions, [1, 2, 3, 4, 5].map(Value::from));
    let table = rig.ok(&["status"]);
    assert!(table.contains("queued #3"), "{table}");

    rig.supervise();
    rig.wait_for(Duration::from_secs(40), "all five to finish", || {
        rig.status()
            .iter()
            .all(|a| a["state"] == "done")
            .then_some(())
    });
    let out = rig.ok(&["events", "--json"]);
    let events: Vec<Value> = serde_json::from_str(&out).unwrap();
    let mut order = Vec::new();
    let mut running = 0;
    let mut most = 0;
    for e in &events {
        match e["kind"].as_str() {
            Some("start") => {
                running += 1;
                most = most.max(running);
                order.push(e["agent"].as_str().unwrap().to_string());
            }
            Some("exit") => running -= 1,
            _ => {}
        }
    }
    assert_eq!(order, ["a1", "a2", "a3", "a4", "a5"], "FIFO");
    assert_eq!(most, 2, "never more than max_running at once");
}

#[test]
fn steering_is_allowed_down_the_subtree_only_and_bad_input_records_nothing() {
    let agents = r#"
[[agent]]
name = "lead"
cmd = "cat"
kind = "shell"

[[agent]]
name = "a"
cmd = "cat"
kind = "shell"
parent = "lead"

[[agent]]
name = "b"
cmd = "cat"
kind = "shell"
parent = "lead"

[[agent]]
name = "a1"
cmd = "cat"
kind = "shell"
parent = "a"
"#;
    let rig = Rig::new("stall_timeout = \"1h\"", agents);
    rig.ok(&["up", "--no-console"]);
    // Read once: nothing in this test ends or restarts a pane.
    let status = rig.status();
    let pane = |n: &str| {
        find(&status, n).unwrap()["pane"]
            .as_str()
            .unwrap()
            .to_string()
    };

    let ok = as_agent(&rig, "lead", &["steer", "a1", "from-lead-to-grandchild"]);
    assert!(ok.status.success(), "{}", text(&ok));
    let ok = as_agent(&rig, "a", &["steer", "a1", "from-a-to-child"]);
    assert!(ok.status.success(), "{}", text(&ok));
    rig.wait_for(Duration::from_secs(5), "the steered lines", || {
        let screen = rig.capture(&pane("a1"));
        (screen.contains("from-lead-to-grandchild") && screen.contains("from-a-to-child"))
            .then_some(())
    });
    let steer = rig
        .events("a1")
        .into_iter()
        .find(|e| e["kind"] == "steer")
        .expect("a steer event");
    assert_eq!(
        steer["detail"],
        "agent lead#1 (no pane): typed a line into a1"
    );

    // Up, sideways and into a sibling's subtree: refused, nothing typed.
    for (by, target) in [
        ("a", "b"),
        ("a", "lead"),
        ("a1", "a"),
        ("b", "a1"),
        ("a", "a"),
    ] {
        let out = as_agent(&rig, by, &["steer", target, "should-not-arrive"]);
        assert!(!out.status.success(), "{by} → {target}: {}", text(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("{by} cannot steer {target}"))
                && err.contains("nothing was sent"),
            "{err}"
        );
    }
    for n in ["lead", "a", "b", "a1"] {
        assert!(!rig.capture(&pane(n)).contains("should-not-arrive"), "{n}");
    }
    // The operator steers anyone.
    let out = rig.ok(&["steer", "lead", "from-the-operator"]);
    assert!(out.contains("typed a line into lead"), "{out}");
    let e = as_agent(&rig, "a", &["steer", "ghost", "x"]);
    assert!(
        stderr(&e).contains("no agent named \"ghost\""),
        "{}",
        text(&e)
    );

    // Bad input: each a clear error, and nothing recorded.
    let before = names(&rig.status());
    let outside = tempfile::tempdir().unwrap();
    let o = Command::new(SHOAL)
        .args(["spawn", "x", "--", "cat"])
        .current_dir(outside.path())
        .env("SHOAL_HOME", rig.home())
        .env_remove("SHOAL_FLEET")
        .env_remove("SHOAL_AGENT")
        .env_remove("TMUX")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("not inside an agent's pane") && stderr(&o).contains("-f FILE"),
        "{}",
        text(&o)
    );
    let cases: [(&str, &[&str], &str); 6] = [
        (
            "a",
            &["spawn", "b", "--", "cat"],
            "an agent named \"b\" already exists",
        ),
        (
            "",
            &["spawn", "new", "--parent", "ghost", "--", "cat"],
            "parent \"ghost\" names no agent",
        ),
        (
            "a",
            &["spawn", "new", "--parent", "b", "--", "cat"],
            "can only spawn into its own subtree",
        ),
        (
            "a",
            &["signal", "finished", "x"],
            "unknown signal kind \"finished\"",
        ),
        ("", &["signal", "done", "x"], "SHOAL_AGENT is not set"),
        ("a", &["spawn", "bad name", "--", "cat"], "cannot be used"),
    ];
    for (by, args, want) in cases {
        let out = if by.is_empty() {
            rig.shoal(args)
        } else {
            as_agent(&rig, by, args)
        };
        assert!(!out.status.success(), "{args:?}: {}", text(&out));
        assert!(stderr(&out).contains(want), "{args:?}: {}", text(&out));
    }
    assert_eq!(names(&rig.status()), before, "nothing was recorded");
    let signals: usize = ["lead", "a", "b", "a1"]
        .iter()
        .map(|n| {
            rig.events(n)
                .iter()
                .filter(|e| e["kind"] == "signal")
                .count()
        })
        .sum();
    assert_eq!(signals, 0);
}

#[test]
fn history_keeps_ended_agents_and_a_killed_parents_children_stay_in_the_tree() {
    let agents = r#"
[[agent]]
name = "lead"
cmd = "echo lead-was-here; cat"
kind = "shell"

[[agent]]
name = "kid"
cmd = "cat"
kind = "shell"
parent = "lead"

[[agent]]
name = "crasher"
cmd = "echo crash-screen; sleep 0.5; exit 3"
kind = "shell"
"#;
    let rig = Rig::new("stall_timeout = \"1h\"", agents);
    rig.ok(&["up", "--no-console"]);
    rig.wait_for(Duration::from_secs(10), "crasher to fail", || {
        (rig.agent("crasher")["state"] == "failed").then_some(())
    });
    let lead_pane = rig.agent("lead")["pane"].as_str().unwrap().to_string();
    rig.wait_for(Duration::from_secs(5), "lead's screen", || {
        rig.capture(&lead_pane)
            .contains("lead-was-here")
            .then_some(())
    });
    rig.ok(&["kill", "lead"]);
    let retry = rig.ok(&["retry", "crasher"]);
    assert!(retry.contains("attempt 2"), "{retry}");
    rig.wait_for(Duration::from_secs(10), "crasher attempt 2 to fail", || {
        let a = rig.agent("crasher");
        (a["attempt"] == 2 && a["state"] == "failed").then_some(())
    });

    // Live view: the child runs on under its killed parent's history entry; the
    // crashed agent is history only.
    let table = rig.ok(&["status"]);
    let rows: Vec<&str> = table.lines().collect();
    let row = |n: &str| rows.iter().find(|l| l.trim_start().starts_with(n)).copied();
    assert!(row("lead").is_some_and(|l| l.contains("killed")), "{table}");
    assert!(
        row("kid").is_some_and(|l| l.starts_with("  kid") && l.contains("running")),
        "{table}"
    );
    assert!(row("crasher").is_none(), "{table}");
    assert!(
        table.contains("(1 ended or removed agent not shown"),
        "{table}"
    );
    assert_eq!(rig.agent("kid")["parent"], "lead");

    let all = rig.ok(&["status", "--all"]);
    assert!(all.contains("crasher"), "{all}");
    assert!(
        all.contains("crasher#1"),
        "the earlier attempt is listed:\n{all}"
    );

    let out = rig.ok(&["status", "--json", "--all"]);
    let status: Vec<Value> = serde_json::from_str(&out).unwrap();
    let lead = find(&status, "lead").unwrap();
    assert!(
        lead["final_screen"]
            .as_str()
            .unwrap()
            .contains("lead-was-here"),
        "death snapshot: {lead}"
    );
    let crasher = find(&status, "crasher").unwrap();
    assert_eq!(crasher["past_attempts"][0]["state"], "failed");
    assert_eq!(crasher["past_attempts"][0]["exit_status"], 3);
    // The final screen is the crasher's: its output, or tmux's dead line, which tmux
    // can print after the pane is already reported dead (and which can push the output
    // into scrollback).
    let last = crasher["past_attempts"][0]["final_screen"]
        .as_str()
        .unwrap();
    assert!(
        last.contains("crash-screen") || last.contains("Pane is dead (status 3"),
        "final screen of attempt 1: {last:?}"
    );
    assert_eq!(find(&status, "kid").unwrap()["live"], true);
    assert_eq!(lead["rollup"]["live"], 1);

    // An agent taken out of the fleet file becomes history, with its final state.
    let text = std::fs::read_to_string(rig.fleet_path()).unwrap();
    let cut = text.find("[[agent]]\nname = \"crasher\"").unwrap();
    std::fs::write(rig.fleet_path(), &text[..cut]).unwrap();
    let status = rig.status();
    assert!(
        find(&status, "crasher").is_none(),
        "removed and ended: history only"
    );
    let out = rig.ok(&["status", "--json", "--all"]);
    let all: Vec<Value> = serde_json::from_str(&out).unwrap();
    let c = find(&all, "crasher").unwrap();
    assert_eq!(
        (c["removed"].clone(), c["state"].clone()),
        (Value::Bool(true), Value::from("failed"))
    );
}

/// A second private tmux server standing in for the user's own; killed on drop.
struct UserServer {
    socket: String,
    _bin: tempfile::TempDir,
}

impl UserServer {
    fn new() -> UserServer {
        let socket = unique("user");
        let bin = tempfile::tempdir().unwrap();
        // A program named `claude`: the simulated Claude Code agent under that name.
        std::os::unix::fs::symlink(SHOAL, bin.path().join("claude")).unwrap();
        let me = UserServer { socket, _bin: bin };
        let agent = format!(
            "{} sim-agent work --every 300ms",
            me._bin.path().join("claude").display()
        );
        me.tmux(&[
            "new-session",
            "-d",
            "-s",
            "work",
            "-n",
            "coder",
            "-x",
            "120",
            "-y",
            "40",
            &agent,
        ]);
        me.tmux(&[
            "new-window",
            "-d",
            "-t",
            "work:",
            "-n",
            "notes",
            "sleep 600",
        ]);
        me
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("tmux");
        assert!(out.status.success(), "tmux {args:?}: {}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `window_name pane_id pane_pid` of every pane.
    fn panes(&self) -> Vec<String> {
        self.tmux(&[
            "list-panes",
            "-a",
            "-F",
            "#{window_name} #{pane_id} #{pane_pid}",
        ])
        .lines()
        .map(str::to_string)
        .collect()
    }
}

impl Drop for UserServer {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null", "kill-server"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

#[test]
fn adopt_takes_over_an_agent_pane_on_another_server_without_restarting_it() {
    let user = UserServer::new();
    let mut rig = Rig::new(
        "poll_interval = \"250ms\"\nstall_timeout = \"1h\"",
        "[[agent]]\nname = \"own\"\ncmd = \"cat\"\nkind = \"shell\"\n",
    );
    rig.ok(&["up", "--no-console"]);
    let before = user.panes();
    let coder = before
        .iter()
        .find(|l| l.starts_with("coder "))
        .unwrap()
        .clone();
    let coder_pane = coder.split(' ').nth(1).unwrap().to_string();

    // Without --yes (and no terminal to ask on) it only lists.
    let listed = rig.ok(&["adopt", "--server", &user.socket]);
    assert!(
        listed.contains(&coder_pane) && listed.contains("claude"),
        "{listed}"
    );
    assert!(listed.contains("→ agent coder"), "{listed}");
    assert!(
        !listed.contains("notes"),
        "a plain command is not an agent:\n{listed}"
    );
    assert!(listed.contains("nothing adopted"), "{listed}");
    assert!(find(&rig.status(), "coder").is_none());
    let none = rig.ok(&["adopt", "--server", &user.socket, "--match", "^nomatch"]);
    assert!(none.contains("no unsupervised agent panes"), "{none}");
    let bad = rig.shoal(&["adopt", "--server", "nosuchserver-x", "--yes"]);
    assert!(
        stderr(&bad).contains("no tmux server is running on socket \"nosuchserver-x\""),
        "{}",
        text(&bad)
    );

    let out = rig.ok(&[
        "adopt",
        "--server",
        &user.socket,
        "--match",
        "coder",
        "--yes",
    ]);
    assert!(out.contains("coder: adopted pane"), "{out}");
    let again = rig.ok(&["adopt", "--server", &user.socket, "--yes"]);
    assert!(again.contains("1 already supervised"), "{again}");

    rig.supervise();
    let a = rig.wait_for(
        Duration::from_secs(20),
        "the adopted agent to be watched",
        || {
            let a = rig.agent("coder");
            (a["activity"] == "working").then_some(a)
        },
    );
    assert_eq!(a["state"], "running");
    assert_eq!(a["kind"], "claude");
    assert_eq!(a["server"], user.socket.as_str());
    assert_eq!(a["pane"], coder_pane.as_str());
    assert_eq!(a["adopted"], true);
    assert_eq!(
        user.panes(),
        before,
        "same panes, same pids: nothing restarted"
    );
    assert_eq!(
        rig.agent("own")["state"],
        "running",
        "the fleet's own agent is still watched"
    );

    // Killing the adopted agent ends its pane only; `down` leaves the user's server.
    rig.ok(&["kill", "coder"]);
    rig.wait_for(Duration::from_secs(10), "coder killed", || {
        (rig.agent("coder")["state"] == "killed").then_some(())
    });
    let after: Vec<String> = user.panes();
    assert_eq!(after.len(), 1, "{after:?}");
    assert!(after[0].starts_with("notes "), "{after:?}");
    rig.ok(&["down"]);
    assert_eq!(user.panes().len(), 1, "the user's server keeps running");
}

/// A CLI run by an interpreter (aider is `python3 …/aider`, Codex is `node …/codex`) has
/// its window named after the interpreter by tmux: adopt names it after its session and
/// finds its kind in the process tree.
#[test]
fn adopt_names_an_interpreted_cli_after_its_session_not_its_process() {
    if Command::new("python3").arg("-V").output().is_err() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let user = UserServer::new();
    // No -n: tmux names the window after the running program, as for a pane the user
    // started with a plain `tmux new -s reviewer aider`.
    user.tmux(&[
        "new-session",
        "-d",
        "-s",
        "reviewer",
        "python3 -c 'import time; time.sleep(600)' aider --model x",
    ]);
    let window = Command::new("tmux")
        .args([
            "-L",
            &user.socket,
            "display",
            "-p",
            "-t",
            "reviewer:",
            "#{window_name}",
        ])
        .output()
        .unwrap();
    let rig = Rig::new(
        "stall_timeout = \"1h\"",
        "[[agent]]\nname = \"own\"\ncmd = \"cat\"\n",
    );
    let listed = rig.wait_for(Duration::from_secs(10), "the pane to run python3", || {
        let out = rig.ok(&["adopt", "--server", &user.socket, "--match", "^reviewer:"]);
        out.contains("python3").then_some(out)
    });
    assert!(
        listed.contains("aider"),
        "kind from the process tree: {listed}"
    );
    assert!(
        listed.contains("→ agent reviewer"),
        "window {:?}: {listed}",
        text(&window)
    );
    let out = rig.ok(&[
        "adopt",
        "--server",
        &user.socket,
        "--match",
        "^reviewer:",
        "--yes",
    ]);
    assert!(out.contains("reviewer: adopted pane"), "{out}");
    assert_eq!(rig.agent("reviewer")["kind"], "aider");
}

#[test]
fn caps_in_the_fleet_file_are_validated() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/fleet/valid/caps.toml");
    let f = shoal::fleet::file::load(&dir).unwrap();
    assert_eq!(f.settings.max_running, Some(2));
    assert_eq!(f.agent("lead").unwrap().max_children, Some(3));
    assert_eq!(f.agent("helper").unwrap().max_children, None);
}
