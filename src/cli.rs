//! The command line: `serve`, `migrate`, `user add`, `seed`, `audit verify`.

use std::io::Read;
use std::net::TcpListener;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::db::Db;
use crate::seed;
use crate::web::{self, AppState};
use crate::workflow::{accounts, audit, Actor};

#[derive(Debug, Parser)]
#[command(
    name = "lims",
    version,
    about = "Laboratory information system for food and drug sampling inspection"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (applies migrations and loads reference data first).
    Serve {
        /// Load demo users for every role (password printed once) on first start.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the shipped reference data (idempotent); with --demo also demo users.
    Seed {
        #[arg(long)]
        demo: bool,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user. Without --password-stdin a password is generated and printed.
    Add(UserAdd),
}

#[derive(Debug, Args)]
pub struct UserAdd {
    #[arg(long)]
    pub username: String,
    /// Comma-separated roles: sampler, custodian, technician, reviewer, signatory,
    /// supervisor, admin.
    #[arg(long)]
    pub roles: String,
    /// A region code to scope the user to (default: the whole province).
    #[arg(long)]
    pub region: Option<String>,
    #[arg(long)]
    pub display_name: Option<String>,
    /// Read the password from standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain; exit 1 and name the first broken row if it does not hold.
    Verify,
}

type CliResult = Result<(), Box<dyn std::error::Error>>;

fn open(config: &Config) -> Result<Db, Box<dyn std::error::Error>> {
    Ok(Db::connect(&config.database_url)?)
}

/// Loads reference data (and demo users when asked), printing what was added.
fn seed_all(db: &Db, clock: &dyn Clock, demo: bool) -> CliResult {
    let mut conn = db.get()?;
    let rep = seed::load_reference(&mut conn, clock.now_naive())?;
    if rep.total() > 0 {
        println!(
            "reference data loaded: {} regions, {} population figures, {} calendar days ({} years), {} categories, {} test items, {} rule profiles",
            rep.regions, rep.populations, rep.holidays, rep.calendar_years, rep.categories, rep.test_items, rep.rule_profiles
        );
    }
    if demo {
        if crate::workflow::reports::seed_demo_lab_profile(&mut conn, clock.now_naive())? {
            println!("demo lab identity set (edit it at /admin/lab)");
        }
        match seed::load_demo_users(&mut conn, clock.now_naive())? {
            Some((password, users)) => {
                println!(
                    "demo users created (DEMO ONLY; this password is shown once): {}",
                    users.join(", ")
                );
                println!("demo password: {password}");
            }
            None => {
                println!("demo users exist already (their password was printed at the first start)")
            }
        }
    }
    Ok(())
}

pub fn run(cli: Cli) -> CliResult {
    let config = Config::load()?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match cli.command {
        Command::Serve { demo } => {
            let db = open(&config)?;
            seed_all(&db, clock.as_ref(), demo)?;
            let listener = TcpListener::bind(&config.bind)?;
            let addr = listener.local_addr()?;
            println!(
                "lims serving on http://{addr} ({}: {}); public URL {}",
                db.backend().name(),
                config.database_url,
                config.base_url
            );
            let state = AppState::new(db, clock, config);
            web::reports_api::resume_batches(&state);
            let workers = std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2);
            actix_web::rt::System::new()
                .block_on(async move { web::start(state, listener, workers)?.await })?;
            Ok(())
        }
        Command::Migrate => {
            open(&config)?;
            println!("migrations applied ({})", config.database_url);
            Ok(())
        }
        Command::Seed { demo } => {
            let db = open(&config)?;
            seed_all(&db, clock.as_ref(), demo)
        }
        Command::User {
            command: UserCommand::Add(a),
        } => {
            let db = open(&config)?;
            let (password, generated) = if a.password_stdin {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                (s.trim_end_matches(['\n', '\r']).to_string(), false)
            } else {
                use rand::RngCore;
                let mut raw = [0u8; 12];
                rand::rng().fill_bytes(&mut raw);
                (hex::encode(raw), true)
            };
            let mut conn = db.get()?;
            seed::load_reference(&mut conn, clock.now_naive())?;
            let user = accounts::create_user_unchecked(
                &mut conn,
                clock.now_naive(),
                &Actor::system(),
                accounts::NewUser {
                    display_name: a.display_name.unwrap_or_else(|| a.username.clone()),
                    username: a.username,
                    password: password.clone(),
                    roles: a
                        .roles
                        .split(',')
                        .map(|r| r.trim().to_string())
                        .filter(|r| !r.is_empty())
                        .collect(),
                    region_code: a.region,
                },
            )
            .map_err(|e| match e.fields() {
                Some(f) => format!(
                    "{}: {}",
                    e.message().en,
                    f.iter()
                        .map(|(k, m)| format!("{k} {}", m.en))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                None => e.to_string(),
            })?;
            println!(
                "user {} created (id {}), roles {}",
                user.username, user.id, user.roles
            );
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let db = open(&config)?;
            let rep = audit::verify(&mut *db.get()?)?;
            match rep.first_broken {
                None => {
                    println!("audit log intact: {} rows verified", rep.rows_checked);
                    Ok(())
                }
                Some((id, why)) => {
                    eprintln!(
                        "audit log BROKEN at row {id}: {why} ({} rows before it verified)",
                        rep.rows_checked
                    );
                    std::process::exit(1);
                }
            }
        }
    }
}
