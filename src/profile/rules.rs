//! Rules, and what applying them to a screen found.

use super::region::{Region, Screen};
use super::reset::{self, ResetHint};
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
}

impl Detection {
    /// The fallback when no rule matches: `unknown`, nothing matched.
    pub fn unknown() -> Detection {
        Detection {
            activity: Activity::Unknown,
            error: None,
            reset: None,
            matched: None,
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

/// Applies `rules` (sorted, highest priority first) to a screen; the first match wins.
pub(crate) fn apply(
    profile: &str,
    rules: &[Rule],
    turn_start: Option<&Regex>,
    reset_patterns: &[Regex],
    screen: &Screen,
) -> Detection {
    for rule in rules {
        let range = screen.range(rule.region, turn_start);
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
        return Detection {
            activity: rule.activity,
            error: rule.error,
            reset,
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
        }
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
        let screen = Screen::new("hello\nAllow?\n 1. Yes\n");
        let d = apply("t", &rules, None, &[], &screen);
        assert_eq!(d.activity, Activity::NeedsInput);
        let m = d.matched.clone().unwrap();
        assert_eq!((m.first_line, m.last_line), (2, 3));
        assert_eq!(m.rule, "t.dialog");
        assert_eq!(
            d.explain(),
            "needs-input by rule `t.dialog` in region `last-lines` on lines 2–3: «Allow? 1. Yes»"
        );
        let idle = apply(
            "t",
            &rules,
            None,
            &[],
            &Screen::new("Allow?\n 1. Yes\nok\n$"),
        );
        assert_eq!(idle.activity, Activity::Idle);
        assert_eq!(idle.matched.unwrap().first_line, 4);
    }

    #[test]
    fn unless_vetoes_and_nothing_matched_is_unknown() {
        let mut r = rule("idle", Region::Screen, "❯", 10, Activity::Idle);
        r.unless = Some(Regex::new("esc to interrupt").unwrap());
        let d = apply("t", &[r], None, &[], &Screen::new("❯\nesc to interrupt"));
        assert_eq!(d, Detection::unknown());
        assert_eq!(d.explain(), "unknown: no rule matched");
    }

    #[test]
    fn errors_carry_a_reset_hint() {
        let mut r = rule("limit", Region::Screen, "rate limit", 10, Activity::Errored);
        r.error = Some(ErrorKind::RateLimit);
        let pats = [Regex::new(r"in (?P<duration>\d+ minutes)").unwrap()];
        let d = apply(
            "t",
            &[r],
            None,
            &pats,
            &Screen::new("rate limit\ntry in 5 minutes"),
        );
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
            let d = apply(
                "t",
                std::slice::from_ref(&r),
                None,
                &[],
                &Screen::new(&screen),
            );
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
    fn long_text_is_shortened_on_char_boundaries() {
        let s = "é".repeat(500);
        let out = shorten(&s, 10);
        assert_eq!(out.chars().count(), 11);
    }
}
