//! The tmux commands shoal sends, built once with `tmux_interface` builders and shared
//! by the one-shot path (argument vector) and the control client (quoted command line).
//!
//! Free text goes after `--` wherever tmux would otherwise read a leading `-` as a flag.

use super::quote::{argv_arg, format_literal};
use super::text::{check_typed, chunks, CHUNK_BYTES};
use super::{NewPane, TmuxError, WindowSpec, AGENT_OPTION, ATTEMPT_OPTION, SESSION};
use std::borrow::Cow;
use tmux_interface::{
    CapturePane, DeleteBuffer, DisplayMessage, KillWindow, ListPanes, NewWindow, PasteBuffer,
    RunShell, SendKeys, SetBuffer, SetOption, TmuxCommand,
};

/// How the command will reach tmux, which decides how free text is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One `tmux` process: an argument vector (a trailing `;` must be escaped).
    Argv,
    /// A control-mode command line: the whole vector is quoted later.
    Control,
}

impl Mode {
    fn arg(self, text: &str) -> String {
        match self {
            Mode::Argv => argv_arg(text).into_owned(),
            Mode::Control => text.to_string(),
        }
    }
}

/// The command's name, for error messages.
pub fn name_of(cmd: &TmuxCommand<'_>) -> String {
    cmd.to_vec()
        .first()
        .map(std::string::ToString::to_string)
        .unwrap_or_default()
}

/// The command as an argument vector (name first), for a control-mode line.
pub fn argv_of(cmd: &TmuxCommand<'_>) -> Vec<String> {
    cmd.to_vec().into_iter().map(Cow::into_owned).collect()
}

fn invalid(command: &str, message: String) -> TmuxError {
    TmuxError::Command {
        command: command.to_string(),
        message,
    }
}

/// What `new-window` prints: the pane id and the pid of its first process.
const NEW_WINDOW_FORMAT: &str = "#{pane_id} #{pane_pid}";

/// `new-window -d -P -F '#{pane_id} #{pane_pid}' -t shoal: -n NAME [-c CWD] [-e K=V]… -- CMD`.
pub fn new_window(spec: &WindowSpec, mode: Mode) -> Result<TmuxCommand<'static>, TmuxError> {
    if spec.name.is_empty() {
        return Err(invalid(
            "new-window",
            "the window name is empty; give the agent a name".into(),
        ));
    }
    for (what, text) in [("window name", &spec.name), ("agent name", &spec.agent)] {
        if text.chars().any(char::is_control) {
            return Err(invalid(
                "new-window",
                format!("{what} {text:?} contains control characters; use printable ones"),
            ));
        }
    }
    if spec.cmd.contains('\0') {
        return Err(invalid(
            "new-window",
            format!(
                "the command {:?} contains a NUL byte, which tmux cannot take; remove it",
                spec.cmd
            ),
        ));
    }
    if let Some((k, v)) = spec
        .env
        .iter()
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(invalid(
            "new-window",
            format!("environment entry {k:?} = {v:?} contains a NUL byte, which tmux cannot take; remove it"),
        ));
    }
    let mut builder = NewWindow::new()
        .detached()
        .print()
        .format(NEW_WINDOW_FORMAT)
        .target_window(format!("{SESSION}:"))
        .window_name(mode.arg(&format_literal(&spec.name)));
    if let Some(cwd) = &spec.cwd {
        let dir = cwd.to_str().ok_or_else(|| {
            invalid(
                "new-window",
                format!("working directory {cwd:?} is not valid UTF-8; use a UTF-8 path"),
            )
        })?;
        // tmux starts the pane in its own directory when this one is missing: the
        // agent would work in the wrong place without a word.
        if !cwd.is_dir() {
            return Err(invalid(
                "new-window",
                format!("working directory {dir:?} does not exist or is not a directory; create it or fix the agent's cwd"),
            ));
        }
        builder = builder.start_directory(mode.arg(&format_literal(dir)));
    }
    let mut cmd = builder.build();
    for (key, value) in &spec.env {
        if key.is_empty() || key.contains('=') {
            return Err(invalid(
                "new-window",
                format!("environment name {key:?} is empty or contains `=`; rename it"),
            ));
        }
        cmd.push_option("-e", mode.arg(&format!("{key}={value}")));
    }
    cmd.push_param("--");
    cmd.push_param(mode.arg(&spec.cmd));
    Ok(cmd)
}

