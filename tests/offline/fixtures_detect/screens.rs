//! Every recorded screen reads as its expected.toml says, through `shoal detect`'s own
//! report: activity, error kind, the keys that answer a dialog, what the composer holds,
//! whether the CLI is ready for input, and whether the capture is torn. Proof-of-life
//! digests stay equal across a hang and differ across streaming.

use super::{expected, profile, registry, Expected, CLIS};
use shoal::fleet::Activity;
use shoal::profile::{detect_report, DetectReport};
use std::collections::{BTreeMap, BTreeSet};

fn report(e: &Expected) -> DetectReport {
    let bytes = std::fs::read(e.path()).unwrap_or_else(|err| panic!("{}: {err}", e.label()));
    detect_report(registry(), Some(&e.kind), &e.label(), &bytes)
}

/// What is wrong with one screen's report, if anything.
fn check(e: &Expected, r: &DetectReport) -> Vec<String> {
    let mut wrong = Vec::new();
    let name = e.label();
    let torn = e.torn;
    if r.torn != torn {
        wrong.push(format!("{name}: torn {} (want {torn})", r.torn));
    }
    if torn {
        // A torn capture is evidence of nothing: no activity, no keys, no composer.
        return wrong;
    }
    if r.activity != e.activity || r.error != e.error {
        wrong.push(format!(
            "{name}: want {} {:?}, got {} {:?} — {}",
            e.activity, e.error, r.activity, r.error, r.explanation
        ));
    }
    if r.approve_keys != e.approve || r.deny_keys != e.deny {
        wrong.push(format!(
            "{name}: keys approve {:?} deny {:?}, want {:?} {:?}",
            r.approve_keys, r.deny_keys, e.approve, e.deny
        ));
    }
    if e.strict {
        if r.composer != e.composer {
            wrong.push(format!(
                "{name}: composer {:?}, want {:?}",
                r.composer, e.composer
            ));
        }
        if r.ready_for_input != e.ready {
            wrong.push(format!(
                "{name}: ready for input {}, want {}",
                r.ready_for_input, e.ready
            ));
        }
    }
    wrong
}

