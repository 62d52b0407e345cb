//! Bounding a pane capture before it is shown: a capture can be huge or full of binary
//! noise, and the console must stay fast and never panic on it.

/// Lines kept from the end of a capture; scrollback beyond this is not shown.
pub const MAX_LINES: usize = 1000;
/// Bytes kept from the end of a capture, whatever its line count.
pub const MAX_BYTES: usize = 256 * 1024;

/// Lines kept of a pane's whole scrollback (read when the operator scrolls back or
/// searches): more than the history tmux keeps per pane, plus a screen.
pub const SCROLLBACK_LINES: usize = 20_000;
/// Bytes kept of a pane's whole scrollback.
pub const SCROLLBACK_BYTES: usize = 16 * 1024 * 1024;

/// The tail of a capture that the pane view shows: at most `MAX_LINES` lines and
/// `MAX_BYTES` bytes, without the blank lines tmux pads a screen with at the bottom.
pub fn tail(capture: &str) -> &str {
    tail_within(capture, MAX_LINES, MAX_BYTES)
}

/// The tail of a capture or of a whole scrollback (`frozen`), as the pane view shows it.
pub fn view_tail(text: &str, frozen: bool) -> &str {
    if frozen {
        tail_within(text, SCROLLBACK_LINES, SCROLLBACK_BYTES)
    } else {
        tail(text)
    }
}

/// [`tail`] with other bounds.
pub fn tail_within(capture: &str, max_lines: usize, max_bytes: usize) -> &str {
    let mut s = capture;
    if s.len() > max_bytes {
        let mut cut = s.len() - max_bytes;
        while !s.is_char_boundary(cut) {
            cut += 1;
        }
        s = &s[cut..];
    }
    // Trailing padding: lines that are empty or whitespace, possibly with a colour reset.
    let mut end = s.len();
    loop {
        let body = s[..end].trim_end_matches(['\n', '\r']);
        let start = body.rfind('\n').map_or(0, |i| i + 1);
        let last = &body[start..];
        // tmux writes `Pane is dead (status 3, …)` under a dead pane's screen, below
        // its blank rows: the agent's last words are above them.
        let blank = last.trim().is_empty()
            || last.trim() == "\u{1b}[0m"
            || last.trim() == "\u{1b}[m"
            || is_dead_banner(last);
        if blank && !body.is_empty() {
            end = start;
        } else {
            end = body.len();
            break;
        }
    }
    let s = &s[..end];
    match s
        .char_indices()
        .rev()
        .filter(|&(_, c)| c == '\n')
        .nth(max_lines.max(1) - 1)
    {
        Some((i, _)) => &s[i + 1..],
        None => s,
    }
}

/// tmux's remain-on-exit line, possibly wrapped in colour escapes.
fn is_dead_banner(line: &str) -> bool {
    if !line.contains("Pane is dead (") {
        return false;
    }
    let plain = String::from_utf8_lossy(&strip_ansi_escapes::strip(line)).into_owned();
    let plain = plain.trim();
    plain.starts_with("Pane is dead (") && plain.ends_with(')')
}

/// How many lines `tail(capture)` has.
pub fn line_count(capture: &str) -> usize {
    let t = tail(capture);
    if t.is_empty() {
        0
    } else {
        t.lines().count()
    }
}

/// The lines of a view tail as plain text, one per line the pane view draws: colours
/// dropped, tabs as a space and other control characters as `�`, as the view shows them.
pub fn plain_lines(tail: &str) -> Vec<String> {
    if tail.is_empty() {
        return Vec::new();
    }
    tail.split('\n').map(plain_line).collect()
}

/// One line without its escape sequences (CSI, OSC and two-byte ones), shown as the
/// view shows it.
fn plain_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters, then one final byte in @..~.
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC: up to BEL or ESC \.
                Some(']') => {
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\r' => {}
            '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_lines_and_drops_padding() {
        assert_eq!(tail("a\nb\n\n  \n\n"), "a\nb");
        assert_eq!(tail("a\n\x1b[0m\n"), "a");
        assert_eq!(tail(""), "");
        assert_eq!(tail("\n\n\n"), "");
        // A dead pane: the last words, not tmux's banner under 40 blank rows.
        let dead = format!(
            "Error: crashed\n{}Pane is dead (status 3, Thu Dec  3 17:29:13 2026)\n",
            "\n".repeat(40)
        );
        assert_eq!(tail(&dead), "Error: crashed");
        assert_eq!(
            tail("x\n\u{1b}[1mPane is dead (signal 9, Thu Dec  3 17:29:13 2026)\u{1b}[0m\n"),
            "x"
        );
        let big: String = (0..5000).map(|i| format!("line {i}\n")).collect();
        let t = tail(&big);
        assert_eq!(t.lines().count(), MAX_LINES);
        assert!(
            t.starts_with("line 4000\n") && t.ends_with("line 4999"),
            "{}",
            &t[..20]
        );
        assert_eq!(line_count(&big), MAX_LINES);
    }

    #[test]
    fn huge_lines_are_cut_on_a_char_boundary() {
        let s = "é".repeat(MAX_BYTES); // two bytes each
        let t = tail(&s);
        assert!(t.len() <= MAX_BYTES && t.chars().all(|c| c == 'é'));
    }
}
