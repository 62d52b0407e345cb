//! The simulated agent (`shoal sim-agent`) run in a real tmux pane on a private socket,
//! driven with `send-keys` and read back with `capture-pane`, as the supervisor sees it.

use crate::common::{unique, SHOAL};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const NBSP: char = '\u{a0}';
const PATIENCE: Duration = Duration::from_secs(15);

/// A tmux server of our own; killed when the test ends, also when it panics.
struct Tmux {
    socket: String,
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let path = self.display("#{socket_path}");
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .stderr(Stdio::null())
            .status();
        // tmux 3.3a leaves its socket file behind after kill-server.
        if path.ends_with(&self.socket) {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Tmux {
    /// Starts `shoal sim-agent ARGS…` alone in a 200x50 pane that stays after it exits.
    fn sim(args: &[&str]) -> Tmux {
        let tmux = Tmux {
            socket: unique("shoal-sim"),
        };
        let mut cmd = vec![
            "new-session",
            "-d",
            "-s",
            "sim",
            "-x",
            "200",
            "-y",
            "50",
            SHOAL,
            "sim-agent",
        ];
        cmd.extend_from_slice(args);
        cmd.extend_from_slice(&[";", "set-option", "-g", "remain-on-exit", "on"]);
        let out = tmux.run(&cmd);
        assert!(out.status.success(), "tmux new-session failed: {out:?}");
        tmux
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("tmux runs")
    }

    fn capture(&self) -> Vec<String> {
        let out = self.run(&["capture-pane", "-p", "-t", "sim"]);
        assert!(out.status.success(), "capture-pane failed: {out:?}");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn display(&self, format: &str) -> String {
        let out = self.run(&["display-message", "-p", "-t", "sim", format]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "sim"];
        args.extend_from_slice(keys);
        assert!(self.run(&args).status.success());
    }

    fn type_text(&self, text: &str) {
        assert!(self
            .run(&["send-keys", "-t", "sim", "-l", text])
            .status
            .success());
    }

    /// Polls the screen until `ready` holds; panics with the last screen otherwise.
    fn wait_for(&self, what: &str, ready: impl Fn(&[String]) -> bool) -> Vec<String> {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if ready(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() <= PATIENCE,
                "timed out waiting for {what}; screen:\n{}",
                screen.join("\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_for_text(&self, needle: &str) -> Vec<String> {
        self.wait_for(needle, |s| has(s, needle))
    }

    /// Waits for the agent's process to end and returns its exit status.
    fn wait_for_exit(&self) -> String {
        let start = Instant::now();
        loop {
            let dead = self.display("#{pane_dead} #{pane_dead_status}");
            if let Some(status) = dead.strip_prefix("1 ").filter(|s| !s.is_empty()) {
                return status.to_string();
            }
            if dead == "1" {
                // tmux 3.3a marks the pane dead when the pty closes but may leave the child
                // a zombie until its next SIGCHLD: a job of its own brings one.
                self.run(&["run-shell", "true"]);
            }
            assert!(start.elapsed() < PATIENCE, "the sim never exited: {dead:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn has(screen: &[String], needle: &str) -> bool {
    screen.iter().any(|l| l.contains(needle))
}

fn busy_row(screen: &[String]) -> Option<usize> {
    screen
        .iter()
        .position(|l| l.contains('…') && !l.starts_with('❯'))
}

#[test]
fn work_adds_new_transcript_lines_while_busy() {
    let tmux = Tmux::sim(&["work", "--every", "200ms"]);
    let first = tmux.wait_for_text("● Read(src/module_7.rs)");
    assert!(first[0].contains("Claude Code (shoal sim)"), "{first:?}");
    assert!(has(&first, "esc to interrupt · ← for agents"));
    let later = tmux.wait_for_text("● Bash(cargo test module_7)");
    assert!(has(&later, "Updated src/module_7.rs with"));
    assert!(has(&later, "tokens)"));
    let transcript = |s: &[String]| s[..busy_row(s).unwrap_or(s.len())].to_vec();
    assert_ne!(transcript(&first), transcript(&later));
}

#[test]
fn spin_hang_changes_nothing_but_the_busy_line() {
    let tmux = Tmux::sim(&["spin-hang"]);
    let first = tmux.wait_for_text("esc to interrupt");
    let row = busy_row(&first).expect("a busy line");
    let mut busy_lines = std::collections::HashSet::new();
    for _ in 0..15 {
        std::thread::sleep(Duration::from_millis(100));
        let screen = tmux.capture();
        for (i, (a, b)) in first.iter().zip(&screen).enumerate() {
            if i != row {
                assert_eq!(a, b, "row {i} changed");
            }
        }
        assert_eq!(first.len(), screen.len());
        busy_lines.insert(screen[row].clone());
    }
    assert!(
        busy_lines.len() >= 3,
        "the spinner should animate: {busy_lines:?}"
    );
}

#[test]
fn approving_with_enter_shows_mock_ok_and_goes_back_to_work() {
    let tmux = Tmux::sim(&["approval", "--after", "300ms", "--every", "200ms"]);
    let dialog = tmux.wait_for_text("Do you want to proceed?");
    assert!(has(
        &dialog,
        "● Bash(touch mock_was_here.txt && echo mock-ok)"
    ));
    assert!(has(&dialog, " ❯ 1. Yes"));
    assert!(has(&dialog, "   2. Yes, and always allow access to "));
    assert!(has(&dialog, "   3. No"));
    assert!(has(&dialog, " Esc to cancel · Tab to amend"));
    assert!(!has(&dialog, "esc to interrupt"));
    tmux.keys(&["Enter"]);
    let after = tmux.wait_for("mock-ok and work", |s| {
        has(s, &format!("  ⎿ {NBSP}mock-ok")) && has(s, "esc to interrupt")
    });
    assert!(!has(&after, "Do you want to proceed?"));
    // Steady work resumes: a new entry shows up under the command's output.
    tmux.wait_for("work after the command", |s| {
        let ok = s.iter().position(|l| l.contains("mock-ok"));
        ok.is_some_and(|i| s[i + 1..].iter().any(|l| l.starts_with("● ")))
    });
}

#[test]
fn denying_with_escape_interrupts_and_leaves_it_idle() {
    let tmux = Tmux::sim(&["approval", "--after", "300ms"]);
    tmux.wait_for_text("Do you want to proceed?");
    tmux.keys(&["x"]);
    std::thread::sleep(Duration::from_millis(400));
    assert!(
        has(&tmux.capture(), "Do you want to proceed?"),
        "other keys do nothing"
    );
    tmux.keys(&["Escape"]);
    let idle = tmux.wait_for("the idle prompt", |s| {
        has(s, "Interrupted · What should Claude do instead?") && has(s, "? for shortcuts")
    });
    assert!(!has(&idle, "Do you want to proceed?"));
    assert!(!has(&idle, "esc to interrupt"));
    assert!(has(&idle, &format!("❯{NBSP}")));
}

#[test]
fn crash_exits_with_status_3() {
    let tmux = Tmux::sim(&["crash", "--after", "300ms"]);
    assert_eq!(tmux.wait_for_exit(), "3");
    assert!(has(&tmux.capture(), "crashed on purpose"));
}

#[test]
fn ratelimit_shows_the_429_and_when_it_resets() {
    let tmux = Tmux::sim(&["ratelimit", "--after", "400ms", "--reset-in", "2m"]);
    let screen = tmux.wait_for_text("API Error: Request rejected (429)");
    let resets = regex::Regex::new(r"resets (\d{1,2})(?::(\d{2}))?(am|pm)").expect("regex");
    let line = screen.join("\n");
    let caps = resets.captures(&line).expect("a reset time");
    let shown = |h: u32, m: u32, pm: bool| (h % 12 + if pm { 12 } else { 0 }) * 60 + m;
    let minutes = shown(
        caps[1].parse().expect("hour"),
        caps.get(2)
            .map_or(0, |m| m.as_str().parse().expect("minute")),
        &caps[3] == "pm",
    );
    use chrono::Timelike;
    let expected = chrono::Local::now() + chrono::Duration::minutes(2);
    let expected = expected.hour() * 60 + expected.minute();
    let diff = (i64::from(minutes) - i64::from(expected)).rem_euclid(24 * 60);
    assert!(
        diff <= 1 || diff >= 24 * 60 - 1,
        "reset {line} vs {expected}"
    );
    assert!(has(&screen, "? for shortcuts"));
    assert_eq!(tmux.display("#{pane_dead}"), "0");
}

#[test]
fn wait_task_holds_done_at_the_prompt_until_a_task_arrives() {
    let tmux = Tmux::sim(&["done", "--wait-task", "--after", "300ms"]);
    tmux.wait_for_text("? for shortcuts");
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(tmux.display("#{pane_dead}"), "0");
    tmux.type_text("Write the docs");
    tmux.wait_for_text(&format!("❯{NBSP}Write the docs"));
    tmux.keys(&["Enter"]);
    assert_eq!(tmux.wait_for_exit(), "0");
    let screen = tmux.capture();
    assert!(has(&screen, "❯ Write the docs"));
    assert!(has(&screen, "● All done."));
}

#[test]
fn ctrl_c_twice_exits_cleanly() {
    let tmux = Tmux::sim(&["idle"]);
    tmux.wait_for_text("? for shortcuts");
    tmux.keys(&["C-c"]);
    tmux.wait_for_text("  Press Ctrl-C again to exit");
    tmux.keys(&["C-c"]);
    assert_eq!(tmux.wait_for_exit(), "0");
}

#[test]
fn silent_never_writes_after_its_first_screen() {
    let tmux = Tmux::sim(&["silent"]);
    let first = tmux.wait_for_text("? for shortcuts");
    // window_activity has one-second resolution: let the first frame's second pass.
    std::thread::sleep(Duration::from_millis(1100));
    let activity = tmux.display("#{window_activity}");
    tmux.type_text("hello");
    tmux.keys(&["Enter", "Escape", "C-c", "C-c"]);
    std::thread::sleep(Duration::from_millis(2200));
    assert_eq!(tmux.display("#{pane_dead}"), "0", "silent keeps running");
    assert_eq!(tmux.capture(), first);
    assert_eq!(
        tmux.display("#{window_activity}"),
        activity,
        "no output at all"
    );
}

#[test]
fn the_screen_follows_a_resize() {
    let tmux = Tmux::sim(&["idle"]);
    tmux.wait_for_text("? for shortcuts");
    assert!(tmux
        .run(&["resize-window", "-t", "sim", "-x", "80", "-y", "24"])
        .status
        .success());
    let rule = "─".repeat(80);
    let screen = tmux.wait_for("80-column rules", |s| s.contains(&rule));
    assert!(screen.iter().all(|l| l.chars().count() <= 80));
    assert!(has(&screen, "? for shortcuts"));
}

#[test]
fn without_a_terminal_it_reads_the_task_from_stdin() {
    let mut child = Command::new(SHOAL)
        .args(["sim-agent", "done", "--wait-task", "--after", "200ms"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("shoal starts");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"Piped task\n").expect("write task");
    }
    let out = child.wait_with_output().expect("shoal ends");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Piped task"), "{stdout}");
    assert!(stdout.contains("All done."), "{stdout}");
}

#[test]
fn every_capture_is_one_coherent_screen_even_while_scrolling() {
    let tmux = Tmux::sim(&["work", "--every", "50ms"]);
    tmux.wait_for_text(" tokens)");
    let rule = "─".repeat(200);
    for i in 0..60 {
        let s = tmux.capture();
        let rules: Vec<usize> = (0..s.len()).filter(|&r| s[r] == rule).collect();
        let shown = s.join("\n");
        assert_eq!(rules.len(), 2, "capture {i} has two rules:\n{shown}");
        let (top, bottom) = (rules[0], rules[1]);
        assert_eq!(bottom, top + 2, "capture {i}:\n{shown}");
        assert_eq!(s[top + 1], format!("❯{NBSP}"), "capture {i}:\n{shown}");
        assert!(
            s[bottom + 1].starts_with("  esc to interrupt"),
            "capture {i}:\n{shown}"
        );
        assert!(s[top - 2].ends_with(" tokens)"), "capture {i}:\n{shown}");
        std::thread::sleep(Duration::from_millis(30));
    }
}
