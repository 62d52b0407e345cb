//! Every string the simulated agent shows, and the builders for its transcript lines.
//!
//! The distinguishing strings are copied from real Claude Code 2.x captures so that
//! shoal's detector classifies the simulated screens exactly like the real ones; the
//! banner says plainly that this is a simulation.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use std::time::Duration;

/// One logical line of output; `indent` is where its wrapped continuation rows start.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TLine {
    pub spans: Vec<Span<'static>>,
    pub indent: u16,
}

impl TLine {
    pub fn new(spans: Vec<Span<'static>>, indent: u16) -> Self {
        Self { spans, indent }
    }
}

/// One transcript entry (a message, a tool call with its result, a summary).
pub(crate) type Entry = Vec<TLine>;

/// The palette of Claude Code's screens, as 256-colour indexes.
pub(crate) const ORANGE: Color = Color::Indexed(174);
pub(crate) const GREY: Color = Color::Indexed(246);
pub(crate) const WHITE: Color = Color::Indexed(231);
pub(crate) const GREEN: Color = Color::Indexed(114);
pub(crate) const YELLOW: Color = Color::Indexed(220);
pub(crate) const RED: Color = Color::Indexed(203);

/// Claude Code puts a no-break space after its prompt glyph.
pub(crate) const PROMPT: &str = "❯\u{a0}";
pub(crate) const RULE: &str = "─";
pub(crate) const FOOTER_IDLE: &str = "? for shortcuts · ← for agents";
pub(crate) const FOOTER_BUSY: &str = "esc to interrupt · ← for agents";
pub(crate) const FOOTER_CTRL_C: &str = "Press Ctrl-C again to exit";
pub(crate) const FOOTER_RIGHT: &str = "● high · /effort";
pub(crate) const DIALOG_QUESTION: &str = "Do you want to proceed?";
pub(crate) const DIALOG_HINT: &str = "Esc to cancel · Tab to amend · ctrl+e to explain";
pub(crate) const MOCK_COMMAND: &str = "touch mock_was_here.txt && echo mock-ok";
pub(crate) const MOCK_PURPOSE: &str = "Create a marker file";
pub(crate) const MOCK_OUTPUT: &str = "mock-ok";
pub(crate) const WAITING: &str = "Waiting…";
pub(crate) const INTERRUPTED: &str = "Interrupted · What should Claude do instead?";
pub(crate) const RATE_LIMIT_ERROR: &str = "API Error: Request rejected (429) · Number of request \
     tokens has exceeded your per-minute rate limit (shoal sim)";
pub(crate) const FINAL_ANSWER: &str = "All done.";
pub(crate) const CRASH_MESSAGE: &str =
    "Error: shoal sim-agent crashed on purpose (scenario `crash`); exit status 3";

/// Claude Code's spinner glyphs; it runs through them forwards, then backwards.
const SPINNER: [&str; 6] = ["·", "✢", "✳", "✶", "✻", "✽"];
/// How long one spinner frame stays on screen.
pub(crate) const SPINNER_FRAME: Duration = Duration::from_millis(120);
/// Claude Code shows no elapsed timer on a silent request until it has run this long.
pub(crate) const TIMER_AFTER: Duration = Duration::from_secs(16);

const VERBS: [&str; 6] = [
    "Working",
    "Percolating",
    "Doodling",
    "Symbioting",
    "Pondering",
    "Boogieing",
];
const PAST_VERBS: [&str; 4] = ["Brewed", "Baked", "Sautéed", "Worked"];

/// The spinner verb for a run: real Claude Code picks one at random per request.
pub(crate) fn verb(seed: u32) -> &'static str {
    VERBS[seed as usize % VERBS.len()]
}

/// The three-line logo banner; the first line names the simulation.
pub(crate) fn banner(cwd: &str) -> Vec<TLine> {
    let orange = Style::new().fg(ORANGE);
    let grey = Style::new().fg(GREY);
    let version = env!("CARGO_PKG_VERSION");
    vec![
        TLine::new(
            vec![
                Span::styled(" ▐▛███▜▌", orange),
                Span::raw("   Claude Code (shoal sim) "),
                Span::styled(format!("v{version}"), grey),
            ],
            11,
        ),
        TLine::new(
            vec![
                Span::styled("▝▜█████▛▘", orange),
                Span::raw("  "),
                Span::styled("Simulated agent · no model, no network", grey),
            ],
            11,
        ),
        TLine::new(
            vec![
                Span::styled("  ▘▘ ▝▝", orange),
                Span::raw("    "),
                Span::styled(cwd.to_string(), grey),
            ],
            11,
        ),
    ]
}

