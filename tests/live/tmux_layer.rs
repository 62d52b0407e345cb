//! The tmux layer against a real tmux server: every test starts its own server on a
//! private socket and a guard kills that server (and only it) at the end, even on panic.

use crate::common::unique;
use shoal::tmux::{
    attach_argv, ControlClient, OneShot, PaneInfo, PaneState, Server, TmuxBackend, TmuxError,
    WindowSpec, KEEPER_WINDOW,
};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A private tmux server, killed by socket name when the test ends.
struct Guard {
    socket: String,
}

impl Guard {
    fn new() -> Self {
        Guard {
            socket: unique("shoal-tmux"),
        }
    }

    /// A fresh server with the shoal session at 200x50.
    fn started() -> Self {
        let guard = Self::new();
        guard.server().ensure_started(200, 50).expect("start tmux");
        guard
    }

    fn server(&self) -> Server {
        Server::new(self.socket.clone())
    }

    /// Raw tmux, outside the code under test.
    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run tmux");
        assert!(out.status.success(), "tmux {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        // tmux 3.3a leaves its socket file behind; it is this test's alone.
        let _ = std::fs::remove_file(socket_path(&self.socket));
    }
}

/// Where `tmux -L name` puts its socket: `$TMUX_TMPDIR/tmux-UID/name`.
fn socket_path(name: &str) -> PathBuf {
    let uid = std::fs::metadata("/proc/self").map_or(0, |m| m.uid());
    let dir = std::env::var_os("TMUX_TMPDIR").unwrap_or_else(|| "/tmp".into());
    Path::new(&dir).join(format!("tmux-{uid}")).join(name)
}

/// Both backends on the same server; the control client is dropped before the guard.
fn backends(guard: &Guard) -> Vec<(&'static str, Box<dyn TmuxBackend>)> {
    vec![
        ("one-shot", Box::new(OneShot::new(guard.socket.clone()))),
        (
            "control",
            Box::new(ControlClient::connect(&guard.socket).expect("connect control client")),
        ),
    ]
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

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(30));
    }
}

fn capture(backend: &mut dyn TmuxBackend, pane: &str) -> String {
    backend
        .capture_panes(&[pane.to_string()])
        .expect("capture")
        .pop()
        .flatten()
        .expect("pane exists")
}

fn wait_for_text(backend: &mut dyn TmuxBackend, pane: &str, text: &str) -> String {
    let mut screen = String::new();
    wait_until(&format!("{text:?} in pane {pane}"), || {
        screen = capture(backend, pane);
        screen.contains(text)
    });
    screen
}

fn pane<'a>(panes: &'a [PaneInfo], id: &str) -> &'a PaneInfo {
    panes
        .iter()
        .find(|p| p.pane_id == id)
        .unwrap_or_else(|| panic!("pane {id} not listed in {panes:?}"))
}

#[test]
fn ensure_started_is_idempotent_and_sizes_panes() {
    let guard = Guard::new();
    let server = guard.server();
    assert!(!server.is_running());
    server.ensure_started(200, 50).expect("first start");
    server.ensure_started(200, 50).expect("second start");
    assert!(server.is_running());
    assert_eq!(
        guard.tmux(&["list-sessions", "-F", "#{session_name}"]),
        "shoal\n"
    );
    assert_eq!(
        guard.tmux(&["show-options", "-gv", "remain-on-exit"]),
        "on\n"
    );

    let mut tmux = OneShot::new(guard.socket.clone());
    let panes = tmux.list_panes().unwrap();
    assert_eq!(panes.len(), 1, "{panes:?}");
    assert_eq!(panes[0].window_name, KEEPER_WINDOW);
    assert!(!panes[0].dead);
    let id = tmux.new_window(&spec("sized", "sleep 100")).unwrap();
    for p in tmux.list_panes().unwrap() {
        assert_eq!(
            (p.width, p.height),
            (200, 50),
            "{} is not 200x50",
            p.pane_id
        );
    }
    assert!(id.starts_with('%'));
}

