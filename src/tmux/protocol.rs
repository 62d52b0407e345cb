//! Reading tmux control-mode output: command replies framed by `%begin`/`%end`/`%error`
//! guard lines, and notifications (`%output`, `%window-add`, `%exit`, …) between them.
//!
//! Inside a reply tmux writes the command's output verbatim: a pane whose screen shows
//! `%end 1 2 1` or `%exit` comes back as those lines. So a block ends only on the guard
//! that repeats its own `%begin` time, number and flags exactly, and nothing inside a
//! block is taken for a notification.

/// One command's answer from a control-mode client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The block ended with `%end` (success) rather than `%error`.
    pub ok: bool,
    /// The output exactly as tmux printed it: every line followed by `\n`.
    pub output: Vec<u8>,
}

impl Reply {
    /// The output decoded as UTF-8, invalid bytes replaced rather than refused.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.output).into_owned()
    }

    /// The output as a one-line message for errors (tmux's error text).
    pub fn message(&self) -> String {
        self.text().trim_end().replace('\n', "; ")
    }
}

/// What one line of control-mode output meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A reply block closed. `ours` is tmux's flags field: 1 for a command this client
    /// sent, 0 for work tmux did on its own behalf (the initial attach).
    Reply { ours: bool, reply: Reply },
    /// tmux is detaching this client (`%exit`, with the reason when given).
    Exit(String),
    /// A notification or a line inside an open block: nothing to act on yet.
    Nothing,
}

/// The `TIME NUMBER FLAGS` triple that opens a reply block.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Guard {
    time: String,
    number: String,
    flags: String,
}

/// Parse `%begin|%end|%error TIME NUMBER FLAGS`, returning the keyword and the triple.
fn guard(line: &[u8]) -> Option<(&str, Guard)> {
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    let keyword = parts.next()?;
    if !matches!(keyword, "%begin" | "%end" | "%error") {
        return None;
    }
    let mut next_number = || {
        parts
            .next()
            .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_string)
    };
    let (time, number, flags) = (next_number()?, next_number()?, next_number()?);
    if parts.next().is_some() {
        return None;
    }
    Some((
        keyword,
        Guard {
            time,
            number,
            flags,
        },
    ))
}

/// Line-by-line state machine over a control client's stdout.
#[derive(Debug, Default)]
pub struct ReplyParser {
    open: Option<(Guard, Vec<u8>)>,
}

impl ReplyParser {
    /// A parser expecting to start between blocks.
    pub fn new() -> Self {
        Self::default()
    }

    /// True while a `%begin` has been seen without its closing guard.
    pub fn in_block(&self) -> bool {
        self.open.is_some()
    }

