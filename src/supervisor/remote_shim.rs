//! What a pane on another host is started with so that `shoal signal|spawn|inbox` work
//! there: its attempt's token (`SHOAL_TOKEN`), and a `PATH` that finds the reply shim,
//! which is written to `SHOAL_HOME_ON_HOST/bin/shoal` on the host (over the host's
//! shared ssh connection, once per supervisor run) before the first start there.
//!
//! A host where the shim cannot be written still runs its agents; their `shoal`
//! commands then need a shoal binary on that host's `PATH` (which speaks the same
//! protocol when `SHOAL_TOKEN` is set).

use super::core::Supervisor;
use crate::fleet::pane_request::{SHIM, TOKEN_ENV};
use crate::tmux::WindowSpec;
use std::process::Stdio;

/// Runs on the host as `sh -c SCRIPT shoal-install DIR SHIM`: writes the shim
/// atomically and prints where it is and the host's own `PATH`.
const INSTALL: &str = r#"d=$1
mkdir -p "$d/bin" && d=$(cd "$d" && pwd) || exit 3
t="$d/bin/.shoal.$$"
printf '%s' "$2" > "$t" && chmod 755 "$t" && mv -f "$t" "$d/bin/shoal" || { rm -f "$t"; exit 3; }
printf 'bin:%s\npath:%s\n' "$d/bin" "$PATH"
"#;

impl Supervisor {
    /// Give a pane about to start on `host` its token and the shim's `PATH`.
    pub(crate) fn remote_env(&mut self, host: &str, spec: &mut WindowSpec) {
        match self.attempt_token(&spec.agent, spec.attempt) {
            Ok(token) => spec.env.push((TOKEN_ENV.into(), token)),
            Err(e) => {
                self.stats.error = Some(format!(
                    "{}: no reply token, so `shoal signal|spawn|inbox` will not work from its pane: {e}",
                    spec.agent
                ));
                return;
            }
        }
        // Installed once per run; a failure is tried again at the next start there.
        let installed = if let Some(r) = self.requests.installed.get(host) {
            Ok(r.clone())
        } else {
            let r = self.install_shim(host);
            if let Ok(ok) = &r {
                self.requests.installed.insert(host.to_string(), ok.clone());
            }
            r
        };
        match installed {
            Ok((bin, host_path)) => {
                // The fleet file's PATH for the agent, if it sets one, else the host's.
                match spec.env.iter_mut().rev().find(|(k, _)| k == "PATH") {
                    Some((_, v)) => *v = format!("{bin}:{v}"),
                    None => spec.env.push(("PATH".into(), format!("{bin}:{host_path}"))),
                }
            }
            Err(e) => {
                self.stats.error = Some(format!(
                    "host {host}: shoal's reply shim could not be installed ({e}); \
                     `shoal signal|spawn|inbox` from its panes need a shoal binary there"
                ));
            }
        }
    }

    /// Write the shim on `host`: its `bin` directory and the host's `PATH`.
    fn install_shim(&self, host: &str) -> Result<(String, String), String> {
        let t = self
            .servers
            .hosts()
            .get(host)
            .cloned()
            .ok_or_else(|| format!("host `{host}` is not declared"))?;
        let out = t
            .command(&[
                "sh",
                "-c",
                INSTALL,
                "shoal-install",
                t.spec().shoal_home(),
                SHIM,
            ])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run ssh: {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            if crate::tmux::ssh::ssh_failed(out.status.code(), &stderr) {
                return Err(crate::tmux::ssh::explain(host, &stderr));
            }
            return Err(format!(
                "writing {}/bin/shoal failed ({}): {}",
                t.spec().shoal_home(),
                out.status,
                stderr.trim()
            ));
        }
        let field = |name: &str| {
            stdout
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(str::to_string)
        };
        match (field("bin:"), field("path:")) {
            (Some(bin), Some(path)) => Ok((bin, path)),
            _ => Err(format!("the install printed {:?}", stdout.trim())),
        }
    }
}