#[test]
fn kill_stops_the_server_and_is_fine_twice() {
    let guard = Guard::started();
    let server = guard.server();
    server.kill().expect("kill");
    assert!(!server.is_running());
    server.kill().expect("kill a stopped server");
}

#[test]
fn check_installed_reports_the_version() {
    let version = Server::check_installed().expect("tmux is installed here");
    assert!(
        version.starts_with(|c: char| c.is_ascii_digit()),
        "{version:?}"
    );
}

#[test]
fn new_window_passes_env_and_cwd() {
    let guard = Guard::started();
    let root = tempfile::tempdir().unwrap();
    for (kind, mut tmux) in backends(&guard) {
        // A directory name tmux would otherwise expand or split.
        let dir = root.path().join(format!("{kind} #{{x}} ; 'q' $HOME"));
        std::fs::create_dir(&dir).unwrap();
        let mut s = spec(
            "envcwd",
            "printf 'X=%s OTHER=%s\\n' \"$SHOAL_X\" \"$OTHER\"; pwd; echo end; sleep 100",
        );
        s.cwd = Some(dir.clone());
        s.env = vec![
            ("SHOAL_X".into(), "1".into()),
            ("OTHER".into(), "b;".into()),
        ];
        let id = tmux.new_window(&s).unwrap();
        let screen = wait_for_text(tmux.as_mut(), &id, "end");
        assert!(
            screen.contains("X=1 OTHER=b;"),
            "{kind}: env missing:\n{screen}"
        );
        assert!(
            screen.contains(&format!("{}\n", dir.display())),
            "{kind}: pane does not run in {dir:?}:\n{screen}"
        );
    }
}

#[test]
fn pane_options_come_back_in_list_panes() {
    let guard = Guard::started();
    for (kind, mut tmux) in backends(&guard) {
        let mut s = spec(&format!("{kind}-win"), "sleep 100");
        s.agent = format!("{kind}-agent #{{pane_id}};");
        s.attempt = 3;
        let id = tmux.new_window(&s).unwrap();
        let panes = tmux.list_panes().unwrap();
        let p = pane(&panes, &id);
        assert_eq!(p.window_name, format!("{kind}-win"), "{kind}");
        assert_eq!(p.agent.as_deref(), Some(s.agent.as_str()), "{kind}");
        assert_eq!(p.attempt, Some(3), "{kind}");
        assert!(p.pid > 0 && !p.dead, "{kind}: {p:?}");
        let keeper = panes
            .iter()
            .find(|p| p.window_name == KEEPER_WINDOW)
            .unwrap();
        assert_eq!((keeper.agent.as_deref(), keeper.attempt), (None, None));
    }
}

/// tmux 3.3a sometimes leaves a pane that exits at once unreaped, with no status, until
/// another child of the server exits. A listing must never show a pane dead without its
/// status, so each pane here is the newest when it dies (nothing else reaps it).
#[test]
fn exited_panes_show_dead_with_their_status() {
    let guard = Guard::started();
    for (kind, mut tmux) in backends(&guard) {
        for n in 0..16 {
            let started = Instant::now();
            let id = tmux
                .new_window(&spec(&format!("exits{n}"), "sh -c 'exit 3'"))
                .unwrap();
            let mut status = None;
            wait_until(&format!("{kind}: pane {id} dead"), || {
                let p = pane(&tmux.list_panes().unwrap(), &id).clone();
                status = p.dead_status;
                p.dead
            });
            assert_eq!(status, Some(3), "{kind}: pane {id} dead without its status");
            if n == 0 {
                println!("{kind}: pane dead after {:?}", started.elapsed());
            }
        }
    }
}

