use clap::Parser;

fn main() {
    let cli = shoal::cli::Cli::parse();
    match shoal::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("shoal: {e:#}");
            std::process::exit(1);
        }
    }
}
