//! The `lims` binary: parses the command line and runs it.

use clap::Parser;

fn main() {
    limit_malloc_arenas();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = lims::cli::Cli::parse();
    if let Err(e) = lims::cli::run(cli) {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}

/// glibc gives each thread that allocates its own malloc arena (up to eight per core) and
/// keeps what is freed in it. With actix's workers and the blocking threads the database
/// work runs on, the server's resident memory after seven statistics dashboards at 10^6
/// samples was 80 MB with the default and 51 MB with two arenas (BENCHMARKS.md,
/// "Statistics"). An explicit `MALLOC_ARENA_MAX` in the environment is left to glibc.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets an allocator parameter; no thread has started yet.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
