//! Secrets out before anything is stored or shown: values that look like API keys,
//! tokens, passwords, private keys or credentials in URLs are replaced, keeping only a
//! short recognisable prefix so an operator can still tell which kind of credential
//! leaked into an agent's output.
//!
//! [`redact`] handles one text on its own (a screen, an event, a reason); a
//! [`Redactor`] follows a stream of lines (an agent's log), so the body of a private key
//! printed over several lines is caught even when each line arrives alone.

use regex::{Captures, Regex};
use std::borrow::Cow;
use std::sync::LazyLock;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// One kind of secret: a pattern, and what of a match survives. `None` leaves the match
/// alone (a near miss the pattern cannot rule out by itself, e.g. `max_tokens: 4096`).
struct Pattern {
    re: Regex,
    replace: fn(&Captures) -> Option<String>,
}

fn re(pattern: &str) -> Regex {
    // Constant patterns, compiled once and covered by the tests.
    Regex::new(pattern).expect("built-in redaction pattern compiles")
}

fn group<'a>(c: &'a Captures, i: usize) -> &'a str {
    c.get(i).map_or("", |m| m.as_str())
}

/// Keep group 1, redact the rest of the match.
fn keep_prefix(c: &Captures) -> Option<String> {
    Some(format!("{}{REDACTED}", group(c, 1)))
}

/// Values after a secret-sounding name that are not secrets: numbers (`max_tokens: 4096`,
/// `tokens: 1.2k`), booleans, a function call in code, or one already redacted.
fn is_harmless_value(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    let number = v.starts_with(|c: char| c.is_ascii_digit())
        && v.trim_end_matches(['k', 'K', 'm', 'M', '%'])
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '_'));
    number
        || matches!(
            lower.as_str(),
            "true" | "false" | "null" | "none" | "undefined"
        )
        || v.contains('(')
        || v.starts_with(REDACTED)
}

static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    vec![
        // A private key on one line (JSON, an env var with `\n` escapes): keep the armour.
        Pattern {
            re: re(concat!(
                r"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)",
                r"[^\n]*?(-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)"
            )),
            replace: |c| Some(format!("{}{REDACTED}{}", group(c, 1), group(c, 2))),
        },
        // `scheme://user:password@host`: keep the user, drop the password.
        Pattern {
            re: re(r"\b([A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]+:)([^\s/@]+)@"),
            replace: |c| {
                (!group(c, 2).starts_with(REDACTED)).then(|| format!("{}{REDACTED}@", group(c, 1)))
            },
        },
        // `OPENAI_API_KEY=…`, `password=…`, `secret: …`, `"db_token": "…"`: keep the name.
        Pattern {
            re: re(concat!(
                r#"(?i)\b([A-Z0-9_.-]*(?:API[_-]?KEY|ACCESS[_-]?KEY|PRIVATE[_-]?KEY|SECRET|TOKEN|"#,
                r#"PASSWORD|PASSWD|PASSPHRASE|CREDENTIALS?)[A-Z0-9_]*["']?\s*[=:]\s*["']?)"#,
                // The value ends at a quote, including the ones shoal and agents quote with.
                r#"([^\s"'`,;»”’]{4,})"#
            )),
            replace: |c| {
                (!is_harmless_value(group(c, 2))).then(|| format!("{}{REDACTED}", group(c, 1)))
            },
        },
        // `Authorization: Bearer …` / `Basic …`.
        Pattern {
            re: re(r"(?i)\b((?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{8,}"),
            replace: keep_prefix,
        },
        // Anthropic and OpenAI keys: `sk-ant-api03-…`, `sk-proj-…`, `sk-svcacct-…`, `sk-…`.
        Pattern {
            re: re(r"\b(sk-(?:ant-[a-z]+\d*-|proj-|svcacct-|admin-)?)[A-Za-z0-9_-]{16,}"),
            replace: keep_prefix,
        },
        // Stripe keys: `sk_live_…`, `rk_test_…`.
        Pattern {
            re: re(r"\b([sr]k_(?:live|test)_)[A-Za-z0-9]{16,}"),
            replace: keep_prefix,
        },
        // GitHub tokens: `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, fine-grained `github_pat_`.
        Pattern {
            re: re(r"\b(gh[pousr]_|github_pat_)[A-Za-z0-9_]{16,}"),
            replace: keep_prefix,
        },
        // GitLab tokens: personal `glpat-`, deploy `gldt-`, runner `glrt-`, trigger `glptt-`, …
        Pattern {
            re: re(r"\b(gl(?:pat|dt|rt|ptt|cbt|imt|ft|oas|soat|ffct|agent)-)[A-Za-z0-9_-]{16,}"),
            replace: keep_prefix,
        },
        // Slack tokens (`xoxb-`, `xoxp-`, …, app-level `xapp-`) and incoming webhooks.
        Pattern {
            re: re(r"\b(xox[abeoprs]-|xapp-)[A-Za-z0-9-]{8,}"),
            replace: keep_prefix,
        },
        Pattern {
            re: re(r"(hooks\.slack\.com/services/)[A-Za-z0-9/_-]{8,}"),
            replace: keep_prefix,
        },
        // AWS access key ids (the secret key itself is caught by its variable's name).
        Pattern {
            re: re(r"\b(AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
            replace: keep_prefix,
        },
        // Google API keys, npm and Hugging Face tokens.
        Pattern {
            re: re(r"\b(AIza)[0-9A-Za-z_-]{35}\b"),
            replace: keep_prefix,
        },
        Pattern {
            re: re(r"\b(npm_|hf_)[A-Za-z0-9]{30,}\b"),
            replace: keep_prefix,
        },
        // JSON Web Tokens: the header (not secret: the algorithm) stays.
        Pattern {
            re: re(r"\b(eyJ[A-Za-z0-9_-]{8,}\.)eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
            replace: keep_prefix,
        },
    ]
});

