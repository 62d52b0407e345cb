use clap::Parser;

fn main() {
    // An agent CLI's hook: no command-line parsing that could fail with status 2, which
    // Claude Code and Gemini CLI read as "block".
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if args.get(1).is_some_and(|a| a == "hook") {
        std::process::exit(shoal::cli::hook_cmd::main(&args[2..]));
    }
    let cli = shoal::cli::Cli::parse();
    match shoal::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("shoal: {e:#}");
            std::process::exit(1);
        }
    }
}
