//! The `lims` binary: parses the command line and runs it.

use clap::Parser;

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = lims::cli::Cli::parse();
    if let Err(e) = lims::cli::run(cli) {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}
