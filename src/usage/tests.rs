//! Parsers and readers against transcripts recorded from the real CLIs in the agent lab
//! (`tests/fixtures/usage/`: two plain turns, then a turn with a shell tool call; the
//! mock model reports input 100 / output 20 tokens per answer).

use super::ledger::{FileLedger, Format, UNKNOWN_MODEL};
use super::meter::{AttemptMeter, Source};
use super::prices::PriceTable;
use super::screen::{parse_count, ScreenMeter, AIDER};
use super::Tokens;
use std::io::Write;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/usage")
        .join(name)
}

fn read_all(name: &str, format: Format) -> FileLedger {
    let mut l = FileLedger::new(&fixture(name), format);
    l.refresh().expect("fixture readable");
    l
}

fn t(input: u64, output: u64) -> Tokens {
    Tokens {
        input,
        output,
        ..Tokens::default()
    }
}

#[test]
fn claude_counts_each_message_once_though_a_tool_call_writes_it_twice() {
    // 5 assistant lines, 4 distinct message ids: the tool-call answer is written as a
    // text line and a tool_use line with the same id and usage.
    let l = read_all("claude-session.jsonl", Format::Claude);
    let totals = l.totals();
    assert_eq!(totals.len(), 1, "{totals:?}");
    assert_eq!(totals["claude-opus-4-8"], t(400, 80));
    assert_eq!(l.skipped().0, 0);
}

#[test]
fn codex_takes_the_last_running_total_under_the_turn_model() {
    let l = read_all("codex-rollout.jsonl", Format::Codex);
    assert_eq!(l.totals()["gpt-5.5"], t(400, 80), "{:?}", l.totals());
}

#[test]
fn gemini_counts_a_message_rewritten_by_a_tool_call_once() {
    let l = read_all("gemini-session.jsonl", Format::Gemini);
    assert_eq!(
        l.totals()["gemini-2.5-flash"],
        t(400, 80),
        "{:?}",
        l.totals()
    );
}

#[test]
fn a_malformed_line_is_skipped_counted_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.jsonl");
    let good = std::fs::read_to_string(fixture("claude-session.jsonl")).unwrap();
    let mut lines: Vec<&str> = good.lines().collect();
    lines.insert(3, "{\"type\":\"assistant\",\"message\":{\"usage\":");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let mut l = FileLedger::new(&path, Format::Claude);
    l.refresh().unwrap();
    assert_eq!(l.totals()["claude-opus-4-8"], t(400, 80));
    let (n, note) = l.skipped();
    assert_eq!(n, 1);
    let note = note.unwrap();
    assert!(
        note.contains("s.jsonl") && note.contains("not JSON"),
        "{note}"
    );
}

#[test]
fn reading_is_incremental_and_waits_for_an_unfinished_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rollout-x.jsonl");
    let text = std::fs::read_to_string(fixture("codex-rollout.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let half = lines.len() / 2;
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, "{}", lines[..half].join("\n")).unwrap();
    let mut l = FileLedger::new(&path, Format::Codex);
    l.refresh().unwrap();
    let first = l.totals();
    // The second half arrives in two writes, the first ending mid-line.
    let rest = lines[half..].join("\n") + "\n";
    let (a, b) = rest.split_at(rest.len() / 2);
    write!(f, "{a}").unwrap();
    l.refresh().unwrap();
    write!(f, "{b}").unwrap();
    l.refresh().unwrap();
    assert_eq!(l.totals()["gpt-5.5"], t(400, 80));
    assert_ne!(first, l.totals(), "the first half holds fewer turns");
    assert_eq!(
        l.skipped().0,
        0,
        "a line cut by a read is never taken as malformed"
    );
}

#[test]
fn a_rewritten_shorter_file_is_counted_again_from_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.jsonl");
    std::fs::copy(fixture("gemini-session.jsonl"), &path).unwrap();
    let mut l = FileLedger::new(&path, Format::Gemini);
    l.refresh().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let first_answer = text.lines().take(6).collect::<Vec<_>>().join("\n") + "\n";
    std::fs::write(&path, first_answer).unwrap();
    l.refresh().unwrap();
    assert_eq!(l.totals()["gemini-2.5-flash"], t(100, 20));
}

