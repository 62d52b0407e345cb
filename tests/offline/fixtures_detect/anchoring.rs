//! Anchoring: dialog words printed by the agent are not a live dialog; answered prompts,
//! busy footers; broken profile files; captures that are huge, binary or not UTF-8.

use super::{fixture, profile, registry, shared};
use shoal::fleet::{Activity, ErrorKind};
use shoal::profile::{detect_report, Problem, Registry};
use std::collections::BTreeMap;
use std::path::Path;

const BAD_PROFILES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/profiles");

// ---------------------------------------------------------------------------------------
// Anchoring: words of a dialog printed by the agent are not a live dialog.
// ---------------------------------------------------------------------------------------

/// A live dialog of `kind`, as it ends a screen, and the same words as an agent would
/// quote them in its output.
struct Phrase {
    kind: &'static str,
    live: &'static str,
    quoted: &'static str,
}

const PHRASES: &[Phrase] = &[
    Phrase {
        kind: "claude",
        live: "@RULE@\n Bash command\n\n   rm -rf build\n\n Do you want to proceed?\n ❯ 1. Yes\n   2. Yes, and don't ask again for rm commands\n   3. No\n\n Esc to cancel · Tab to amend",
        quoted: "● Claude Code will then ask:\n\n   Do you want to proceed?\n   ❯ 1. Yes\n     2. Yes, and always allow access\n     3. No",
    },
    Phrase {
        kind: "claude",
        live: "@RULE@\n Do you want to create notes.md?\n   1. Yes\n   2. Yes, allow all edits during this session\n ❯ 3. No, and tell Claude what to do differently (esc)",
        quoted: "● If I had to create it you would see:\n Do you want to create notes.md?\n ❯ 3. No, and tell Claude what to do differently (esc)",
    },
    Phrase {
        kind: "claude",
        live: "╭──────────────────────────────────────────╮\n│ Do you want to make this edit to main.rs? │\n│ ❯ 1. Yes                                  │\n│   2. No                                   │\n╰──────────────────────────────────────────╯",
        quoted: "● Older versions drew it in a box:\n╭──────────────────────────────────────────╮\n│ Do you want to make this edit to main.rs? │\n│ ❯ 1. Yes                                  │\n│   2. No                                   │\n╰──────────────────────────────────────────╯",
    },
    Phrase {
        kind: "aider",
        live: "touch a.txt\nRun shell command? (Y)es/(N)o/(D)on't ask again [Yes]:",
        quoted: "The prompt reads: Run shell command? (Y)es/(N)o/(D)on't ask again [Yes]:",
    },
    Phrase {
        kind: "aider",
        live: "Add command output to the chat? (Y)es/(N)o/(D)on't ask again [Yes]:",
        quoted: "Add command output to the chat? (Y)es/(N)o/(D)on't ask again [Yes]:\nis what aider asks next.",
    },
    Phrase {
        kind: "aider",
        live: "░█        Waiting for openai/gpt't ask again [Yes]:",
        quoted: "quoting an overwritten line: Waiting for x/y't ask again [Yes]:",
    },
    Phrase {
        kind: "shell",
        live: "Do you want to continue? [Y/n]",
        quoted: "apt asks: Do you want to continue? [Y/n]",
    },
    Phrase {
        kind: "shell",
        live: "[sudo] password for op:",
        quoted: "[sudo] password for op:",
    },
    Phrase {
        kind: "shell",
        live: "Are you sure you want to continue connecting (yes/no/[fingerprint])?",
        quoted: "ssh said: Are you sure you want to continue connecting (yes/no/[fingerprint])?",
    },
    Phrase {
        kind: "shell",
        live: "Continue?",
        quoted: "Continue?",
    },
    Phrase {
        kind: "codex",
        live: "Would you like to run the following command?\n\n  $ touch a.txt\n\n› 1. Yes, proceed (y)\n  2. Yes, and don't ask again for this command (a)\n  3. No, and tell Codex what to do differently (esc)\n\n  Press enter to confirm or esc to cancel",
        quoted: "• Codex will show:\n  Would you like to run the following command?\n  › 1. Yes, proceed (y)\n    3. No, and tell Codex what to do differently (esc)",
    },
    Phrase {
        kind: "codex",
        live: "Allow command?\n\n  $ touch a.txt\n\n▶ Yes (y)\n  No, and keep going (n)",
        quoted: "• Old releases asked: Allow command?\n  ▶ Yes (y)",
    },
    Phrase {
        kind: "gemini",
        live: "╭──────────────────────────────────────╮\n│ ?  Shell touch a.txt                 │\n│                                      │\n│ Allow execution of: 'touch'?         │\n│                                      │\n│ ● 1. Yes, allow once                 │\n│   2. Yes, allow always               │\n│   3. No, suggest changes (esc)       │\n╰──────────────────────────────────────╯\n~/proj (main*)   no sandbox   gemini-2.5-pro (99% context left)",
        quoted: "╭──────────────────────────────────────╮\n│ Allow execution of: 'touch'?         │\n│ ● 1. Yes, allow once                 │\n╰──────────────────────────────────────╯\n✦ That is the dialog you will see: Apply this change? 1. Yes, allow once",
    },
    Phrase {
        kind: "gemini",
        live: "╭──────────────────────────────────────╮\n│                                      │\n│ Usage limit reached for gemini-2.5-pro. │\n│ /stats model for usage details       │\n│                                      │\n│ ● 1. Keep trying                     │\n│   2. Stop                            │\n╰──────────────────────────────────────╯",
        quoted: "╭──────────────────────────────────────╮\n│ Usage limit reached for gemini-2.5-pro. │\n│ ● 1. Keep trying                     │\n│   2. Stop                            │\n╰──────────────────────────────────────╯\n✦ When the limit is hit, that dialog comes up.",
    },
];