#[test]
fn a_pane_killed_by_a_signal_reports_128_plus_the_signal() {
    let guard = Guard::started();
    for (kind, mut tmux) in backends(&guard) {
        let id = tmux.new_window(&spec("victim", "sleep 100")).unwrap();
        let pid = pane(&tmux.list_panes().unwrap(), &id).pid;
        let killed = Command::new("kill").args(["-9", &pid.to_string()]).status();
        assert!(killed.unwrap().success());
        let mut status = None;
        wait_until(&format!("{kind}: pane {id} dead"), || {
            let p = pane(&tmux.list_panes().unwrap(), &id).clone();
            status = p.dead_status;
            p.dead
        });
        assert_eq!(status, Some(137), "{kind}");
    }
}

#[test]
fn capture_contains_a_printed_line_with_colours() {
    let guard = Guard::started();
    for (kind, mut tmux) in backends(&guard) {
        let id = tmux
            .new_window(&spec(
                "printer",
                "printf 'plain-%s \\033[31mred\\033[0m\\n' 42; sleep 100",
            ))
            .unwrap();
        let screen = wait_for_text(tmux.as_mut(), &id, "plain-42");
        assert!(
            screen.contains("\u{1b}[31mred"),
            "{kind}: no colour in {screen:?}"
        );
    }
}

#[test]
fn capture_of_a_killed_pane_is_none_among_live_ones() {
    let guard = Guard::started();
    for (kind, mut tmux) in backends(&guard) {
        let mut ids = Vec::new();
        for n in 0..3 {
            let cmd = format!("echo alive-{kind}-{n}; sleep 100");
            ids.push(tmux.new_window(&spec(&format!("c{n}"), &cmd)).unwrap());
        }
        wait_for_text(tmux.as_mut(), &ids[2], &format!("alive-{kind}-2"));
        tmux.kill_pane(&ids[1]).unwrap();
        tmux.kill_pane(&ids[1])
            .expect("killing a gone pane is fine");
        let screens = tmux.capture_panes(&ids).unwrap();
        assert_eq!(screens.len(), 3, "{kind}");
        assert!(screens[0]
            .as_deref()
            .unwrap()
            .contains(&format!("alive-{kind}-0")));
        assert_eq!(screens[1], None, "{kind}: killed pane captured");
        assert!(screens[2]
            .as_deref()
            .unwrap()
            .contains(&format!("alive-{kind}-2")));
        assert!(!tmux
            .list_panes()
            .unwrap()
            .iter()
            .any(|p| p.pane_id == ids[1]));
    }
}

const HOSTILE: &[&str] = &[
    "; kill-server",
    "echo hi;",
    "a\\;",
    ";",
    "#{pane_id} #(echo no) ##",
    "$HOME ${HOME} ~ ~/x",
    "{ } {}",
    "\"double\" 'single' it's '",
    "back\\slash \\\\ \\n",
    "-l -- --",
    "Enter C-c Escape",
    "%begin 1 2 1",
    "café ✻ 日本語",
];

#[test]
fn hostile_text_arrives_literally() {
    let guard = Guard::started();
    let dir = tempfile::tempdir().unwrap();
    for (kind, mut tmux) in backends(&guard) {
        let file = dir.path().join(format!("{kind}.txt"));
        let cmd = format!("cat > '{}'", file.display());
        let id = tmux.new_window(&spec("cat", &cmd)).unwrap();
        let mut want = String::new();
        for text in HOSTILE {
            tmux.send_text(&id, text).unwrap();
            tmux.send_keys(&id, &["Enter".to_string()]).unwrap();
            want.push_str(text);
            want.push('\n');
        }
        // A newline inside the text is typed too (as a line feed).
        tmux.send_text(&id, "two\nlines\n").unwrap();
        want.push_str("two\nlines\n");
        wait_until(&format!("{kind}: cat wrote everything"), || {
            std::fs::read_to_string(&file).is_ok_and(|got| got.len() >= want.len())
        });
        assert_eq!(std::fs::read_to_string(&file).unwrap(), want, "{kind}");
        // The operator's view: the terminal echoed each line as typed.
        let screen = capture(tmux.as_mut(), &id);
        for text in HOSTILE {
            assert!(
                screen.contains(text),
                "{kind}: {text:?} not on screen:\n{screen}"
            );
        }
    }
}

