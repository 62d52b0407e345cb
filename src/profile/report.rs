//! `shoal detect`: classify a saved capture and explain the verdict.

use super::registry::FALLBACK_KIND;
use super::{digest, strip_ansi, Detection, Registry, ResetHint, RuleMatch};
use crate::fleet::{Activity, ErrorKind};
use serde::Serialize;

/// Most lines of a capture that are classified (the bottom ones: that is where the agent is).
pub const MAX_DETECT_LINES: usize = 500;

/// Most bytes of a capture that are classified, for captures with enormous lines.
const MAX_DETECT_BYTES: usize = 1 << 20;

/// What `shoal detect` found in one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetectReport {
    /// The file name as given.
    pub name: String,
    /// The profile used.
    pub kind: String,
    /// How the kind was chosen: `given`, `screen` (a banner pattern) or `fallback`.
    pub kind_source: String,
    /// The banner pattern that recognised the kind, when guessed from the screen.
    pub kind_pattern: Option<String>,
    /// What the agent is doing.
    pub activity: Activity,
    /// The error shown, if any.
    pub error: Option<ErrorKind>,
    /// When the error says the agent may try again.
    pub reset: Option<ResetHint>,
    /// The deciding rule, with line numbers counted in the whole file.
    pub matched: Option<RuleMatch>,
    /// One human line: what and why.
    pub explanation: String,
    /// Keys that would answer the prompt (only for needs-input).
    pub approve_keys: Vec<String>,
    /// Keys that would refuse the prompt (only for needs-input).
    pub deny_keys: Vec<String>,
    /// Proof-of-life digest of the transcript (the classified part above the chrome).
    pub digest: String,
    /// What the composer holds (`""` empty), when the profile finds one on the screen.
    pub composer: Option<String>,
    /// The CLI waits at its prompt with an empty composer: a task may be typed.
    pub ready_for_input: bool,
    /// The capture caught the screen mid-redraw: no evidence of progress or activity.
    pub torn: bool,
    /// Lines in the file.
    pub lines_total: usize,
    /// First file line (1-based) that was classified.
    pub first_line: usize,
    /// Anything the operator should know about the input (truncation, bad bytes, bad kind).
    pub notes: Vec<String>,
}

/// Classifies one capture. `kind` picks the profile; without it the kind is guessed from
/// the screen's banner patterns, else `shell`. Any bytes are accepted: invalid UTF-8 is
/// replaced, and only the bottom [`MAX_DETECT_LINES`] lines are classified.
pub fn detect_report(
    registry: &Registry,
    kind: Option<&str>,
    name: &str,
    bytes: &[u8],
) -> DetectReport {
    let mut notes = Vec::new();
    let text = String::from_utf8_lossy(bytes);
    if matches!(text, std::borrow::Cow::Owned(_)) {
        notes.push("input is not valid UTF-8; invalid bytes were replaced".to_string());
    }
    if bytes.contains(&0) {
        notes.push("input contains NUL bytes: it may not be a screen capture".to_string());
    }
    let body = text.strip_suffix('\n').unwrap_or(&text);
    let lines_total = if body.is_empty() {
        0
    } else {
        body.split('\n').count()
    };
    let (offset, tail) = bottom(body);
    if offset > 0 {
        notes.push(format!(
            "only lines {}–{lines_total} of {lines_total} were classified",
            offset + 1
        ));
    }

    let given = kind.and_then(|k| {
        let p = registry.get(k);
        if p.is_none() {
            notes.push(format!(
                "unknown kind {k:?} (known: {}); guessing from the screen",
                registry.names().join(", ")
            ));
        }
        p
    });
    let (profile, kind_source, kind_pattern) = match given {
        Some(p) => (Some(p), "given", None),
        None => match registry.guess_kind_from_screen(&strip_ansi(tail)) {
            Some((k, pat)) => (registry.get(&k), "screen", Some(pat)),
            None => (registry.get(FALLBACK_KIND), "fallback", None),
        },
    };
    let Some(profile) = profile else {
        // Only possible with a registry that lacks the shell profile.
        notes.push(format!("no profile for kind {FALLBACK_KIND:?}"));
        return DetectReport {
            name: name.to_string(),
            kind: FALLBACK_KIND.to_string(),
            kind_source: kind_source.to_string(),
            kind_pattern,
            activity: Activity::Unknown,
            error: None,
            reset: None,
            matched: None,
            explanation: Detection::unknown().explain(),
            approve_keys: Vec::new(),
            deny_keys: Vec::new(),
            digest: digest(&super::normalize(tail, &[])),
            composer: None,
            ready_for_input: false,
            torn: false,
            lines_total,
            first_line: offset + 1,
            notes,
        };
    };

    let mut detection = profile.classify(tail);
    if let Some(m) = detection.matched.as_mut() {
        m.first_line += offset;
        m.last_line += offset;
    }
    DetectReport {
        name: name.to_string(),
        kind: profile.name().to_string(),
        kind_source: kind_source.to_string(),
        kind_pattern,
        activity: detection.activity,
        error: detection.error,
        reset: detection.reset,
        explanation: detection.explain(),
        matched: detection.matched,
        approve_keys: detection.approve.clone(),
        deny_keys: detection.deny.clone(),
        digest: profile.progress_digest(tail),
        composer: profile.composer_text(tail),
        ready_for_input: profile.ready_for_input(tail),
        torn: profile.is_torn(tail),
        lines_total,
        first_line: offset + 1,
        notes,
    }
}