#[test]
fn claude_without_a_model_counts_as_unknown() {
    let line = r#"{"type":"assistant","message":{"id":"m1","usage":{"input_tokens":5,"output_tokens":2,"cache_read_input_tokens":7,"cache_creation_input_tokens":3}}}"#;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.jsonl");
    std::fs::write(&path, format!("{line}\n{line}\n")).unwrap();
    let mut l = FileLedger::new(&path, Format::Claude);
    l.refresh().unwrap();
    let want = Tokens {
        input: 5,
        output: 2,
        cache_read: 7,
        cache_write: 3,
    };
    assert_eq!(l.totals()[UNKNOWN_MODEL], want);
}

#[test]
fn aider_screen_lines_count_once_as_they_scroll() {
    let screen = std::fs::read_to_string(fixture("aider-screen.txt")).unwrap();
    let mut m = ScreenMeter::new(AIDER).unwrap();
    let fresh = m.observe(&screen);
    assert_eq!(fresh.len(), 2, "two answers on the recorded screen");
    // The same screen again, and then with one line scrolled off the top.
    assert!(m.observe(&screen).is_empty());
    let scrolled: String = screen
        .lines()
        .skip_while(|l| !l.starts_with("Tokens"))
        .skip(1)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(m.observe(&scrolled).is_empty(), "nothing new scrolled in");
    assert_eq!(m.tokens, t(2300 + 2400, 36));
    assert_eq!(
        m.cost(),
        None,
        "the mock model has no price, so aider prints none"
    );
}

#[test]
fn aider_cost_line_with_cache_and_session_cost() {
    let mut m = ScreenMeter::new(AIDER).unwrap();
    let one = "Tokens: 4.2k sent, 312 received. Cost: $0.02 message, $0.10 session.";
    let two = "Tokens: 12k sent, 1.1k cache write, 9.0k cache hit, 1.2M received. Cost: $0.05 message, $0.15 session.";
    m.observe(&format!("> a\n{one}\n"));
    m.observe(&format!("> a\n{one}\n> b\n{two}\n"));
    assert_eq!(
        m.tokens,
        Tokens {
            input: 4200 + 12000 - 1100 - 9000,
            output: 312 + 1_200_000,
            cache_read: 9000,
            cache_write: 1100,
        }
    );
    assert_eq!(m.cost(), Some(0.15));
    assert_eq!(parse_count("42k"), 42_000);
    assert_eq!(parse_count("7"), 7);
}

#[test]
fn source_of_a_kind() {
    assert_eq!(Source::of("claude", None), Source::Files(Format::Claude));
    assert_eq!(
        Source::of("codex-review", None),
        Source::Files(Format::Codex)
    );
    assert_eq!(Source::of("aider", None), Source::Screen(AIDER.into()));
    assert_eq!(Source::of("shell", None), Source::None);
    assert_eq!(
        Source::of("shell", Some("used (?P<sent>\\d+)")),
        Source::Screen("used (?P<sent>\\d+)".into())
    );
}

