//! tmux on another machine: every tmux process shoal would run for a remote server
//! (one-shot commands and the control-mode client alike) runs as
//! `ssh -T -o BatchMode=yes -o ControlMaster=auto -o ControlPath=DIR/%C
//! -o ControlPersist=60 [-p PORT] [-i KEY] [-o OPT]… DEST -- tmux -L SOCKET …`.
//!
//! OpenSSH's connection sharing makes every command after the first ride one TCP
//! connection per host, so a one-shot command costs a channel, not a handshake.
//! `BatchMode` means shoal never answers a prompt: an unknown host key or a key that
//! needs a passphrase fails at once, with a message that says what to do.
//!
//! Servers are known by one string (see [`crate::fleet::host`]): `HOST:SOCKET` names a
//! remote one. How to reach each host travels with the server: a [`super::Server`]
//! carries its host's [`SshTransport`], and [`Hosts`] (built from the fleet's `[[host]]`
//! tables by whoever owns them: the supervisor, a command) turns a server string into
//! such a `Server`. There is no process-wide table: two fleets, or one fleet before and
//! after a reload, each reach their hosts with their own settings.

use super::server::Server;
use crate::fleet::host::{split_server, HostSpec};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// Environment variable naming the ssh program to run instead of `ssh` (tests use a
/// script that runs the remote command locally).
pub const SSH_ENV: &str = "SHOAL_SSH";

/// How long OpenSSH keeps a host's shared connection open after its last use.
const PERSIST_SECS: u32 = 60;

/// How one host is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshTransport {
    /// The host's name in the fleet file.
    pub host: String,
    spec: HostSpec,
    control_dir: PathBuf,
    /// The ssh program ([`SSH_ENV`] when set, else `ssh`), read once when the transport
    /// is made so every command of one transport runs the same program.
    program: OsString,
}

impl SshTransport {
    /// Reach `spec`'s machine, sharing connections through sockets in `control_dir`
    /// (a private directory: anyone who can open those sockets can run commands there).
    pub fn new(spec: &HostSpec, control_dir: &Path) -> SshTransport {
        SshTransport {
            host: spec.name.clone(),
            spec: spec.clone(),
            control_dir: control_dir.to_path_buf(),
            program: std::env::var_os(SSH_ENV)
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "ssh".into()),
        }
    }

    /// The `[[host]]` table this transport was made from.
    pub fn spec(&self) -> &HostSpec {
        &self.spec
    }

    /// The options that pick the host's shared connection: the control path, then the
    /// fleet file's options, port and key, in the order ssh reads them.
    fn common(&self, v: &mut Vec<OsString>) {
        let mut opt = |o: String| {
            v.push("-o".into());
            v.push(o.into());
        };
        opt("BatchMode=yes".into());
        opt("ControlMaster=auto".into());
        opt(format!("ControlPath={}/%C", self.control_dir.display()));
        opt(format!("ControlPersist={PERSIST_SECS}"));
        for o in &self.spec.ssh_options {
            opt(o.clone());
        }
        if let Some(port) = self.spec.port {
            v.push("-p".into());
            v.push(port.to_string().into());
        }
        if let Some(key) = &self.spec.identity {
            v.push("-i".into());
            v.push(key.into());
        }
    }

    /// The ssh program and its arguments up to and including `--`: everything after is
    /// the remote command.
    pub fn prefix(&self) -> Vec<OsString> {
        let mut v: Vec<OsString> = vec![self.program.clone(), "-T".into()];
        self.common(&mut v);
        v.push(self.spec.ssh.clone().into());
        v.push("--".into());
        v
    }

    /// Ask the host's shared connection to end now (`ssh -O exit`), rather than after
    /// `ControlPersist`: its settings were changed or the host removed, and a later
    /// command must not ride a connection made with the old ones. Best effort: no
    /// shared connection is fine.
    pub fn close_shared(&self) {
        let mut v: Vec<OsString> = Vec::new();
        self.common(&mut v);
        let _ = Command::new(&self.program)
            .args(v)
            .args(["-O", "exit"])
            .arg(&self.spec.ssh)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }

    /// A process that runs `argv` on the host. ssh joins the remote words with spaces
    /// for the remote shell, so each is quoted for `sh`.
    pub fn command<S: AsRef<std::ffi::OsStr>>(&self, argv: &[S]) -> Command {
        let prefix = self.prefix();
        let mut cmd = Command::new(&prefix[0]);
        cmd.args(&prefix[1..]);
        cmd.args(argv.iter().map(|a| sh_quote(&a.as_ref().to_string_lossy())));
        cmd
    }

    /// The same tmux invocation as `local` (a `tmux` command built for this machine),
    /// run on the host instead.
    pub fn wrap(&self, local: &Command) -> Command {
        let mut argv: Vec<OsString> = vec!["tmux".into()];
        argv.extend(local.get_args().map(OsString::from));
        self.command(&argv)
    }

    /// [`SshTransport::wrap`], with the remote tmux client's `PATH` set to `path`
    /// (through `env`): a client that is not attached gives a pane it starts its own
    /// `PATH`, whatever the pane's `-e PATH=` says.
    pub fn wrap_with_path(&self, local: &Command, path: &str) -> Command {
        let mut argv: Vec<OsString> = vec!["env".into(), format!("PATH={path}").into()];
        argv.push("tmux".into());
        argv.extend(local.get_args().map(OsString::from));
        self.command(&argv)
    }

    /// [`SshTransport::wrap`] with a terminal on the host (`ssh -t`): for an attach,
    /// which needs the operator's terminal at the other end.
    pub fn wrap_tty(&self, local: &Command) -> Command {
        let wrapped = self.wrap(local);
        let mut cmd = Command::new(wrapped.get_program());
        cmd.args(
            wrapped
                .get_args()
                .map(|a| if a == "-T" { "-t".as_ref() } else { a }),
        );
        cmd
    }
}

