use super::*;

/// A private key as `ssh-keygen` / `openssl` print it (random bytes, not a real key).
pub(crate) const PEM: &str = "-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aozN3tihPmljnnudb9G3HECdnH
lWu2/a1gB9JW5TBQ+AVpum9Okx7KfqkfBKL9mcHgSd0yhGQBDaVy4S29T+G2jNYg
u3Nw8Qh0QsFAFhE5p5CHLHvV3T1Gzg==
-----END RSA PRIVATE KEY-----";

#[test]
fn each_kind_of_secret_is_replaced_and_its_kind_kept() {
    // (input, expected)
    let cases = [
        // Anthropic / OpenAI, project and service keys.
        (
            "using key sk-ant-api03-AbCdEf0123456789xyzXYZ now",
            "using key sk-ant-api03-[REDACTED] now",
        ),
        (
            "OPENAI: sk-proj-Ab12Cd34Ef56Gh78Ij90KlMn",
            "OPENAI: sk-proj-[REDACTED]",
        ),
        (
            "sk-svcacct-0123456789abcdefABCDEF",
            "sk-svcacct-[REDACTED]",
        ),
        ("plain sk-0123456789abcdefABCD", "plain sk-[REDACTED]"),
        // GitHub classic and fine-grained.
        (
            "token ghp_0123456789abcdefABCDEF0123456789abcd",
            "token ghp_[REDACTED]",
        ),
        (
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
            "github_pat_[REDACTED]",
        ),
        // GitLab.
        (
            "remote: glpat-xY3zAb12Cd34Ef56Gh78 ok",
            "remote: glpat-[REDACTED] ok",
        ),
        ("deploy gldt-AbCdEf0123456789xyz", "deploy gldt-[REDACTED]"),
        // Slack tokens and webhooks.
        (
            "slack xoxb-1234567890-abcdefghij done",
            "slack xoxb-[REDACTED] done",
        ),
        (
            "POST https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXX",
            "POST https://hooks.slack.com/services/[REDACTED]",
        ),
        // AWS: the key id, and the secret by its name.
        ("aws AKIAIOSFODNN7EXAMPLE.", "aws AKIA[REDACTED]."),
        (
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "aws_secret_access_key = [REDACTED]",
        ),
        // JWT, bare and as a bearer token.
        (
            "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "jwt eyJhbGciOiJIUzI1NiJ9.[REDACTED]",
        ),
        (
            "curl -H 'Authorization: Bearer abcdefgh.ijklmnop.qrs'",
            "curl -H 'Authorization: Bearer [REDACTED]'",
        ),
        (
            "Authorization: Basic dXNlcjpodW50ZXIy",
            "Authorization: Basic [REDACTED]",
        ),
        // Assignments: password=, secret=, token=, API keys, quoted JSON.
        ("login password=hunter2", "login password=[REDACTED]"),
        ("secret=s3cr3tvalue", "secret=[REDACTED]"),
        ("token=abc123def", "token=[REDACTED]"),
        // Inside shoal's own quotes, the quote survives.
        ("on line 2: «token=abc123def»", "on line 2: «token=[REDACTED]»"),
        (
            "export OPENAI_API_KEY=abcd1234efgh5678",
            "export OPENAI_API_KEY=[REDACTED]",
        ),
        (
            "ANTHROPIC_API_KEY: \"sk-not-long\"",
            "ANTHROPIC_API_KEY: \"[REDACTED]\"",
        ),
        (
            r#"{"db_password": "hunter2hunter2"}"#,
            r#"{"db_password": "[REDACTED]"}"#,
        ),
        // URLs with credentials.
        (
            "cloning https://alice:hunter2@git.example.com/repo.git",
            "cloning https://alice:[REDACTED]@git.example.com/repo.git",
        ),
        (
            "DATABASE_URL=postgres://app:pa55w0rd@db:5432/app",
            "DATABASE_URL=postgres://app:[REDACTED]@db:5432/app",
        ),
        // Other common providers.
        (
            "google AIzaSyA1234567890abcdefghijklmnopqrstuv",
            "google AIza[REDACTED]",
        ),
        (
            "stripe sk_live_0123456789abcdefABCD",
            "stripe sk_live_[REDACTED]",
        ),
        // A private key on one line, as JSON or an env var holds it.
        (
            r#""key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----""#,
            r#""key": "-----BEGIN PRIVATE KEY-----[REDACTED]-----END PRIVATE KEY-----""#,
        ),
    ];
    for (input, want) in cases {
        assert_eq!(redact(input), want, "{input}");
    }
}

