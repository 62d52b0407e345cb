//! Rules, and what applying them to a screen found.

use super::layout::Frame;
use super::region::{Region, Screen};
use super::reset::{self, ResetHint};
use super::Profile;
use crate::fleet::{Activity, ErrorKind};
use crate::logs::redact::redact;
use regex::Regex;
use serde::Serialize;

/// Priority of the implicit `pane-dead` rule: above anything a profile would use.
pub const PANE_DEAD_PRIORITY: i64 = 1_000_000;

/// Longest matched text kept in a [`RuleMatch`], in characters.
const KEEP_TEXT_CHARS: usize = 300;

/// Longest matched text quoted by [`Detection::explain`], in characters.
const QUOTE_CHARS: usize = 100;

/// One compiled detection rule.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub name: String,
    pub region: Region,
    pub regex: Regex,
    pub unless: Option<Regex>,
    pub priority: i64,
    pub activity: Activity,
    pub error: Option<ErrorKind>,
    /// Keys answering this rule's dialog "yes", when they differ from the profile's.
    pub approve: Option<Vec<String>>,
    /// Keys answering this rule's dialog "no", when they differ from the profile's.
    pub deny: Option<Vec<String>>,
}

impl Rule {
    /// tmux prints this line in a pane kept after its process exited (`remain-on-exit`).
    pub fn pane_dead() -> Rule {
        // Constant pattern, exercised by the fixture tests.
        let regex =
            Regex::new(r"(?m)^Pane is dead \((?:status|signal) [^\n]*").expect("pane-dead pattern");
        Rule {
            name: "pane-dead".into(),
            region: Region::LastLines(3),
            regex,
            unless: None,
            priority: PANE_DEAD_PRIORITY,
            activity: Activity::Exited,
            error: None,
            approve: None,
            deny: None,
        }
    }

    /// A pane that died with status 127 ran a command the shell could not find: the agent's
    /// CLI is not installed (or not on the PATH tmux gave it). The shell's own message is
    /// often lost (printed before tmux reads the pane), so the status decides.
    pub fn not_installed() -> Rule {
        // Constant pattern, exercised by the fixture tests.
        let regex =
            Regex::new(r"(?m)^Pane is dead \(status 127[,)][^\n]*").expect("not-installed pattern");
        Rule {
            name: "not-installed".into(),
            region: Region::LastLines(3),
            regex,
            unless: None,
            priority: PANE_DEAD_PRIORITY + 1,
            activity: Activity::Exited,
            error: Some(ErrorKind::NotInstalled),
            approve: None,
            deny: None,
        }
    }
}

/// A rule as an operator sees it in a listing: what it is called and what it decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSummary {
    /// The rule's name within its profile.
    pub name: String,
    /// The region it looks at.
    pub region: String,
    /// Higher wins.
    pub priority: i64,
    /// The activity it gives.
    pub activity: Activity,
    /// The error it gives, if any.
    pub error: Option<ErrorKind>,
}

impl From<&Rule> for RuleSummary {
    fn from(r: &Rule) -> RuleSummary {
        RuleSummary {
            name: r.name.clone(),
            region: r.region.name().to_string(),
            priority: r.priority,
            activity: r.activity,
            error: r.error,
        }
    }
}

/// Which rule decided a [`Detection`], where on the screen, and on what text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleMatch {
    /// `profile.rule`, e.g. `claude.approval-dialog`.
    pub rule: String,
    /// The region the rule looks at, e.g. `below-rule`.
    pub region: String,
    /// First screen line of the match, 1-based.
    pub first_line: usize,
    /// Last screen line of the match, 1-based.
    pub last_line: usize,
    /// The matched text (secrets redacted, shortened when very long).
    pub text: String,
}

/// What a profile read from one screen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    /// What the agent is doing.
    pub activity: Activity,
    /// The error shown, when the agent is errored or retrying.
    pub error: Option<ErrorKind>,
    /// When the error says the agent may try again.
    pub reset: Option<ResetHint>,
    /// The rule that decided; `None` when no rule matched (activity `unknown`).
    pub matched: Option<RuleMatch>,
    /// Keys that answer the live dialog "yes" (only for needs-input).
    pub approve: Vec<String>,
    /// Keys that answer the live dialog "no" (only for needs-input).
    pub deny: Vec<String>,
}

impl Detection {
    /// The fallback when no rule matches: `unknown`, nothing matched.
    pub fn unknown() -> Detection {
        Detection {
            activity: Activity::Unknown,
            error: None,
            reset: None,
            matched: None,
            approve: Vec::new(),
            deny: Vec::new(),
        }
    }