/// `word` as one `sh` word: bare when it is plainly safe, else in single quotes.
pub fn sh_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@,+%".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The fleet's hosts by name, each with its transport: what turns a server string into
/// a [`Server`] that knows how to reach it. Immutable; a reload builds a new one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hosts {
    by_name: BTreeMap<String, Arc<SshTransport>>,
}

impl Hosts {
    /// The hosts of `specs`, sharing connections through sockets in `control_dir`.
    pub fn new(specs: &[HostSpec], control_dir: &Path) -> Hosts {
        Hosts {
            by_name: specs
                .iter()
                .map(|h| (h.name.clone(), Arc::new(SshTransport::new(h, control_dir))))
                .collect(),
        }
    }

    /// The fleet's `[[host]]`s, sharing connections through the private directory
    /// `HOME/ssh` (created here: without it ssh cannot share, and says so on every
    /// command).
    pub fn for_fleet(specs: &[HostSpec], home: &Path) -> Hosts {
        let dir = home.join("ssh");
        if !specs.is_empty() {
            let _ = crate::store::private::create_dir(&dir);
        }
        Hosts::new(specs, &dir)
    }

    /// How to reach `host`, when the fleet declares it.
    pub fn get(&self, host: &str) -> Option<&Arc<SshTransport>> {
        self.by_name.get(host)
    }

    /// Every declared host, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Arc<SshTransport>)> {
        self.by_name.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Whether no host is declared.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// The server a server string names: local, or remote with its host's transport.
    /// A host the fleet does not declare gives a server whose every command fails
    /// saying so (never a local server of the same name).
    pub fn server(&self, server: &str) -> Server {
        match split_server(server) {
            (None, _) => Server::new(server),
            (Some(host), _) => Server::remote(server, self.get(host).cloned()),
        }
    }
}

/// The error of a server on a host no fleet file declared.
pub(crate) fn undeclared(server: &str) -> super::TmuxError {
    let host = split_server(server).0.unwrap_or_default();
    super::TmuxError::Command {
        command: "ssh".into(),
        message: format!(
            "host `{host}` (server `{server}`) is not declared in the fleet file; add a \
             [[host]] table with name = \"{host}\" and ssh = \"user@machine\""
        ),
    }
}

/// Whether ssh's own messages say the host could not be reached or refused us (as
/// opposed to tmux answering with an error over a working connection).
pub(crate) fn ssh_failed(status: Option<i32>, stderr: &str) -> bool {
    status == Some(255)
        || stderr.contains("Host key verification failed")
        || stderr.contains("Permission denied (")
        || stderr.starts_with("ssh: ")
}

/// ssh's message, said with what the operator can do about it.
pub(crate) fn explain(host: &str, stderr: &str) -> String {
    let said = stderr.trim().replace('\n', "; ");
    let said = if said.is_empty() {
        "ssh exited with status 255 and no message".to_string()
    } else {
        said
    };
    let todo = if said.contains("Host key verification failed")
        || said.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
    {
        format!(
            "shoal never answers host-key prompts: check the key, then add it with \
             `ssh-keyscan HOST >> ~/.ssh/known_hosts` or connect once by hand with `ssh` \
             (host `{host}`)"
        )
    } else if said.contains("Permission denied") {
        format!(
            "ssh runs in batch mode (no password or passphrase prompts): load the key into \
             ssh-agent or set identity = \"…\" on host `{host}`"
        )
    } else {
        format!("check that `{host}` is up and `ssh` reaches it from here")
    };
    format!("{said} — {todo}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> HostSpec {
        HostSpec {
            name: "gpu1".into(),
            ssh: "me@gpu1.example".into(),
            port: Some(2222),
            identity: Some("/keys/id".into()),
            ssh_options: vec!["ConnectTimeout=5".into()],
            shoal_home: None,
        }
    }

    #[test]
    fn the_remote_tmux_rides_one_shared_batch_mode_connection() {
        let t = SshTransport::new(&spec(), Path::new("/data/ssh"));
        let mut local = Command::new("tmux");
        local.args(["-L", "shoal-x", "send-keys", "-t", "%1", "-l", "it's $HOME"]);
        let cmd = t.wrap(&local);
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args.join(" "),
            "-T -o BatchMode=yes -o ControlMaster=auto -o ControlPath=/data/ssh/%C \
             -o ControlPersist=60 -o ConnectTimeout=5 -p 2222 -i /keys/id me@gpu1.example -- \
             tmux -L shoal-x send-keys -t %1 -l 'it'\\''s $HOME'"
        );
    }

    #[test]
    fn quoted_words_survive_the_remote_shell() {
        for word in ["plain", "", "a b", "it's", "$(rm -rf /)", "a\nb", "*"] {
            let out = Command::new("sh")
                .arg("-c")
                .arg(format!("printf %s {}", sh_quote(word)))
                .output()
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&out.stdout), word);
        }
    }

    #[test]
    fn a_host_key_failure_says_how_to_add_the_key() {
        let m = explain("gpu1", "Host key verification failed.\n");
        assert!(m.contains("never answers host-key prompts"), "{m}");
        assert!(m.contains("ssh-keyscan"), "{m}");
        assert!(ssh_failed(Some(255), ""));
        assert!(!ssh_failed(Some(1), "can't find pane: %9"));
    }
}