#[test]
fn near_misses_are_left_alone() {
    for text in [
        // Git SHAs, short and long; UUIDs; digests.
        "commit 3f2a9c1b7e4d5a6f8091a2b3c4d5e6f708192a3b",
        "HEAD is now at 3f2a9c1 fix the build",
        "request 123e4567-e89b-12d3-a456-426614174000 done",
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        // Words that start like key prefixes.
        "ask-me-anything and task-runner are not keys",
        "skip-this-step-please-and-thank-you",
        "the token budget is low",
        "API_KEY is not set",
        "Enter your password:",
        // Numbers after secret-sounding names.
        "max_tokens: 4096",
        "tokens: 1.2k",
        "token_count=12345",
        // Booleans and calls in code.
        "use_token: true",
        "let token = next_token();",
        // URLs without credentials, ssh remotes, e-mail addresses.
        "see https://github.com/user/repo and http://localhost:8080/path",
        "git@github.com:user/repo.git",
        "mail alice@example.com",
        // Ordinary agent output.
        "● Read(src/module_7.rs)",
        "test result: ok. 9 passed; 0 failed",
        "AKIA alone is a word",
    ] {
        assert!(
            matches!(redact(text), Cow::Borrowed(_)),
            "{text}: {}",
            redact(text)
        );
    }
}

#[test]
fn several_secrets_on_one_line() {
    let line = "A=sk-aaaaaaaaaaaaaaaaaaaa B=ghp_bbbbbbbbbbbbbbbbbbbbbbbb";
    let r = redact(line);
    assert!(!r.contains("aaaaaaaa") && !r.contains("bbbbbbbb"), "{r}");
}

#[test]
fn redaction_is_idempotent() {
    let text = "password=hunter2 https://u:pw12@h sk-ant-api03-AbCdEf0123456789xyz";
    let once = redact(text).into_owned();
    assert_ne!(once, text);
    assert!(matches!(redact(&once), Cow::Borrowed(_)), "{once}");
}

#[test]
fn a_private_key_block_on_a_screen_keeps_only_its_armour() {
    let screen = format!("$ cat id_rsa\n{PEM}\n$ ");
    let r = redact(&screen);
    assert_eq!(
        r,
        "$ cat id_rsa\n-----BEGIN RSA PRIVATE KEY-----\n[REDACTED]\n[REDACTED]\n[REDACTED]\n-----END RSA PRIVATE KEY-----\n$ "
    );
}

#[test]
fn a_key_block_cut_at_the_top_or_bottom_of_a_screen_is_still_caught() {
    let body: Vec<&str> = PEM.lines().collect();
    // The BEGIN line scrolled off: the key lines above END go.
    let top_cut = format!("{}\n{}\n{}\n$ ", body[2], body[3], body[4]);
    let r = redact(&top_cut);
    assert!(!r.contains("lWu2") && !r.contains("u3Nw"), "{r}");
    // The END line not printed yet: everything key-like after BEGIN goes.
    let bottom_cut = format!("$ cat key\n{}\n{}\n{}", body[0], body[1], body[2]);
    let r = redact(&bottom_cut);
    assert!(!r.contains("MIIE") && !r.contains("lWu2"), "{r}");
    assert!(r.starts_with("$ cat key\n-----BEGIN"), "{r}");
}

#[test]
fn a_stream_of_lines_remembers_it_is_inside_a_key() {
    let mut r = Redactor::default();
    let out: Vec<String> = PEM
        .lines()
        .chain(["after the key", "MIIEshortline0"])
        .map(|l| r.redact(l).into_owned())
        .collect();
    assert_eq!(
        out,
        [
            "-----BEGIN RSA PRIVATE KEY-----",
            REDACTED,
            REDACTED,
            REDACTED,
            "-----END RSA PRIVATE KEY-----",
            "after the key",
            "MIIEshortline0",
        ]
    );
    // A line that is not key material ends a block whose END never came.
    let mut r = Redactor::default();
    r.redact("-----BEGIN OPENSSH PRIVATE KEY-----");
    assert_eq!(r.redact("b3BlbnNzaC1rZXktdjEAAAAA"), REDACTED);
    assert_eq!(r.redact("$ ls"), "$ ls");
    assert_eq!(r.redact("Makefile2"), "Makefile2");
}
