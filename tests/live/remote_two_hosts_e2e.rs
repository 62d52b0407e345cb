//! A fleet over two hosts behind two real sshds on localhost (throwaway host keys, one
//! throwaway client key; each sshd gives its sessions their own `TMUX_TMPDIR`, so each
//! "host" has its own tmux servers) and this machine. On each, agents are started,
//! detected, walked up the stall ladder to the kill, and approved from the command line;
//! the attach command line of a remote pane is checked and run in a terminal. Killing
//! one sshd (and its sessions) makes that host's agents `unknown (host down since …)`,
//! never dead or relaunched, while the others carry on; restarting it reconciles the
//! agents with their panes, without duplicates. Opt-in like `remote_sshd_e2e`.

use super::remote_sshd_e2e::{enabled, keygen, user, Sshd};
use crate::common::{unique, Rig};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

const PLACES: [&str; 3] = ["local", "h1", "h2"];

/// The remote tmux servers of the two hosts, killed on drop; and their shared ssh
/// connections, ended.
struct Hosts {
    dirs: Vec<PathBuf>,
    socket: String,
    control: PathBuf,
    ports: Vec<u16>,
}

impl Hosts {
    fn tmux(&self, host: usize, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .env("TMUX_TMPDIR", self.dirs[host].join("tmux"))
            .env_remove("TMUX")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .stderr(Stdio::null())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Hosts {
    fn drop(&mut self) {
        for h in 0..self.dirs.len() {
            let _ = self.tmux(h, &["kill-server"]);
        }
        for port in &self.ports {
            let _ = Command::new("ssh")
                .arg("-o")
                .arg(format!("ControlPath={}/%C", self.control.display()))
                .args(["-O", "exit", "-p", &port.to_string()])
                .arg(format!("{}@127.0.0.1", user()))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

fn agents_text() -> String {
    let mut text = String::new();
    for p in PLACES {
        text += &format!(
            "[[agent]]\nname = \"work-{p}\"\ncmd = \"{{sim}} work --every 300ms\"\nkind = \"claude\"\nhost = \"{p}\"\n\n\
             [[agent]]\nname = \"mute-{p}\"\ncmd = \"{{sim}} silent\"\nkind = \"claude\"\non_idle = \"nudge\"\nhost = \"{p}\"\n\n\
             [[agent]]\nname = \"ask-{p}\"\ncmd = \"{{sim}} approval --after 1s\"\nkind = \"claude\"\nhost = \"{p}\"\n\n"
        );
    }
    text.replace("{sim}", &format!("{} sim-agent", crate::common::SHOAL))
}

fn kinds(rig: &Rig, agent: &str) -> Vec<String> {
    rig.event_kinds(agent)
}

fn count(kinds: &[String], kind: &str) -> usize {
    kinds.iter().filter(|k| *k == kind).count()
}

#[test]
fn two_ssh_hosts_and_this_machine_share_one_fleet_and_a_dropped_host_comes_back() {
    if !enabled() {
        return;
    }
    let mut rig = Rig::new("stall_timeout = \"3s\"\npoll_interval = \"250ms\"", "");
    let base = rig.dir.path().join("hosts");
    let client = base.join("client_key");
    std::fs::create_dir_all(&base).unwrap();
    keygen(&client);
    let dirs: Vec<PathBuf> = (1..=2).map(|n| base.join(format!("h{n}"))).collect();
    let mut sshds: Vec<Sshd> = dirs
        .iter()
        .map(|d| {
            std::fs::create_dir_all(d.join("tmux")).unwrap();
            Sshd::start(
                d,
                &client,
                &format!("SetEnv TMUX_TMPDIR={}\n", d.join("tmux").display()),
            )
        })
        .collect();
    let known = base.join("known_hosts");
    let keys: Vec<u8> = sshds.iter().flat_map(Sshd::host_key_line).collect();
    std::fs::write(&known, keys).unwrap();
    let hosts = Hosts {
        dirs: dirs.clone(),
        socket: rig.socket(),
        control: rig.home().join("ssh"),
        ports: sshds.iter().map(|s| s.port).collect(),
    };
    let mut text = std::fs::read_to_string(&rig.fleet).unwrap();
    for (n, s) in sshds.iter().enumerate() {
        text += &format!(
            "[[host]]\nname = \"h{h}\"\nssh = \"{user}@127.0.0.1\"\nport = {port}\nidentity = \"{key}\"\n\
             ssh_options = [\"UserKnownHostsFile={known}\", \"ConnectTimeout=5\"]\nshoal_home = \"{home}\"\n\n",
            h = n + 1,
            user = user(),
            port = s.port,
            key = client.display(),
            known = known.display(),
            home = dirs[n].join("home").display(),
        );
    }
    text += &agents_text();
    std::fs::write(&rig.fleet, text).unwrap();

    rig.ok(&["up", "--no-console"]);
    rig.supervise();
    for p in PLACES {
        let a = rig.agent(&format!("work-{p}"));
        let want = if p == "local" {
            rig.socket()
        } else {
            format!("{p}:{}", rig.socket())
        };
        assert_eq!(a["server"], want.as_str(), "{a}");
    }
    // Each host's windows are on its own tmux server, none on the others'.
    for (n, h) in ["h1", "h2"].iter().enumerate() {
        let windows = hosts.tmux(n, &["list-windows", "-a", "-F", "#{window_name}"]);
        for p in PLACES {
            assert_eq!(
                windows.contains(&format!("work-{p}")),
                p == *h,
                "{h}: {windows}"
            );
        }
    }

    // A host's panes do not inherit the ssh session's SSH_CLIENT (bash would read
    // ~/.bashrc for every agent command as if ssh had run it).
    let env = hosts.tmux(0, &["show-environment", "-g"]);
    assert!(!env.contains("SSH_CLIENT="), "{env}");
    assert!(env.contains("TMUX_TMPDIR="), "{env}");

    // Detected on every host: working agents work, the approval prompts wait.
    for p in PLACES {
        rig.wait_for(
            Duration::from_secs(30),
            &format!("work-{p} working"),
            || (rig.agent(&format!("work-{p}"))["activity"] == "working").then_some(()),
        );
        rig.wait_for(Duration::from_secs(30), &format!("ask-{p} asking"), || {
            (rig.agent(&format!("ask-{p}"))["activity"] == "needs-input").then_some(())
        });
    }
    // Approved from the command line, through the supervisor, on each host.
    for p in PLACES {
        let name = format!("ask-{p}");
        let out = rig.ok(&["approve", &name]);
        assert!(out.contains(&format!("sent Enter to {name}")), "{out}");
    }
    for p in PLACES {
        let name = format!("ask-{p}");
        rig.wait_for(
            Duration::from_secs(20),
            &format!("{name} back at work"),
            || (rig.agent(&name)["activity"] == "working").then_some(()),
        );
    }
    // The frozen agents walk nudge → warn → kill wherever they run.
    for p in PLACES {
        let name = format!("mute-{p}");
        rig.wait_for(Duration::from_secs(40), &format!("{name} killed"), || {
            (rig.agent(&name)["state"] == "killed").then_some(())
        });
        let k = kinds(&rig, &name);
        assert_eq!(
            (count(&k, "nudge"), count(&k, "warn"), count(&k, "kill")),
            (1, 1, 1),
            "{name}: {k:?}"
        );
    }
    for p in PLACES {
        let a = rig.agent(&format!("work-{p}"));
        assert_eq!(
            (a["state"].as_str(), a["tier"].as_str()),
            (Some("running"), Some("ok")),
            "{a}"
        );
    }

    // The attach command of a pane on h1 rides ssh with a terminal, and shows the pane.
    let fleet = shoal::fleet::file::load(&rig.fleet).unwrap();
    let ssh_hosts = shoal::tmux::ssh::Hosts::for_fleet(&fleet.settings.hosts, &rig.home());
    let work1 = rig.agent("work-h1");
    let pane = work1["pane"].as_str().unwrap().to_string();
    let server = work1["server"].as_str().unwrap().to_string();
    let argv = shoal::tmux::attach_argv(ssh_hosts.server(&server), &pane);
    let line = argv.join(" ");
    assert!(line.starts_with("ssh -t -o BatchMode=yes "), "{line}");
    assert!(
        line.contains(&format!(
            "-p {} -i {} {}@127.0.0.1 -- tmux -u -f /dev/null -L {} select-window -t {pane} ';' attach-session -t {pane}",
            sshds[0].port,
            client.display(),
            user(),
            rig.socket()
        )),
        "{line}"
    );
    assert_attach_shows_the_pane(&argv, "work-h1");

    // h1 drops: its agents are unknown, never dead; the others carry on.
    sshds[0].kill();
    for name in ["work-h1", "ask-h1"] {
        let a = rig.wait_for(Duration::from_secs(30), &format!("{name} unknown"), || {
            let a = rig.agent(name);
            (a["activity"] == "unknown").then_some(a)
        });
        assert!(
            a["note"]
                .as_str()
                .unwrap_or_default()
                .starts_with("host down since "),
            "{a}"
        );
    }
    let table = rig.ok(&["status"]);
    assert!(table.contains("unknown (host down since "), "{table}");
    assert!(table.contains("host h1 unreachable since "), "{table}");
    assert!(!table.contains("host h2 unreachable"), "{table}");
    // Past the stall timeout while down: nothing is done to h1's agents.
    std::thread::sleep(Duration::from_secs(4));
    for name in ["work-h2", "work-local", "ask-h2"] {
        let a = rig.agent(name);
        assert_eq!(a["activity"], "working", "{a}");
        assert!(a["since_progress_s"].as_u64().unwrap_or(99) < 3, "{a}");
    }
    for name in ["work-h1", "ask-h1"] {
        let a = rig.agent(name);
        assert_eq!(
            (a["state"].as_str(), a["attempt"].as_u64()),
            (Some("running"), Some(1)),
            "{a}"
        );
        let k = kinds(&rig, name);
        assert!(
            !k.iter().any(|k| ["nudge", "warn", "kill", "exit", "lost", "restart"].contains(&k.as_str())),
            "{name}: {k:?}"
        );
    }

    // h1 is back: its agents are found in their own panes, none started twice.
    sshds[0].restart();
    for name in ["work-h1", "ask-h1"] {
        let a = rig.wait_for(
            Duration::from_secs(45),
            &format!("{name} seen again"),
            || {
                let a = rig.agent(name);
                (a["activity"] == "working").then_some(a)
            },
        );
        assert_eq!(a["attempt"], 1, "{a}");
        assert!(
            !a["note"].as_str().unwrap_or_default().contains("host down"),
            "{a}"
        );
        assert_eq!(
            count(&kinds(&rig, name), "start"),
            1,
            "{name} started again"
        );
    }
    let windows = hosts.tmux(0, &["list-windows", "-a", "-F", "#{window_name}"]);
    for name in ["work-h1", "ask-h1"] {
        assert_eq!(
            windows.lines().filter(|w| *w == name).count(),
            1,
            "{windows}"
        );
    }
    assert!(!windows.lines().any(|w| w == "mute-h1"), "{windows}");
    assert!(!rig.ok(&["status"]).contains("unreachable"));
}

/// Run the attach command in a terminal (a pane of a private tmux server) and see the
/// agent's window selected in the remote server's status line, above its screen; the
/// terminal's server is killed after.
fn assert_attach_shows_the_pane(argv: &[String], window: &str) {
    let term = unique("term");
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-L", &term, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .stderr(Stdio::null())
            .output()
            .unwrap()
    };
    let mut cmd: Vec<&str> = vec![
        "new-session",
        "-d",
        "-x",
        "160",
        "-y",
        "50",
        "--",
        "env",
        "-u",
        "TMUX",
    ];
    cmd.extend(argv.iter().map(String::as_str));
    tmux(&cmd);
    let t0 = std::time::Instant::now();
    let mut screen = String::new();
    while t0.elapsed() < Duration::from_secs(15) {
        screen = String::from_utf8_lossy(&tmux(&["capture-pane", "-p"]).stdout).into_owned();
        if screen.contains(&format!("{window}*")) && screen.contains("esc to interrupt") {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    tmux(&["kill-server"]);
    assert!(
        screen.contains(&format!("{window}*")) && screen.contains("esc to interrupt"),
        "the attach showed:\n{screen}"
    );
}
