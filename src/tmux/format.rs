//! The `-F` formats shoal asks tmux for, and their parsers.
//!
//! Window names and user options may contain any byte, tabs and newlines included, so
//! no separator is safe for them. Each record therefore carries tmux-controlled fields
//! (ids, numbers) separated by tabs, then the byte length of every free-text field
//! (`#{n:…}`), then the free-text fields back to back, then a newline. The parser takes
//! exactly the announced number of bytes, whatever they contain.

use super::{PaneInfo, PaneState};

/// `list-panes -a -F` format producing one [`PaneInfo`] record per pane.
pub const PANE_FORMAT: &str = concat!(
    "#{pane_id}\t#{window_id}\t#{pane_pid}\t#{pane_dead}\t#{pane_dead_status}\t",
    "#{pane_dead_signal}\t#{pane_width}\t#{pane_height}\t#{window_activity}\t",
    "#{history_size}\t",
    "#{n:window_name}\t#{n:@shoal_agent}\t#{n:@shoal_attempt}\t#{n:@shoal_mark}\t",
    "#{n:pane_title}\t",
    "#{window_name}#{@shoal_agent}#{@shoal_attempt}#{@shoal_mark}#{pane_title}"
);
const PANE_FIXED: usize = 10;
const PANE_SIZED: usize = 5;

/// `list-panes -a -F` format with only what a supervisor tick reads. Every field costs
/// tmux about a microsecond per pane per listing, so the hot path asks for few.
pub const POLL_FORMAT: &str = concat!(
    "#{pane_id}\t#{pane_dead}\t#{pane_dead_status}\t#{pane_dead_signal}\t",
    "#{window_activity}\t#{history_size}\t#{pane_height}\t#{pane_pid}\t",
    "#{n:@shoal_req}\t#{n:@shoal_mark}\t#{n:pane_title}\t#{@shoal_mark}#{pane_title}"
);
const POLL_FIXED: usize = 9;
const POLL_SIZED: usize = 2;

/// `list-panes -a -F` format giving each pane's id and current foreground command.
pub const COMMAND_FORMAT: &str = "#{pane_id}\t#{n:pane_current_command}\t#{pane_current_command}";

/// One parsed record: the tab-separated fields and the length-prefixed ones.
pub(crate) struct Record<'a> {
    pub(crate) fixed: Vec<&'a [u8]>,
    pub(crate) sized: Vec<&'a [u8]>,
}

/// Split tmux output into records of `fixed` plain fields and `sized` free-text fields.
pub(crate) fn parse_records(
    out: &[u8],
    fixed: usize,
    sized: usize,
) -> Result<Vec<Record<'_>>, String> {
    let mut records = Vec::new();
    let mut rest = out;
    while !rest.is_empty() {
        let mut plain = Vec::with_capacity(fixed + sized);
        for _ in 0..fixed + sized {
            let tab = rest
                .iter()
                .position(|&b| b == b'\t' || b == b'\n')
                .filter(|&i| rest[i] == b'\t')
                .ok_or_else(|| format!("record is cut short: {:?}", preview(rest)))?;
            plain.push(&rest[..tab]);
            rest = &rest[tab + 1..];
        }
        let lengths = plain.split_off(fixed);
        let mut values = Vec::with_capacity(sized);
        for len in lengths {
            let len: usize = field(len)
                .parse()
                .map_err(|_| format!("bad field length {:?}", preview(len)))?;
            if rest.len() < len {
                return Err(format!("field of {len} bytes runs past the output"));
            }
            values.push(&rest[..len]);
            rest = &rest[len..];
        }
        rest = rest
            .strip_prefix(b"\n")
            .ok_or_else(|| format!("record does not end with a newline: {:?}", preview(rest)))?;
        records.push(Record {
            fixed: plain,
            sized: values,
        });
    }
    Ok(records)
}

/// Parse `list-panes -a -F PANE_FORMAT` output.
pub fn parse_panes(out: &[u8]) -> Result<Vec<PaneInfo>, String> {
    parse_records(out, PANE_FIXED, PANE_SIZED)?
        .into_iter()
        .map(|r| pane_info(&r))
        .collect()
}

/// Parse `list-panes -a -F POLL_FORMAT` output.
pub fn parse_poll(out: &[u8]) -> Result<Vec<PaneState>, String> {
    parse_records(out, POLL_FIXED, POLL_SIZED)?
        .into_iter()
        .map(|r| {
            let f = |i: usize| field(r.fixed[i]);
            let pane_id = f(0);
            if !pane_id.starts_with('%') {
                return Err(format!("pane id {pane_id:?} does not start with %"));
            }
            Ok(PaneState {
                pane_id: pane_id.to_string(),
                dead: f(1) == "1",
                dead_status: dead_status(f(2), f(3)),
                window_activity: f(4).parse().map_err(|_| {
                    format!("pane {pane_id}: window_activity {:?} is not a number", f(4))
                })?,
                history_size: f(5).parse().map_err(|_| {
                    format!("pane {pane_id}: history_size {:?} is not a number", f(5))
                })?,
                height: f(6)
                    .parse()
                    .map_err(|_| format!("pane {pane_id}: height {:?} is not a number", f(6)))?,
                pid: f(7)
                    .parse()
                    .map_err(|_| format!("pane {pane_id}: pid {:?} is not a number", f(7)))?,
                request_len: f(8).parse().map_err(|_| {
                    format!("pane {pane_id}: request length {:?} is not a number", f(8))
                })?,
                mark: mark(r.sized[0]),
                title: String::from_utf8_lossy(r.sized[1]).into_owned(),
            })
        })
        .collect()
}

