use super::*;

fn words(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_string()).collect()
}

#[test]
fn any_bytes_survive_the_line_and_a_bad_line_says_why() {
    let args = words(&["signal", "done", "tabs\tnew\nlines 'quotes' ünï", ""]);
    let line = encode_line("tok", "17abc", &args);
    assert!(!line.contains('\n') && !line.contains('\t'), "{line}");
    let back = parse_line(&line).unwrap();
    assert_eq!(
        back,
        Line {
            token: "tok".into(),
            id: "17abc".into(),
            args
        }
    );
    assert!(parse_line("shoal0 t 1 x00").unwrap_err().contains("shoal1"));
    assert!(parse_line("shoal1 t ID x00")
        .unwrap_err()
        .contains("request id"));
    assert!(parse_line("shoal1 t 1 x0").unwrap_err().contains("odd"));
    assert!(parse_line("shoal1 t 1 zz")
        .unwrap_err()
        .contains("start with x"));
    assert!(parse_line("shoal1 t 1 xff").unwrap_err().contains("UTF-8"));
}

#[test]
fn tokens_differ_by_key_agent_and_attempt() {
    let t = token(b"k", "f", "a", 1);
    assert_eq!(t.len(), 32);
    assert_eq!(t, token(b"k", "f", "a", 1));
    assert_ne!(t, token(b"k2", "f", "a", 1));
    assert_ne!(t, token(b"k", "f", "a", 2));
    assert_ne!(t, token(b"k", "f", "b", 1));
    // Parts are length-prefixed: moving a byte between them changes the token.
    assert_ne!(token(b"k", "fa", "b", 1), token(b"k", "f", "ab", 1));
}

#[test]
fn requests_read_like_the_local_commands() {
    assert_eq!(
        parse_request(&words(&["signal", "blocked", "need", "a", "key"])).unwrap(),
        Request::Signal {
            kind: SignalKind::Blocked,
            message: "need a key".into()
        }
    );
    let spawn = parse_request(&words(&[
        "spawn",
        "helper",
        "--cwd",
        "/srv/w",
        "--task=fix it",
        "--env",
        "A=1",
        "--max-children",
        "2",
        "--stall-timeout",
        "5m",
        "--",
        "claude",
        "--model=x",
    ]))
    .unwrap();
    assert_eq!(
        spawn,
        Request::Spawn(SpawnSpec {
            name: "helper".into(),
            cwd: Some("/srv/w".into()),
            task: Some("fix it".into()),
            env: vec![("A".into(), "1".into())],
            max_children: Some(2),
            stall_timeout: Some(Duration::from_secs(300)),
            cmd: words(&["claude", "--model=x"]),
            ..SpawnSpec::default()
        })
    );
    assert_eq!(
        parse_request(&words(&["inbox", "--wait", "30s", "--json"])).unwrap(),
        Request::Inbox {
            agent: None,
            wait: Some(Duration::from_secs(30)),
            json: true
        }
    );
    for (bad, why) in [
        (vec!["kill", "x"], "only signal, spawn and inbox"),
        (vec!["signal", "maybe", "x"], "unknown signal kind"),
        (vec!["signal", "done"], "message is missing"),
        (vec!["spawn", "x"], "command after -- is empty"),
        (vec!["spawn", "x", "y", "--", "z"], "unexpected"),
        (
            vec!["spawn", "x", "--max-children", "0", "--", "z"],
            "--max-children",
        ),
        (
            vec!["spawn", "x", "--bogus", "--", "z"],
            "unknown option --bogus",
        ),
        (vec!["inbox", "--wait"], "--wait needs a value"),
        (vec!["inbox", "extra"], "takes no argument"),
    ] {
        let e = parse_request(&words(&bad)).unwrap_err();
        assert!(e.contains(why), "{bad:?}: {e}");
    }
}

#[test]
fn a_long_answer_is_cut_whole() {
    let r = reply(&Ok("é".repeat(MAX_REPLY_BYTES)));
    assert!(r.len() <= MAX_REPLY_BYTES, "{}", r.len());
    assert!(r.starts_with("ok\n") && r.ends_with("(answer cut at 16 KiB)"));
    assert_eq!(reply(&Err("no".into())), "error\nno");
}

/// The shim, run in a pane of a private tmux server, queues the line the supervisor
/// reads, and prints the answer it finds.
#[test]
fn the_shim_queues_one_line_in_its_own_pane_and_reads_its_answer() {
    let dir = tempfile::tempdir().unwrap();
    let shim = dir.path().join("shoal");
    std::fs::write(&shim, SHIM).unwrap();
    let socket = format!("shoal-shim-{}", std::process::id());
    let tmux = |args: &[&str]| {
        std::process::Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .unwrap()
    };
    let out_file = dir.path().join("out");
    let script = format!(
        "SHOAL_TOKEN=tok sh {} signal done 'all green' > {} 2>&1; echo rc=$? >> {}; sleep 30",
        shim.display(),
        out_file.display(),
        out_file.display()
    );
    tmux(&["new-session", "-d", "-s", "s", "sleep 60"]);
    tmux(&["new-window", "-d", "-t", "s:", &script]);
    let pane = String::from_utf8_lossy(&tmux(&["list-panes", "-a", "-F", "#{pane_id}"]).stdout)
        .lines()
        .last()
        .unwrap()
        .to_string();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let value = loop {
        let out = tmux(&[
            "show-options",
            "-p",
            "-q",
            "-v",
            "-t",
            &pane,
            REQUEST_OPTION,
        ]);
        let v = String::from_utf8_lossy(&out.stdout).into_owned();
        if !v.trim().is_empty() || std::time::Instant::now() > deadline {
            break v;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // Nothing went to the session's other pane.
    let first = tmux(&[
        "show-options",
        "-p",
        "-q",
        "-v",
        "-t",
        "s:0",
        REQUEST_OPTION,
    ]);
    let line = parse_line(value.trim_end_matches('\n'));
    let reply_ok = line.as_ref().is_ok_and(|l| {
        let _ = tmux(&[
            "set-option",
            "-p",
            "-t",
            &pane,
            &format!("{REPLY_PREFIX}{}", l.id),
            &reply(&Ok("recorded".into())),
        ]);
        true
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let printed = loop {
        let text = std::fs::read_to_string(&out_file).unwrap_or_default();
        if text.contains("rc=") || std::time::Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    tmux(&["kill-server"]);
    assert!(first.stdout.is_empty(), "the request went to another pane");
    let line = line.unwrap();
    assert!(reply_ok);
    assert_eq!(line.token, "tok");
    assert_eq!(line.args, words(&["signal", "done", "all green"]));
    assert_eq!(printed, "recorded\nrc=0\n");
}
