use super::*;
use crate::fleet::{Activity, Caller, Command, EventKind, KilledBy, LifeState, Request};
use std::collections::BTreeMap;

fn agent(name: &str, seq: i64) -> AgentRecord {
    AgentRecord {
        name: name.into(),
        parent: None,
        kind: "shell".into(),
        cmd: "bash".into(),
        cwd: None,
        task: Some("do it".into()),
        env: BTreeMap::from([("K".to_string(), "V".to_string())]),
        stall_timeout_ms: 5000,
        paused: false,
        on_idle: None,
        seq,
        created_ms: 1,
    }
}

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("f.sqlite")).unwrap();
    (dir, store)
}

#[test]
fn agents_and_attempts_survive_reopen() {
    let (dir, store) = open();
    assert!(store.upsert_agent(&agent("b", 1)).unwrap());
    assert!(store.upsert_agent(&agent("a", 0)).unwrap());
    let mut changed = agent("a", 0);
    changed.cmd = "zsh".into();
    assert!(
        !store.upsert_agent(&changed).unwrap(),
        "second upsert is an update"
    );
    let att = AttemptRecord {
        agent: "a".into(),
        attempt: 1,
        pane: Some("%3".into()),
        state: LifeState::Running,
        activity: Activity::NeedsInput,
        tier: Tier::Warn,
        last_progress_ms: 42,
        ..Default::default()
    };
    store.save_attempt(&att).unwrap();
    store
        .save_attempt(&AttemptRecord {
            attempt: 2,
            state: LifeState::Starting,
            ..att.clone()
        })
        .unwrap();
    drop(store);

    let store = Store::open(&dir.path().join("f.sqlite")).unwrap();
    let names: Vec<_> = store
        .agents()
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["a", "b"], "declaration order");
    let a = store.agent("a").unwrap().unwrap();
    assert_eq!(a.cmd, "zsh");
    assert_eq!(a.env.get("K").map(String::as_str), Some("V"));
    let current = store.current_attempts().unwrap();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].attempt, 2);
    assert_eq!(current[0].state, LifeState::Starting);
    let all = store.attempts("a").unwrap();
    assert_eq!(all[0], att, "every field round-trips");
}

#[test]
fn events_filter_by_agent_and_keep_their_capture() {
    let (_dir, store) = open();
    let cap = store
        .insert_capture(5, "a", 1, "death", "final screen")
        .unwrap();
    let nudge = EventKind::Nudged {
        stalled_s: 1,
        failed: None,
    };
    let warn = EventKind::Warned { stalled_s: 2 };
    let kill = EventKind::Killed {
        by: KilledBy::Ladder { stalled_s: 3 },
        note: None,
    };
    for (agent, kind) in [("a", nudge), ("b", warn), ("a", kill)] {
        let capture_id = (kind.name() == "kill").then_some(cap);
        store
            .insert_event(&NewEvent {
                tier: Some(Tier::Nudge),
                capture_id,
                ..NewEvent::agent(10, agent, 1, kind)
            })
            .unwrap();
    }
    let a: Vec<_> = store.events(Some("a"), 0, 100).unwrap();
    assert_eq!(
        a.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["nudge", "kill"]
    );
    assert!(a[1].has_capture && !a[0].has_capture);
    assert_eq!(store.event_capture_id(a[1].id).unwrap(), Some(cap));
    assert_eq!(store.capture(cap).unwrap().as_deref(), Some("final screen"));
    let after = store.events(None, a[0].id, 100).unwrap();
    assert_eq!(after.len(), 2);
}

#[test]
fn commands_are_claimed_exactly_once() {
    let (dir, store) = open();
    let other = Store::open(&dir.path().join("f.sqlite")).unwrap();
    let tty = Some("/dev/pts/3".to_string());
    let req = Request::new(
        Command::Nudge { agent: "a".into() },
        Caller::Operator { tty },
    );
    let id = store.enqueue_command(&req, 1).unwrap();
    let first = store.claim_commands().unwrap();
    let second = other.claim_commands().unwrap();
    assert_eq!(first.len(), 1);
    assert!(
        second.is_empty(),
        "a claimed command is not handed out again"
    );
    assert_eq!(first[0].1, Ok(req), "the caller travels with the command");
    store.finish_command(id, &Ok("nudged a".into()), 2).unwrap();
    assert_eq!(
        other.command_status(id).unwrap(),
        Some(("done".to_string(), Some("nudged a".to_string())))
    );
}

#[test]
fn lease_refuses_a_live_holder_and_takes_a_stale_one() {
    let (_dir, store) = open();
    let me = std::process::id();
    assert!(store.try_lease(me, 1000, 5000).unwrap().is_ok());
    // Another pid asks while we beat: refused, and told who holds it.
    let holder = store.try_lease(me + 1, 2000, 5000).unwrap().unwrap_err();
    assert_eq!(holder.pid, me);
    // Heartbeat went stale: the lease can be taken over.
    assert!(store.try_lease(me + 1, 10_000, 5000).unwrap().is_ok());
    assert_eq!(store.lease().unwrap().unwrap().pid, me + 1);
}

