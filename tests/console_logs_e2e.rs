//! The log browser in the real console: `shoal demo` in a tmux pane on a private
//! socket, driven with send-keys and read with capture-pane.

use std::process::Command;
use std::time::{Duration, Instant};

const SHOAL: &str = env!("CARGO_BIN_EXE_shoal");

/// The operator's terminal: a private tmux server running the console. Kills its own
/// server and the demo fleet's server on drop.
struct Terminal {
    socket: String,
    demo: String,
    _home: tempfile::TempDir,
}

impl Terminal {
    fn start() -> Terminal {
        let id = std::process::id();
        let home = tempfile::tempdir().unwrap();
        let term = Terminal {
            socket: format!("shoal-logop-{id}"),
            demo: format!("logdemo{id}"),
            _home: home,
        };
        let cmd = format!("{SHOAL} demo --name {}; sleep 600", term.demo);
        let home = term._home.path().display().to_string();
        term.tmux(&[
            "new-session",
            "-d",
            "-s",
            "op",
            "-n",
            "console",
            "-x",
            "160",
            "-y",
            "45",
            "-e",
            &format!("SHOAL_HOME={home}"),
            &cmd,
        ]);
        term
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "console"])
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "console"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    fn wait_screen(&self, what: &str, timeout: Duration, f: impl Fn(&str) -> bool) -> String {
        let t0 = Instant::now();
        loop {
            let s = self.screen();
            if f(&s) {
                return s;
            }
            if t0.elapsed() > timeout {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        for s in [self.socket.clone(), format!("shoal-{}", self.demo)] {
            let _ = Command::new("tmux")
                .args(["-L", &s, "-f", "/dev/null", "kill-server"])
                .output();
        }
    }
}

#[test]
fn l_opens_the_selected_agents_log_and_it_searches_follows_and_goes_back() {
    let term = Terminal::start();
    term.wait_screen("the fleet tree", Duration::from_secs(20), |s| {
        s.contains("builder") && s.contains("tester")
    });
    // Down to builder (lead is first), then its log once it has printed a few lines.
    term.keys(&["j"]);
    term.wait_screen("builder selected", Duration::from_secs(5), |s| {
        s.contains("┌ builder · claude")
    });
    std::thread::sleep(Duration::from_secs(4));
    term.keys(&["l"]);
    let s = term.wait_screen("builder's log", Duration::from_secs(10), |s| {
        s.contains("[agent:builder]") && s.contains("Read(src/module_")
    });
    assert!(s.contains("logs · page 1 · 1–"), "{s}");
    assert!(
        s.lines()
            .filter(|l| l.contains("output"))
            .all(|l| l.contains("builder")),
        "only builder's lines:\n{s}"
    );

    // A keyword narrows it; a malformed one is searched as text and says so.
    term.keys(&["/", "C-u"]);
    term.keys(&["-l", "agent:builder Update"]);
    term.keys(&["Enter"]);
    let s = term.wait_screen("the keyword search", Duration::from_secs(5), |s| {
        s.contains("[\"Update\"]")
    });
    let results: Vec<&str> = s.lines().filter(|l| l.contains(" output ")).collect();
    assert!(!results.is_empty(), "{s}");
    assert!(results.iter().all(|l| l.contains("Update")), "{s}");

    // Follow: new lines keep arriving at the top without a key.
    term.keys(&["f"]);
    let first = term.wait_screen("following", Duration::from_secs(5), |s| {
        s.contains("following · newest on top")
    });
    let top = |s: &str| {
        s.lines()
            .find(|l| l.contains(" output "))
            .unwrap_or_default()
            .to_string()
    };
    let before = top(&first);
    term.wait_screen("a newer line on top", Duration::from_secs(15), |s| {
        !top(s).is_empty() && top(s) != before
    });

    // Esc goes back to the fleet; q quits the console as usual.
    term.keys(&["Escape"]);
    term.wait_screen("the fleet again", Duration::from_secs(5), |s| {
        !s.contains("logs · page") && s.contains("┌ builder · claude")
    });
}
