//! The tmux layer under faults, against real tmux on private sockets: a control client
//! that stops answering, text that tmux cannot take in one command or must not read
//! as keys, a `PATH` in the agent's environment, and starts that cannot work.

use shoal::tmux::{
    Batched, ControlClient, OneShot, Server, TmuxBackend, TmuxError, WatchPolicy, Watched,
    WindowSpec,
};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A private tmux server with the shoal session; stopped clients it records are
/// continued and killed, and the server is killed, when the test ends.
struct Guard {
    socket: String,
    dir: tempfile::TempDir,
    stopped: Vec<u32>,
}

impl Guard {
    fn started() -> Guard {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let guard = Guard {
            socket: format!("shoal-tf-{}-{n}", std::process::id()),
            dir: tempfile::tempdir().unwrap(),
            stopped: Vec::new(),
        };
        Server::new(guard.socket.clone())
            .ensure_started(200, 50)
            .expect("start tmux");
        guard
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// SIGSTOP a process, remembering it for the cleanup.
    fn stop(&mut self, pid: u32) {
        self.stopped.push(pid);
        // SAFETY: kill(2) of a tmux client this test connected.
        unsafe { libc::kill(pid as i32, libc::SIGSTOP) };
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        for &pid in &self.stopped {
            if is_running(pid) {
                // SAFETY: as above; a stopped client would block kill-server.
                unsafe {
                    libc::kill(pid as i32, libc::SIGCONT);
                    libc::kill(pid as i32, libc::SIGKILL);
                }
            }
        }
        let _ = Server::new(self.socket.clone()).kill();
        let uid = std::fs::metadata("/proc/self").map_or(0, |m| m.uid());
        let dir = std::env::var_os("TMUX_TMPDIR").unwrap_or_else(|| "/tmp".into());
        let _ = std::fs::remove_file(
            Path::new(&dir)
                .join(format!("tmux-{uid}"))
                .join(&self.socket),
        );
    }
}

/// A process that exists and is not a zombie.
fn is_running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit(')').next().map(|r| r.trim_start().to_string()))
        .is_some_and(|r| !r.starts_with('Z'))
}

