//! Screen text clean-up and proof of life.
//!
//! The supervisor hashes a *normalized* capture: everything that moves while an agent
//! makes no progress (spinner frames, elapsed timers, token counters, percentages) is
//! masked first, so the digest changes only when the agent really prints something new.

use regex::Regex;
use std::sync::LazyLock;

/// Placeholder for a spinner frame.
pub const SPINNER_MASK: &str = "◌";
/// Placeholder for an elapsed timer outside parentheses (`12s`, `1m 3s`).
pub const TIMER_MASK: &str = "⏱";
/// Placeholder for a token counter (`↓ 1.2k tokens`).
pub const TOKENS_MASK: &str = "#tokens";
/// Placeholder for a percentage (`42%`).
pub const PERCENT_MASK: &str = "#%";
/// Placeholder for text matched by a profile's own `masks`.
pub const PROFILE_MASK: &str = "⟨masked⟩";

/// One default mask: what moves, and what it becomes.
struct Mask {
    re: Regex,
    with: &'static str,
}

fn mask(pattern: &str, with: &'static str) -> Mask {
    // The patterns below are constants, checked by the unit tests.
    let re = Regex::new(pattern).expect("built-in mask pattern compiles");
    Mask { re, with }
}

/// The masks every profile gets, in the order they run.
static DEFAULT_MASKS: LazyLock<Vec<Mask>> = LazyLock::new(|| {
    vec![
        // Braille spinners (⠋⠙⠹…) are never content on an agent's screen.
        mask(r"[\x{2800}-\x{28FF}]+", SPINNER_MASK),
        // A block spinner sliding through leading spaces (aider: `   ░█   Waiting for`): the
        // whole lead-in, spaces included, moves from frame to frame.
        mask(r"(?m)^[ ░▒▓█]*[░▒▓█][ ░▒▓█]*", "◌ "),
        // Star/dot/bar spinners stand as the first glyph of a status line (`✶ Symbioting…`).
        mask(
            r"(?m)^([ \t]*)[✻✳✶✢·*●✽✺◐◓◑◒|/\\-]([ \t\x{a0}]|$)",
            "${1}◌${2}",
        ),
        // A parenthesised timer group (`(20s)`, `(4s · ↓ 30 tokens)`, `(2h 4m`) is removed
        // whole, not given a placeholder: Claude Code shows no group at all for the first
        // ~16 s, so a hung request must look the same with and without it.
        mask(
            r"[ \t]*\((?:\d+(?:\.\d+)?(?:ms|[hms])(?-u:\b)[ \t]*)+(?:[·•,][^)\n]*)?\)?",
            "",
        ),
        // Token counters, with or without the transfer arrow.
        mask(
            r"(?:[↓↑][ \t]*)?\d+(?:[.,]\d+)?[kKmM]?[ \t]+tokens?(?-u:\b)",
            TOKENS_MASK,
        ),
        // Bare elapsed timers (`Brewed for 6s`, `1m 3s`, `250ms`).
        mask(
            r"(?-u:\b)\d+(?:\.\d+)?(?:ms|[hms])(?:[ \t]+\d+(?:\.\d+)?(?:ms|[hms]))*(?-u:\b)",
            TIMER_MASK,
        ),
        mask(r"\d+(?:\.\d+)?[ \t]?%", PERCENT_MASK),
        // Alignment: a right-aligned hint moves left when a timer before it gains a digit
        // (`(esc to cancel, 9s)      ? for shortcuts`), so runs of blanks count as one.
        mask(r"[ \t]{2,}", " "),
    ]
});

pub use crate::logs::strip_ansi;

/// Strips ANSI, applies the default masks, trims trailing whitespace per line and
/// trailing empty lines, then applies `extra_masks` (each match becomes [`PROFILE_MASK`]).
pub fn normalize(raw: &str, extra_masks: &[Regex]) -> String {
    normalize_stripped(&strip_ansi(raw), extra_masks)
}

