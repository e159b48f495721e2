//! Online backup and restore of the whole database (`lims backup`, `lims restore`).
//!
//! Invariants:
//! - A backup is a consistent snapshot taken while the server runs and writes:
//!   SQLite copies one read transaction with `VACUUM INTO`; PostgreSQL runs `pg_dump`
//!   (custom format), which reads one snapshot.
//! - A file appears under its final name only when it is complete and synced: both
//!   commands write a temporary file beside it and rename it into place.
//! - Backup files, and databases restored from them, are created 0600 (directories
//!   created for them 0700).
//! - A backup never overwrites a file, and a restore never overwrites a database that
//!   holds tables unless forced. An SQLite restore refuses a database that another
//!   process (a running server) has open.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::{PgConnection, SqliteConnection};

use crate::config::DatabaseUrl;

/// Why a backup or restore did not happen, in words for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupError(pub String);

impl fmt::Display for BackupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BackupError {}

type Result<T> = std::result::Result<T, BackupError>;

fn err(s: impl Into<String>) -> BackupError {
    BackupError(s.into())
}

/// What a finished backup or restore wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    /// The backup file, or the restored database's file (SQLite) or URL (PostgreSQL).
    pub target: String,
    /// Bytes of the backup file.
    pub bytes: u64,
}

/// Copies the whole database at `url` into the new file `to`, online: writers go on
/// while it runs and the copy is the database as one transaction saw it.
pub fn backup(url: &DatabaseUrl, to: &Path) -> Result<Done> {
    if to.exists() {
        return Err(err(format!(
            "{} exists already; a backup never overwrites a file, choose a new name",
            to.display()
        )));
    }
    let tmp = temp_beside(to, "partial")?;
    // The copy is written into a file that is private from its first byte (VACUUM INTO
    // takes an empty file; pg_dump truncates it and keeps its mode).
    crate::config::create_private_file(&tmp)
        .map_err(|e| err(format!("cannot create {}: {e}", tmp.display())))?;
    let outcome = match url {
        DatabaseUrl::Sqlite(path) => sqlite_backup(path, &tmp),
        DatabaseUrl::Postgres(u) => pg_dump(u, &tmp),
    };
    if let Err(e) = outcome.and_then(|()| publish(&tmp, to)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(Done {
        target: to.display().to_string(),
        bytes: file_len(to)?,
    })
}

/// Replaces the database at `url` with the backup `from`. Refuses a database that holds
/// tables unless `force`. The server must be stopped (SQLite checks that no other
/// process has the file open).
pub fn restore(url: &DatabaseUrl, from: &Path, force: bool) -> Result<Done> {
    if !from.is_file() {
        return Err(err(format!("no backup file at {}", from.display())));
    }
    let bytes = file_len(from)?;
    match url {
        DatabaseUrl::Sqlite(path) => sqlite_restore(path, from, force)?,
        DatabaseUrl::Postgres(u) => pg_restore(u, from, force)?,
    }
    Ok(Done {
        target: url.to_string(),
        bytes,
    })
}

// ---- SQLite ----

fn sqlite_open(path: &Path) -> Result<SqliteConnection> {
    let mut c = SqliteConnection::establish(&path.to_string_lossy())
        .map_err(|e| err(format!("cannot open {}: {e}", path.display())))?;
    c.batch_execute("PRAGMA busy_timeout = 10000;")
        .map_err(|e| err(format!("{}: {e}", path.display())))?;
    Ok(c)
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

#[derive(QueryableByName)]
struct JournalMode {
    #[diesel(sql_type = Text)]
    journal_mode: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn sqlite_backup(db: &Path, tmp: &Path) -> Result<()> {
    if !db.is_file() {
        return Err(err(format!("no SQLite database at {}", db.display())));
    }
    let mut conn = sqlite_open(db)?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(tmp.to_string_lossy().to_string())
        .execute(&mut conn)
        .map_err(|e| err(format!("VACUUM INTO {} failed: {e}", tmp.display())))?;
    drop(conn);
    check_sqlite_copy(tmp, tmp)
}

/// A copy at `path` is a sound SQLite file that holds the lims schema; messages name
/// `shown`, the file the operator knows.
fn check_sqlite_copy(path: &Path, shown: &Path) -> Result<()> {
    let mut conn = sqlite_open(path)?;
    let check: Vec<Line> = diesel::sql_query("SELECT quick_check AS line FROM pragma_quick_check")
        .load(&mut conn)
        .map_err(|e| {
            err(format!(
                "{} is not an SQLite database: {e}",
                shown.display()
            ))
        })?;
    if check.len() != 1 || check[0].line != "ok" {
        let why: Vec<String> = check.into_iter().take(3).map(|l| l.line).collect();
        return Err(err(format!(
            "{} failed SQLite's check: {}",
            shown.display(),
            why.join("; ")
        )));
    }
    let n: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = '__diesel_schema_migrations'",
    )
    .get_result(&mut conn)
    .map_err(|e| err(format!("{}: {e}", shown.display())))?;
    if n.n == 0 {
        return Err(err(format!("{} is not a lims database", shown.display())));
    }
    Ok(())
}

fn sqlite_restore(db: &Path, from: &Path, force: bool) -> Result<()> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::config::create_private_dir(dir)
            .map_err(|e| err(format!("cannot create {}: {e}", dir.display())))?;
    }
    let wal = with_suffix(db, "-wal");
    if db.exists() {
        let mut conn = sqlite_open(db)?;
        let tables: Count =
            diesel::sql_query("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'")
                .get_result(&mut conn)
                .map_err(|e| err(format!("{}: {e}", db.display())))?;
        if tables.n > 0 && !force {
            return Err(err(format!(
                "{} is not empty ({} tables); restore overwrites it only with --force",
                db.display(),
                tables.n
            )));
        }
        // Leaving WAL needs the only connection: this fails while a server has the file
        // open, and it folds a crashed server's log into the file and removes it, so no
        // old log is left to be replayed onto the restored file.
        conn.batch_execute("PRAGMA busy_timeout = 0;")
            .map_err(|e| err(format!("{}: {e}", db.display())))?;
        let mode: std::result::Result<Vec<JournalMode>, _> =
            diesel::sql_query("PRAGMA journal_mode = DELETE").load(&mut conn);
        match mode {
            Ok(m) if m.first().is_some_and(|l| l.journal_mode == "delete") => {}
            _ => {
                return Err(err(format!(
                    "{} is in use (is the server running?); stop it before restoring",
                    db.display()
                )))
            }
        }
        drop(conn);
    }
    if wal.exists() {
        return Err(err(format!(
            "{} lies beside the database: a server may be running, or one stopped without \
             closing it; start and stop the server once, or remove the file if the database \
             it belonged to is gone",
            wal.display()
        )));
    }
    let tmp = temp_beside(db, "restore")?;
    let outcome = private_copy(from, &tmp)
        .map_err(|e| {
            err(format!(
                "cannot copy {} to {}: {e}",
                from.display(),
                tmp.display()
            ))
        })
        .and_then(|_| check_sqlite_copy(&tmp, from))
        .and_then(|()| {
            let shm = with_suffix(db, "-shm");
            if shm.exists() {
                std::fs::remove_file(&shm)
                    .map_err(|e| err(format!("cannot remove {}: {e}", shm.display())))?;
            }
            publish(&tmp, db)
        });
    if outcome.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    outcome
}