#[test]
fn every_recorded_screen_is_detected_as_expected() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for e in expected() {
        let r = report(e);
        checked += 1;
        failures.extend(check(e, &r));
        // The profile's own functions agree with the report.
        let p = profile(&e.kind);
        let screen = e.screen();
        assert_eq!(p.is_torn(&screen), r.torn, "{}", e.label());
        assert_eq!(p.composer_text(&screen), r.composer, "{}", e.label());
        assert_eq!(
            p.ready_for_input(&screen),
            r.ready_for_input,
            "{}",
            e.label()
        );
    }
    assert!(checked >= 250, "only {checked} screens checked");
    assert!(
        failures.is_empty(),
        "{} of {checked} screens wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every state the lab produces is recorded for every CLI, and every file is labelled.
#[test]
fn every_cli_has_every_state_and_every_file_a_label() {
    const STATES: &[&str] = &[
        "startup_idle",
        "composer_typed",
        "working",
        "approval_prompt",
        "after_approve",
        "done_idle",
        "composer_pasted",
        "pasted_submitted",
        "text_idle",
        "ctrl_c_once",
        "exited",
        "after_deny",
        "hang_a",
        "hang_b",
        "working_hang",
        "interrupted",
        "streaming",
        "stream_a",
        "stream_b",
        "ratelimit_early",
        "ratelimit_error",
        "auth_early",
        "auth_error",
        "overloaded_early",
        "overloaded_error",
        "working_80x24",
        "working_60x20",
        "approval_80x24",
        "approval_60x20",
        "not_installed",
    ];
    let mut labelled: BTreeMap<(bool, &str), BTreeSet<String>> = BTreeMap::new();
    for e in expected() {
        assert!(e.path().is_file(), "{} is listed but missing", e.label());
        labelled
            .entry((e.strict, &e.kind))
            .or_default()
            .insert(format!("{}.{}", e.state, e.ext));
    }
    let mut missing = Vec::new();
    for cli in CLIS {
        let have = &labelled[&(true, cli)];
        for state in STATES {
            for ext in ["txt", "ansi"] {
                if !have.contains(&format!("{state}.{ext}")) {
                    missing.push(format!("{cli}/{state}.{ext}"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "states not recorded: {missing:?}");
    for ((strict, kind), names) in &labelled {
        let e = expected()
            .iter()
            .find(|e| e.strict == *strict && e.kind == *kind)
            .unwrap();
        let dir = e.dir.join(kind);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let file = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                names.contains(&file),
                "{}/{file} has no entry in expected.toml",
                dir.display()
            );
        }
    }
}

#[test]
fn proof_of_life_stays_equal_across_a_hang_and_moves_with_a_stream() {
    // (set, kind, pair) → [(label, digest)], leaving out torn captures: the supervisor
    // skips those (they show nothing reliable), so they never count as progress.
    let mut groups: BTreeMap<(bool, String, String), Vec<(String, String)>> = BTreeMap::new();
    let mut torn_in_hangs = 0;
    for e in expected() {
        let Some(pair) = &e.progress_pair else {
            continue;
        };
        let screen = e.screen();
        let p = profile(&e.kind);
        assert_eq!(p.is_torn(&screen), e.torn, "{}", e.label());
        if e.torn {
            torn_in_hangs += 1;
            continue;
        }
        groups
            .entry((e.strict, e.kind.clone(), format!("{pair}.{}", e.ext)))
            .or_default()
            .push((e.label(), p.progress_digest(&screen)));
    }
    assert!(
        torn_in_hangs > 0,
        "the recorded hangs hold no torn capture any more"
    );
    let mut failures = Vec::new();
    let mut seen = BTreeSet::new();
    for ((strict, kind, pair), shots) in &groups {
        assert!(shots.len() >= 2, "{kind}/{pair}: {shots:?}");
        if *strict {
            seen.insert(format!("{kind}/{pair}"));
        }
        let distinct: BTreeSet<&String> = shots.iter().map(|s| &s.1).collect();
        let show = |label: &str| {
            let e = expected().iter().find(|e| e.label() == label).unwrap();
            profile(&e.kind).progress_text(&e.screen())
        };
        if pair.starts_with("hang") && distinct.len() != 1 {
            failures.push(format!(
                "{kind}: a hang hashes differently:\n{}\n--- vs ---\n{}",
                show(&shots[0].0),
                show(&shots[1].0)
            ));
        }
        if pair.starts_with("stream") && distinct.len() != shots.len() {
            failures.push(format!(
                "{kind}: a stream of new text hashes the same: {shots:?}"
            ));
        }
    }
    for cli in super::CLIS {
        for pair in ["hang.txt", "hang.ansi", "stream.txt", "stream.ansi"] {
            if !seen.contains(&format!("{cli}/{pair}")) {
                failures.push(format!("no recorded {cli}/{pair}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The same hang seen with and without ANSI escapes gives the same digest: the supervisor
/// captures with colours, `shoal detect` is often given plain text.
#[test]
fn progress_digest_ignores_colours() {
    for cli in CLIS {
        let p = profile(cli);
        for state in ["working_hang", "done_idle", "approval_prompt"] {
            let plain = p.progress_text(&super::fixture(cli, state, "txt"));
            let ansi = p.progress_text(&super::fixture(cli, state, "ansi"));
            assert_eq!(plain, ansi, "{cli}/{state}");
        }
    }
}

/// The progress region is the transcript: what the chrome shows (status, timers, the
/// footer, a draft in the composer) is not progress; a new transcript line is.
#[test]
fn the_chrome_is_not_progress() {
    for cli in ["claude", "codex", "gemini"] {
        let p = profile(cli);
        let idle = super::fixture(cli, "done_idle", "txt");
        let typed = super::fixture(cli, "composer_pasted", "txt");
        assert_eq!(
            p.progress_digest(&idle),
            p.progress_digest(&typed),
            "{cli}: a draft typed into the composer is not progress"
        );
        let start = p.chrome_start(&idle).expect("a chrome on an idle screen");
        let mut lines: Vec<&str> = idle.lines().collect();
        lines.insert(start, "  a new line of output");
        let more = lines.join("\n");
        assert_ne!(p.progress_digest(&idle), p.progress_digest(&more), "{cli}");
        assert_eq!(p.classify(&more).activity, Activity::Idle, "{cli}");
    }
}

/// What confirmed delivery reads: typed and pasted text shows in the composer (a long
/// paste as the CLI's placeholder), an emptied composer means the CLI took it, and a
/// dialog has no composer to type into.
#[test]
fn the_composer_holds_what_was_typed() {
    let long: Vec<String> = (1..=18)
        .map(|i| format!("Step {i}: check the build output of module {i} and fix what fails, then run the tests again."))
        .collect();
    let long = long.join("\n");
    for cli in CLIS {
        let p = profile(cli);
        let at = |state: &str| super::fixture(cli, state, "ansi");
        let holds = |state: &str, text: &str| p.composer_holds(&at(state), text);
        assert_eq!(
            holds("composer_typed", "Create a marker file in this directory"),
            Some(true),
            "{cli}"
        );
        assert_eq!(
            holds("composer_pasted", "Say hello\nin one short line"),
            Some(true),
            "{cli}"
        );
        assert_eq!(holds("composer_long_paste", &long), Some(true), "{cli}");
        assert_eq!(
            holds("composer_typed", "Something else entirely"),
            Some(false),
            "{cli}"
        );
        assert_eq!(
            holds("done_idle", "Create a marker file"),
            Some(false),
            "{cli}"
        );
        assert_eq!(
            holds("approval_prompt", "y"),
            None,
            "{cli}: a dialog has no composer"
        );
        assert!(
            p.bracketed_paste(),
            "{cli}: a two-line paste stayed in the composer"
        );
    }
    // The Enter that Gemini CLI dropped: the line is still there to be submitted again.
    let g = profile("gemini");
    let dropped = super::fixture("gemini", "typed_enter_back_to_back", "txt");
    assert_eq!(
        g.composer_holds(&dropped, "Say hello once more please"),
        Some(true)
    );
    assert!(!g.ready_for_input(&dropped));
}

/// States in the order the README's table lists them.
const TABLE_ORDER: &[&str] = &[
    "startup_idle",
    "composer_typed",
    "composer_pasted",
    "composer_long_paste",
    "working",
    "working_80x24",
    "working_60x20",
    "streaming",
    "stream_a",
    "stream_b",
    "hang_a",
    "hang_b",
    "working_hang",
    "approval_prompt",
    "approval_80x24",
    "approval_60x20",
    "after_approve",
    "after_deny",
    "done_idle",
    "pasted_submitted",
    "text_idle",
    "typed_enter_back_to_back",
    "interrupted",
    "ratelimit_early",
    "ratelimit_error",
    "ratelimit_keep_trying",
    "ratelimit_stopped",
    "auth_early",
    "auth_error",
    "overloaded_early",
    "overloaded_error",
    "ctrl_c_once",
    "exited",
    "not_installed",
    "torn_redraw",
    "torn_footer",
];

/// The README's table: per state and CLI, what the screen shows and whether `shoal
/// detect` reads every capture of it right (activity, error, keys, composer, readiness,
/// torn).
fn detection_table() -> String {
    let mut out = String::from(
        "| state | Claude Code 2.1.197 | Codex 0.169.0 | Gemini CLI 0.61.0 | aider 0.86.2 |\n",
    );
    out.push_str("| --- | --- | --- | --- | --- |\n");
    let mut listed = BTreeSet::new();
    for state in TABLE_ORDER {
        let mut row = format!("| `{state}` |");
        for cli in CLIS {
            let shots: Vec<&Expected> = expected()
                .iter()
                .filter(|e| e.strict && e.kind == cli && e.state == *state)
                .collect();
            if shots.is_empty() {
                row.push_str(" – |");
                continue;
            }
            listed.insert((cli, *state));
            let right = shots.iter().all(|e| check(e, &report(e)).is_empty());
            let e = shots.iter().find(|e| !e.torn).unwrap_or(&shots[0]);
            let mut what = if shots.iter().all(|e| e.torn) {
                "torn".to_string()
            } else {
                e.activity.to_string()
            };
            if let Some(err) = e.error.or_else(|| shots.iter().find_map(|s| s.error)) {
                what.push_str(&format!(" ({err})"));
            }
            if shots.iter().any(|e| e.torn) && !shots.iter().all(|e| e.torn) {
                what.push_str(", one capture torn");
            }
            row.push_str(&format!(" {} {what} |", if right { "✓" } else { "✗" }));
        }
        out.push_str(&row);
        out.push('\n');
    }
    for e in expected().iter().filter(|e| e.strict) {
        assert!(
            listed.contains(&(e.kind.as_str(), e.state.as_str())),
            "{} is missing from the table order",
            e.label()
        );
    }
    out
}

/// The README's detection table is what detection does today.
#[test]
fn the_readme_table_is_current() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let (start, end) = (
        "<!-- detection-table:start -->\n",
        "<!-- detection-table:end -->",
    );
    let from = readme
        .find(start)
        .expect("README has the detection table markers")
        + start.len();
    let to = readme[from..].find(end).expect("end marker") + from;
    let table = detection_table();
    assert!(
        readme[from..to] == table,
        "README's detection table is out of date; replace it with:\n{table}"
    );
}

/// `shoal detect` itself, run over every recorded capture of each CLI at once, reports
/// exactly what the checks above were made on.
#[test]
fn the_detect_command_reports_every_capture_the_same() {
    for cli in CLIS {
        let shots: Vec<&Expected> = expected()
            .iter()
            .filter(|e| e.strict && e.kind == cli)
            .collect();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_shoal"))
            .args(["detect", "--json", "--kind", cli])
            .args(shots.iter().map(|e| e.path()))
            .output()
            .expect("run shoal detect");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(got.len(), shots.len(), "{cli}");
        for (e, json) in shots.iter().zip(&got) {
            let mut want = serde_json::to_value(report(e)).unwrap();
            want["name"] = json["name"].clone();
            assert_eq!(json, &want, "{}", e.label());
            assert!(check(e, &report(e)).is_empty(), "{}", e.label());
        }
    }
}