/// The bottom of `body`: at most [`MAX_DETECT_LINES`] lines and [`MAX_DETECT_BYTES`]
/// bytes, with the number of whole lines cut off above it.
fn bottom(body: &str) -> (usize, &str) {
    let mut start = body.len();
    let mut lines = 0;
    for (i, b) in body.bytes().enumerate().rev() {
        if b == b'\n' {
            lines += 1;
            if lines == MAX_DETECT_LINES {
                start = i + 1;
                break;
            }
        }
        if body.len() - i > MAX_DETECT_BYTES {
            start = i + 1;
            break;
        }
        start = i;
    }
    while !body.is_char_boundary(start) {
        start += 1;
    }
    let offset = body[..start].matches('\n').count();
    (offset, &body[start..])
}

impl DetectReport {
    /// The report as a few aligned lines for a terminal.
    pub fn to_text(&self) -> String {
        let mut out = format!("{}: {}", self.name, self.activity);
        if let Some(e) = self.error {
            out.push_str(&format!(" ({e})"));
        }
        out.push('\n');
        let kind_how = match (self.kind_source.as_str(), &self.kind_pattern) {
            ("screen", Some(p)) => format!("recognised on the screen by `{p}`"),
            ("fallback", _) => "no profile recognised the screen; pass --kind".to_string(),
            _ => "given".to_string(),
        };
        out.push_str(&format!("  kind    {} ({kind_how})\n", self.kind));
        out.push_str(&format!("  why     {}\n", self.explanation));
        if let Some(r) = self.reset {
            out.push_str(&format!("  reset   {r}\n"));
        }
        if self.activity == Activity::NeedsInput {
            out.push_str(&format!(
                "  keys    approve: {} · deny: {}\n",
                self.approve_keys.join(" "),
                self.deny_keys.join(" ")
            ));
        }
        if let Some(c) = &self.composer {
            let shown = if c.is_empty() {
                "(empty)".to_string()
            } else {
                format!("«{}»", c.replace('\n', "⏎"))
            };
            let ready = if self.ready_for_input {
                " · ready for input"
            } else {
                ""
            };
            out.push_str(&format!("  input   {shown}{ready}\n"));
        }
        if self.torn {
            out.push_str(
                "  torn    caught mid-redraw: no chrome drawn; not evidence of progress\n",
            );
        }
        out.push_str(&format!("  digest  {}\n", self.digest));
        for n in &self.notes {
            out.push_str(&format!("  note    {n}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bottom_caps_lines_and_counts_the_offset() {
        let body: String = (1..=1000).map(|i| format!("l{i}\n")).collect();
        let body = body.trim_end_matches('\n');
        let (offset, tail) = bottom(body);
        assert_eq!(offset, 500);
        assert!(tail.starts_with("l501\n"));
        assert!(tail.ends_with("l1000"));
        assert_eq!(bottom("a\nb"), (0, "a\nb"));
    }

    #[test]
    fn bottom_caps_bytes_on_a_char_boundary() {
        let body = "é".repeat(MAX_DETECT_BYTES);
        let (offset, tail) = bottom(&body);
        assert_eq!(offset, 0);
        assert!(tail.len() <= MAX_DETECT_BYTES);
    }

    #[test]
    fn unknown_kind_is_noted_and_guessed() {
        let reg = Registry::builtin();
        let r = detect_report(&reg, Some("nope"), "x.txt", b"user@host:~$ ");
        assert_eq!(r.kind, "shell");
        assert_eq!(r.activity, Activity::Idle);
        assert!(
            r.notes[0].contains("unknown kind \"nope\""),
            "{:?}",
            r.notes
        );
        assert!(r.to_text().starts_with("x.txt: idle\n"));
    }
}
