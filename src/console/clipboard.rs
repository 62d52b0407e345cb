//! `y` in the pane view. The text goes to the terminal's clipboard with OSC 52, into the
//! operator's tmux paste buffer when the console runs inside tmux (tmux passes it on to
//! the terminal's clipboard as its `set-clipboard` allows), and always into
//! `clipboard.txt` in the data directory: not every terminal lets a program set the
//! clipboard, and the console cannot tell whether it did.

use super::terminal::Screen;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Most bytes sent with OSC 52; terminals (and tmux) drop longer sequences whole.
const OSC52_MAX: usize = 100_000;

/// The file name, in the data directory, of the last text copied.
pub(crate) const FILE: &str = "clipboard.txt";

/// Copy `text` everywhere it can go (`in_tmux`: the console runs inside tmux, whose
/// buffer takes it too); returns the footer message and whether it is an error
/// (nothing could take the text).
pub(crate) fn copy(
    text: &str,
    what: &str,
    screen: &mut dyn Screen,
    data_dir: Option<&Path>,
    in_tmux: bool,
) -> (String, bool) {
    let mut went: Vec<String> = Vec::new();
    let mut missed: Vec<String> = Vec::new();
    let osc = osc52(text);
    if osc.len() > OSC52_MAX {
        missed.push("too long for the terminal's clipboard".into());
    } else if screen.clipboard(&osc).is_ok() {
        went.push("clipboard (OSC 52)".into());
    }
    if in_tmux {
        match tmux_buffer(text) {
            Ok(()) => went.push("tmux buffer".into()),
            Err(e) => missed.push(format!("tmux buffer: {e}")),
        }
    }
    match data_dir.map(|d| save(d, text)) {
        Some(Ok(path)) => went.push(path.display().to_string()),
        Some(Err(e)) => missed.push(e),
        None => missed.push("no data directory for clipboard.txt".into()),
    }
    if went.is_empty() {
        return (
            format!("could not copy {what}: {}", missed.join("; ")),
            true,
        );
    }
    let mut message = format!("copied {what} → {}", went.join(" · "));
    if !missed.is_empty() {
        message.push_str(&format!(" (not: {})", missed.join("; ")));
    }
    (message, false)
}

/// The OSC 52 sequence that sets the clipboard to `text`.
pub(crate) fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64(text.as_bytes()))
}

/// Standard base64 with padding (RFC 4648), as OSC 52 wants it.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ABC[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Write the text to `clipboard.txt` in `dir`, creating the directory if needed.
fn save(dir: &Path, text: &str) -> Result<PathBuf, String> {
    let path = dir.join(FILE);
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&path, text))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// `tmux load-buffer -w -` on the tmux the console runs in (`-w`: on to the terminal's
/// clipboard too, tmux 3.2 and later; older ones get the buffer alone). Its messages
/// are kept off the console's screen.
fn tmux_buffer(text: &str) -> Result<(), String> {
    let load = |args: &[&str]| -> Result<(), String> {
        let mut child = Command::new("tmux")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run tmux: {e}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(text.as_bytes())
                .map_err(|e| format!("cannot hand tmux the text: {e}"))?;
        }
        let out = child
            .wait_with_output()
            .map_err(|e| format!("tmux did not finish: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    };
    load(&["load-buffer", "-w", "-"]).or_else(|_| load(&["load-buffer", "-"]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    #[derive(Default)]
    struct Term {
        written: Vec<String>,
        refuse: bool,
    }

    impl Screen for Term {
        fn suspend(&mut self) -> io::Result<()> {
            Ok(())
        }
        fn resume(&mut self) -> io::Result<()> {
            Ok(())
        }
        fn bell(&mut self) -> io::Result<()> {
            Ok(())
        }
        fn clipboard(&mut self, osc: &str) -> io::Result<()> {
            if self.refuse {
                return Err(io::Error::other("closed"));
            }
            self.written.push(osc.to_string());
            Ok(())
        }
    }

    #[test]
    fn base64_matches_rfc_4648() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded, "{plain:?}");
        }
        assert_eq!(osc52("hi\n"), "\x1b]52;c;aGkK\x07");
    }

    #[test]
    fn the_text_goes_to_the_terminal_and_to_the_data_directory() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let mut term = Term::default();
        let (msg, err) = copy("a\nb\n", "2 lines", &mut term, Some(&data), false);
        assert!(!err, "{msg}");
        assert_eq!(term.written, [osc52("a\nb\n")]);
        assert_eq!(std::fs::read_to_string(data.join(FILE)).unwrap(), "a\nb\n");
        assert!(
            msg.starts_with("copied 2 lines → clipboard (OSC 52)"),
            "{msg}"
        );
        assert!(
            msg.contains(&data.join(FILE).display().to_string()),
            "{msg}"
        );

        // Too long for OSC 52: the file still has it, and the message says why not.
        let big = "x".repeat(OSC52_MAX);
        let mut term = Term::default();
        let (msg, err) = copy(&big, "a lot", &mut term, Some(&data), false);
        assert!(!err && term.written.is_empty(), "{msg}");
        assert!(
            msg.contains("not: too long for the terminal's clipboard"),
            "{msg}"
        );

        // Nowhere to put it: an error that says why.
        let mut term = Term {
            refuse: true,
            ..Term::default()
        };
        let blocked = dir.path().join("file");
        std::fs::write(&blocked, "").unwrap();
        let (msg, err) = copy("a", "1 line", &mut term, Some(&blocked.join("sub")), false);
        assert!(err, "{msg}");
        assert!(
            msg.starts_with("could not copy 1 line: cannot write"),
            "{msg}"
        );
    }
}