/// Live screens of each kind (idle and working), with the line before which agent output
/// goes: `(name, screen, insert_at)`.
fn live_screens(kind: &str) -> Vec<(String, String, usize)> {
    // Output goes where the chrome starts (above Claude Code's input box, Codex's status
    // and composer, Gemini's status line); aider's above its last rule (idle) or its
    // spinner line (working).
    let from_fixture = |state: &str| {
        let text = fixture(kind, state, "txt");
        let lines: Vec<&str> = text.lines().collect();
        let last_text = lines
            .iter()
            .rposition(|l| !l.trim().is_empty())
            .unwrap_or(0);
        let at = match (kind, state) {
            ("aider", "done_idle") => last_text - 1,
            ("aider", _) => last_text,
            _ => profile(kind)
                .chrome_start(&text)
                .unwrap_or_else(|| panic!("{kind}/{state}: no chrome")),
        };
        (format!("{kind}/{state}"), text, at)
    };
    let synthetic = |name: &str, text: String| {
        let at = text
            .find("@@")
            .map_or(0, |i| text[..i].matches('\n').count());
        (format!("{kind}/{name}"), text.replace("@@\n", ""), at)
    };
    match kind {
        "claude" | "aider" | "codex" | "gemini" => {
            vec![from_fixture("done_idle"), from_fixture("hang_a")]
        }
        "shell" => vec![
            synthetic(
                "idle",
                "$ make\ncc -o app app.c\n@@\nop@host:~/src$ ".into(),
            ),
            synthetic("working", "$ make\n@@\ncc -o app app.c\n".into()),
        ],
        other => panic!("no live screens for {other}"),
    }
}

fn insert_lines(screen: &str, at: usize, extra: &str) -> String {
    let mut lines: Vec<&str> = screen.lines().collect();
    let at = at.min(lines.len());
    for (i, l) in extra.lines().enumerate() {
        lines.insert(at + i, l);
    }
    lines.join("\n")
}