/// Read what [`new_window`] printed.
pub fn parse_new_pane(out: &str) -> Result<NewPane, String> {
    let mut parts = out.split_whitespace();
    match (
        parts.next(),
        parts.next().map(str::parse::<u32>),
        parts.next(),
    ) {
        (Some(id), Some(Ok(pid)), None) if id.starts_with('%') => Ok(NewPane {
            pane_id: id.to_string(),
            pid,
        }),
        _ => Err(format!(
            "new-window printed {out:?}, not a pane id and a pid"
        )),
    }
}

/// `set-option -p -t PANE -- OPTION VALUE`: mark a pane as shoal's.
pub fn set_pane_option(pane: &str, option: &str, value: &str, mode: Mode) -> TmuxCommand<'static> {
    let mut cmd = SetOption::new().pane().target_pane(mode.arg(pane)).build();
    cmd.push_param("--");
    cmd.push_param(mode.arg(option));
    cmd.push_param(mode.arg(value));
    cmd
}

/// `show-options -p -q -v -t PANE OPTION`: the option's value alone, nothing if unset.
pub fn show_pane_option(pane: &str, option: &str, mode: Mode) -> TmuxCommand<'static> {
    let mut cmd = TmuxCommand::new();
    cmd.name("show-options");
    for flag in ["-p", "-q", "-v", "-t"] {
        cmd.push_param(flag);
    }
    cmd.push_param(mode.arg(pane));
    cmd.push_param(mode.arg(option));
    cmd
}

/// `set-option -p -u -t PANE OPTION`: unset a pane option.
pub fn unset_pane_option(pane: &str, option: &str, mode: Mode) -> TmuxCommand<'static> {
    let mut cmd = TmuxCommand::new();
    cmd.name("set-option");
    for flag in ["-p", "-u", "-t"] {
        cmd.push_param(flag);
    }
    cmd.push_param(mode.arg(pane));
    cmd.push_param(mode.arg(option));
    cmd
}

/// The two pane options that tie a pane to its agent and attempt.
pub fn mark_pane(pane: &str, spec: &WindowSpec, mode: Mode) -> [TmuxCommand<'static>; 2] {
    [
        set_pane_option(pane, AGENT_OPTION, &spec.agent, mode),
        set_pane_option(pane, ATTEMPT_OPTION, &spec.attempt.to_string(), mode),
    ]
}

/// `send-keys -t PANE -- KEY…`: tmux key names.
pub fn send_keys(pane: &str, keys: &[String], mode: Mode) -> TmuxCommand<'static> {
    let mut builder = SendKeys::new().target_pane(mode.arg(pane)).key("--");
    for key in keys {
        builder = builder.key(mode.arg(key));
    }
    builder.build()
}

fn refused(command: &str, e: String) -> TmuxError {
    invalid(command, format!("{e}; nothing was typed"))
}

/// Commands typing `text` literally: runs of ordinary text with `send-keys -l`, at
/// most [`CHUNK_BYTES`] each, and newlines as hex bytes (a newline would end a
/// control-mode line). Text with other control characters is refused whole.
pub fn send_text(
    pane: &str,
    text: &str,
    mode: Mode,
) -> Result<Vec<TmuxCommand<'static>>, TmuxError> {
    check_typed(text).map_err(|e| refused("send-keys", e))?;
    let mut cmds = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let split = rest.find('\n').unwrap_or(rest.len());
        for piece in chunks(&rest[..split], CHUNK_BYTES) {
            cmds.push(
                SendKeys::new()
                    .disable_lookup()
                    .target_pane(mode.arg(pane))
                    .key("--")
                    .key(mode.arg(piece))
                    .build(),
            );
        }
        rest = &rest[split..];
        let special = rest.len() - rest.trim_start_matches('\n').len();
        if special > 0 {
            let mut builder = SendKeys::new().hex().target_pane(mode.arg(pane));
            for b in rest[..special].bytes() {
                builder = builder.key(format!("{b:02x}"));
            }
            cmds.push(builder.build());
            rest = &rest[special..];
        }
    }
    Ok(cmds)
}

/// Commands pasting `text` into the pane as a terminal paste does: the text goes into
/// the named tmux buffer in pieces (`set-buffer`, then `set-buffer -a`), then
/// `paste-buffer -d` types it and deletes the buffer. Newlines arrive as carriage
/// returns, as from a terminal; with `bracketed`, tmux wraps the text in
/// bracketed-paste markers when the application asked for them (`-p`).
pub fn paste_text(
    pane: &str,
    text: &str,
    bracketed: bool,
    buffer: &str,
    mode: Mode,
) -> Result<Vec<TmuxCommand<'static>>, TmuxError> {
    check_typed(text).map_err(|e| refused("paste-buffer", e))?;
    let mut cmds = Vec::new();
    for (n, piece) in chunks(text, CHUNK_BYTES).into_iter().enumerate() {
        let mut set = SetBuffer::new().buffer_name(mode.arg(buffer));
        if n > 0 {
            set = set.append();
        }
        let mut cmd = set.build();
        cmd.push_param("--");
        cmd.push_param(mode.arg(piece));
        cmds.push(cmd);
    }
    if cmds.is_empty() {
        return Ok(cmds);
    }
    let mut paste = PasteBuffer::new()
        .delete()
        .buffer_name(mode.arg(buffer))
        .target_pane(mode.arg(pane));
    if bracketed {
        paste = paste.bracket_codes();
    }
    cmds.push(paste.build());
    Ok(cmds)
}