static KEY_BEGIN: LazyLock<Regex> =
    LazyLock::new(|| re(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"));
static KEY_END: LazyLock<Regex> =
    LazyLock::new(|| re(r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"));

/// `text` with every secret-looking value replaced by its kind and [`REDACTED`].
pub fn redact(text: &str) -> Cow<'_, str> {
    Redactor::default().redact(text)
}

/// Redacts a stream of texts from one source, remembering whether it is inside a
/// private key block between calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Redactor {
    in_key: bool,
}

impl Redactor {
    /// The next text of the stream, redacted.
    pub fn redact<'a>(&mut self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for p in PATTERNS.iter() {
            if !p.re.is_match(&out) {
                continue;
            }
            let mut changed = false;
            let replaced = p.re.replace_all(&out, |c: &Captures| match (p.replace)(c) {
                Some(r) => {
                    changed = true;
                    r
                }
                None => c[0].to_string(),
            });
            if changed {
                out = Cow::Owned(replaced.into_owned());
            }
        }
        match self.key_lines(&out) {
            Some(s) => Cow::Owned(s),
            None => out,
        }
    }

    /// The lines of a private key block spread over several lines, redacted; `None`
    /// when nothing changed. A block whose `BEGIN` line is not in the text (scrolled off
    /// the top of a screen) is recognised by its `END` line and the key-like lines above.
    fn key_lines(&mut self, text: &str) -> Option<String> {
        if !self.in_key && !text.contains("PRIVATE KEY") {
            return None;
        }
        let mut lines: Vec<Cow<'_, str>> = text.split_inclusive('\n').map(Cow::from).collect();
        let mut changed = false;
        let mut seen_begin = false;
        for i in 0..lines.len() {
            let plain = super::strip_ansi(&lines[i]);
            if KEY_BEGIN.is_match(&plain) && !KEY_END.is_match(&plain) {
                self.in_key = true;
                seen_begin = true;
                continue;
            }
            if KEY_END.is_match(&plain) && !KEY_BEGIN.is_match(&plain) {
                if !self.in_key && !seen_begin {
                    // The block's start is above this text: take the key lines just above.
                    for j in (0..i).rev() {
                        let above = super::strip_ansi(&lines[j]);
                        if !is_key_body(&above, 16) {
                            break;
                        }
                        lines[j] = redacted_line(&lines[j]);
                        changed = true;
                    }
                }
                self.in_key = false;
                continue;
            }
            if self.in_key {
                let t = plain.trim();
                if t.is_empty() || is_key_body(t, 1) || is_pem_header(t) {
                    if !t.is_empty() {
                        lines[i] = redacted_line(&lines[i]);
                        changed = true;
                    }
                } else {
                    // Not key material: the block ended without its END line.
                    self.in_key = false;
                }
            }
        }
        changed.then(|| lines.concat())
    }
}

/// Only base64 characters, at least `min` of them.
fn is_key_body(line: &str, min: usize) -> bool {
    let t = line.trim();
    t.len() >= min
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

/// `Proc-Type: 4,ENCRYPTED`, `DEK-Info: …`, `Comment: …` inside a PEM block.
fn is_pem_header(line: &str) -> bool {
    line.split_once(": ").is_some_and(|(k, _)| {
        !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

fn redacted_line(line: &str) -> Cow<'static, str> {
    let newline = if line.ends_with('\n') { "\n" } else { "" };
    Cow::Owned(format!("{REDACTED}{newline}"))
}

#[cfg(test)]
#[path = "redact_tests.rs"]
pub(crate) mod tests;