#[test]
fn every_dialog_phrase_is_live_only_at_the_bottom() {
    let mut failures = Vec::new();
    let mut fired = std::collections::BTreeSet::new();
    for ph in PHRASES {
        let p = profile(ph.kind);
        for (name, screen, at) in live_screens(ph.kind) {
            let base = p.classify(&screen).activity;
            assert!(
                matches!(base, Activity::Idle | Activity::Working),
                "{name} should be idle or working, is {base}"
            );
            // Positive control: the dialog at the bottom of the transcript is live.
            let transcript: String = screen.lines().take(at).collect::<Vec<_>>().join("\n");
            let live = format!(
                "{transcript}\n{}\n",
                ph.live.replace("@RULE@", &"─".repeat(80))
            );
            let d = p.classify(&live);
            if let Some(m) = &d.matched {
                fired.insert(m.rule.clone());
            }
            if d.activity != Activity::NeedsInput {
                failures.push(format!(
                    "{name}: live dialog not seen ({}):\n{}",
                    d.explain(),
                    ph.live
                ));
            }
            // The same words quoted in the output above the live screen are not.
            let quoted = insert_lines(&screen, at, &format!("{}\n", ph.quoted));
            let d = p.classify(&quoted);
            if d.activity == Activity::NeedsInput || d.activity != base {
                failures.push(format!(
                    "{name}: quoted dialog changed {base} into {} ({}):\n{quoted}",
                    d.activity,
                    d.explain()
                ));
            }
        }
    }
    // Every needs-input rule of every built-in profile has a phrase here.
    for kind in registry().names() {
        for rule in profile(&kind).rules() {
            let name = format!("{kind}.{}", rule.name);
            if rule.activity == Activity::NeedsInput && !fired.contains(&name) {
                failures.push(format!("no phrase exercises the dialog rule `{name}`"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn an_answered_aider_question_is_not_live() {
    let p = profile("aider");
    let asked = fixture("aider", "approval_prompt", "txt");
    assert_eq!(p.classify(&asked).activity, Activity::NeedsInput);
    for answer in ["y", "n", "d"] {
        let answered = asked.trim_end().to_string() + " " + answer + "\n";
        let d = p.classify(&answered);
        assert_eq!(
            d.activity,
            Activity::Working,
            "[Yes]: {answer}: {}",
            d.explain()
        );
    }
    // Answered, then back at the prompt: idle, and the old question above is ignored.
    let back = fixture("aider", "after_deny", "txt");
    assert!(back.contains("[Yes]: n"));
    assert_eq!(p.classify(&back).activity, Activity::Idle);
}

#[test]
fn a_busy_footer_beats_the_permanent_prompt() {
    let p = profile("claude");
    let idle = fixture("claude", "done_idle", "txt");
    assert_eq!(p.classify(&idle).activity, Activity::Idle);
    let busy = idle.replace("? for shortcuts", "esc to interrupt");
    let d = p.classify(&busy);
    assert_eq!(d.activity, Activity::Working, "{}", d.explain());
    // Without the rules around the input box the busy rule cannot see the footer; the
    // prompt rule still refuses to call it idle.
    let bare = "● Reading files\n❯\u{a0}\n  esc to interrupt · ← for agents\n";
    let d = p.classify(bare);
    assert_ne!(d.activity, Activity::Idle, "{}", d.explain());
}

#[test]
fn explanations_name_rule_region_lines_and_text() {
    let d = profile("claude").classify(&shared("claude", "approval_prompt", "ansi"));
    assert_eq!(
        d.explain(),
        "needs-input by rule `claude.approval-dialog` in region `below-rule` on lines 19–20: «Do you want to proceed? ❯ 1. Yes»"
    );
    let d = profile("aider").classify(&shared("aider", "ratelimit_error", "txt"));
    assert_eq!(d.error, Some(ErrorKind::RateLimit));
    assert_eq!(
        d.reset,
        Some(shoal::profile::ResetHint::In(
            std::time::Duration::from_secs(20)
        ))
    );
    let m = d.matched.expect("a rule matched");
    assert_eq!(
        (m.rule.as_str(), m.region.as_str()),
        ("aider.rate-limit", "last-turn")
    );
}

// ---------------------------------------------------------------------------------------
// Profile files from the operator.
// ---------------------------------------------------------------------------------------

/// 1-based number of the first line of `file` containing `needle`.
fn line_of(file: &Path, needle: &str) -> usize {
    let text = std::fs::read_to_string(file).expect("read test profile");
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in {}", file.display()))
        + 1
}

#[test]
fn bad_profiles_are_reported_and_the_builtins_stay() {
    let dir = Path::new(BAD_PROFILES).join("bad");
    let (reg, errors) = Registry::load(Some(&dir));
    let by_file: BTreeMap<String, _> = errors
        .iter()
        .map(|e| {
            let f = e.file.file_name().unwrap().to_string_lossy().into_owned();
            (f, e)
        })
        .collect();
    assert_eq!(
        by_file.keys().collect::<Vec<_>>(),
        ["aider.toml", "claude.toml", "codex.toml", "shell.toml"],
        "{errors:#?}"
    );

    let e = by_file["claude.toml"];
    assert_eq!(e.line, Some(line_of(&dir.join("claude.toml"), "regex =")));
    assert!(
        matches!(&e.problem, Problem::BadRegex { pattern, .. } if pattern == r"(Do you want to proceed\?")
    );
    let msg = e.to_string();
    assert!(
        msg.contains("claude.toml:11:9: bad regex in `regex`"),
        "{msg}"
    );
    assert!(msg.contains("unclosed group"), "{msg}");

    let e = by_file["aider.toml"];
    assert_eq!(e.problem, Problem::UnknownRegion("bottom-line".into()));
    assert_eq!(e.line, Some(line_of(&dir.join("aider.toml"), "region =")));
    assert!(
        e.to_string()
            .contains("use one of: screen, last-lines, below-rule"),
        "{e}"
    );

    let e = by_file["shell.toml"];
    assert_eq!(e.problem, Problem::MissingField("regex".into()));
    let rules_at = line_of(&dir.join("shell.toml"), "[[rules]]");
    assert!(e.line.is_some_and(|l| l >= rules_at), "{e}");
    assert!(e.to_string().contains("missing field `regex`"), "{e}");

    let e = by_file["codex.toml"];
    assert_eq!(e.problem, Problem::UnknownActivity("busy".into()));
    assert_eq!(e.line, Some(line_of(&dir.join("codex.toml"), "activity =")));

    // Every built-in of those names is still in use, and still works.
    for kind in ["claude", "aider", "shell", "codex"] {
        let p = reg.get(kind).unwrap();
        assert_eq!(p.source(), Path::new(&format!("built-in:{kind}")));
    }
    let d = reg
        .get("claude")
        .unwrap()
        .classify(&fixture("claude", "approval_prompt", "txt"));
    assert_eq!(d.activity, Activity::NeedsInput);
}

#[test]
fn a_user_profile_extends_the_registry() {
    let (reg, errors) = Registry::load(Some(&Path::new(BAD_PROFILES).join("good")));
    assert!(errors.is_empty(), "{errors:?}");
    let p = reg.get("mytool").expect("user profile loaded");
    assert_eq!(p.approve_keys(), ["a", "Enter"]);
    assert_eq!(p.continue_message(), Some("resume"));
    assert_eq!(
        p.classify("working on it\nApply patch? (a)pprove/(d)eny? ")
            .activity,
        Activity::NeedsInput
    );
    assert_eq!(p.classify("done\nmytool>").activity, Activity::Idle);
    assert_eq!(p.classify("still going").activity, Activity::Unknown);
    assert_eq!(reg.guess_kind("/opt/bin/mytool --fast"), "mytool");
}

// ---------------------------------------------------------------------------------------
// Captures that are not nice text.
// ---------------------------------------------------------------------------------------

#[test]
fn huge_binary_and_invalid_utf8_captures_never_panic() {
    let reg = registry();
    // 10 MB of output ending in an aider question.
    let mut huge = Vec::with_capacity(10 << 20);
    let mut n = 0;
    while huge.len() < 10 << 20 {
        huge.extend_from_slice(
            format!("\x1b[32mline {n}\x1b[0m: compiling module {n}\n").as_bytes(),
        );
        n += 1;
    }
    huge.extend_from_slice(b"Run shell command? (Y)es/(N)o/(D)on't ask again [Yes]: \n");
    let r = detect_report(reg, Some("aider"), "huge.ansi", &huge);
    assert_eq!(r.activity, Activity::NeedsInput, "{}", r.to_text());
    assert_eq!(r.lines_total, n + 1);
    let m = r.matched.as_ref().expect("matched");
    assert_eq!(
        m.first_line,
        n + 1,
        "line numbers count from the top of the file"
    );
    assert!(
        r.notes.iter().any(|x| x.contains("were classified")),
        "{:?}",
        r.notes
    );

    // Pseudo-random bytes: NULs, lone escapes, broken UTF-8.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let binary: Vec<u8> = (0..1 << 18)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    for kind in registry().names() {
        let r = detect_report(reg, Some(&kind), "noise.bin", &binary);
        assert_eq!(r.kind, kind);
        assert!(!r.to_text().is_empty());
        assert!(r.notes.iter().any(|n| n.contains("UTF-8")), "{:?}", r.notes);
        let _ = registry()
            .get(&kind)
            .unwrap()
            .classify(&String::from_utf8_lossy(&binary));
    }
    let r = detect_report(reg, None, "noise.bin", &binary);
    assert!(r.to_text().contains("noise.bin: "));

    // Invalid UTF-8 around a shell prompt still reads as a prompt.
    let r = detect_report(
        reg,
        Some("shell"),
        "bad.txt",
        b"\xff\xfe\xc3(ok\nop@host:~\xe2\x82 $ ",
    );
    assert_eq!(r.activity, Activity::Idle, "{}", r.to_text());
    let r = detect_report(reg, None, "empty.txt", b"");
    assert_eq!((r.kind.as_str(), r.activity), ("shell", Activity::Unknown));
}

#[test]
fn detect_guesses_the_kind_from_the_screen() {
    let reg = registry();
    for (kind, state) in [
        ("claude", "approval_prompt"),
        ("aider", "approval_prompt"),
        ("claude", "streaming"),
        ("aider", "hang_a"),
        ("codex", "startup_idle"),
        ("codex", "approval_prompt"),
        ("codex", "streaming"),
        ("gemini", "startup_idle"),
        ("gemini", "hang_a"),
    ] {
        let bytes = fixture(kind, state, "ansi");
        let r = detect_report(reg, None, state, bytes.as_bytes());
        assert_eq!(r.kind, kind, "{state}: {}", r.to_text());
        assert_eq!(r.kind_source, "screen");
    }
    let r = detect_report(reg, None, "plain", b"total 0\nop@host:/tmp$ ");
    assert_eq!(
        (r.kind.as_str(), r.kind_source.as_str()),
        ("shell", "fallback")
    );
    assert_eq!(r.activity, Activity::Idle);

    let r = detect_report(
        reg,
        Some("claude"),
        "approval_prompt.txt",
        fixture("claude", "approval_prompt", "txt").as_bytes(),
    );
    let text = r.to_text();
    assert!(
        text.starts_with("approval_prompt.txt: needs-input\n"),
        "{text}"
    );
    assert!(
        text.contains("keys    approve: Enter · deny: Escape"),
        "{text}"
    );
    assert!(text.contains("rule `claude.approval-dialog`"), "{text}");
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["activity"], "needs-input");
    assert_eq!(json["matched"]["region"], "below-rule");
}

#[test]
fn usage_limits_carry_a_reset_time_that_resolves() {
    use shoal::profile::ResetHint;
    // 2026-11-21 15:59:12 UTC.
    const NOW: i64 = 1_795_276_752_000;
    let idle = fixture("claude", "done_idle", "txt");
    let limited = idle.replace(
        "● All done. I ran the command and created mock_was_here.txt. Anything else?",
        "  ⎿  5-hour limit reached ∙ resets 4:20pm\n     /upgrade to increase your usage limit.",
    );
    let d = profile("claude").classify(&limited);
    assert_eq!(
        (d.activity, d.error),
        (Activity::Errored, Some(ErrorKind::RateLimit)),
        "{}",
        d.explain()
    );
    let hint = d.reset.expect("reset time shown");
    assert_eq!(
        hint,
        ResetHint::At {
            hour: 16,
            minute: 20
        }
    );
    // At UTC+1 it is 16:59 locally: 16:20 has passed, so tomorrow 15:20 UTC.
    assert_eq!(
        hint.resolve(NOW, 3600),
        NOW + (23 * 3600 + 20 * 60 + 48) * 1000
    );
    assert!(
        d.explain().ends_with("; may retry at 16:20 local time"),
        "{}",
        d.explain()
    );

    let codex = fixture("codex", "ratelimit_error", "txt").replace(
        "■ exceeded retry limit, last status: 429 Too Many Requests",
        "■ You've hit your usage limit. Upgrade to Pro or try again in 4 days 6 hours.",
    );
    assert!(codex.contains("You've hit"));
    let d = profile("codex").classify(&codex);
    assert_eq!(
        (d.activity, d.error),
        (Activity::Errored, Some(ErrorKind::RateLimit)),
        "{}",
        d.explain()
    );
    let secs = (4 * 24 + 6) * 3600;
    assert_eq!(
        d.reset,
        Some(ResetHint::In(std::time::Duration::from_secs(secs)))
    );
    assert_eq!(d.reset.unwrap().resolve(NOW, 0), NOW + secs as i64 * 1000);
}