/// The operator's message as it stays in the transcript.
pub(crate) fn user_message(task: &str) -> Entry {
    let bg = Color::Indexed(237);
    vec![TLine::new(
        vec![
            Span::styled("❯ ", Style::new().fg(Color::Indexed(239)).bg(bg)),
            Span::styled(task.to_string(), Style::new().fg(WHITE).bg(bg)),
        ],
        2,
    )]
}

/// A `●` line; `color` tells a message (white) from a finished tool (green).
pub(crate) fn bullet(text: &str, color: Color) -> TLine {
    TLine::new(
        vec![
            Span::styled("●", Style::new().fg(color)),
            Span::raw(format!(" {text}")),
        ],
        2,
    )
}

/// A tool call header such as `● Bash(cargo test)`.
pub(crate) fn tool(name: &str, args: &str, color: Color) -> TLine {
    TLine::new(
        vec![
            Span::styled("●", Style::new().fg(color)),
            Span::raw(" "),
            Span::styled(name.to_string(), Style::new().add_modifier(Modifier::BOLD)),
            Span::raw(format!("({args})")),
        ],
        2,
    )
}

/// A tool result line: `  ⎿` then a space and a no-break space, as Claude Code prints it.
pub(crate) fn result(text: &str) -> TLine {
    TLine::new(
        vec![
            Span::styled("  ⎿ \u{a0}", Style::new().fg(GREY)),
            Span::raw(text.to_string()),
        ],
        5,
    )
}

/// The pending Bash call that the permission dialog asks about.
pub(crate) fn pending_bash() -> Entry {
    vec![
        tool("Bash", MOCK_COMMAND, GREY),
        TLine::new(
            vec![Span::styled(
                format!("  ⎿ \u{a0}{WAITING}"),
                Style::new().fg(GREY),
            )],
            5,
        ),
    ]
}

/// The 429 error with the usage-limit line that says when it resets.
pub(crate) fn rate_limit_error(reset_clock: &str) -> Entry {
    vec![
        TLine::new(
            vec![
                Span::styled("●", Style::new().fg(YELLOW)),
                Span::raw(" "),
                Span::styled(RATE_LIMIT_ERROR, Style::new().fg(YELLOW)),
            ],
            2,
        ),
        result(&format!("Usage limit reached · resets {reset_clock}")),
    ]
}

/// The error line a crashing run leaves in its transcript.
pub(crate) fn crash_error() -> Entry {
    vec![TLine::new(
        vec![
            Span::styled("●", Style::new().fg(RED)),
            Span::styled(format!(" {CRASH_MESSAGE}"), Style::new().fg(RED)),
        ],
        2,
    )]
}

/// `✻ Brewed for 6s`: the line Claude Code leaves when a turn ends.
pub(crate) fn turn_summary(seed: u32, took: Duration) -> Entry {
    let past = PAST_VERBS[seed as usize % PAST_VERBS.len()];
    vec![TLine::new(
        vec![
            Span::styled("✻", Style::new().fg(GREY)),
            Span::styled(
                format!(" {past} for {}", elapsed(took)),
                Style::new().fg(GREY),
            ),
        ],
        2,
    )]
}

/// The spinner glyph shown `running` after a request started.
pub(crate) fn spinner(running: Duration) -> &'static str {
    let step = (running.as_millis() / SPINNER_FRAME.as_millis()) as usize;
    let cycle = SPINNER.len() * 2 - 2;
    let i = step % cycle;
    SPINNER[if i < SPINNER.len() { i } else { cycle - i }]
}

/// The busy line: `✻ Doodling… (4s · ↓ 30 tokens)`, or the bare verb early in a silent request.
pub(crate) fn busy(glyph: &str, label: &str, running: Duration, tokens: u32) -> TLine {
    let orange = Style::new().fg(ORANGE);
    let mut spans = vec![
        Span::styled(glyph.to_string(), orange),
        Span::raw(" "),
        Span::styled(format!("{label}…"), orange),
    ];
    if tokens > 0 {
        spans.push(Span::styled(
            format!(" ({} · ↓ {} tokens)", elapsed(running), token_count(tokens)),
            Style::new().fg(GREY),
        ));
    } else if running >= TIMER_AFTER {
        spans.push(Span::styled(
            format!(" ({})", elapsed(running)),
            Style::new().fg(GREY),
        ));
    }
    TLine::new(spans, 2)
}

/// The busy line while the API is being retried: `✻ API error · Retrying in 1s · attempt 2/3`.
pub(crate) fn retrying(glyph: &str, wait: Duration, attempt: u32, of: u32) -> TLine {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    TLine::new(
        vec![
            Span::styled(glyph.to_string(), Style::new().fg(ORANGE)),
            Span::styled(
                format!(
                    " API error · Retrying in {}s · attempt {attempt}/{of}",
                    secs.max(1)
                ),
                Style::new().fg(ORANGE),
            ),
        ],
        2,
    )
}