#[test]
fn a_lease_taken_over_fences_off_its_old_holder() {
    let (_dir, store) = open();
    let me = std::process::id();
    let mine = store.try_lease(me, 1000, 5000).unwrap().unwrap();
    assert!(store.heartbeat(mine, 1500, 1).unwrap());
    assert!(store.holds(mine).unwrap());
    // We stalled past staleness; another supervisor took over.
    let theirs = store.try_lease(me + 1, 10_000, 5000).unwrap().unwrap();
    assert_eq!(theirs.epoch, mine.epoch + 1);
    // Back from the stall: the heartbeat says the lease is gone, and nothing we do
    // touches theirs.
    assert!(!store.heartbeat(mine, 10_500, 2).unwrap());
    assert!(!store.holds(mine).unwrap());
    store.release_lease(mine).unwrap();
    let h = store.lease().unwrap().unwrap();
    assert_eq!((h.pid, h.epoch), (me + 1, theirs.epoch));
    // The same pid taking it again (a restarted process) still gets a new epoch.
    let again = store.try_lease(me + 1, 11_000, 5000).unwrap().unwrap();
    assert_eq!(again.epoch, theirs.epoch + 1);
    assert!(!store.holds(theirs).unwrap());
}

#[test]
fn a_file_that_is_not_a_store_is_reported_as_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.sqlite");
    std::fs::write(&path, vec![0x42u8; 8192]).unwrap();
    let err = Store::open(&path).err().expect("junk must not open");
    let text = err.to_string();
    assert!(text.contains("damaged or not a shoal store"), "{text}");
    assert!(text.contains("junk.sqlite"), "{text}");
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.sqlite");
    drop(Store::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = Store::open(&path).err().expect("newer schema refused");
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
}

#[test]
fn processes_opening_a_new_store_at_once_do_not_trip_over_the_migration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("race.sqlite");
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let p = path.clone();
            std::thread::spawn(move || Store::open(&p).map(|_| ()).map_err(|e| e.to_string()))
        })
        .collect();
    for h in handles {
        h.join().unwrap().expect("every opener succeeds");
    }
    assert!(Store::open(&path).unwrap().agents().unwrap().is_empty());
}

#[test]
fn nothing_from_a_screen_reaches_the_file_unredacted() {
    let (dir, store) = open();
    store.upsert_agent(&agent("a", 0)).unwrap();
    let secret = "ghp_0123456789abcdefABCDEF0123456789abcd";
    let pem = crate::logs::redact::tests::PEM;
    let key_line = pem.lines().nth(2).unwrap();
    let quote = format!("needs-input by rule `x` on line 2: «export TOKEN={secret}»");
    store
        .write(|s| {
            let mut att = AttemptRecord {
                agent: "a".into(),
                attempt: 1,
                reason: Some(quote.clone()),
                ..Default::default()
            };
            s.save_attempt(&att)?;
            att.reason = Some(format!("again {secret}"));
            s.save_attempt(&att)?;
            s.insert_capture(1, "a", 1, "death", &format!("$ cat k\n{pem}\n{secret}"))?;
            s.insert_event(&NewEvent {
                rule: Some(quote.clone()),
                ..NewEvent::agent(
                    2,
                    "a",
                    1,
                    EventKind::TaskTyped {
                        task: format!("working → needs-input {secret}"),
                    },
                )
            })?;
            s.insert_signal(&NewSignal {
                ts_ms: 3,
                agent: "a".into(),
                attempt: 1,
                kind: crate::fleet::SignalKind::Blocked,
                message: format!("need a new key, {secret} expired"),
                parent: None,
            })?;
            // The key arrives as separate output lines, as the supervisor logs it.
            let lines: Vec<crate::logs::NewLog> = pem
                .lines()
                .map(|l| crate::logs::NewLog::output(4, "a", 1, l.to_string()))
                .collect();
            s.insert_logs(&lines)
        })
        .unwrap();
    let ev = store.events(Some("a"), 0, 10).unwrap();
    assert_eq!(
        ev[0].rule.as_deref(),
        Some("needs-input by rule `x` on line 2: «export TOKEN=[REDACTED]»")
    );
    assert_eq!(
        store.current_attempts().unwrap()[0].reason.as_deref(),
        Some("again ghp_[REDACTED]")
    );
    drop(store);
    // Every byte of the store, its WAL and shared memory included.
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    let text = String::from_utf8_lossy(&bytes);
    for leaked in [&secret[4..20], &key_line[..24], "u3Nw8Qh0QsFAFhE5"] {
        assert!(!text.contains(leaked), "{leaked:?} is in the store file");
    }
    assert!(text.contains("BEGIN RSA PRIVATE KEY"), "the armour stays");
}

#[test]
fn an_agents_on_idle_is_kept_and_a_redeclaration_may_drop_it() {
    let (_dir, store) = open();
    let mut a = agent("a", 0);
    a.on_idle = Some(crate::fleet::OnIdle::Nudge);
    store.upsert_agent(&a).unwrap();
    assert_eq!(
        store.agent("a").unwrap().unwrap().on_idle,
        Some(crate::fleet::OnIdle::Nudge)
    );
    a.on_idle = None;
    store.upsert_agent(&a).unwrap();
    assert_eq!(store.agent("a").unwrap().unwrap().on_idle, None);
}

#[test]
fn an_attempts_retries_are_kept() {
    let (dir, store) = open();
    store.upsert_agent(&agent("a", 0)).unwrap();
    store
        .save_attempt(&AttemptRecord {
            agent: "a".into(),
            attempt: 1,
            retries: 3,
            ..Default::default()
        })
        .unwrap();
    drop(store);
    let store = Store::open(&dir.path().join("f.sqlite")).unwrap();
    assert_eq!(store.attempts("a").unwrap()[0].retries, 3);
}