#[test]
fn an_attempt_finds_its_claude_transcript_through_the_pid_session_file() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let cwd = dir.path().join("work.d");
    let project = home
        .join(".claude/projects")
        .join(super::locate::claude_project_dir(&cwd));
    std::fs::create_dir_all(&project).unwrap();
    std::fs::create_dir_all(home.join(".claude/sessions")).unwrap();
    std::fs::copy(fixture("claude-session.jsonl"), project.join("abc.jsonl")).unwrap();
    // Another session in the same place, e.g. a second agent sharing the workspace.
    std::fs::copy(fixture("claude-session.jsonl"), project.join("other.jsonl")).unwrap();
    std::fs::write(
        home.join(".claude/sessions/4242.json"),
        r#"{"pid":4242,"sessionId":"abc"}"#,
    )
    .unwrap();
    let p = super::locate::ProcEnv {
        pid: 4242,
        home: Some(home.clone()),
        cwd: Some(cwd.clone()),
        ..Default::default()
    };
    let mut m = AttemptMeter::new(Source::Files(Format::Claude), 0, None);
    m.refresh(std::slice::from_ref(&p), &|_| false, None);
    assert_eq!(m.files().count(), 1, "only the session the pid names");
    assert_eq!(m.totals()["claude-opus-4-8"], t(400, 80));
    // Without the pid file, every fresh transcript of the workspace is a candidate.
    std::fs::remove_file(home.join(".claude/sessions/4242.json")).unwrap();
    let mut m = AttemptMeter::new(Source::Files(Format::Claude), 0, None);
    m.refresh(&[p], &|_| false, None);
    assert_eq!(m.files().count(), 2);
}

#[test]
fn files_older_than_the_attempt_are_not_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().to_path_buf();
    let chats = home.join(".gemini/tmp/proj/chats");
    std::fs::create_dir_all(&chats).unwrap();
    std::fs::copy(
        fixture("gemini-session.jsonl"),
        chats.join("session-1.jsonl"),
    )
    .unwrap();
    let p = super::locate::ProcEnv {
        pid: 1,
        home: Some(home),
        ..Default::default()
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let future = now + 3_600_000;
    let mut later = AttemptMeter::new(Source::Files(Format::Gemini), future, None);
    later.refresh(std::slice::from_ref(&p), &|_| false, None);
    assert!(later.totals().is_empty());
    let mut m = AttemptMeter::new(Source::Files(Format::Gemini), 0, None);
    m.refresh(&[p], &|_| false, None);
    assert_eq!(m.totals()["gemini-2.5-flash"], t(400, 80));
}

#[test]
fn prices_cost_and_unknown_models() {
    let p = PriceTable::builtin();
    let cost = p
        .cost("claude-sonnet-4-20250514", &t(1_000_000, 100_000))
        .unwrap();
    assert!((cost - (3.0 + 1.5)).abs() < 1e-9, "{cost}");
    assert!(p.price("claude-sonnet-4-5").is_some());
    assert_eq!(p.cost("mock-model", &t(1, 1)), None);
    assert!(p.price("gpt-5-codex").is_some(), "alias");
}

#[test]
fn price_overrides_replace_builtin_and_errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("prices.toml"),
        "[models.claude-opus-4-8]\ninput = 1.0\noutput = 2.0\nas_of = \"2026-12-01\"\n",
    )
    .unwrap();
    let p = PriceTable::load(dir.path()).unwrap();
    let c = p.cost("claude-opus-4-8", &t(1_000_000, 1_000_000)).unwrap();
    assert!((c - 3.0).abs() < 1e-9);
    std::fs::write(
        dir.path().join("prices.toml"),
        "# mine\n[models.x]\ninput = 1.0\noutput = -2.0\nas_of = \"2026-12-01\"\n",
    )
    .unwrap();
    let e = PriceTable::load(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("prices.toml:4:") && e.contains("output = -2"),
        "{e}"
    );
    std::fs::write(
        dir.path().join("prices.toml"),
        "[models.x]\ninput = 1.0\nouptut = 2\n",
    )
    .unwrap();
    let e = PriceTable::load(dir.path()).unwrap_err().to_string();
    assert!(e.contains("prices.toml:3:") && e.contains("ouptut"), "{e}");
}