    /// Feed one line, without its trailing `\n`.
    pub fn feed(&mut self, line: &[u8]) -> Event {
        if let Some((begin, output)) = &mut self.open {
            match guard(line) {
                Some((keyword @ ("%end" | "%error"), g)) if g == *begin => {
                    let ours = begin.flags == "1";
                    let reply = Reply {
                        ok: keyword == "%end",
                        output: std::mem::take(output),
                    };
                    self.open = None;
                    Event::Reply { ours, reply }
                }
                _ => {
                    output.extend_from_slice(line);
                    output.push(b'\n');
                    Event::Nothing
                }
            }
        } else {
            match guard(line) {
                Some(("%begin", g)) => {
                    self.open = Some((g, Vec::new()));
                    Event::Nothing
                }
                _ if line == b"%exit" || line.starts_with(b"%exit ") => Event::Exit(
                    String::from_utf8_lossy(line.get(6..).unwrap_or_default()).into_owned(),
                ),
                // Notifications, and guards of blocks we never saw open.
                _ => Event::Nothing,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Vec<Event> {
        let mut p = ReplyParser::new();
        text.split('\n')
            .map(|l| p.feed(l.as_bytes()))
            .filter(|e| *e != Event::Nothing)
            .collect()
    }

    fn ours(ok: bool, output: &str) -> Event {
        Event::Reply {
            ours: true,
            reply: Reply {
                ok,
                output: output.as_bytes().to_vec(),
            },
        }
    }

    #[test]
    fn attach_block_then_replies_with_notifications_between() {
        let events = run(
            "%begin 17 340 0\n%end 17 340 0\n%session-changed $0 shoal\n\
             %begin 17 341 1\nhello\n%end 17 341 1\n%window-add @3\n%output %1 hi\\015\n\
             %begin 17 342 1\n%end 17 342 1",
        );
        assert_eq!(
            events,
            vec![
                Event::Reply {
                    ours: false,
                    reply: Reply {
                        ok: true,
                        output: vec![]
                    }
                },
                ours(true, "hello\n"),
                ours(true, ""),
            ]
        );
    }

    #[test]
    fn error_block_stays_in_its_block() {
        let events = run("%begin 5 10 1\nline one\n%end 5 10 1\n\
             %begin 5 11 1\ncan't find pane: %99\n%error 5 11 1\n\
             %begin 5 12 1\nline three\n%end 5 12 1");
        assert_eq!(
            events,
            vec![
                ours(true, "line one\n"),
                ours(false, "can't find pane: %99\n"),
                ours(true, "line three\n"),
            ]
        );
        if let Event::Reply { reply, .. } = &events[1] {
            assert_eq!(reply.message(), "can't find pane: %99");
        }
    }

    #[test]
    fn multi_line_output_is_kept_whole_with_empty_lines() {
        let events = run("%begin 1 2 1\nfirst\n\n  indented\t\x1b[1mbold\x1b[0m\n\n%end 1 2 1");
        assert_eq!(
            events,
            vec![ours(true, "first\n\n  indented\t\x1b[1mbold\x1b[0m\n\n")]
        );
    }

    /// tmux does not escape command output: a captured screen that shows guard lines or
    /// `%exit` arrives verbatim, and only the exact closing triple ends the block.
    #[test]
    fn guard_lookalikes_inside_a_block_are_output() {
        let events = run("%begin 100 7 1\n%begin 1 2 1\n%end 1 2 1\n%end 100 8 1\n\
             %error 100 7 0\n%exit\n%output %1 x\n%end 100 7 1");
        assert_eq!(
            events,
            vec![ours(
                true,
                "%begin 1 2 1\n%end 1 2 1\n%end 100 8 1\n%error 100 7 0\n%exit\n%output %1 x\n"
            )]
        );
    }

    #[test]
    fn exit_outside_a_block_is_reported_with_its_reason() {
        assert_eq!(run("%exit"), vec![Event::Exit(String::new())]);
        assert_eq!(
            run("%begin 1 2 1\n%end 1 2 1\n%exit server exited"),
            vec![ours(true, ""), Event::Exit("server exited".into())]
        );
    }

    #[test]
    fn malformed_guards_are_not_guards() {
        for line in [
            "%begin 1 2",
            "%begin 1 2 1 4",
            "%begin a 2 1",
            "%begin  1 2 1",
            "%beginx 1 2 1",
        ] {
            assert_eq!(guard(line.as_bytes()), None, "{line:?}");
        }
        let mut p = ReplyParser::new();
        p.feed(b"%begin 1 2 1");
        assert!(p.in_block());
        assert_eq!(p.feed(b"%end 1 2"), Event::Nothing);
        assert!(p.in_block());
    }

    #[test]
    fn non_utf8_output_survives_as_bytes() {
        let mut p = ReplyParser::new();
        p.feed(b"%begin 1 2 1");
        p.feed(b"caf\xc3\xa9 \xff broken");
        let Event::Reply { reply, .. } = p.feed(b"%end 1 2 1") else {
            panic!("block did not close");
        };
        assert_eq!(reply.output, b"caf\xc3\xa9 \xff broken\n");
        assert_eq!(reply.text(), "café \u{fffd} broken\n");
    }
}