/// Copies `from` into the new file `to`, of mode 0600 whatever the mode of `from`.
fn private_copy(from: &Path, to: &Path) -> std::io::Result<u64> {
    let mut src = std::fs::File::open(from)?;
    let mut dst = crate::config::create_private_file(to)?;
    std::io::copy(&mut src, &mut dst)
}

// ---- PostgreSQL ----

/// The URL without its password, and the password (for `PGPASSWORD`), so that the
/// password does not show in the process list.
fn split_password(u: &str) -> Result<(String, Option<String>)> {
    let mut parsed = url::Url::parse(u).map_err(|e| err(format!("DATABASE_URL: {e}")))?;
    let password = parsed.password().map(percent_decode);
    if password.is_some() {
        parsed
            .set_password(None)
            .map_err(|()| err("DATABASE_URL: cannot separate the password"))?;
    }
    Ok((parsed.to_string(), password))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

/// Runs a PostgreSQL client program against `u`; a missing program is named.
fn pg_tool(program: &str, u: &str, args: &[OsString]) -> Result<()> {
    let (dbname, password) = split_password(u)?;
    let mut cmd = Command::new(program);
    cmd.args(args).arg("--dbname").arg(dbname);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    let out = cmd.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            err(format!(
                "{program} was not found on PATH; install the PostgreSQL client programs \
                 (Debian: apt-get install postgresql-client) of the server's major version or newer"
            ))
        } else {
            err(format!("cannot run {program}: {e}"))
        }
    })?;
    if !out.status.success() {
        return Err(err(format!(
            "{program} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

fn pg_dump(u: &str, tmp: &Path) -> Result<()> {
    pg_tool(
        "pg_dump",
        u,
        &[
            "--format=custom".into(),
            "--file".into(),
            tmp.as_os_str().to_owned(),
        ],
    )
}

fn pg_restore(u: &str, from: &Path, force: bool) -> Result<()> {
    let mut conn = PgConnection::establish(u)
        .map_err(|e| err(format!("cannot connect to the database: {e}")))?;
    let tables: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM information_schema.tables \
         WHERE table_schema NOT IN ('pg_catalog', 'information_schema')",
    )
    .get_result(&mut conn)
    .map_err(|e| err(format!("cannot list the tables: {e}")))?;
    drop(conn);
    if tables.n > 0 && !force {
        return Err(err(format!(
            "the database is not empty ({} tables); restore overwrites it only with --force",
            tables.n
        )));
    }
    // --clean --if-exists drops each object of the backup before creating it again;
    // one transaction, so a failed restore leaves the database as it was.
    pg_tool(
        "pg_restore",
        u,
        &[
            "--clean".into(),
            "--if-exists".into(),
            "--no-owner".into(),
            "--single-transaction".into(),
            "--exit-on-error".into(),
            from.as_os_str().to_owned(),
        ],
    )
}

// ---- files ----

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// A fresh name in the directory of `path`, so the final rename stays on one file system.
fn temp_beside(path: &Path, what: &str) -> Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| err(format!("{} is not a file name", path.display())))?;
    let mut tmp = OsString::from(".");
    tmp.push(name);
    tmp.push(format!(".{}.{what}", std::process::id()));
    let tmp = path.with_file_name(tmp);
    if tmp.exists() {
        std::fs::remove_file(&tmp)
            .map_err(|e| err(format!("cannot remove {}: {e}", tmp.display())))?;
    }
    Ok(tmp)
}

/// Syncs `tmp`, renames it to `to` and syncs the directory, so `to` is either absent
/// or complete, also after a crash.
fn publish(tmp: &Path, to: &Path) -> Result<()> {
    let io = |e: std::io::Error| err(format!("{}: {e}", to.display()));
    std::fs::File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    std::fs::rename(tmp, to).map_err(io)?;
    #[cfg(unix)]
    {
        let dir = to
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::File::open(dir)
            .and_then(|f| f.sync_all())
            .map_err(io)?;
    }
    Ok(())
}

fn file_len(p: &Path) -> Result<u64> {
    std::fs::metadata(p)
        .map(|m| m.len())
        .map_err(|e| err(format!("{}: {e}", p.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        let (u, p) = split_password("postgres://lims:p%40ss%2Fw@db.example:5432/lims").unwrap();
        assert_eq!(u, "postgres://lims@db.example:5432/lims");
        assert_eq!(p.as_deref(), Some("p@ss/w"));
        let (u, p) = split_password("postgres://postgres@127.0.0.1/x").unwrap();
        assert_eq!(u, "postgres://postgres@127.0.0.1/x");
        assert_eq!(p, None);
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[test]
    fn a_backup_never_overwrites_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let to = dir.path().join("b.db");
        std::fs::write(&to, b"x").unwrap();
        let e = backup(&DatabaseUrl::Sqlite(dir.path().join("lims.db")), &to).unwrap_err();
        assert!(e.0.contains("exists already"), "{e}");
        assert_eq!(std::fs::read(&to).unwrap(), b"x");
    }
}