    /// One human line saying what was detected and why.
    pub fn explain(&self) -> String {
        let mut out = self.activity.to_string();
        if let Some(e) = self.error {
            out.push_str(&format!(" ({e})"));
        }
        match &self.matched {
            None => out.push_str(": no rule matched"),
            Some(m) => {
                let lines = if m.first_line == m.last_line {
                    format!("line {}", m.first_line)
                } else {
                    format!("lines {}–{}", m.first_line, m.last_line)
                };
                out.push_str(&format!(
                    " by rule `{}` in region `{}` on {lines}: «{}»",
                    m.rule,
                    m.region,
                    quote(&m.text, QUOTE_CHARS)
                ));
            }
        }
        if let Some(r) = self.reset {
            out.push_str(&format!("; may retry {r}"));
        }
        out
    }
}

/// Applies the profile's rules (sorted, highest priority first) to a screen whose chrome
/// is at `frame`; the first match wins.
pub(crate) fn apply(p: &Profile, screen: &Screen, frame: &Frame) -> Detection {
    let (profile, reset_patterns) = (&p.name, &p.reset);
    for rule in &p.rules {
        let range = screen.range(rule.region, p.turn_start.as_ref(), frame);
        if range.is_empty() {
            continue;
        }
        let text = screen.text(&range);
        let Some(m) = rule.regex.find_iter(&text).last() else {
            continue;
        };
        if rule.unless.as_ref().is_some_and(|u| u.is_match(&text)) {
            continue;
        }
        let newlines = |end: usize| {
            text.as_bytes()[..end]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
        };
        let mut end = m.end();
        if end > m.start() && text.as_bytes()[end - 1] == b'\n' {
            end -= 1;
        }
        let reset = if rule.error.is_some() || rule.activity == Activity::Errored {
            reset::extract(reset_patterns, &text)
        } else {
            None
        };
        let asks = rule.activity == Activity::NeedsInput;
        let keys = |own: &Option<Vec<String>>, profile: &[String]| match own {
            _ if !asks => Vec::new(),
            Some(k) => k.clone(),
            None => profile.to_vec(),
        };
        return Detection {
            activity: rule.activity,
            error: rule.error,
            reset,
            approve: keys(&rule.approve, &p.keys.approve),
            deny: keys(&rule.deny, &p.keys.deny),
            matched: Some(RuleMatch {
                rule: format!("{profile}.{}", rule.name),
                region: rule.region.name().to_string(),
                first_line: range.start + 1 + newlines(m.start()),
                last_line: range.start + 1 + newlines(end),
                // Quoted in reasons, events, notifications and `detect`: never a secret,
                // and redacted before shortening so a cut cannot hide one from the redactor.
                text: shorten(&redact(m.as_str().trim()), KEEP_TEXT_CHARS),
            }),
        };
    }
    Detection::unknown()
}