/// A pane killed by a signal has no exit status; report it the way a shell does.
fn dead_status(status: &str, signal: &str) -> Option<i32> {
    match (status, signal) {
        ("", "") => None,
        ("", signal) => signal.parse::<i32>().ok().map(|n| 128 + n),
        (status, _) => status.parse().ok(),
    }
}

fn pane_info(r: &Record<'_>) -> Result<PaneInfo, String> {
    let f = |i: usize| field(r.fixed[i]);
    let number = |i: usize, what: &str| -> Result<i64, String> {
        f(i).parse()
            .map_err(|_| format!("pane {}: {what} {:?} is not a number", f(0), f(i)))
    };
    let pane_id = f(0);
    if !pane_id.starts_with('%') {
        return Err(format!("pane id {pane_id:?} does not start with %"));
    }
    let dead_status = dead_status(f(4), f(5));
    let text = |i: usize| String::from_utf8_lossy(r.sized[i]).into_owned();
    let agent = Some(text(1)).filter(|a| !a.is_empty());
    Ok(PaneInfo {
        pane_id: pane_id.to_string(),
        window_id: f(1).to_string(),
        window_name: text(0),
        pid: u32::try_from(number(2, "pid")?).map_err(|e| format!("pane {pane_id}: pid {e}"))?,
        dead: f(3) == "1",
        dead_status,
        width: u16::try_from(number(6, "width")?).map_err(|e| format!("width: {e}"))?,
        height: u16::try_from(number(7, "height")?).map_err(|e| format!("height: {e}"))?,
        window_activity: number(8, "window_activity")?,
        history_size: u64::try_from(number(9, "history_size")?)
            .map_err(|e| format!("pane {pane_id}: history_size {e}"))?,
        agent,
        // A foreign or hand-edited value is not shoal's attempt number.
        attempt: text(2).parse().ok(),
        mark: mark(r.sized[3]),
        title: text(4),
    })
}

/// The `@shoal_mark` pane option; unset is `None`.
fn mark(bytes: &[u8]) -> Option<String> {
    Some(String::from_utf8_lossy(bytes).into_owned()).filter(|m| !m.is_empty())
}

/// Whether some pane is dead with neither an exit status nor a signal: tmux 3.3a
/// sometimes misses the SIGCHLD of a pane that exits at once and leaves it a zombie
/// until another child of the server exits, so the status stays unknown meanwhile.
pub fn unreaped(panes: &[PaneInfo]) -> bool {
    panes.iter().any(|p| p.dead && p.dead_status.is_none())
}

/// [`unreaped`] for a poll listing.
pub fn unreaped_states(panes: &[PaneState]) -> bool {
    panes.iter().any(|p| p.dead && p.dead_status.is_none())
}

/// Parse `list-panes -a -F COMMAND_FORMAT` output into (pane id, current command).
pub fn parse_commands(out: &[u8]) -> Result<Vec<(String, String)>, String> {
    Ok(parse_records(out, 1, 1)?
        .into_iter()
        .map(|r| {
            (
                field(r.fixed[0]).to_string(),
                String::from_utf8_lossy(r.sized[0]).into_owned(),
            )
        })
        .collect())
}

/// tmux-controlled fields are ASCII; anything else becomes empty and fails to parse.
pub(crate) fn field(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or("")
}