#[test]
fn control_quoting_round_trips_option_values() {
    let guard = Guard::started();
    let mut tmux = ControlClient::connect(&guard.socket).unwrap();
    let id = tmux.new_window(&spec("opts", "sleep 100")).unwrap();
    let extra = ["", "\ttab\r", "-x", "two\nlines\n", "\n'\n\"\n"];
    for value in HOSTILE.iter().chain(&extra) {
        let set: Vec<String> = ["set-option", "-p", "-t", &id, "--", "@v", value]
            .map(String::from)
            .to_vec();
        let show: Vec<String> = ["show-options", "-p", "-v", "-t", &id, "@v"]
            .map(String::from)
            .to_vec();
        let replies = tmux.run_batch(&[set, show]).unwrap();
        assert!(replies[0].ok, "set {value:?}: {}", replies[0].text());
        assert_eq!(replies[1].text(), format!("{value}\n"));
    }
    let err = tmux
        .run_batch(&[vec!["display-message".into(), "-p".into(), "a\0b".into()]])
        .unwrap_err();
    assert!(err.to_string().contains("NUL"), "{err}");
    assert!(
        tmux.is_alive(),
        "a refused command must not break the client"
    );
}

#[test]
fn errors_stay_in_their_block() {
    let guard = Guard::started();
    let mut tmux = ControlClient::connect(&guard.socket).unwrap();
    let cmd = |args: &[&str]| args.iter().map(|a| (*a).to_string()).collect::<Vec<_>>();
    let replies = tmux
        .run_batch(&[
            cmd(&["display-message", "-p", "first"]),
            cmd(&["no-such-command"]),
            cmd(&["capture-pane", "-p", "-t", "%999"]),
            cmd(&["display-message", "-p", "last"]),
        ])
        .unwrap();
    assert_eq!(replies.len(), 4);
    assert_eq!(
        (replies[0].ok, replies[0].text().as_str()),
        (true, "first\n")
    );
    assert!(!replies[1].ok && replies[1].text().contains("unknown command"));
    assert!(!replies[2].ok && replies[2].text().contains("%999"));
    assert_eq!(
        (replies[3].ok, replies[3].text().as_str()),
        (true, "last\n")
    );
    let err = tmux.send_keys("%999", &["Enter".into()]).unwrap_err();
    assert!(err.to_string().contains("%999"), "{err}");
}

#[test]
fn control_client_survives_200_pipelined_captures() {
    let guard = Guard::started();
    let mut tmux = ControlClient::connect(&guard.socket).unwrap();
    let ids: Vec<String> = (0..4)
        .map(|n| {
            let cmd = format!("echo pane-{n}; sleep 100");
            tmux.new_window(&spec(&format!("p{n}"), &cmd)).unwrap()
        })
        .collect();
    // Each shell prints in its own time; a loaded machine may run the
    // last one's echo before an earlier one's.
    for (n, id) in ids.iter().enumerate() {
        wait_for_text(&mut tmux, id, &format!("pane-{n}"));
    }
    let batch: Vec<String> = (0..200).map(|i| ids[i % 4].clone()).collect();
    let started = Instant::now();
    let screens = tmux.capture_panes(&batch).unwrap();
    println!("200 pipelined captures in {:?}", started.elapsed());
    assert_eq!(screens.len(), 200);
    for (i, screen) in screens.iter().enumerate() {
        let screen = screen
            .as_deref()
            .unwrap_or_else(|| panic!("capture {i} missing"));
        assert!(
            screen.contains(&format!("pane-{}", i % 4)),
            "capture {i}: {screen:?}"
        );
        assert_eq!(
            screen.lines().count(),
            50,
            "capture {i} is not one whole screen"
        );
    }
    assert!(tmux.is_alive());
    assert_eq!(tmux.list_panes().unwrap().len(), 5);
}