/// At most `max` characters of `s`, with `…` when cut.
fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Matched text on one line: runs of whitespace (newlines included) become one space.
fn quote(s: &str, max: usize) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    shorten(&joined, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, region: Region, re: &str, prio: i64, act: Activity) -> Rule {
        Rule {
            name: name.into(),
            region,
            regex: Regex::new(re).unwrap(),
            unless: None,
            priority: prio,
            activity: act,
            error: None,
            approve: None,
            deny: None,
        }
    }

    fn run(rules: Vec<Rule>, reset: Vec<Regex>, screen: &str) -> Detection {
        let mut p = Profile::for_test("t", rules);
        p.reset = reset;
        let s = Screen::new(screen);
        apply(&p, &s, &Frame::whole(&s))
    }

    #[test]
    fn first_matching_rule_wins_and_lines_are_reported() {
        let rules = vec![
            rule(
                "dialog",
                Region::LastLines(2),
                r"(?s)Allow\?.*Yes",
                90,
                Activity::NeedsInput,
            ),
            rule("prompt", Region::LastLines(1), r"^\$$", 10, Activity::Idle),
        ];
        let d = run(rules.clone(), vec![], "hello\nAllow?\n 1. Yes\n");
        assert_eq!(d.activity, Activity::NeedsInput);
        let m = d.matched.clone().unwrap();
        assert_eq!((m.first_line, m.last_line), (2, 3));
        assert_eq!(m.rule, "t.dialog");
        assert_eq!(
            d.explain(),
            "needs-input by rule `t.dialog` in region `last-lines` on lines 2–3: «Allow? 1. Yes»"
        );
        let idle = run(rules, vec![], "Allow?\n 1. Yes\nok\n$");
        assert_eq!(idle.activity, Activity::Idle);
        assert_eq!(idle.matched.unwrap().first_line, 4);
    }

    #[test]
    fn unless_vetoes_and_nothing_matched_is_unknown() {
        let mut r = rule("idle", Region::Screen, "❯", 10, Activity::Idle);
        r.unless = Some(Regex::new("esc to interrupt").unwrap());
        let d = run(vec![r], vec![], "❯\nesc to interrupt");
        assert_eq!(d, Detection::unknown());
        assert_eq!(d.explain(), "unknown: no rule matched");
    }

    #[test]
    fn errors_carry_a_reset_hint() {
        let mut r = rule("limit", Region::Screen, "rate limit", 10, Activity::Errored);
        r.error = Some(ErrorKind::RateLimit);
        let pats = vec![Regex::new(r"in (?P<duration>\d+ minutes)").unwrap()];
        let d = run(vec![r], pats, "rate limit\ntry in 5 minutes");
        assert_eq!(
            d.reset,
            Some(ResetHint::In(std::time::Duration::from_secs(300)))
        );
        assert!(d
            .explain()
            .starts_with("errored (rate-limit) by rule `t.limit`"));
        assert!(d.explain().ends_with("; may retry in 5m"));
    }

    #[test]
    fn the_quoted_screen_text_never_holds_a_secret() {
        // A rule that matches a whole line: the quote in the reason is all that leaves.
        let r = rule("err", Region::Screen, r"Error:.*", 10, Activity::Errored);
        let long = format!("Error: bad key sk-ant-api03-{} given", "A1b2".repeat(40));
        for screen in [
            "Error: login failed password=hunter2 for bob".to_string(),
            long,
        ] {
            let p = Profile::for_test("t", vec![r.clone()]);
            let s = Screen::new(&screen);
            let d = apply(&p, &s, &Frame::whole(&s));
            let text = d.matched.as_ref().unwrap().text.clone();
            let explained = d.explain();
            for leaked in ["hunter2", "A1b2A1b2"] {
                assert!(
                    !text.contains(leaked) && !explained.contains(leaked),
                    "{explained}"
                );
            }
            assert!(explained.contains("[REDACTED]"), "{explained}");
        }
    }

    #[test]
    fn a_dialog_rule_may_bring_its_own_keys() {
        let mut limit = rule(
            "limit",
            Region::Screen,
            "Keep trying",
            20,
            Activity::NeedsInput,
        );
        limit.deny = Some(vec!["2".into()]);
        let tool = rule("tool", Region::Screen, "Allow", 10, Activity::NeedsInput);
        let mut p = Profile::for_test("t", vec![limit, tool]);
        p.keys.approve = vec!["Enter".into()];
        p.keys.deny = vec!["Escape".into()];
        let at = |text: &str| {
            let s = Screen::new(text);
            apply(&p, &s, &Frame::whole(&s))
        };
        let d = at("● 1. Keep trying\n  2. Stop");
        assert_eq!(
            (d.approve.as_slice(), d.deny.as_slice()),
            (&["Enter".to_string()][..], &["2".to_string()][..])
        );
        let d = at("Allow execution?");
        assert_eq!(d.deny, ["Escape"]);
        assert!(at("nothing").deny.is_empty());
    }

    #[test]
    fn a_pane_dead_with_status_127_is_a_missing_program() {
        let p = Profile::for_test("t", vec![Rule::not_installed(), Rule::pane_dead()]);
        let at = |text: &str| {
            let s = Screen::new(text);
            apply(&p, &s, &Frame::whole(&s))
        };
        let d = at("\n\nPane is dead (status 127, Thu Dec  3 14:02:15 2026)");
        assert_eq!(
            (d.activity, d.error),
            (Activity::Exited, Some(ErrorKind::NotInstalled))
        );
        let d = at("bye\nPane is dead (status 0, Thu Dec  3 14:02:15 2026)");
        assert_eq!((d.activity, d.error), (Activity::Exited, None));
        let d = at("Pane is dead (status 1270, Thu Dec  3 14:02:15 2026)");
        assert_eq!(d.error, None);
    }

    #[test]
    fn long_text_is_shortened_on_char_boundaries() {
        let s = "é".repeat(500);
        let out = shorten(&s, 10);
        assert_eq!(out.chars().count(), 11);
    }
}