/// A tmux buffer name no other paste uses at the same time.
pub fn paste_buffer_name() -> String {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("shoal-paste-{}-{n}", std::process::id())
}

/// `delete-buffer -b NAME`: clean up after a paste that failed half way.
pub fn delete_buffer(buffer: &str, mode: Mode) -> TmuxCommand<'static> {
    DeleteBuffer::new().buffer_name(mode.arg(buffer)).build()
}

/// `capture-pane -p -e -t PANE`: the visible screen with colours.
pub fn capture(pane: &str, mode: Mode) -> TmuxCommand<'static> {
    CapturePane::new()
        .stdout()
        .escape_sequences()
        .target_pane(mode.arg(pane))
        .build()
}

/// `capture-pane -p -e -S - -E - -t PANE`: the whole scrollback and the screen, with
/// colours (the console's pane view when the operator scrolls back).
pub fn capture_all(pane: &str, mode: Mode) -> TmuxCommand<'static> {
    CapturePane::new()
        .stdout()
        .escape_sequences()
        .start_line("-")
        .end_line("-")
        .target_pane(mode.arg(pane))
        .build()
}

/// `capture-pane -p -S -LINES -E -1 -t PANE`: the last LINES lines of the scrollback.
pub fn capture_history(pane: &str, lines: u32, mode: Mode) -> TmuxCommand<'static> {
    CapturePane::new()
        .stdout()
        .start_line(format!("-{}", lines.max(1)))
        .end_line("-1")
        .target_pane(mode.arg(pane))
        .build()
}

/// `list-panes -a -F FORMAT`.
pub fn list_panes(format: &'static str) -> TmuxCommand<'static> {
    ListPanes::new().all().format(format).build()
}

/// `kill-window -t PANE`: the window holding the pane, so no empty window is left.
pub fn kill_window(pane: &str, mode: Mode) -> TmuxCommand<'static> {
    KillWindow::new().target_window(mode.arg(pane)).build()
}

/// `run-shell true`: a child of the server that exits at once, so the server's SIGCHLD
/// handler runs and reaps any pane it missed (see [`super::format::unreaped`]). tmux
/// answers after the job is reaped, so a `list-panes` behind it sees the status.
pub fn reap() -> TmuxCommand<'static> {
    RunShell::new().shell_command("true").build()
}

