//! Secrets out before anything is stored: values that look like API keys and tokens
//! are replaced, keeping only a short recognisable prefix so an operator can still tell
//! which kind of credential leaked into an agent's output.

use regex::{Captures, Regex};
use std::borrow::Cow;
use std::sync::LazyLock;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[REDACTED]";

struct Pattern {
    re: Regex,
    /// How many leading bytes of the match to keep (the key name, the token's kind).
    keep: fn(&Captures) -> String,
}

fn re(pattern: &str) -> Regex {
    // Constant patterns, compiled once and covered by the tests below.
    Regex::new(pattern).expect("built-in redaction pattern compiles")
}

fn group(c: &Captures, i: usize) -> String {
    c.get(i).map_or(String::new(), |m| m.as_str().to_string())
}

static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    vec![
        // `OPENAI_API_KEY=…`, `export GITHUB_TOKEN: …`, `"db_password": "…"`: keep the name.
        Pattern {
            re: re(concat!(
                r#"(?i)\b([A-Z0-9_.-]*(?:API[_-]?KEY|ACCESS[_-]?KEY|SECRET|TOKEN|PASSWORD|PASSWD)"#,
                r#"[A-Z0-9_]*["']?\s*[=:]\s*["']?)[^\s"',;]{4,}"#
            )),
            keep: |c| group(c, 1),
        },
        // `Authorization: Bearer …`.
        Pattern {
            re: re(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
            keep: |c| group(c, 1),
        },
        // OpenAI / Anthropic style keys: `sk-…`, `sk-ant-api03-…`, `sk-proj-…`.
        Pattern {
            re: re(r"\b(sk-)[A-Za-z0-9_-]{16,}"),
            keep: |c| group(c, 1),
        },
        // GitHub tokens: `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`.
        Pattern {
            re: re(r"\b(gh[pousr]_|github_pat_)[A-Za-z0-9_]{16,}"),
            keep: |c| group(c, 1),
        },
        // Slack tokens: `xoxb-…`, `xoxp-…`, `xoxa-…`, `xoxs-…`, `xoxr-…`, `xoxe-…`.
        Pattern {
            re: re(r"\b(xox[abeoprs]-)[A-Za-z0-9-]{8,}"),
            keep: |c| group(c, 1),
        },
        // AWS access key ids.
        Pattern {
            re: re(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
            keep: |c| group(c, 1),
        },
    ]
});

/// `text` with every secret-looking value replaced by its kind and [`REDACTED`].
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for p in PATTERNS.iter() {
        if !p.re.is_match(&out) {
            continue;
        }
        let replaced =
            p.re.replace_all(&out, |c: &Captures| format!("{}{REDACTED}", (p.keep)(c)))
                .into_owned();
        out = Cow::Owned(replaced);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_replaced_and_their_kind_kept() {
        let cases = [
            (
                "using key sk-ant-api03-AbCdEf0123456789xyzXYZ now",
                "using key sk-[REDACTED] now",
            ),
            (
                "token ghp_0123456789abcdefABCDEF0123456789abcd",
                "token ghp_[REDACTED]",
            ),
            (
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
                "github_pat_[REDACTED]",
            ),
            (
                "slack xoxb-1234567890-abcdefghij done",
                "slack xoxb-[REDACTED] done",
            ),
            ("aws AKIAIOSFODNN7EXAMPLE.", "aws AKIA[REDACTED]."),
            (
                "curl -H 'Authorization: Bearer eyJhbGciOi.JIUzI1NiJ9.abc'",
                "curl -H 'Authorization: Bearer [REDACTED]'",
            ),
            (
                "export OPENAI_API_KEY=abcd1234efgh5678",
                "export OPENAI_API_KEY=[REDACTED]",
            ),
            (
                "ANTHROPIC_API_KEY: \"sk-not-long\"",
                "ANTHROPIC_API_KEY: \"[REDACTED]\"",
            ),
            ("db_password = hunter2hunter2", "db_password = [REDACTED]"),
        ];
        for (input, want) in cases {
            assert_eq!(redact(input), want, "{input}");
        }
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        for text in [
            "● Read(src/module_7.rs)",
            "test result: ok. 9 passed; 0 failed",
            "ask-me-anything and task-runner are not keys",
            "the token budget is low",
            "API_KEY is not set",
        ] {
            assert!(matches!(redact(text), Cow::Borrowed(_)), "{text}");
        }
    }

    #[test]
    fn several_secrets_on_one_line() {
        let line = "A=sk-aaaaaaaaaaaaaaaaaaaa B=ghp_bbbbbbbbbbbbbbbbbbbbbbbb";
        let r = redact(line);
        assert!(!r.contains("aaaaaaaa") && !r.contains("bbbbbbbb"), "{r}");
    }
}
