//! The tmux commands shoal sends, built once with `tmux_interface` builders and shared
//! by the one-shot path (argument vector) and the control client (quoted command line).
//!
//! Free text goes after `--` wherever tmux would otherwise read a leading `-` as a flag.

use super::quote::{argv_arg, format_literal};
use super::{TmuxError, WindowSpec, AGENT_OPTION, ATTEMPT_OPTION, SESSION};
use std::borrow::Cow;
use tmux_interface::{
    CapturePane, DisplayMessage, KillWindow, ListPanes, NewWindow, RunShell, SendKeys, SetOption,
    TmuxCommand,
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
        .map(|c| c.to_string())
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

/// `new-window -d -P -F '#{pane_id}' -t shoal: -n NAME [-c CWD] [-e K=V]… -- CMD`.
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
    let texts = std::iter::once(&spec.cmd).chain(spec.env.iter().flat_map(|(k, v)| [k, v]));
    if let Some(text) = texts.into_iter().find(|t| t.contains('\0')) {
        return Err(invalid(
            "new-window",
            format!("{text:?} contains a NUL byte, which tmux cannot take; remove it"),
        ));
    }
    let mut builder = NewWindow::new()
        .detached()
        .print()
        .format("#{pane_id}")
        .target_window(format!("{SESSION}:"))
        .window_name(mode.arg(&format_literal(&spec.name)));
    if let Some(cwd) = &spec.cwd {
        let dir = cwd.to_str().ok_or_else(|| {
            invalid(
                "new-window",
                format!("working directory {cwd:?} is not valid UTF-8; use a UTF-8 path"),
            )
        })?;
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

/// `set-option -p -t PANE -- OPTION VALUE`: mark a pane as shoal's.
pub fn set_pane_option(pane: &str, option: &str, value: &str, mode: Mode) -> TmuxCommand<'static> {
    let mut cmd = SetOption::new().pane().target_pane(mode.arg(pane)).build();
    cmd.push_param("--");
    cmd.push_param(mode.arg(option));
    cmd.push_param(mode.arg(value));
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

/// Commands typing `text` literally: runs of ordinary text with `send-keys -l`, and
/// newlines and NUL bytes (which no command line or argument can carry) as hex bytes.
pub fn send_text(pane: &str, text: &str, mode: Mode) -> Vec<TmuxCommand<'static>> {
    let mut cmds = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let split = rest.find(['\n', '\0']).unwrap_or(rest.len());
        if split > 0 {
            cmds.push(
                SendKeys::new()
                    .disable_lookup()
                    .target_pane(mode.arg(pane))
                    .key("--")
                    .key(mode.arg(&rest[..split]))
                    .build(),
            );
            rest = &rest[split..];
        }
        let special = rest.len() - rest.trim_start_matches(['\n', '\0']).len();
        if special > 0 {
            let mut builder = SendKeys::new().hex().target_pane(mode.arg(pane));
            for b in rest[..special].bytes() {
                builder = builder.key(format!("{b:02x}"));
            }
            cmds.push(builder.build());
            rest = &rest[special..];
        }
    }
    cmds
}

/// `capture-pane -p -e -t PANE`: the visible screen with colours.
pub fn capture(pane: &str, mode: Mode) -> TmuxCommand<'static> {
    CapturePane::new()
        .stdout()
        .escape_sequences()
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
            cwd: Some(PathBuf::from("/tmp/x")),
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
        assert!(joined.contains("-c /tmp/x"), "{joined}");
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
        assert!(err.contains("NUL"), "{err}");
    }

    #[test]
    fn send_text_splits_out_newlines_and_nuls() {
        let cmds: Vec<String> = send_text("%1", "-a\nb\n\n\0c", Mode::Control)
            .iter()
            .map(|c| argv_of(c).join(" "))
            .collect();
        assert_eq!(
            cmds,
            [
                "send-keys -l -t %1 -- -a",
                "send-keys -H -t %1 0a",
                "send-keys -l -t %1 -- b",
                "send-keys -H -t %1 0a 0a 00",
                "send-keys -l -t %1 -- c",
            ]
        );
        assert!(send_text("%1", "", Mode::Control).is_empty());
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