fn spec(name: &str, cmd: &str) -> WindowSpec {
    WindowSpec {
        name: name.into(),
        cmd: cmd.into(),
        cwd: None,
        env: vec![],
        agent: name.into(),
        attempt: 1,
    }
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !done() {
        assert!(t0.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(30));
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn policy(strikes: u32) -> WatchPolicy {
    WatchPolicy {
        deadline: Duration::from_secs(1),
        strikes,
        window: Duration::from_secs(600),
        cooldown: Duration::from_secs(600),
    }
}

/// tmux 3.3a reads and writes a control client's pipes in the server: a stopped
/// `tmux -C` process does not stop the conversation. The poll goes on, and the
/// stopped process is still killed and reaped when the backend goes.
#[test]
fn a_stopped_control_client_does_not_stop_the_poll_and_does_not_leak() {
    let mut g = Guard::started();
    let mut w = Watched::with_policy(&g.socket, policy(3)).unwrap();
    w.new_window(&spec("a", "sleep 100")).unwrap();
    let before = w.poll_panes().unwrap();
    let pid = w.control_pid().expect("a control client is connected");
    g.stop(pid);
    let t0 = Instant::now();
    let during = w.poll_panes().expect("the poll goes on");
    println!("poll with a stopped client took {:?}", t0.elapsed());
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    assert_eq!(during, before);
    drop(w);
    assert!(
        !is_running(pid),
        "the stopped client {pid} outlived its backend"
    );
    assert_eq!(g.tmux(&["list-clients"]), "", "a client is still attached");
}

/// Make every control client's command queue hang after its first `list-panes`, as a
/// wedged client would: one-shot clients are not affected.
fn wedge_control_clients(g: &Guard) {
    let hook = format!(
        "if -F '#{{client_control_mode}}' 'wait-for shoal-never-{}'",
        g.socket
    );
    g.tmux(&["set-hook", "-g", "after-list-panes", &hook]);
}

#[test]
fn a_wedged_control_client_is_killed_and_the_poll_goes_on_within_the_deadline() {
    let g = Guard::started();
    let mut w = Watched::with_policy(&g.socket, policy(3)).unwrap();
    let pane = w
        .new_window(&spec("a", "echo hello-watch; sleep 100"))
        .unwrap();
    wedge_control_clients(&g);
    let before = w.poll_panes().expect("the first listing still answers");
    let first = w.control_pid().expect("a control client is connected");

    let t0 = Instant::now();
    let during = w.poll_panes().expect("the poll goes on");
    let took = t0.elapsed();
    println!("poll with a wedged client took {took:?}");
    assert!(
        took >= Duration::from_secs(1),
        "the deadline was not waited: {took:?}"
    );
    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert_eq!(during, before);
    assert!(
        !is_running(first),
        "the wedged client {first} was not killed"
    );
    assert_eq!(w.degraded(), None, "one failure is not yet a fallback");

    // The next request connects a new client.
    let screen = w.capture_panes(std::slice::from_ref(&pane)).unwrap();
    assert!(screen[0].as_deref().unwrap_or("").contains("hello-watch"));
    let second = w.control_pid().expect("reconnected");
    assert_ne!(second, first);
    let clients = g.tmux(&["list-clients", "-F", "#{client_pid}"]);
    assert_eq!(
        clients.trim(),
        second.to_string(),
        "only the new client is attached"
    );
}

#[test]
fn repeated_failures_put_the_server_on_one_shot_commands_and_say_so() {
    let g = Guard::started();
    let mut w = Watched::with_policy(&g.socket, policy(2)).unwrap();
    let pane = w
        .new_window(&spec("a", "echo hello-fallback; sleep 100"))
        .unwrap();
    wedge_control_clients(&g);
    for round in 0..2 {
        // A fresh client answers its first listing, then wedges.
        w.poll_panes().unwrap();
        assert!(w.control_pid().is_some(), "round {round}");
        assert_eq!(w.degraded(), None, "round {round}");
        let t0 = Instant::now();
        let panes = w.poll_panes().expect("the poll goes on");
        assert_eq!(panes.len(), 2, "round {round}");
        assert!(t0.elapsed() < Duration::from_secs(4), "{:?}", t0.elapsed());
    }
    let why = w.degraded().expect("the backend says it is degraded");
    assert!(why.contains("one-shot"), "{why}");
    assert!(
        why.contains("2 control-client failures within 600s"),
        "{why}"
    );
    assert!(why.contains("no reply within"), "{why}");
    assert_eq!(w.control_pid(), None, "no control client on the fallback");
    // Slower, still correct: every operation works on the fallback, with no waiting.
    let t0 = Instant::now();
    let screen = w.capture_panes(std::slice::from_ref(&pane)).unwrap();
    assert!(screen[0]
        .as_deref()
        .unwrap_or("")
        .contains("hello-fallback"));
    w.send_keys(&pane, &["C-c".to_string()]).unwrap();
    w.kill_pane(&pane).unwrap();
    assert_eq!(w.poll_panes().unwrap().len(), 1);
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    assert_eq!(g.tmux(&["list-clients"]), "", "no client left attached");
    // The failure count outlives this backend: a new one starts on the fallback.
    drop(w);
    let again = Watched::with_policy(&g.socket, policy(2)).unwrap();
    assert!(again.degraded().is_some());
    assert_eq!(again.control_pid(), None);
}

#[test]
fn packed_captures_agree_with_the_control_client_and_survive_a_vanished_pane() {
    let g = Guard::started();
    let mut control = ControlClient::connect(&g.socket).unwrap();
    let mut panes = Vec::new();
    for i in 0..5 {
        let cmd = format!("printf 'pane {i} \\033[1mbold\\033[0m\\n'; sleep 100");
        panes.push(control.new_window(&spec(&format!("p{i}"), &cmd)).unwrap());
    }
    wait_for("every pane printed", Duration::from_secs(5), || {
        control
            .capture_panes(&panes)
            .unwrap()
            .iter()
            .all(|s| s.as_deref().is_some_and(|s| s.contains("bold")))
    });
    let mut ids = panes.clone();
    ids.insert(2, "%9999".into());
    ids.push("%9998".into());
    let mut batched = Batched::new(g.socket.clone(), Duration::from_secs(5));
    let got = batched.capture_panes(&ids).unwrap();
    let want = control.capture_panes(&ids).unwrap();
    assert_eq!(got.len(), ids.len());
    assert_eq!(got[2], None);
    assert_eq!(got[6], None);
    assert_eq!(
        got, want,
        "packed one-shot captures differ from control mode"
    );
    assert_eq!(batched.poll_panes().unwrap(), control.poll_panes().unwrap());
    let history: Vec<(String, u32)> = ids.iter().map(|p| (p.clone(), 5)).collect();
    assert_eq!(
        batched.capture_history(&history).unwrap(),
        control.capture_history(&history).unwrap()
    );
}

#[test]
fn a_wedged_server_fails_the_one_shot_fallback_at_its_deadline() {
    let mut g = Guard::started();
    let server_pid: u32 = g
        .tmux(&["display-message", "-p", "#{pid}"])
        .trim()
        .parse()
        .unwrap();
    let mut batched = Batched::new(g.socket.clone(), Duration::from_millis(800));
    g.stop(server_pid);
    let t0 = Instant::now();
    let err = batched.poll_panes().unwrap_err();
    let took = t0.elapsed();
    // SAFETY: the server this test started.
    unsafe { libc::kill(server_pid as i32, libc::SIGCONT) };
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(matches!(err, TmuxError::Protocol { .. }), "{err:?}");
    assert!(err.to_string().contains("did not finish within"), "{err}");
}

/// A raw-mode reader that stores exactly `n` bytes typed into its pane.
fn reader(g: &Guard, name: &str, n: usize) -> (String, PathBuf) {
    let out = g.path(name);
    let cmd = format!(
        "stty raw -echo; echo ready; head -c {n} > {}; echo done; sleep 100",
        out.display()
    );
    let pane = OneShot::new(g.socket.clone())
        .new_window(&spec(name, &cmd))
        .unwrap();
    wait_for("the reader", Duration::from_secs(5), || {
        g.tmux(&["capture-pane", "-p", "-t", &pane])
            .contains("ready")
    });
    (pane, out)
}

fn long_text() -> String {
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 40 * 1024 {
        text.push_str(&format!(
            "line {i}: «long» text with quotes ' \" ; # $HOME ~ \\ \t|"
        ));
        if i % 7 == 0 {
            text.push('\n');
        }
        i += 1;
    }
    text
}

#[test]
fn forty_kilobytes_of_text_arrive_whole_through_every_backend() {
    let g = Guard::started();
    let text = long_text();
    let backends: Vec<(&str, Box<dyn TmuxBackend>)> = vec![
        ("one-shot", Box::new(OneShot::new(g.socket.clone()))),
        (
            "control",
            Box::new(ControlClient::connect(&g.socket).unwrap()),
        ),
        (
            "batched",
            Box::new(Batched::new(g.socket.clone(), Duration::from_secs(10))),
        ),
    ];
    for (name, mut b) in backends {
        let (pane, out) = reader(&g, &format!("send-{name}"), text.len());
        b.send_text(&pane, &text)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        wait_for(
            &format!("{name}: all bytes"),
            Duration::from_secs(20),
            || read(&out).len() >= text.len(),
        );
        assert!(read(&out) == text, "{name}: the text arrived changed");

        // A paste is a terminal paste: newlines arrive as carriage returns.
        let (pane, out) = reader(&g, &format!("paste-{name}"), text.len());
        b.paste_text(&pane, &text, false)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        wait_for(
            &format!("{name}: all pasted bytes"),
            Duration::from_secs(20),
            || read(&out).len() >= text.len(),
        );
        assert!(
            read(&out) == text.replace('\n', "\r"),
            "{name}: the paste arrived changed"
        );
    }
    assert_eq!(g.tmux(&["list-buffers"]), "", "paste buffers are deleted");
}

#[test]
fn bracketed_paste_wraps_the_text_when_the_application_asks() {
    let g = Guard::started();
    let out = g.path("bracketed");
    // The reader asks for bracketed paste (ESC [ ? 2004 h), as Codex and Gemini do.
    let cmd = format!(
        "stty raw -echo; printf '\\033[?2004h'; echo ready; head -c 17 > {}; sleep 100",
        out.display()
    );
    let mut b = ControlClient::connect(&g.socket).unwrap();
    let pane = b.new_window(&spec("br", &cmd)).unwrap();
    wait_for("the reader", Duration::from_secs(5), || {
        g.tmux(&["capture-pane", "-p", "-t", &pane])
            .contains("ready")
    });
    b.paste_text(&pane, "hi\nyo", true).unwrap();
    wait_for("the paste", Duration::from_secs(5), || {
        read(&out).len() >= 17
    });
    assert_eq!(read(&out), "\x1b[200~hi\ryo\x1b[201~");
}

#[test]
fn ctrl_c_in_text_is_refused_and_never_interrupts_the_agent() {
    let g = Guard::started();
    let flag = g.path("interrupted");
    let cmd = format!(
        "trap 'echo INT > {}' INT; echo ready; while :; do sleep 0.1; done",
        flag.display()
    );
    for (name, mut b) in [
        (
            "one-shot",
            Box::new(OneShot::new(g.socket.clone())) as Box<dyn TmuxBackend>,
        ),
        (
            "control",
            Box::new(ControlClient::connect(&g.socket).unwrap()),
        ),
    ] {
        let pane = b.new_window(&spec(&format!("i-{name}"), &cmd)).unwrap();
        wait_for("ready", Duration::from_secs(5), || {
            g.tmux(&["capture-pane", "-p", "-t", &pane])
                .contains("ready")
        });
        for text in ["stop\x03now", "\x1b[A", "\x7f"] {
            let err = b.send_text(&pane, text).unwrap_err().to_string();
            assert!(err.contains("nothing was typed"), "{name}: {err}");
            let err = b.paste_text(&pane, text, true).unwrap_err().to_string();
            assert!(err.contains("nothing was typed"), "{name}: {err}");
        }
        std::thread::sleep(Duration::from_millis(400));
        assert!(!flag.exists(), "{name}: the agent was interrupted");
        let screen = g.tmux(&["capture-pane", "-p", "-t", &pane]);
        assert!(
            !screen.contains("stop"),
            "{name}: part of the text was typed: {screen}"
        );
        // Keys by name still interrupt: that is what --keys is for.
        b.send_keys(&pane, &["C-c".to_string()]).unwrap();
        wait_for("the interrupt by key name", Duration::from_secs(5), || {
            flag.exists()
        });
        std::fs::remove_file(&flag).unwrap();
    }
}

#[test]
fn path_and_every_env_entry_reach_the_agent_through_every_backend() {
    let g = Guard::started();
    let backends: Vec<(&str, Box<dyn TmuxBackend>)> = vec![
        ("one-shot", Box::new(OneShot::new(g.socket.clone()))),
        (
            "control",
            Box::new(ControlClient::connect(&g.socket).unwrap()),
        ),
        ("watched", Box::new(Watched::connect(&g.socket).unwrap())),
    ];
    for (name, mut b) in backends {
        let out = g.path(&format!("env-{name}"));
        let mut s = spec(
            &format!("env-{name}"),
            &format!("echo \"$PATH|$SHOAL_T_FOO\" > {}; sleep 100", out.display()),
        );
        s.env = vec![
            ("PATH".into(), "/opt/shoal-test/bin:/usr/bin:/bin".into()),
            ("SHOAL_T_FOO".into(), "bar baz".into()),
        ];
        let started = b.open_window(&s).unwrap_or_else(|e| panic!("{name}: {e}"));
        wait_for(
            &format!("{name}: env written"),
            Duration::from_secs(5),
            || read(&out).ends_with('\n'),
        );
        assert_eq!(
            read(&out),
            "/opt/shoal-test/bin:/usr/bin:/bin|bar baz\n",
            "{name}"
        );
        // The pid new-window printed is the pane's, as the listing says.
        let listed = b.list_panes().unwrap();
        let p = listed
            .iter()
            .find(|p| p.pane_id == started.pane_id)
            .unwrap();
        assert_eq!(p.pid, started.pid, "{name}");
        assert!(Path::new(&format!("/proc/{}", started.pid)).exists());
    }
}

#[test]
fn a_start_that_cannot_work_says_why_and_opens_no_window() {
    let g = Guard::started();
    let windows = || g.tmux(&["list-windows", "-a"]).lines().count();
    let before = windows();
    for (name, mut b) in [
        (
            "one-shot",
            Box::new(OneShot::new(g.socket.clone())) as Box<dyn TmuxBackend>,
        ),
        (
            "control",
            Box::new(ControlClient::connect(&g.socket).unwrap()),
        ),
    ] {
        let err = b
            .open_window(&spec("nul", "echo a\0b"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("NUL byte"), "{name}: {err}");
        let mut gone = spec("gone", "true");
        gone.cwd = Some(PathBuf::from("/nonexistent/shoal-cwd"));
        let err = b.open_window(&gone).unwrap_err().to_string();
        assert!(err.contains("does not exist"), "{name}: {err}");
    }
    let big = format!("echo {}", "x".repeat(20_000));
    let err = OneShot::new(g.socket.clone())
        .open_window(&spec("big", &big))
        .unwrap_err()
        .to_string();
    assert!(err.contains("move the command into a script"), "{err}");
    assert_eq!(windows(), before);
}