/// `display-message -p TEXT`; tmux runs strftime on TEXT, so it must not contain `%`.
pub fn display(text: &str, mode: Mode) -> TmuxCommand<'static> {
    DisplayMessage::new()
        .print()
        .message(mode.arg(text))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn spec() -> WindowSpec {
        WindowSpec {
            name: "ag#1".into(),
            cmd: "claude --resume;".into(),
            cwd: Some(std::env::temp_dir()),
            env: vec![
                ("SHOAL_AGENT".into(), "ag#1".into()),
                ("A".into(), "b;".into()),
            ],
            agent: "ag#1".into(),
            attempt: 2,
        }
    }

    #[test]
    fn new_window_argv_protects_names_and_text() {
        let argv = argv_of(&new_window(&spec(), Mode::Argv).unwrap());
        let joined = argv.join(" ");
        assert!(argv.starts_with(&["new-window".to_string()]), "{joined}");
        assert!(joined.contains("-n ag##1"), "{joined}");
        let dir = std::env::temp_dir();
        assert!(
            joined.contains(&format!("-c {}", dir.display())),
            "{joined}"
        );
        assert!(joined.contains("-e SHOAL_AGENT=ag#1 -e A=b\\;"), "{joined}");
        assert_eq!(&argv[argv.len() - 2..], ["--", "claude --resume\\;"]);
    }

    #[test]
    fn new_window_control_keeps_text_for_quoting() {
        let argv = argv_of(&new_window(&spec(), Mode::Control).unwrap());
        assert_eq!(argv.last().map(String::as_str), Some("claude --resume;"));
        assert!(argv.contains(&"A=b;".to_string()));
    }

    #[test]
    fn new_window_refuses_bad_names() {
        let mut bad = spec();
        bad.env.push(("A=B".into(), "c".into()));
        let err = new_window(&bad, Mode::Argv).unwrap_err().to_string();
        assert!(err.contains("\"A=B\""), "{err}");
        let mut empty = spec();
        empty.name.clear();
        assert!(new_window(&empty, Mode::Argv).is_err());
        let mut tab = spec();
        tab.agent = "a\tb".into();
        let err = new_window(&tab, Mode::Control).unwrap_err().to_string();
        assert!(err.contains("agent name \"a\\tb\""), "{err}");
        let mut nul = spec();
        nul.cmd = "x\0y".into();
        let err = new_window(&nul, Mode::Argv).unwrap_err().to_string();
        assert!(
            err.contains("the command \"x\\0y\" contains a NUL"),
            "{err}"
        );
        let mut nul_env = spec();
        nul_env.env.push(("K".into(), "v\0".into()));
        let err = new_window(&nul_env, Mode::Control).unwrap_err().to_string();
        assert!(err.contains("environment entry \"K\""), "{err}");
        let mut gone = spec();
        gone.cwd = Some(PathBuf::from("/nonexistent/shoal-test-dir"));
        let err = new_window(&gone, Mode::Argv).unwrap_err().to_string();
        assert!(
            err.contains("\"/nonexistent/shoal-test-dir\" does not exist"),
            "{err}"
        );
    }

    fn lines(cmds: &[TmuxCommand<'static>]) -> Vec<String> {
        cmds.iter().map(|c| argv_of(c).join(" ")).collect()
    }

    #[test]
    fn send_text_splits_out_newlines() {
        let cmds = send_text("%1", "-a\nb\n\nc", Mode::Control).unwrap();
        assert_eq!(
            lines(&cmds),
            [
                "send-keys -l -t %1 -- -a",
                "send-keys -H -t %1 0a",
                "send-keys -l -t %1 -- b",
                "send-keys -H -t %1 0a 0a",
                "send-keys -l -t %1 -- c",
            ]
        );
        assert!(send_text("%1", "", Mode::Control).unwrap().is_empty());
    }

    #[test]
    fn send_text_refuses_control_characters_and_cuts_long_text() {
        let err = send_text("%1", "stop\u{3}now", Mode::Argv).unwrap_err();
        assert!(err.to_string().contains("Ctrl-C (U+0003)"), "{err}");
        assert!(err.to_string().contains("nothing was typed"), "{err}");
        let long = "x".repeat(CHUNK_BYTES * 2 + 5);
        let cmds = send_text("%1", &long, Mode::Argv).unwrap();
        assert_eq!(cmds.len(), 3);
        let typed: String = cmds
            .iter()
            .map(|c| argv_of(c).last().cloned().unwrap())
            .collect();
        assert_eq!(typed, long);
    }

    #[test]
    fn paste_fills_a_buffer_in_pieces_then_pastes_and_deletes_it() {
        let text = "a".repeat(CHUNK_BYTES + 1);
        let cmds = paste_text("%2", &text, true, "shoal-paste-1", Mode::Control).unwrap();
        let got = lines(&cmds);
        assert_eq!(got.len(), 3);
        assert!(
            got[0].starts_with("set-buffer -b shoal-paste-1 -- aaa"),
            "{}",
            got[0]
        );
        assert_eq!(got[1], "set-buffer -a -b shoal-paste-1 -- a");
        assert_eq!(got[2], "paste-buffer -d -p -b shoal-paste-1 -t %2");
        let plain = paste_text("%2", "hi;", false, "b", Mode::Argv).unwrap();
        assert_eq!(
            lines(&plain),
            ["set-buffer -b b -- hi\\;", "paste-buffer -d -b b -t %2"]
        );
        assert!(paste_text("%2", "\u{1b}[201~", true, "b", Mode::Argv).is_err());
    }

    #[test]
    fn new_pane_output_gives_id_and_pid() {
        assert_eq!(
            parse_new_pane("%7 4242\n"),
            Ok(NewPane {
                pane_id: "%7".into(),
                pid: 4242
            })
        );
        for bad in ["", "%7", "7 42", "%7 x", "%7 1 2"] {
            assert!(parse_new_pane(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn marks_pane_with_agent_and_attempt() {
        let [agent, attempt] = mark_pane("%4", &spec(), Mode::Control);
        assert_eq!(
            argv_of(&agent).join(" "),
            "set-option -p -t %4 -- @shoal_agent ag#1"
        );
        assert_eq!(
            argv_of(&attempt).join(" "),
            "set-option -p -t %4 -- @shoal_attempt 2"
        );
    }
}
