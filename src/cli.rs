//! The command line: `serve`, `migrate`, `user add`, `seed`, `audit verify`,
//! `audit checkpoint`, `stats`, `backup`, `restore`.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::db::{backup, Db};
use crate::seed;
use crate::web::{self, AppState};
use crate::workflow::{accounts, audit, Actor, Ctx};

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
        /// With --demo: also generate this many demo samples (plans, entities, results)
        /// across the Qinghai regions in proportion to population.
        #[arg(long, requires = "demo")]
        samples: Option<usize>,
        /// The year the demo samples are sampled in (default: this year, up to today).
        #[arg(long, requires = "samples")]
        year: Option<i32>,
    },
    /// Statistics as the dashboard shows them (the whole province, as the system).
    Stats {
        #[command(subcommand)]
        figure: StatsFigure,
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
    /// Copy the whole database to a new file while the server runs (SQLite: VACUUM
    /// INTO; PostgreSQL: pg_dump in custom format, which must be on PATH).
    Backup {
        /// The backup file to create; an existing file is never overwritten.
        #[arg(long)]
        to: PathBuf,
    },
    /// Replace the database with a backup made by `lims backup`. Stop the server first.
    Restore {
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
        /// Overwrite a database that is not empty.
        #[arg(long)]
        force: bool,
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
pub enum StatsFigure {
    /// Batches per thousand residents per region, against the target.
    SamplingRate(StatsArgs),
    /// Pass rate, turnaround and counts of one region.
    Summary(StatsArgs),
    /// Pass and failure rates by category, stage, plan level and region.
    Quality(StatsArgs),
    /// Lab turnaround in working days and the overdue samples.
    Lab(StatsArgs),
    /// Drug producers sampled in the period and those not yet sampled.
    Coverage(StatsArgs),
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    #[arg(long)]
    pub year: Option<String>,
    #[arg(long)]
    pub from: Option<String>,
    #[arg(long)]
    pub to: Option<String>,
    /// province, prefecture or county.
    #[arg(long)]
    pub level: Option<String>,
    #[arg(long)]
    pub region: Option<String>,
    #[arg(long)]
    pub domain: Option<String>,
    #[arg(long)]
    pub category: Option<String>,
    #[arg(long)]
    pub plan_level: Option<String>,
    #[arg(long)]
    pub plan_kind: Option<String>,
    /// table (default), csv or json (for XLSX use the API's `?format=xlsx`).
    #[arg(long, default_value = "table")]
    pub format: String,
}

impl StatsArgs {
    fn filter(&self) -> crate::workflow::stats::StatsFilter {
        crate::workflow::stats::StatsFilter {
            year: self.year.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            level: self.level.clone(),
            region: self.region.clone(),
            domain: self.domain.clone(),
            category: self.category.clone(),
            plan_level: self.plan_level.clone(),
            plan_kind: self.plan_kind.clone(),
        }
    }
}

/// Runs one figure and prints it as a table, CSV or JSON.
fn print_stats(db: &Db, clock: &dyn Clock, figure: StatsFigure) -> CliResult {
    use crate::documents::table::{self as doc, Table};
    use crate::web::stats_api::tables;
    use crate::workflow::stats;
    let mut conn = db.get()?;
    let now = clock.now_naive();
    let actor = Actor::system();
    let (args, json, tables): (StatsArgs, serde_json::Value, Vec<Table>) = match figure {
        StatsFigure::SamplingRate(a) => {
            let r = stats::sampling_rate(&mut Ctx::new(&mut conn, now, &actor), &a.filter())
                .map_err(cli_error)?;
            (
                a,
                serde_json::to_value(&r)?,
                vec![tables::sampling_rate(&r)],
            )
        }
        StatsFigure::Summary(a) => {
            let r = stats::summary(&mut Ctx::new(&mut conn, now, &actor), &a.filter())
                .map_err(cli_error)?;
            (a, serde_json::to_value(&r)?, vec![tables::summary(&r)])
        }
        StatsFigure::Quality(a) => {
            let r = stats::quality(&mut Ctx::new(&mut conn, now, &actor), &a.filter())
                .map_err(cli_error)?;
            (a, serde_json::to_value(&r)?, tables::quality_tables(&r))
        }
        StatsFigure::Lab(a) => {
            let r = stats::lab(&mut Ctx::new(&mut conn, now, &actor), &a.filter())
                .map_err(cli_error)?;
            (
                a,
                serde_json::to_value(&r)?,
                vec![tables::lab_summary(&r), tables::lab_overdue(&r)],
            )
        }
        StatsFigure::Coverage(a) => {
            let r = stats::coverage(&mut Ctx::new(&mut conn, now, &actor), &a.filter())
                .map_err(cli_error)?;
            (
                a,
                serde_json::to_value(&r)?,
                vec![tables::coverage(&r), tables::not_sampled(&r)],
            )
        }
    };
    match args.format.as_str() {
        "json" => println!("{}", serde_json::to_string_pretty(&json)?),
        "csv" => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            for t in &tables {
                out.write_all(&doc::csv(t)?)?;
            }
        }
        "table" => {
            for t in &tables {
                println!("[{}]\n{}", t.name, tables::text_table(t));
            }
        }
        other => return Err(format!("--format must be table, csv or json, not {other}").into()),
    }
    Ok(())
}

/// A use-case error as one line: the message and each field's problem.
fn cli_error(e: crate::error::AppError) -> Box<dyn std::error::Error> {
    match e.fields() {
        Some(f) => format!(
            "{}: {}",
            e.message().en,
            f.iter()
                .map(|(k, m)| format!("{k} {}", m.en))
                .collect::<Vec<_>>()
                .join("; ")
        )
        .into(),
        None => e.to_string().into(),
    }
}

/// Generates demo samples with a progress bar on standard error.
fn seed_samples(db: &Db, clock: &dyn Clock, n: usize, year: Option<i32>) -> CliResult {
    use std::io::Write;
    let mut conn = db.get()?;
    let now = clock.now_naive();
    let year = year.unwrap_or_else(|| {
        use chrono::Datelike;
        crate::workflow::intake::local_date(now).year()
    });
    let started = std::time::Instant::now();
    let mut progress = |what: &str, done: usize, total: usize| {
        let width = 40;
        let filled = (done * width)
            .checked_div(total)
            .unwrap_or(width)
            .min(width);
        let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-3);
        // After the samples, a bulk load refills the counts and rebuilds the indexes.
        let doing = match what {
            "counts" => ", refilling the monthly counts…   ",
            "indexes" => ", rebuilding the indexes…        ",
            _ => "",
        };
        eprint!(
            "\r[{}{}] {done}/{total} samples, {rate:.0}/s{doing}",
            "#".repeat(filled),
            " ".repeat(width - filled)
        );
        let _ = std::io::stderr().flush();
    };
    let seed = u64::try_from(now.and_utc().timestamp()).unwrap_or(1);
    let rep = seed::demo_scale::generate(&mut conn, now, year, n, seed, &mut progress)
        .map_err(cli_error)?;
    eprintln!();
    println!(
        "demo data for {year}: {} plans, {} entities, {} samples ({} non-compliant) in {:.1} s",
        rep.plans,
        rep.entities,
        rep.samples,
        rep.non_compliant,
        started.elapsed().as_secs_f64()
    );
    let t = &rep.timings;
    println!(
        "  {}: setup {:.1} s, generating {:.1} s, inserting samples {:.1} s, failing tests {:.1} s, \
         counts {:.1} s, indexes {:.1} s, sequences and commit {:.1} s",
        if rep.bulk { "in bulk" } else { "row by row" },
        t.setup.as_secs_f64(),
        t.generate.as_secs_f64(),
        t.samples.as_secs_f64(),
        t.tests.as_secs_f64(),
        t.counts.as_secs_f64(),
        t.indexes.as_secs_f64(),
        t.commit.as_secs_f64()
    );
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain; exit 1 and name the first broken row if it does not hold.
    Verify {
        /// A checkpoint written by `lims audit checkpoint` or `lims backup`: also fail
        /// if any row at or before it is missing or changed.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
    },
    /// Verify the chain and sign its head (rows, last id, head hash, time) with the
    /// audit key; keep the result outside the database.
    Checkpoint {
        /// Write it to this new file (mode 0600) instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

type CliResult = Result<(), Box<dyn std::error::Error>>;

/// Walks the audit chain (against a checkpoint if given); prints the outcome and exits 1
/// when it is broken.
fn verify_audit(conn: &mut crate::db::DbConnection, checkpoint: Option<&Path>) -> CliResult {
    let key = audit::key()?;
    let checkpoint = match checkpoint {
        Some(path) => Some(audit::Checkpoint::read(path, &key)?),
        None => None,
    };
    let rep = audit::verify_with(conn, &key, checkpoint.as_ref().map(|c| c.head()).as_ref())?;
    match rep.first_broken {
        None => {
            let keyed = match rep.keyed_from {
                Some(id) => format!("keyed from row {id}"),
                None => "empty".to_string(),
            };
            match &checkpoint {
                Some(c) => println!(
                    "audit log intact: {} rows verified ({keyed}); the checkpoint of {} ({} rows, up to row {}) holds",
                    rep.rows_checked, c.at, c.rows, c.last_id
                ),
                None => println!("audit log intact: {} rows verified ({keyed})", rep.rows_checked),
            }
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

/// Verifies the chain and signs its head; `None` (and a message) when it is broken.
fn take_checkpoint(
    conn: &mut crate::db::DbConnection,
    clock: &dyn Clock,
) -> Result<Option<audit::Checkpoint>, Box<dyn std::error::Error>> {
    match audit::checkpoint(conn, clock.now_naive(), &audit::key()?)? {
        Ok(c) => Ok(Some(c)),
        Err(rep) => {
            if let Some((id, why)) = rep.first_broken {
                eprintln!("audit log BROKEN at row {id}: {why}; no checkpoint signed");
            }
            Ok(None)
        }
    }
}

/// Writes `text` to the new file `path`, readable by its owner only.
fn write_new_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = crate::config::create_private_file(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

/// Where `lims backup --to FILE` puts the audit checkpoint of that backup.
pub fn backup_checkpoint_path(backup: &Path) -> PathBuf {
    let mut s = backup.as_os_str().to_owned();
    s.push(".audit-checkpoint");
    PathBuf::from(s)
}

fn open(config: &Config) -> Result<Db, Box<dyn std::error::Error>> {
    Ok(Db::connect(&config.database_url)?)
}

/// Loads reference data (and demo users when asked), printing what was added.
fn seed_all(db: &Db, clock: &dyn Clock, demo: bool) -> CliResult {
    let mut conn = db.get()?;
    let rep = seed::load_reference(&mut conn, clock.now_naive())?;
    for line in rep.summary() {
        println!("reference data {line}");
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
    audit::use_secret(&config.secret)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match cli.command {
        Command::Serve { demo } => {
            let db = open(&config)?;
            audit::start_keyed_chain(&mut *db.get()?, clock.now_naive())?;
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
            let db = open(&config)?;
            audit::start_keyed_chain(&mut *db.get()?, clock.now_naive())?;
            println!("migrations applied ({})", config.database_url);
            Ok(())
        }
        Command::Seed {
            demo,
            samples,
            year,
        } => {
            let db = open(&config)?;
            seed_all(&db, clock.as_ref(), demo)?;
            match samples {
                Some(n) => seed_samples(&db, clock.as_ref(), n, year),
                None => Ok(()),
            }
        }
        Command::Stats { figure } => {
            let db = open(&config)?;
            print_stats(&db, clock.as_ref(), figure)
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
                &mut Ctx::new(&mut conn, clock.now_naive(), &Actor::system()),
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
            command: AuditCommand::Verify { checkpoint },
        } => {
            let db = open(&config)?;
            verify_audit(&mut *db.get()?, checkpoint.as_deref())
        }
        Command::Audit {
            command: AuditCommand::Checkpoint { out },
        } => {
            let db = open(&config)?;
            let Some(c) = take_checkpoint(&mut *db.get()?, clock.as_ref())? else {
                std::process::exit(1);
            };
            match out {
                Some(path) => {
                    write_new_private(&path, &c.to_text())
                        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                    println!(
                        "audit checkpoint written to {} ({} rows, up to row {})",
                        path.display(),
                        c.rows,
                        c.last_id
                    );
                }
                None => print!("{}", c.to_text()),
            }
            Ok(())
        }
        Command::Backup { to } => {
            let started = std::time::Instant::now();
            let checkpoint_path = backup_checkpoint_path(&to);
            if checkpoint_path.exists() {
                return Err(format!(
                    "{} exists already; a backup never overwrites a file, choose a new name",
                    checkpoint_path.display()
                )
                .into());
            }
            // Signed before the copy starts, so every row it covers is in the copy.
            let db = open(&config)?;
            let checkpoint = take_checkpoint(&mut *db.get()?, clock.as_ref())?;
            drop(db);
            let done = backup::backup(&config.database_url, &to)?;
            println!(
                "backup of {} written to {} ({} bytes) in {:.1} s",
                config.database_url,
                done.target,
                done.bytes,
                started.elapsed().as_secs_f64()
            );
            match checkpoint {
                Some(c) => {
                    write_new_private(&checkpoint_path, &c.to_text())
                        .map_err(|e| format!("cannot write {}: {e}", checkpoint_path.display()))?;
                    println!(
                        "audit checkpoint written to {} ({} rows, up to row {})",
                        checkpoint_path.display(),
                        c.rows,
                        c.last_id
                    );
                    Ok(())
                }
                None => std::process::exit(1),
            }
        }
        Command::Restore { from, force } => {
            let done = backup::restore(&config.database_url, &from, force)?;
            println!(
                "{} ({} bytes) restored into {}",
                from.display(),
                done.bytes,
                done.target
            );
            // The restored database as this version expects it, and its audit chain.
            let db = open(&config)?;
            let checkpoint = Some(backup_checkpoint_path(&from)).filter(|p| p.is_file());
            verify_audit(&mut *db.get()?, checkpoint.as_deref())
        }
    }
}