fn preview(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(60)]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Build one record the way tmux prints PANE_FORMAT (history size 0 unless `fixed`
    /// ends with it).
    fn pane_line(fixed: &str, name: &str, agent: &str, attempt: &str) -> String {
        let fixed = if fixed.matches('\t').count() == PANE_FIXED - 1 {
            fixed.to_string()
        } else {
            format!("{fixed}\t0")
        };
        format!(
            "{fixed}\t{}\t{}\t{}\t0\t0\t{name}{agent}{attempt}\n",
            name.len(),
            agent.len(),
            attempt.len()
        )
    }

    #[test]
    fn parses_a_live_shoal_pane_and_a_bare_pane() {
        let out = pane_line(
            "%3\t@2\t4242\t0\t\t\t200\t50\t1700000000\t321",
            "coder",
            "coder",
            "2",
        ) + &pane_line("%0\t@0\t17\t0\t\t\t200\t50\t1699999999", "_shoal", "", "");
        let panes = parse_panes(out.as_bytes()).unwrap();
        assert_eq!(
            panes[0],
            PaneInfo {
                pane_id: "%3".into(),
                window_id: "@2".into(),
                window_name: "coder".into(),
                pid: 4242,
                dead: false,
                dead_status: None,
                width: 200,
                height: 50,
                window_activity: 1_700_000_000,
                history_size: 321,
                agent: Some("coder".into()),
                attempt: Some(2),
                mark: None,
                title: String::new(),
            }
        );
        assert_eq!(panes[1].window_name, "_shoal");
        assert_eq!(panes[1].agent, None);
        assert_eq!(panes[1].attempt, None);
    }

    #[test]
    fn parses_a_dead_pane_with_its_status() {
        let out = pane_line("%5\t@4\t99\t1\t3\t\t80\t24\t1700000001", "w", "a", "1");
        let pane = &parse_panes(out.as_bytes()).unwrap()[0];
        assert!(pane.dead);
        assert_eq!(pane.dead_status, Some(3));
        assert!(!unreaped(std::slice::from_ref(pane)));
    }

    #[test]
    fn a_pane_killed_by_a_signal_reports_128_plus_it() {
        let out = pane_line("%5\t@4\t99\t1\t\t9\t80\t24\t1", "w", "a", "1");
        let panes = parse_panes(out.as_bytes()).unwrap();
        assert_eq!(panes[0].dead_status, Some(137));
        assert!(!unreaped(&panes));
    }

    #[test]
    fn a_dead_pane_without_status_is_unreaped() {
        let out = pane_line("%5\t@4\t99\t1\t\t\t80\t24\t1", "w", "a", "1")
            + &pane_line("%6\t@5\t98\t0\t\t\t80\t24\t1", "v", "b", "1");
        let panes = parse_panes(out.as_bytes()).unwrap();
        assert_eq!(panes[0].dead_status, None);
        assert!(unreaped(&panes));
        assert!(!unreaped(&panes[1..]));
    }

    #[test]
    fn free_text_may_hold_tabs_newlines_and_utf8() {
        let name = "a\tb\nc\u{1f} é";
        let agent = "x\ty\n%9\t@1";
        let out = pane_line("%6\t@5\t1\t0\t\t\t10\t5\t1", name, agent, "7")
            + &pane_line("%7\t@6\t2\t0\t\t\t10\t5\t1", "next", "", "");
        let panes = parse_panes(out.as_bytes()).unwrap();
        assert_eq!(panes.len(), 2);
        assert_eq!(panes[0].window_name, name);
        assert_eq!(panes[0].agent.as_deref(), Some(agent));
        assert_eq!(panes[0].attempt, Some(7));
        assert_eq!(panes[1].pane_id, "%7");
    }

    #[test]
    fn a_foreign_attempt_value_is_not_an_attempt() {
        let out = pane_line("%1\t@1\t1\t0\t\t\t10\t5\t1", "w", "a", "two");
        assert_eq!(parse_panes(out.as_bytes()).unwrap()[0].attempt, None);
    }

    #[test]
    fn the_poll_listing_carries_the_pid_the_request_the_mark_and_the_title() {
        let out = "%4\t0\t\t\t1700000000\t12\t50\t4242\t0\t4\t9\tab\tc✋ Ask\tx\n%5\t1\t0\t\t1\t0\t50\t77\t31\t0\t0\t\n";
        let panes = parse_poll(out.as_bytes()).unwrap();
        assert_eq!(
            (
                panes[0].pid,
                panes[0].mark.as_deref(),
                panes[0].request_len,
                panes[0].title.as_str()
            ),
            (4242, Some("ab\tc"), 0, "✋ Ask\tx")
        );
        assert_eq!(
            (
                panes[1].pid,
                panes[1].mark.as_deref(),
                panes[1].request_len,
                panes[1].title.as_str()
            ),
            (77, None, 31, "")
        );
    }

    #[test]
    fn empty_output_is_no_panes() {
        assert_eq!(parse_panes(b"").unwrap(), vec![]);
    }

    #[test]
    fn truncated_or_garbled_output_is_an_error_naming_it() {
        let full = pane_line("%1\t@1\t1\t0\t\t\t10\t5\t1", "name", "", "");
        let cut = &full.as_bytes()[..full.len() - 3];
        assert!(parse_panes(cut).unwrap_err().contains("runs past"));
        let err =
            parse_panes(b"%1\t@1\tnotapid\t0\t\t\t10\t5\t1\t0\t0\t0\t0\t0\t0\t\n").unwrap_err();
        assert!(err.contains("notapid"), "{err}");
        let err = parse_panes(b"garbage\n").unwrap_err();
        assert!(err.contains("garbage"), "{err}");
    }

    #[test]
    fn parses_current_commands() {
        let out = b"%1\t4\tbash\n%2\t0\t\n%3\t5\tx\ty\nz\n";
        assert_eq!(
            parse_commands(out).unwrap(),
            vec![
                ("%1".to_string(), "bash".to_string()),
                ("%2".to_string(), String::new()),
                ("%3".to_string(), "x\ty\nz".to_string()),
            ]
        );
    }
}
