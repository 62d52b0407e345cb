//! `shoal add` and `shoal remove` through the real binary and real tmux, with a running
//! supervisor: a worktree agent added on the command line starts in its worktree; an
//! agent in a pane adds and removes only within its own subtree; `remove` ends the
//! agent, takes it out of the file and deletes its worktree; `status --tmux` counts.

use crate::common::{Rig, SHOAL};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static RUNS: AtomicU32 = AtomicU32::new(0);

fn tmux(rig: &Rig, args: &[&str]) -> String {
    let out = Command::new("tmux")
        .args(["-L", &rig.socket(), "-f", "/dev/null"])
        .args(args)
        .output()
        .expect("tmux");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Type `line` into a pane's shell and wait for it: (exit status, output).
fn in_pane(rig: &Rig, pane: &str, line: &str) -> (i32, String) {
    let n = RUNS.fetch_add(1, Ordering::SeqCst);
    let out = rig.dir.path().join(format!("edit-out{n}"));
    let rc = rig.dir.path().join(format!("edit-rc{n}"));
    let typed = format!(
        "{line} > '{}' 2>&1; echo $? > '{}'",
        out.display(),
        rc.display()
    );
    tmux(rig, &["send-keys", "-t", pane, "-l", "--", &typed]);
    tmux(rig, &["send-keys", "-t", pane, "Enter"]);
    let t0 = Instant::now();
    loop {
        if let Some(code) = std::fs::read_to_string(&rc)
            .ok()
            .and_then(|s| s.trim().parse().ok())
        {
            return (code, std::fs::read_to_string(&out).unwrap_or_default());
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "`{line}` did not finish; screen:\n{}",
            tmux(rig, &["capture-pane", "-p", "-t", pane])
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@t"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("git")
        .success();
    assert!(ok, "git {args:?}");
}

fn state(rig: &Rig, name: &str) -> Option<String> {
    let out = rig.ok(&["status", "--json", "--all"]);
    let all: Vec<serde_json::Value> = serde_json::from_str(&out).expect("json");
    all.into_iter()
        .find(|a| a["name"] == name)
        .and_then(|a| a["state"].as_str().map(str::to_string))
}

#[test]
fn add_and_remove_on_the_command_line_keep_to_the_callers_subtree() {
    let agents = r#"
# The lead, and a stranger.
[[agent]]
name = "lead"
cmd = "bash --norc --noprofile"
kind = "shell"

[[agent]]
name = "mallory"
cmd = "bash --norc --noprofile"
kind = "shell"
"#;
    // Shells idle at their prompts: left alone, so the badge speaks of the dead only.
    let mut rig = Rig::new(
        "poll_interval = \"200ms\"\nstall_timeout = \"10m\"\non_idle = \"none\"",
        agents,
    );
    let repo = rig.dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    std::fs::write(repo.join("README"), "hello\n").unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    rig.ok(&["up", "--no-console"]);
    rig.supervise();
    rig.wait_ticks(2);
    let fleet = rig.fleet_path().display().to_string();

    // The operator adds a worktree agent; the running supervisor starts it there.
    let out = rig.ok(&[
        "add",
        "w1",
        "--kind",
        "shell",
        "--cwd",
        &repo.display().to_string(),
        "--worktree",
        "--",
        "sleep 600",
    ]);
    assert!(out.contains("added w1"), "{out}");
    rig.wait_for(Duration::from_secs(30), "w1 running", || {
        state(&rig, "w1").filter(|s| s == "running")
    });
    let worktree = rig.home().join("worktrees").join(&rig.name).join("w1");
    let path = tmux(
        &rig,
        &["display-message", "-p", "-t", "w1", "#{pane_current_path}"],
    );
    assert_eq!(path.trim(), worktree.display().to_string());
    let text = std::fs::read_to_string(rig.fleet_path()).unwrap();
    assert!(text.contains("# The lead, and a stranger."), "{text}");
    assert!(text.contains("worktree = true"), "{text}");
    // A retry starts in the same worktree; it is made once.
    rig.ok(&["kill", "w1"]);
    rig.ok(&["retry", "w1"]);
    rig.wait_for(Duration::from_secs(30), "w1's second attempt", || {
        Some(rig.agent("w1")).filter(|a| a["attempt"] == 2 && a["state"] == "running")
    });
    let path = tmux(
        &rig,
        &["display-message", "-p", "-t", "w1", "#{pane_current_path}"],
    );
    assert_eq!(path.trim(), worktree.display().to_string());
    let made = rig
        .event_kinds("w1")
        .iter()
        .filter(|k| *k == "worktree")
        .count();
    assert_eq!(made, 1, "{:?}", rig.event_kinds("w1"));
    rig.wait_for(Duration::from_secs(15), "a badge", || {
        let b = rig.ok(&["status", "--tmux"]);
        Some(b).filter(|b| b.trim() == "✓")
    });

    // mallory may not remove the lead, nor add under it; it may add into its own subtree.
    let pane = rig.agent("mallory")["pane"].as_str().unwrap().to_string();
    let (rc, said) = in_pane(&rig, &pane, &format!("{SHOAL} -f '{fleet}' remove lead"));
    assert_eq!(rc, 1, "{said}");
    assert!(said.contains("mallory cannot remove lead"), "{said}");
    let (rc, said) = in_pane(
        &rig,
        &pane,
        &format!("{SHOAL} -f '{fleet}' add m2 --parent lead -- sleep 600"),
    );
    assert_eq!(rc, 1, "{said}");
    assert!(said.contains("own subtree"), "{said}");
    let (rc, said) = in_pane(
        &rig,
        &pane,
        // Without -f: the pane's fleet file, as its store recorded it.
        &format!("{SHOAL} add m1 -- sleep 600"),
    );
    assert_eq!(rc, 0, "{said}");
    let text = std::fs::read_to_string(rig.fleet_path()).unwrap();
    assert!(
        text.contains("name = \"m1\"\ncmd = \"sleep 600\"\nparent = \"mallory\""),
        "{text}"
    );
    assert!(!text.contains("m2"), "{text}");
    assert_eq!(state(&rig, "lead").as_deref(), Some("running"));

    // The operator removes w1: killed first, then out of the file, worktree deleted.
    let out = rig.ok(&["remove", "w1"]);
    assert!(out.contains("w1: removed from"), "{out}");
    assert!(out.contains("deleted (branch w1 kept"), "{out}");
    assert!(!worktree.exists());
    let text = std::fs::read_to_string(rig.fleet_path()).unwrap();
    assert!(!text.contains("w1"), "{text}");
    assert_eq!(state(&rig, "w1").as_deref(), Some("killed"));
    // Its name may come back: added again, it runs again as a new attempt.
    let out = rig.ok(&["add", "w1", "--", "sleep 600"]);
    assert!(out.contains("ran in this fleet before"), "{out}");
    rig.wait_for(Duration::from_secs(30), "w1 back", || {
        Some(rig.agent("w1")).filter(|a| a["attempt"] == 3 && a["state"] == "running")
    });

    // A dead agent shows on the badge.
    rig.ok(&["kill", "lead"]);
    rig.wait_for(Duration::from_secs(15), "the badge counts the dead", || {
        let b = rig.ok(&["status", "--tmux"]);
        Some(b).filter(|b| b.trim() == "✗1")
    });
}

#[test]
fn down_keeps_worktrees_unless_clean_and_never_one_with_changes_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join("src")).unwrap();
    git(&repo, &["init", "-q"]);
    std::fs::write(repo.join("src/lib.rs"), "fn a() {}\n").unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    let agents = format!(
        "[[agent]]\nname = \"wt\"\nkind = \"shell\"\ncmd = \"sleep 600\"\ncwd = \"{}\"\nworktree = \"agent/wt\"\n",
        repo.join("src").display()
    );
    let rig = Rig::new("stall_timeout = \"10m\"", &agents);
    rig.ok(&["up", "--no-console"]);
    let worktree = rig.home().join("worktrees").join(&rig.name).join("wt");
    // It starts in the same subdirectory of its worktree as its cwd is of the repository.
    let path = tmux(
        &rig,
        &["display-message", "-p", "-t", "wt", "#{pane_current_path}"],
    );
    assert_eq!(path.trim(), worktree.join("src").display().to_string());
    std::fs::write(worktree.join("src/lib.rs"), "fn a() { todo!() }\n").unwrap();

    let out = rig.ok(&["down"]);
    assert!(out.contains("worktrees kept: wt"), "{out}");
    assert!(worktree.is_dir());
    let kept = rig.shoal(&["down", "--clean"]);
    let said = String::from_utf8_lossy(&kept.stdout);
    assert_eq!(kept.status.code(), Some(1), "{said}");
    assert!(
        said.contains("kept: it has uncommitted changes (src/lib.rs)"),
        "{said}"
    );
    assert!(worktree.is_dir());
    let out = rig.ok(&["down", "--clean", "--force"]);
    assert!(out.contains("deleted (branch agent/wt kept"), "{out}");
    assert!(!worktree.exists());
}
