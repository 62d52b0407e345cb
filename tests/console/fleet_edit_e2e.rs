//! Adding and removing agents from the real console: `N` fills in a form, the agent is
//! written to the fleet file (its comments kept) and runs, in its own git worktree when
//! asked; `D` kills it and takes it out of the file again, worktree and all.

use crate::common::{Terminal, SHOAL};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

/// `shoal status --json` of the terminal's fleet, as a list of agents.
fn status(term: &Terminal, fleet: &Path) -> Vec<serde_json::Value> {
    let out = Command::new(SHOAL)
        .args(["-f"])
        .arg(fleet)
        .args(["status", "--json", "--all"])
        .env("SHOAL_HOME", term.home())
        .env("SHOAL_CONFIG", term.config_dir())
        .env_remove("TMUX")
        .stdin(Stdio::null())
        .output()
        .expect("status");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stdout));
    })
}

fn wait_file(fleet: &Path, what: &str, f: impl Fn(&str) -> bool) -> String {
    let t0 = Instant::now();
    loop {
        let text = std::fs::read_to_string(fleet).unwrap_or_default();
        if f(&text) {
            return text;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}; the fleet file:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(150));
    }
}

#[test]
fn n_adds_a_worktree_agent_that_runs_there_and_d_removes_it_from_the_file() {
    let term = Terminal::new("fe");
    let repo = term.dir().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    std::fs::write(repo.join("README"), "hello\n").unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    let fleet = term.dir().join("shoal.toml");
    let original = format!(
        "# The team. This comment stays.\n[fleet]\nname = \"{}\"  # named for the test\n\n# The lead waits.\n[[agent]]\nname = \"lead\"\nkind = \"shell\"\ncmd = \"sleep 600\"\n",
        term.fleet()
    );
    std::fs::write(&fleet, &original).unwrap();
    term.open(&["-f", &fleet.display().to_string(), "up"]);
    term.wait_screen("the console", Duration::from_secs(30), |s| {
        s.contains(" lead ") && s.contains("running")
    });

    // N: the form, field by field.
    term.keys(&["N"]);
    term.wait_screen("the form", Duration::from_secs(10), |s| {
        s.contains("add an agent")
    });
    term.keys(&["w2", "Tab", "shell", "Tab", "sleep 600", "Tab"]);
    term.keys(&[&repo.display().to_string(), "Tab", "Tab", "yes", "Enter"]);
    let text = wait_file(&fleet, "w2 in the fleet file", |t| t.contains("\"w2\""));
    assert!(
        text.starts_with(&original),
        "the old text is kept as it was:\n{text}"
    );
    assert!(text.contains("worktree = true"), "{text}");
    let s = term.wait_screen("w2 running", Duration::from_secs(30), |s| {
        s.lines()
            .any(|l| l.contains(" w2 ") && l.contains("running"))
    });
    assert!(s.contains("⎇ w2"), "the tree shows the branch:\n{s}");

    // It runs in its worktree, on its branch.
    let worktree = term.home().join("worktrees").join(term.fleet()).join("w2");
    let out = Command::new("tmux")
        .args(["-L", &format!("shoal-{}", term.fleet()), "-f", "/dev/null"])
        .args(["display-message", "-p", "-t", "w2", "#{pane_current_path}"])
        .env_remove("TMUX")
        .output()
        .expect("tmux");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        worktree.display().to_string()
    );
    assert!(worktree.join("README").is_file());
    let w2 = status(&term, &fleet)
        .into_iter()
        .find(|a| a["name"] == "w2")
        .expect("w2 in status");
    assert_eq!(w2["state"], "running");

    // D on w2: asked, then killed and taken out of the file, worktree deleted.
    term.keys(&["G"]);
    term.wait_screen("w2 selected", Duration::from_secs(10), |s| {
        s.contains("┌ w2 · shell")
    });
    term.keys(&["D"]);
    term.wait_screen("the question", Duration::from_secs(10), |s| {
        s.contains("remove w2?")
    });
    term.keys(&["y"]);
    let text = wait_file(&fleet, "w2 gone from the fleet file", |t| !t.contains("w2"));
    assert_eq!(text, original, "the file is back as it was");
    let s = term.wait_screen("the removal's report", Duration::from_secs(30), |s| {
        s.contains("w2: removed from")
    });
    assert!(s.contains("deleted"), "{s}");
    assert!(!worktree.exists(), "the worktree is deleted");
    let w2 = status(&term, &fleet)
        .into_iter()
        .find(|a| a["name"] == "w2")
        .expect("w2 in the history");
    assert_eq!(w2["state"], "killed");
    assert_eq!(w2["removed"], true);
    assert_eq!(w2["ending"], "killed by operator");
    term.keys(&["q"]);
}
