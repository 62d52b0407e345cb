//! Security through the real binary and real tmux. Commands typed into an agent's pane
//! act only on that agent's subtree whatever the environment claims, and every attempt
//! is recorded with the real caller; a fresh data directory is private; secrets an agent
//! prints never reach the store, the CLI's JSON, `detect` or a notification hook; text
//! typed into panes (send, steer, task, env, cwd) arrives literally.

use crate::common::{Rig, SHOAL};
use serde_json::Value;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static RUNS: AtomicU32 = AtomicU32::new(0);

/// tmux on the rig's fleet server (the test's own private server).
fn tmux(rig: &Rig, args: &[&str]) -> String {
    let out = Command::new("tmux")
        .args(["-L", &rig.socket(), "-f", "/dev/null"])
        .args(args)
        .output()
        .expect("tmux");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Type `line` into a fleet pane's shell and wait for it to finish; returns its exit
/// status and output. `{out}` and `{rc}` in `line` name the files it must write; a line
/// without them gets both redirections appended.
fn in_pane(rig: &Rig, pane: &str, line: &str) -> (i32, String) {
    let n = RUNS.fetch_add(1, Ordering::SeqCst);
    let out = rig.dir.path().join(format!("out{n}"));
    let rc = rig.dir.path().join(format!("rc{n}"));
    let q = |p: &Path| format!("'{}'", p.display());
    let typed = if line.contains("{rc}") {
        line.replace("{out}", &q(&out)).replace("{rc}", &q(&rc))
    } else {
        format!("{line} > {} 2>&1; echo $? > {}", q(&out), q(&rc))
    };
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
            "`{line}` did not finish in pane {pane}; screen:\n{}",
            tmux(rig, &["capture-pane", "-p", "-t", pane])
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn last_line(s: &str) -> &str {
    s.trim_end().lines().last().unwrap_or("")
}

fn pane_of(rig: &Rig, agent: &str) -> String {
    rig.agent(agent)["pane"].as_str().unwrap().to_string()
}

fn wait_agent(rig: &Rig, agent: &str, what: &str, f: impl Fn(&Value) -> bool) -> Value {
    rig.wait_for(Duration::from_secs(30), what, || {
        Some(rig.agent(agent)).filter(|a| f(a))
    })
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn an_agent_acts_only_within_its_subtree_from_its_pane_whatever_its_environment_says() {
    let work = tempfile::tempdir().unwrap();
    let d = work.path().display().to_string();
    std::fs::write(
        work.path().join("appr.sh"),
        format!("while true; do read -r -p 'Deploy now? [y/N] ' a; echo \"answer: $a\" >> '{d}/appr.txt'; done\n"),
    )
    .unwrap();
    let agents = format!(
        r#"
[[agent]]
name = "lead"
cmd = "bash --norc --noprofile"
kind = "shell"

[[agent]]
name = "victim"
parent = "lead"
cmd = "cat >> '{d}/victim.txt'"
kind = "shell"

[[agent]]
name = "appr"
parent = "lead"
cmd = "bash '{d}/appr.sh'"
kind = "shell"

[[agent]]
name = "mallory"
cmd = "bash --norc --noprofile"
kind = "shell"
"#
    );
    let mut rig = Rig::new(
        "poll_interval = \"200ms\"\nstall_timeout = \"10m\"\nnudge_message = \"nudged-by-lead\"",
        &agents,
    );
    rig.ok(&["up", "--no-console"]);
    rig.supervise();
    for a in ["lead", "mallory"] {
        wait_agent(&rig, a, &format!("{a} at its prompt"), |v| {
            v["activity"] == "idle"
        });
    }
    wait_agent(&rig, "appr", "appr's dialog", |v| {
        v["activity"] == "needs-input"
    });

    // A fresh SHOAL_HOME: the directory 0700, the store and its journal files 0600.
    let home = rig.home();
    assert_eq!(mode(&home), 0o700, "{}", home.display());
    let files: Vec<_> = std::fs::read_dir(&home)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(files.len() >= 3, "store, -wal and -shm: {files:?}");
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }

    let mp = pane_of(&rig, "mallory");
    let lp = pane_of(&rig, "lead");
    let fleet = rig.fleet_path().display().to_string();
    let no_reach = |verb: &str, target: &str, nothing: &str| {
        format!("mallory cannot {verb} {target}: an agent may only {verb} its own descendants (mallory has no descendants); nothing was {nothing}")
    };
    // (command line typed in mallory's pane, the agent the refusal is about, verb, message)
    let mut cases: Vec<(String, &str, &str, String)> = Vec::new();
    for (verb, args, target, nothing) in [
        ("send", "send victim -- from-mallory", "victim", "sent"),
        ("steer", "steer victim -- from-mallory", "victim", "sent"),
        ("nudge", "nudge victim", "victim", "sent"),
        ("pause", "pause victim", "victim", "done"),
        ("resume", "resume victim", "victim", "done"),
        ("kill", "kill victim", "victim", "done"),
        ("cancel", "cancel victim", "victim", "done"),
        ("retry", "retry victim", "victim", "done"),
        ("approve", "approve appr", "appr", "sent"),
        ("deny", "deny appr", "appr", "sent"),
    ] {
        cases.push((
            format!("{SHOAL} {args}"),
            target,
            verb,
            no_reach(verb, target, nothing),
        ));
    }
    let kill = no_reach("kill", "victim", "done");
    let approve = no_reach("approve", "appr", "sent");
    // The environment tricks: unset, claim the parent, strip every variable and name the
    // fleet file, leave the process chain (double fork).
    cases.extend([
        (format!("env -u SHOAL_AGENT {SHOAL} kill victim"), "victim", "kill", kill.clone()),
        (format!("SHOAL_AGENT=lead {SHOAL} kill victim"), "victim", "kill", kill.clone()),
        (format!("SHOAL_AGENT=lead {SHOAL} approve appr"), "appr", "approve", approve.clone()),
        (
            format!("env -u SHOAL_AGENT -u SHOAL_FLEET -u TMUX -u TMUX_PANE {SHOAL} -f '{fleet}' kill victim"),
            "victim",
            "kill",
            kill.clone(),
        ),
        (
            format!("(sh -c \"env -u SHOAL_AGENT {SHOAL} kill victim > {{out}} 2>&1; echo \\$? > {{rc}}\" &)"),
            "victim",
            "kill",
            kill.clone(),
        ),
        (
            format!("{SHOAL} spawn evil --parent lead -- sleep 60"),
            "lead",
            "spawn",
            "mallory can only spawn into its own subtree: --parent \"lead\" is neither mallory nor one of its descendants".into(),
        ),
        (
            format!("{SHOAL} inbox --agent lead"),
            "lead",
            "inbox",
            "mallory cannot read lead's inbox; an agent reads its own (drop --agent)".into(),
        ),
        (
            format!("{SHOAL} adopt --server default"),
            "mallory",
            "adopt",
            "mallory cannot run `shoal adopt` from its pane: only the operator brings panes under supervision; nothing was done".into(),
        ),
        (
            SHOAL.to_string(),
            "mallory",
            "console",
            "mallory cannot open the console from its pane: the console acts with the operator's powers; `shoal status` shows the fleet".into(),
        ),
        (
            format!("{SHOAL} down"),
            "mallory",
            "down",
            "mallory cannot run `shoal down` from its pane: only the operator stops the whole fleet; nothing was done".into(),
        ),
    ]);
    let mut want: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (line, about, verb, msg) in &cases {
        let (code, out) = in_pane(&rig, &mp, line);
        assert_eq!(code, 1, "`{line}` from mallory's pane: {out}");
        assert_eq!(last_line(&out), format!("shoal: {msg}"), "`{line}`");
        if line.contains("SHOAL_AGENT=lead") {
            assert_eq!(
                out.lines().next().unwrap(),
                format!("shoal: SHOAL_AGENT=lead is ignored: this command runs as agent mallory#1 (pane {mp})")
            );
        }
        let detail = format!("agent mallory#1 (pane {mp}) {verb}: {msg}");
        *want.entry(((*about).to_string(), detail)).or_default() += 1;
    }
    // Every attempt is on record, naming mallory and her pane.
    let mut got: BTreeMap<(String, String), usize> = BTreeMap::new();
    for about in ["victim", "appr", "lead", "mallory"] {
        for e in rig.events(about) {
            let detail = e["detail"].as_str().unwrap_or("");
            if e["kind"] == "refused" && detail.contains("mallory") {
                *got.entry((about.to_string(), detail.to_string()))
                    .or_default() += 1;
            }
        }
    }
    assert_eq!(got, want);
    // And nothing happened to anyone.
    assert!(
        !work.path().join("victim.txt").exists()
            || std::fs::read_to_string(work.path().join("victim.txt"))
                .unwrap()
                .is_empty()
    );
    assert!(!work.path().join("appr.txt").exists());
    let v = rig.agent("victim");
    assert_eq!(
        (
            v["state"].as_str(),
            v["attempt"].as_u64(),
            v["paused"].as_bool()
        ),
        (Some("running"), Some(1), Some(false))
    );
    assert_eq!(rig.agent("appr")["activity"], "needs-input");
    assert!(!rig.status().iter().any(|a| a["name"] == "evil"));

    // From lead's pane the same commands reach its children.
    let ok = |line: &str| {
        let (code, out) = in_pane(&rig, &lp, &format!("{SHOAL} {line}"));
        assert_eq!(code, 0, "`{line}` from lead's pane: {out}");
        out
    };
    ok("send victim -- from-lead");
    ok("steer victim -- steered-by-lead");
    ok("nudge victim");
    rig.wait_for(Duration::from_secs(10), "victim's three lines", || {
        let got = std::fs::read_to_string(work.path().join("victim.txt")).unwrap_or_default();
        (got == "from-lead\nsteered-by-lead\nnudged-by-lead\n").then_some(())
    });
    ok("pause victim");
    assert_eq!(rig.agent("victim")["paused"], true);
    ok("resume victim");
    assert_eq!(rig.agent("victim")["paused"], false);
    ok("approve appr");
    wait_agent(&rig, "appr", "appr's next dialog", |v| {
        v["activity"] == "needs-input"
    });
    ok("deny appr");
    rig.wait_for(Duration::from_secs(10), "appr's answers", || {
        let got = std::fs::read_to_string(work.path().join("appr.txt")).unwrap_or_default();
        (got == "answer: y\nanswer: n\n").then_some(())
    });
    ok("cancel victim");
    wait_agent(&rig, "victim", "victim cancelled", |v| {
        v["state"] == "cancelled"
    });
    ok("retry victim");
    wait_agent(&rig, "victim", "victim's second attempt", |v| {
        v["attempt"] == 2 && v["state"] == "running"
    });
    ok("kill victim");
    wait_agent(&rig, "victim", "victim killed", |v| v["state"] == "killed");
    ok("spawn kid --parent victim -- sleep 60");
    assert_eq!(rig.agent("kid")["parent"], "victim");
    ok("inbox");
    let sent = rig
        .events("victim")
        .into_iter()
        .find(|e| e["kind"] == "send")
        .expect("a send event");
    assert_eq!(
        sent["detail"],
        format!("agent lead#1 (pane {lp}): typed a line into victim")
    );
    // The fleet-wide verbs stay the operator's, whoever's pane it is.
    let (code, out) = in_pane(&rig, &lp, &format!("{SHOAL} down"));
    assert_eq!(code, 1);
    assert_eq!(last_line(&out), "shoal: lead cannot run `shoal down` from its pane: only the operator stops the whole fleet; nothing was done");
}

/// One line of each kind of secret, and a part of it that must never be seen again.
const SECRETS: &[(&str, &str)] = &[
    (
        "anthropic sk-ant-api03-Qx7Lm2Pz9Rk4Tn6Vb8Wc1Yd3Fg5Hj0Kl",
        "Qx7Lm2Pz9Rk4Tn6Vb8Wc",
    ),
    (
        "openai sk-proj-Zr8Yt6Uw4Ei2Oq0Pa9Sd7Fg5Hk3Jl1Mn",
        "Zr8Yt6Uw4Ei2Oq0Pa9Sd",
    ),
    (
        "github ghp_Ab3De5Gh7Jk9Mn2Pq4St6Vw8Yz0Bc1Df3Gh5",
        "Ab3De5Gh7Jk9Mn2Pq4St",
    ),
    (
        "fine-grained github_pat_11AAAAAAA0Bb2Cc4Dd6Ee8Ff_Gg1Hh3Ii5Jj7Kk9",
        "Bb2Cc4Dd6Ee8Ff_Gg1Hh3",
    ),
    (
        "gitlab glpat-Rt5Yu7Io9Pa1Sd3Fg5Hj7K",
        "Rt5Yu7Io9Pa1Sd3Fg5Hj7",
    ),
    (
        "slack xoxb-2048-4096-Lk9Jh7Gf5Ds3Az1Xc",
        "Lk9Jh7Gf5Ds3Az1Xc",
    ),
    ("aws key AKIAZ7Q3W9E5R1T8Y2U4 in use", "Z7Q3W9E5R1T8Y2U4"),
    (
        "aws_secret_access_key=Wq3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz1Xc3Vb5Nm7",
        "Wq3Er5Ty7Ui9Op1As3Df",
    ),
    (
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5LXRlc3QifQ.Sg4Kd8Lp2Mq6Nr0Ts4Uv8Wx2",
        "eyJzdWIiOiJtYWxsb3J5",
    ),
    ("login password=Tr0ub4dor3xQ ok", "Tr0ub4dor3xQ"),
    ("secret=Mz8Nx6Bc4Vl2", "Mz8Nx6Bc4Vl2"),
    ("token=Pq7Rs5Tu3Vw1", "Pq7Rs5Tu3Vw1"),
    (
        "clone https://alice:Ha9Kd7Lp5Ms3@git.example.com/r.git",
        "Ha9Kd7Lp5Ms3",
    ),
];

const KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACBq7Vr2Wm4Xn6Yo8Zp0Aq2Bs4Ct6Du8Ev0Fw2Gx4Hy6IzAAAAJj8Kp1mPyqd
ZgAAAAtzc2gtZWQyNTUxOQ==
-----END OPENSSH PRIVATE KEY-----";

fn needles() -> Vec<String> {
    let mut n: Vec<String> = SECRETS.iter().map(|(_, k)| (*k).to_string()).collect();
    n.extend(KEY.lines().skip(1).take(3).map(|l| l[..16].to_string()));
    n
}

fn assert_clean(what: &str, text: &str) {
    for n in needles() {
        assert!(!text.contains(&n), "{what} holds the secret {n:?}");
    }
}

#[test]
fn secrets_an_agent_prints_never_leave_the_redactor() {
    let work = tempfile::tempdir().unwrap();
    let d = work.path();
    let lines: Vec<&str> = SECRETS.iter().map(|(l, _)| *l).collect();
    std::fs::write(d.join("secrets.txt"), lines.join("\n") + "\n").unwrap();
    std::fs::write(d.join("key.pem"), format!("{KEY}\n")).unwrap();
    // Each secret as the last line (quoted by the shell profile's rule) between prompts,
    // the key, a password prompt holding a token (a needs-input notification), then all
    // of it on the final screen of a failed attempt.
    std::fs::write(
        d.join("leak.sh"),
        format!(
            r#"D='{}'
while IFS= read -r line; do printf '%s\n' "$line"; sleep 0.6; printf '$ '; sleep 0.6; printf '\n'; done < "$D/secrets.txt"
cat "$D/key.pem"; sleep 1
printf 'sudo password for glpat-Rt5Yu7Io9Pa1Sd3Fg5Hj7K: '
read -r -t 6 pw
printf '\n'; cat "$D/secrets.txt"; sleep 1
exit 3
"#,
            d.display()
        ),
    )
    .unwrap();
    let rig = Rig::new(
        "poll_interval = \"200ms\"\nstall_timeout = \"10m\"",
        &format!(
            "[[agent]]\nname = \"leaky\"\ncmd = \"bash '{}/leak.sh'\"\nkind = \"shell\"\n",
            d.display()
        ),
    );
    let config = rig.dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    let hook = d.join("hook.jsonl");
    std::fs::write(
        config.join("config.toml"),
        format!(
            "[notify]\non = [\"needs-input\", \"errored\", \"exited\"]\nbell = false\ncommand = \"cat >> '{}'\"\n",
            hook.display()
        ),
    )
    .unwrap();
    // The console (with its notifications) runs in a terminal of its own.
    let op = Operator {
        socket: format!("shoal-secop-{}", std::process::id()),
    };
    op.tmux(&[
        "new-session",
        "-d",
        "-x",
        "160",
        "-y",
        "45",
        "-e",
        &format!("SHOAL_HOME={}", rig.home().display()),
        "-e",
        &format!("SHOAL_CONFIG={}", config.display()),
        &format!("{SHOAL} -f '{}' up; sleep 600", rig.fleet_path().display()),
    ]);
    let end = rig.wait_for(Duration::from_secs(90), "leaky to end", || {
        let out = rig.shoal(&["status", "--json", "--all"]);
        let v: Value = serde_json::from_slice(&out.stdout).ok()?;
        let a = v.as_array()?.iter().find(|a| a["name"] == "leaky")?.clone();
        (a["state"] == "failed").then_some(a)
    });
    rig.wait_for(Duration::from_secs(15), "the exit notification", || {
        std::fs::read_to_string(&hook)
            .ok()
            .filter(|h| h.contains("\"exited\""))
            .map(drop)
    });

    // The whole store: the database, its WAL and its shared memory, byte for byte.
    let mut bytes = Vec::new();
    for e in std::fs::read_dir(rig.home()).unwrap() {
        bytes.extend(std::fs::read(e.unwrap().path()).unwrap());
    }
    assert_clean("the store file", &String::from_utf8_lossy(&bytes));

    let events = rig.ok(&["events", "--json"]);
    assert_clean("shoal events", &events);
    assert!(
        events.contains("[REDACTED]"),
        "the events quoted the screen:\n{events}"
    );
    let status = rig.ok(&["status", "--json", "--all"]);
    assert_clean("status --json", &status);
    let final_screen = end["final_screen"].as_str().unwrap_or("");
    assert!(
        final_screen.contains("-----BEGIN OPENSSH PRIVATE KEY-----")
            && final_screen.contains("ghp_[REDACTED]"),
        "the final screen is kept, redacted:\n{final_screen}"
    );
    let logs = rig.shoal(&["logs", "--json", "--limit", "10000"]);
    let logs_out = String::from_utf8_lossy(&logs.stdout).into_owned();
    assert_clean("logs --json", &logs_out);
    for kept in [
        "sk-ant-api03-[REDACTED]",
        "github_pat_[REDACTED]",
        "password=[REDACTED]",
    ] {
        assert!(logs_out.contains(kept), "{kept} in the log:\n{logs_out}");
    }
    assert!(
        String::from_utf8_lossy(&logs.stderr).contains("may contain what agents printed"),
        "an export says what it holds"
    );
    let hooked = std::fs::read_to_string(&hook).unwrap();
    assert_clean("the notification hook's input", &hooked);
    assert!(
        hooked.contains("needs-input") && hooked.contains("glpat-[REDACTED]"),
        "{hooked}"
    );

    // `detect` on saved screens whose last line is each secret.
    let mut files = Vec::new();
    for (i, line) in lines
        .iter()
        .chain(["sudo password for glpat-Rt5Yu7Io9Pa1Sd3Fg5Hj7K: "].iter())
        .enumerate()
    {
        let f = d.join(format!("screen{i}.txt"));
        std::fs::write(&f, format!("$ run\n{line}\n")).unwrap();
        files.push(f.display().to_string());
    }
    let mut args = vec!["detect", "--kind", "shell", "--json"];
    args.extend(files.iter().map(String::as_str));
    let detect = rig.ok(&args);
    assert_clean("detect --json", &detect);
    assert!(detect.contains("[REDACTED]"), "{detect}");
}

/// The console's terminal: a private tmux server, killed when the test ends.
struct Operator {
    socket: String,
}

impl Operator {
    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

/// Deterministic text built from tmux format, key and command syntax and shell syntax.
fn fuzzed(n: usize, seed: u64) -> Vec<String> {
    const ATOMS: &[&str] = &[
        "#{",
        "}",
        "#{pane_id}",
        "#(touch pwned)",
        ";",
        "\\;",
        "\\",
        "\\\\",
        "C-c",
        "Escape",
        "Enter",
        "'",
        "\"",
        "$(touch pwned)",
        "`id`",
        "$HOME",
        "%",
        "-l",
        "--",
        " ",
        "~",
        "&&",
        "|",
        "{}",
        "#",
        "##",
        "%begin 1 2 1",
        "é✻",
        "Tab",
        "M-x",
        "^C",
    ];
    let mut x = seed;
    let mut next = || {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) as usize
    };
    (0..n)
        .map(|_| {
            let k = 1 + next() % 6;
            let s: String = (0..k).map(|_| ATOMS[next() % ATOMS.len()]).collect();
            // A line must hold something visible: tmux types, the terminal echoes.
            if s.trim().is_empty() {
                "x".into()
            } else {
                s
            }
        })
        .collect()
}

#[test]
fn send_steer_task_env_and_cwd_reach_the_pane_literally() {
    let work = tempfile::tempdir().unwrap();
    let d = work.path();
    let hostile_dir = d.join("a #{pane_id} ; $(touch pwned) 'q'");
    std::fs::create_dir(&hostile_dir).unwrap();
    let env_value = "$(touch pwned) #{pane_id} ; `id` \\ %";
    let task = "task #{pane_id};C-c Escape \\; $(touch pwned)";
    let toml_str = |s: &str| serde_json::to_string(s).unwrap();
    let agents = format!(
        r#"
[[agent]]
name = "lead"
cmd = "printf '%s|%s\n' \"$HOSTILE\" \"$PWD\" >> '{d}/lead.txt'; printf '> '; exec cat >> '{d}/lead.txt'"
cwd = {cwd}
kind = "shell"
task = {task}
env = {{ HOSTILE = {env} }}

[[agent]]
name = "kid"
parent = "lead"
cmd = "exec cat >> '{d}/kid.txt'"
kind = "shell"
"#,
        d = d.display(),
        cwd = toml_str(&hostile_dir.display().to_string()),
        task = toml_str(task),
        env = toml_str(env_value),
    );
    let mut rig = Rig::new(
        "poll_interval = \"200ms\"\nstall_timeout = \"10m\"",
        &agents,
    );
    rig.ok(&["up", "--no-console"]);
    // env and cwd arrive as values, the task as typed text.
    let lead_file = d.join("lead.txt");
    let want_lead = format!("{env_value}|{}\n{task}\n", hostile_dir.display());
    rig.wait_for(Duration::from_secs(20), "lead's env, cwd and task", || {
        let got = std::fs::read_to_string(&lead_file).unwrap_or_default();
        (got == want_lead).then_some(())
    });
    wait_agent(&rig, "kid", "kid running", |v| v["state"] == "running");

    let kid_file = d.join("kid.txt");
    let mut want = String::new();
    let check = |rig: &Rig, want: &str| {
        rig.wait_for(Duration::from_secs(20), "kid's lines", || {
            let got = std::fs::read_to_string(&kid_file).unwrap_or_default();
            (got.len() >= want.len()).then_some(())
        });
        assert_eq!(std::fs::read_to_string(&kid_file).unwrap(), want);
    };
    // Without a supervisor the command acts itself (one tmux process per call) …
    for text in fuzzed(10, 1) {
        rig.ok(&["send", "kid", "--", &text]);
        want.push_str(&text);
        want.push('\n');
    }
    check(&rig, &want);
    // … with one, it is queued and typed through the supervisor's control client …
    rig.supervise();
    for text in fuzzed(10, 2) {
        rig.ok(&["send", "kid", "--", &text]);
        want.push_str(&text);
        want.push('\n');
    }
    // … and a steering parent's text goes the same way.
    for text in fuzzed(6, 3) {
        let out = Command::new(SHOAL)
            .args(["steer", "kid", "--", &text])
            .current_dir(rig.dir.path())
            .env("SHOAL_HOME", rig.home())
            .env("SHOAL_FLEET", &rig.name)
            .env("SHOAL_AGENT", "lead")
            .env("SHOAL_CONFIG", rig.dir.path().join("config"))
            .env_remove("TMUX")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        want.push_str(&text);
        want.push('\n');
    }
    check(&rig, &want);
    assert!(
        !d.join("pwned").exists()
            && !hostile_dir.join("pwned").exists()
            && !rig.dir.path().join("pwned").exists()
    );
}

#[test]
fn names_a_shell_or_tmux_would_read_are_refused() {
    use shoal::fleet::file::check_name;
    for ok in ["lead", "a_1", "Worker-2", "_x", "9lives"] {
        assert_eq!(check_name(ok), Ok(()), "{ok}");
    }
    for bad in [
        "",
        "a;b",
        "a b",
        "$(id)",
        "`id`",
        "#{pane_id}",
        "a:b",
        "a.b",
        "a/b",
        "-rf",
        "a\nb",
        "a'b",
        "a\"b",
        "%1",
        "@1",
        "é",
        "_shoal",
        &"x".repeat(65),
    ] {
        assert!(check_name(bad).is_err(), "{bad:?} must be refused");
    }
}