/// Elapsed time the way Claude Code prints it: `7s`, `1m 5s`, `2h 3m`.
pub(crate) fn elapsed(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {}s", s / 60, s % 60),
        _ => format!("{}h {}m", s / 3600, (s % 3600) / 60),
    }
}

fn token_count(n: u32) -> String {
    if n < 1000 {
        n.to_string()
    } else {
        format!("{:.1}k", f64::from(n) / 1000.0)
    }
}

/// A wall-clock time as Claude Code prints a reset: `4:20pm`, or `4pm` on the hour.
pub(crate) fn clock<T: chrono::Timelike>(t: &T) -> String {
    let (pm, hour) = t.hour12();
    let suffix = if pm { "pm" } else { "am" };
    match t.minute() {
        0 => format!("{hour}{suffix}"),
        m => format!("{hour}:{m:02}{suffix}"),
    }
}

/// One line of steady work; `n` counts the lines produced so far. Returns the line and
/// whether it starts a new transcript entry (tool results continue the entry above).
pub(crate) fn work_line(n: u64) -> (TLine, bool) {
    let module = 7 + n / 7;
    let file = format!("src/module_{module}.rs");
    match n % 7 {
        0 => (tool("Read", &file, GREEN), true),
        1 => (
            result(&format!("Read {} lines", 60 + module * 13 % 90)),
            false,
        ),
        2 => (tool("Update", &file, GREEN), true),
        3 => (
            result(&format!("Updated {file} with {} additions", 2 + module % 5)),
            false,
        ),
        4 => (
            tool("Bash", &format!("cargo test module_{module}"), GREEN),
            true,
        ),
        5 => (
            result(&format!(
                "test result: ok. {} passed; 0 failed",
                4 + module % 9
            )),
            false,
        ),
        _ => (
            bullet(
                &format!(
                    "module_{module} passes; moving on to module_{}.",
                    module + 1
                ),
                WHITE,
            ),
            true,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    fn plain(line: &TLine) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn clock_prints_like_claude_code() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 37).expect("valid time");
        assert_eq!(clock(&t(16, 20)), "4:20pm");
        assert_eq!(clock(&t(16, 0)), "4pm");
        assert_eq!(clock(&t(0, 5)), "12:05am");
        assert_eq!(clock(&t(12, 0)), "12pm");
    }

    #[test]
    fn elapsed_prints_like_claude_code() {
        assert_eq!(elapsed(Duration::from_millis(4900)), "4s");
        assert_eq!(elapsed(Duration::from_secs(65)), "1m 5s");
        assert_eq!(elapsed(Duration::from_secs(7380)), "2h 3m");
    }

    #[test]
    fn spinner_runs_forwards_then_backwards() {
        let frames: Vec<&str> = (0..12).map(|i| spinner(SPINNER_FRAME * i)).collect();
        assert_eq!(
            frames,
            ["·", "✢", "✳", "✶", "✻", "✽", "✻", "✶", "✳", "✢", "·", "✢"]
        );
    }

    #[test]
    fn busy_line_shows_the_timer_only_once_there_is_something_to_count() {
        let early = plain(&busy("·", "Symbioting", Duration::from_secs(8), 0));
        assert_eq!(early, "· Symbioting…");
        let late = plain(&busy("✶", "Symbioting", Duration::from_secs(20), 0));
        assert_eq!(late, "✶ Symbioting… (20s)");
        let streaming = plain(&busy("·", "Doodling", Duration::from_secs(4), 30));
        assert_eq!(streaming, "· Doodling… (4s · ↓ 30 tokens)");
        let long = plain(&busy("·", "Doodling", Duration::from_secs(4), 1234));
        assert_eq!(long, "· Doodling… (4s · ↓ 1.2k tokens)");
    }

    #[test]
    fn result_lines_use_the_no_break_space_of_the_real_cli() {
        assert_eq!(plain(&result("mock-ok")), "  ⎿ \u{a0}mock-ok");
    }

    #[test]
    fn work_lines_alternate_tools_and_results_and_move_on() {
        let lines: Vec<(String, bool)> = (0..8)
            .map(|n| {
                let (l, new) = work_line(n);
                (plain(&l), new)
            })
            .collect();
        assert_eq!(lines[0], ("● Read(src/module_7.rs)".to_string(), true));
        assert!(lines[1].0.starts_with("  ⎿ \u{a0}Read "));
        assert!(!lines[1].1);
        assert_eq!(lines[2], ("● Update(src/module_7.rs)".to_string(), true));
        assert!(lines[3].0.contains("Updated src/module_7.rs with"));
        assert_eq!(lines[7].0, "● Read(src/module_8.rs)");
        let distinct: std::collections::HashSet<_> = lines.iter().map(|l| &l.0).collect();
        assert_eq!(distinct.len(), lines.len());
    }
}
