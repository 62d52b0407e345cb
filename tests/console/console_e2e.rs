//! The real binary running `shoal demo` inside a tmux pane on a private socket, driven
//! with send-keys and read with capture-pane, as an operator would use it.

use crate::common::Terminal;
use std::process::Command;
use std::time::{Duration, Instant};

/// The tree row of an agent: the left panel's part of the line holding its name.
fn row(screen: &str, agent: &str) -> String {
    screen
        .lines()
        .map(|l| l.chars().take(95).collect::<String>())
        .find(|l| l.contains(&format!(" {agent} ")))
        .unwrap_or_default()
}

#[test]
fn the_demo_console_shows_the_fleet_escalates_and_acts_from_the_keyboard() {
    let term = Terminal::demo();

    // The tree shows the demo agents under their parents.
    let s = term.wait_screen("the fleet tree", Duration::from_secs(20), |s| {
        [
            "lead", "builder", "tester", "reviewer", "hanger", "crasher", "limiter",
        ]
        .iter()
        .all(|a| !row(s, a).is_empty())
    });
    assert!(
        s.contains(&format!("shoal · {}", term.fleet())),
        "header names the fleet:\n{s}"
    );
    assert!(
        row(&s, "builder").contains("├─"),
        "builder nested under lead:\n{s}"
    );

    // The approval dialog is seen as needs-input.
    term.wait_screen("reviewer waiting", Duration::from_secs(20), |s| {
        row(s, "reviewer").contains("needs-input")
    });

    // Tab lands on agents that need the operator; cycle until the waiting one.
    let mut on_reviewer = false;
    for _ in 0..8 {
        term.keys(&["Tab"]);
        std::thread::sleep(Duration::from_millis(400));
        if term.screen().contains("┌ reviewer · claude") {
            on_reviewer = true;
            break;
        }
    }
    assert!(
        on_reviewer,
        "Tab never selected reviewer:\n{}",
        term.screen()
    );

    // `a` approves it and it goes back to work.
    term.keys(&["a"]);
    let s = term.wait_screen("reviewer back at work", Duration::from_secs(15), |s| {
        row(s, "reviewer").contains("working")
    });
    assert!(
        s.contains("sent Enter to reviewer"),
        "footer reports the action:\n{s}"
    );

    // The agent hanging behind a spinner reaches the nudge tier (demo stall timeout 20 s).
    term.wait_screen("hanger nudged", Duration::from_secs(45), |s| {
        let r = row(s, "hanger");
        r.contains("nudge ") && (r.contains("warn in") || r.contains("· warn"))
    });

    // `q` quits; every agent that was alive is still alive.
    term.keys(&["q"]);
    term.wait_screen("the quit question", Duration::from_secs(10), |s| {
        s.contains("Stop the demo fleet")
    });
    let windows = term.fleet_windows();
    for agent in ["lead", "builder", "tester", "reviewer", "hanger"] {
        assert!(
            windows.contains(&format!("{agent} 0")),
            "{agent} not alive after quit: {windows:?}"
        );
    }
    term.keys(&["Enter"]);
    term.wait_screen("the goodbye line", Duration::from_secs(10), |s| {
        s.contains("keeps running")
    });
}

/// Keys typed while attached reach the agent, every one of them (the console's input
/// thread must not read the terminal meanwhile), and the console takes keys again
/// after the detach.
#[test]
fn attach_hands_every_key_to_the_agent_and_takes_the_terminal_back() {
    let term = Terminal::new("att");
    let fleet = term.dir().join("shoal.toml");
    std::fs::write(
        &fleet,
        format!(
            "[fleet]\nname = \"{}\"\n\n[[agent]]\nname = \"echo\"\nkind = \"shell\"\ncmd = \"cat\"\n",
            term.fleet()
        ),
    )
    .unwrap();
    // Outside tmux (the terminal's server runs without $TMUX), attach runs a nested
    // `tmux attach` in this very pane.
    term.open_outside_tmux(&["-f", &fleet.display().to_string(), "up"]);
    term.wait_screen("the agent running", Duration::from_secs(30), |s| {
        row(s, "echo").contains("running")
    });

    term.keys(&["Enter"]);
    let fleet_tmux = |args: &[&str]| {
        let out = Command::new("tmux")
            .args(["-L", &format!("shoal-{}", term.fleet()), "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // Attached once the fleet's server has a client.
    let t0 = Instant::now();
    while fleet_tmux(&["list-clients"]).trim().is_empty() {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "no client attached; console:\n{}",
            term.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The attached screen says how to come back.
    term.wait_screen("the way back", Duration::from_secs(10), |s| {
        s.contains(shoal::tmux::COME_BACK)
    });
    let line = "the-quick-brown-fox-jumps-over-the-lazy-dog-0123456789";
    term.keys(&["-l", line]);
    term.keys(&["Enter"]);
    let pane = fleet_tmux(&["list-panes", "-a", "-F", "#{window_name} #{pane_id}"])
        .lines()
        .find_map(|l| l.strip_prefix("echo ").map(str::to_string))
        .expect("the agent's pane");
    let t0 = Instant::now();
    loop {
        let screen = fleet_tmux(&["capture-pane", "-p", "-t", &pane]);
        // The terminal echoes the line and `cat` prints it again: two whole copies.
        if screen.matches(line).count() >= 2 {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "the agent did not get every key:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // Detach (the fleet server's prefix is tmux's default): the console is back.
    term.keys(&["C-b", "d"]);
    term.wait_screen("the console again", Duration::from_secs(20), |s| {
        s.contains("back from echo")
    });
    term.keys(&["?"]);
    term.wait_screen("the key help", Duration::from_secs(10), |s| {
        s.contains("any key closes")
    });
    // After quitting, tmux's own `[detached …]` line is not left on the terminal.
    term.keys(&["Escape"]);
    term.wait_screen("the help closed", Duration::from_secs(10), |s| {
        !s.contains("any key closes")
    });
    term.keys(&["q"]);
    let t0 = Instant::now();
    while term
        .tmux(&["list-panes", "-t", "console", "-F", "#{pane_dead}"])
        .trim()
        != "1"
    {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "the console did not quit:\n{}",
            term.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let s = term.screen();
    assert!(!s.contains("[detached"), "tmux's words leaked:\n{s}");
}
