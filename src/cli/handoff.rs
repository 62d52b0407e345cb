//! What a console that supervises the fleet does as it quits: hand the fleet to a
//! detached supervisor (`keep`), stop supervising (`stop`), or ask (`[console] on_quit`).
//!
//! The hand-off leaves no gap: the detached supervisor takes the lease over while the
//! console's supervisor still ticks (the new epoch fences the old one off, so nothing is
//! done twice), and only once it holds the lease does the console stop its own.

use super::ctx::Ctx;
use crate::config::OnQuit;
use crate::supervisor::runner::Handle;
use std::io::{BufRead, IsTerminal, Write};

/// Hand the fleet on, or stop supervising it, as the config says.
pub fn on_quit(ctx: &Ctx, handle: Handle) {
    let fleet = &ctx.fleet.settings.name;
    if let Some(why) = handle.ended_because() {
        // Another supervisor took the fleet while the console ran; it goes on.
        println!("fleet {fleet}: {why}");
        return;
    }
    let keep = match ctx.config.on_quit {
        OnQuit::Keep => true,
        OnQuit::Stop => false,
        OnQuit::Ask => ask(
            fleet,
            &mut std::io::stdin().lock(),
            &mut std::io::stdout(),
            std::io::stdin().is_terminal(),
        ),
    };
    if !keep {
        handle.stop();
        println!(
            "fleet {fleet}: supervision stopped; the agents keep running unwatched (`shoal supervise --detach` watches them again)"
        );
        return;
    }
    match super::supervisor_cmds::detach(ctx, Some(std::process::id())) {
        Ok(pid) => {
            handle.stop();
            println!(
                "fleet {fleet}: supervised by a detached supervisor (pid {pid}) from now on; `shoal supervisor status` shows it, `shoal supervisor stop` ends it"
            );
        }
        Err(e) => {
            handle.stop();
            eprintln!(
                "shoal: could not hand fleet {fleet} to a detached supervisor: {e:#}\nshoal: nobody supervises it now; `shoal supervise --detach` starts one"
            );
        }
    }
}

/// Ask whether to keep the fleet supervised; yes unless the answer starts with `n`.
/// Without a terminal to ask on, the fleet stays supervised.
fn ask(fleet: &str, input: &mut dyn BufRead, out: &mut dyn Write, terminal: bool) -> bool {
    if !terminal {
        return true;
    }
    let _ = write!(
        out,
        "keep fleet {fleet} supervised after the console closes (a detached supervisor takes over)? [Y/n] "
    );
    let _ = out.flush();
    let mut line = String::new();
    if input.read_line(&mut line).is_err() {
        return true;
    }
    !line.trim().to_ascii_lowercase().starts_with('n')
}

#[cfg(test)]
mod tests {
    use super::ask;

    #[test]
    fn the_question_keeps_supervision_unless_told_no() {
        for (answer, want) in [
            ("\n", true),
            ("y\n", true),
            ("n\n", false),
            ("No\n", false),
            ("", true),
        ] {
            let mut out = Vec::new();
            let got = ask("f", &mut answer.as_bytes(), &mut out, true);
            assert_eq!(got, want, "{answer:?}");
            assert!(String::from_utf8(out)
                .unwrap()
                .contains("keep fleet f supervised"));
        }
        let mut out = Vec::new();
        assert!(
            ask("f", &mut "n\n".as_bytes(), &mut out, false),
            "no terminal: keep"
        );
        assert!(out.is_empty());
    }
}
