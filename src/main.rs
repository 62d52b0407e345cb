use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "shoal", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run as a simulated agent (for tests and the demo fleet).
    #[command(hide = true)]
    SimAgent(shoal::sim::SimArgs),
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::SimAgent(args) => match shoal::sim::run(&args) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("shoal sim-agent: {e:#}");
                2
            }
        },
    };
    std::process::exit(code);
}