#[test]
fn dead_server_gives_server_down() {
    let guard = Guard::new();
    let err = OneShot::new(guard.socket.clone()).list_panes().unwrap_err();
    assert!(matches!(err, TmuxError::ServerDown { .. }), "{err:?}");
    let err = ControlClient::connect(&guard.socket)
        .err()
        .expect("no server");
    assert!(matches!(err, TmuxError::ServerDown { .. }), "{err:?}");
    assert!(
        !guard.server().is_running(),
        "connecting must not start a server"
    );

    // A server that dies under a connected client.
    guard.server().ensure_started(200, 50).unwrap();
    let mut tmux = ControlClient::connect(&guard.socket).unwrap();
    guard.server().kill().unwrap();
    let err = tmux.list_panes().unwrap_err();
    assert!(matches!(err, TmuxError::ServerDown { .. }), "{err:?}");
    assert!(!tmux.is_alive());
    assert!(err.to_string().contains(&guard.socket), "{err}");
}

#[test]
fn a_wedged_or_killed_client_fails_and_a_new_one_works() {
    let guard = Guard::started();
    let mut tmux = ControlClient::connect(&guard.socket).unwrap();
    tmux.set_timeout(Duration::from_millis(300));
    // `wait-for` holds this client's queue until the channel is signalled: the next
    // command gets no reply.
    let wedge = vec!["wait-for".to_string(), "shoal-never".to_string()];
    let next = vec![
        "display-message".to_string(),
        "-p".to_string(),
        "x".to_string(),
    ];
    let err = tmux.run_batch(&[wedge, next]).unwrap_err();
    assert!(matches!(err, TmuxError::Protocol { .. }), "{err:?}");
    assert!(err.to_string().contains("reconnect"), "{err}");
    assert!(!tmux.is_alive());
    // Late replies must not be taken for the next batch's.
    let err = tmux.list_panes().unwrap_err();
    assert!(matches!(err, TmuxError::Protocol { .. }), "{err:?}");
    drop(tmux);

    let mut tmux = ControlClient::connect(&guard.socket).unwrap();
    let killed = Command::new("kill")
        .args(["-9", &tmux.pid().to_string()])
        .status();
    assert!(killed.unwrap().success());
    // SIGKILL is delivered at once but the process is torn down a moment later (its
    // pipes close then): wait until it is a zombie, as a crash would leave it.
    let stat = format!("/proc/{}/stat", tmux.pid());
    let t0 = Instant::now();
    while std::fs::read_to_string(&stat).is_ok_and(|s| !s.contains(") Z ")) {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "the client outlived SIGKILL"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let err = tmux.list_panes().unwrap_err();
    assert!(matches!(err, TmuxError::Protocol { .. }), "{err:?}");
    assert!(!tmux.is_alive());

    let mut tmux = ControlClient::connect(&guard.socket).unwrap();
    assert_eq!(tmux.list_panes().unwrap().len(), 1);
}

#[test]
fn connect_without_the_shoal_session_says_so() {
    let guard = Guard::new();
    guard.tmux(&["new-session", "-d", "-s", "other", "sleep 100"]);
    let err = ControlClient::connect(&guard.socket)
        .err()
        .expect("no shoal session");
    let text = err.to_string();
    assert!(
        text.contains("can't find session") && text.contains("shoal up"),
        "{text}"
    );
}

fn proc_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn control_client_child_is_gone_after_close_and_drop() {
    let guard = Guard::started();
    let tmux = ControlClient::connect(&guard.socket).unwrap();
    let pid = tmux.pid();
    assert!(proc_exists(pid));
    let started = Instant::now();
    tmux.close();
    println!("close took {:?}", started.elapsed());
    assert!(!proc_exists(pid), "tmux -C child {pid} survived close");

    let tmux = ControlClient::connect(&guard.socket).unwrap();
    let pid = tmux.pid();
    drop(tmux);
    assert!(!proc_exists(pid), "tmux -C child {pid} survived drop");
    assert_eq!(
        guard.tmux(&["list-clients"]),
        "",
        "a client is still attached"
    );
}

#[test]
fn control_attach_does_not_resize_panes() {
    let guard = Guard::started();
    let mut oneshot = OneShot::new(guard.socket.clone());
    let before = oneshot.new_window(&spec("before", "sleep 100")).unwrap();
    let mut tmux = ControlClient::connect(&guard.socket).unwrap();
    let after = tmux.new_window(&spec("after", "sleep 100")).unwrap();
    // Give a resize, if any, time to land before looking.
    std::thread::sleep(Duration::from_millis(200));
    let panes = tmux.list_panes().unwrap();
    for id in [&before, &after] {
        let p = pane(&panes, id);
        assert_eq!(
            (p.width, p.height),
            (200, 50),
            "{id} resized by the control client"
        );
    }
}

#[test]
fn pane_commands_name_the_running_program() {
    let guard = Guard::started();
    let mut tmux = ControlClient::connect(&guard.socket).unwrap();
    let id = tmux.new_window(&spec("sleeper", "sleep 100")).unwrap();
    let mut command = String::new();
    wait_until("pane command", || {
        let cmds = tmux.pane_commands().unwrap();
        command = cmds.into_iter().find(|(p, _)| *p == id).unwrap().1;
        command == "sleep"
    });
}

/// The attach command, run in a pane of a second server standing in for the
/// operator's terminal, shows the agent's pane.
#[test]
fn attach_command_shows_the_agent_pane() {
    let fleet = Guard::started();
    let terminal = Guard::new();
    let mut tmux = OneShot::new(fleet.socket.clone());
    let agent = tmux
        .new_window(&spec("target", "echo attach-target-visible; sleep 100"))
        .unwrap();
    tmux.new_window(&spec("other", "echo other-window; sleep 100"))
        .unwrap();
    let argv = attach_argv(&fleet.socket, &agent);
    let line: Vec<String> = argv.iter().map(|a| format!("'{a}'")).collect();
    terminal.tmux(&[
        "new-session",
        "-d",
        "-s",
        "term",
        "-x",
        "120",
        "-y",
        "40",
        &line.join(" "),
    ]);
    let mut screen = String::new();
    let mut term = OneShot::new(terminal.socket.clone());
    let term_pane = term.list_panes().unwrap()[0].pane_id.clone();
    wait_until("attached client shows the agent", || {
        screen = capture(&mut term, &term_pane);
        screen.contains("attach-target-visible")
    });
    assert!(!screen.contains("other-window"), "{screen}");
}

#[test]
fn the_poll_listing_agrees_with_the_full_listing() {
    let guard = Guard::started();
    for (kind, mut tmux) in backends(&guard) {
        let live = tmux
            .new_window(&spec(&format!("live-{kind}"), "sleep 100"))
            .unwrap();
        let dead = tmux
            .new_window(&spec(&format!("dies-{kind}"), "sh -c 'exit 5'"))
            .unwrap();
        wait_until(&format!("{kind}: pane {dead} dead"), || {
            tmux.poll_panes()
                .unwrap()
                .iter()
                .any(|p| p.pane_id == dead && p.dead_status == Some(5))
        });
        let full: Vec<PaneState> = tmux
            .list_panes()
            .unwrap()
            .into_iter()
            .map(PaneState::from)
            .collect();
        let poll = tmux.poll_panes().unwrap();
        assert_eq!(poll, full, "{kind}");
        let l = poll.iter().find(|p| p.pane_id == live).unwrap();
        assert!(!l.dead && l.window_activity > 0, "{kind}: {l:?}");
    }
}