/// [`normalize`] for text already free of ANSI escapes.
pub(crate) fn normalize_stripped(text: &str, extra_masks: &[Regex]) -> String {
    let mut text = text.to_string();
    for m in DEFAULT_MASKS.iter() {
        if let std::borrow::Cow::Owned(s) = m.re.replace_all(&text, m.with) {
            text = s;
        }
    }
    let mut text = trim_lines(&text);
    for re in extra_masks {
        if let std::borrow::Cow::Owned(s) = re.replace_all(&text, PROFILE_MASK) {
            text = s;
        }
    }
    text
}

/// Trailing whitespace off every line, trailing empty lines off the end.
fn trim_lines(text: &str) -> String {
    let mut out: Vec<&str> = text
        .split('\n')
        .map(|l| l.trim_end_matches([' ', '\t', '\r']))
        .collect();
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// The md5 of `text` as 32 lowercase hex digits: the proof-of-life digest.
pub fn digest(text: &str) -> String {
    format!("{:x}", md5::compute(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        normalize(s, &[])
    }

    #[test]
    fn default_masks_compile() {
        assert_eq!(DEFAULT_MASKS.len(), 8);
    }

    #[test]
    fn strips_escapes_and_keeps_text() {
        assert_eq!(strip_ansi("\x1b[1mbold\x1b[0m\tx"), "bold x");
        assert_eq!(strip_ansi("a\x1b]0;title\x07b"), "ab");
    }

    #[test]
    fn spinner_frames_mask_to_the_same_text() {
        assert_eq!(n("⠋ Thinking"), n("⠙ Thinking"));
        assert_eq!(n("✶ Symbioting…"), n("· Symbioting…"));
        assert_eq!(
            n("  ░█        Waiting for x"),
            n("        █░ Waiting for x")
        );
        assert_eq!(n("| working"), n("/ working"));
    }

    #[test]
    fn timer_group_present_or_absent_is_equal() {
        assert_eq!(n("✶ Symbioting… (20s)"), n("· Symbioting…"));
        assert_eq!(
            n("· Doodling… (4s · ↓ 30 tokens)"),
            n("✻ Doodling… (1m 12s · ↑ 1.2k tokens)")
        );
        assert_eq!(n("Working (2h 4m"), n("Working"));
        assert_eq!(n("✻ Brewed for 6s"), n("✻ Brewed for 1m 3s"));
    }

    #[test]
    fn a_timer_gaining_a_digit_does_not_shift_the_line() {
        let line = |t: &str| {
            let left = format!(" ⠦ Thinking... (esc to cancel, {t})");
            format!(
                "{left}{}? for shortcuts",
                " ".repeat(60 - left.chars().count())
            )
        };
        assert_ne!(line("9s"), line("10s"));
        assert_eq!(n(&line("9s")), n(&line("10s")));
        assert_eq!(n(&line("9s")), n(&line("1m 40s")));
    }

    #[test]
    fn counters_and_percentages_are_masked() {
        assert_eq!(n("used 123 tokens"), "used #tokens");
        assert_eq!(n("context 42% left"), "context #% left");
        assert_eq!(n("context 7.5 % left"), "context #% left");
    }

    #[test]
    fn real_text_still_differs() {
        assert_ne!(n("Line 1: hello"), n("Line 2: hello"));
        assert_ne!(n("created a.txt"), n("created b.txt"));
    }

    #[test]
    fn trailing_whitespace_and_blank_lines_are_trimmed() {
        assert_eq!(n("a  \nb\t\n\n\n"), "a\nb");
    }

    #[test]
    fn extra_masks_use_the_profile_placeholder() {
        let re = Regex::new(r"session [0-9a-f-]+").unwrap();
        assert_eq!(
            normalize("resume session 3adb-5afb", &[re]),
            format!("resume {PROFILE_MASK}")
        );
    }

    #[test]
    fn digest_is_md5_hex() {
        assert_eq!(digest(""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(digest("abc").len(), 32);
    }
}