#[test]
fn a_round_reports_changes_only_and_gives_a_file_to_one_attempt() {
    use super::worker::{Job, Meters};
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().to_path_buf();
    let chats = home.join(".gemini/tmp/proj/chats");
    std::fs::create_dir_all(&chats).unwrap();
    std::fs::copy(
        fixture("gemini-session.jsonl"),
        chats.join("session-1.jsonl"),
    )
    .unwrap();
    let env = super::locate::ProcEnv {
        pid: 1,
        home: Some(home),
        ..Default::default()
    };
    let job = |agent: &str| Job {
        agent: agent.into(),
        attempt: 1,
        kind: "gemini".into(),
        screen_regex: None,
        started_ms: 0,
        capture: None,
        session_regex: None,
    };
    let procs = [
        ("a".to_string(), vec![env.clone()]),
        ("b".to_string(), vec![env]),
    ]
    .into_iter()
    .collect();
    let mut meters = Meters::default();
    let jobs = [job("a"), job("b")];
    let first = meters.round(&jobs, &procs);
    assert_eq!(
        first.len(),
        1,
        "the shared file goes to one attempt: {first:?}"
    );
    assert_eq!(first[0].agent, "a");
    assert_eq!(first[0].totals["gemini-2.5-flash"], t(400, 80));
    assert!(meters.round(&jobs, &procs).is_empty(), "nothing changed");
}

#[test]
fn a_files_kind_counts_its_screen_fallback_only_while_no_file_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let p = super::locate::ProcEnv {
        pid: 1,
        home: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let screen = "Tokens: 1.0k sent, 10 received.";
    let mut m = AttemptMeter::new(Source::Files(Format::Gemini), 0, Some(AIDER));
    m.refresh(std::slice::from_ref(&p), &|_| false, Some(screen));
    assert_eq!(m.totals()[super::meter::SCREEN_MODEL], t(1000, 10));
    let chats = dir.path().join(".gemini/tmp/proj/chats");
    std::fs::create_dir_all(&chats).unwrap();
    std::fs::copy(
        fixture("gemini-session.jsonl"),
        chats.join("session-1.jsonl"),
    )
    .unwrap();
    m.refresh(&[p], &|_| false, Some(screen));
    let totals = m.totals();
    assert_eq!(
        totals.len(),
        1,
        "the transcript replaces the screen: {totals:?}"
    );
    assert_eq!(totals["gemini-2.5-flash"], t(400, 80));
}

#[test]
fn the_aider_profile_names_the_built_in_screen_pattern() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/profiles/aider.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let p = crate::profile::Profile::from_toml(&path, &text).unwrap();
    assert_eq!(p.usage_screen(), Some(AIDER));
}

#[test]
fn a_codex_round_reports_the_session_id_of_its_newest_rollout() {
    use super::worker::{Job, Meters};
    let dir = tempfile::tempdir().unwrap();
    let codex_home = dir.path().join(".codex");
    let sessions = codex_home.join("sessions/2026/12/03");
    std::fs::create_dir_all(&sessions).unwrap();
    let old = "rollout-2026-12-03T19-40-09-01a23d6b-e15f-7a90-be00-aff5dbbbeb13.jsonl";
    let new = "rollout-2026-12-03T19-52-00-7c0ffee0-e15f-7a90-be00-aff5dbbbeb13.jsonl";
    for name in [old, new] {
        std::fs::copy(fixture("codex-rollout.jsonl"), sessions.join(name)).unwrap();
    }
    let env = super::locate::ProcEnv {
        pid: u32::MAX,
        codex_home: Some(codex_home),
        ..Default::default()
    };
    let discover = crate::profile::Registry::builtin()
        .get("codex")
        .and_then(|p| p.session_args().cloned())
        .and_then(|s| s.discover);
    assert!(
        discover.is_some(),
        "the codex profile discovers its session"
    );
    let job = Job {
        agent: "c".into(),
        attempt: 1,
        kind: "codex".into(),
        screen_regex: None,
        started_ms: 0,
        capture: None,
        session_regex: discover,
    };
    let procs = [("c".to_string(), vec![env])].into_iter().collect();
    let reports = Meters::default().round(&[job], &procs);
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(
        reports[0].session.as_deref(),
        Some("7c0ffee0-e15f-7a90-be00-aff5dbbbeb13")
    );
}
