//! The only module that knows diesel: the connection over SQLite and PostgreSQL, the
//! pool, migrations and the transaction helpers.
//!
//! Invariants:
//! - Every write goes through [`write_tx`]: one transaction, which on SQLite begins
//!   IMMEDIATE so concurrent writers wait for the lock instead of failing.
//! - Every SQLite connection has foreign keys on, WAL and a busy timeout.
//! - Blocking diesel calls run on actix's blocking pool ([`Db::run`]), never on the
//!   async executor.

pub mod audit;
pub mod backup;
pub mod batches;
pub mod bulk;
pub mod cases;
pub mod demo;
pub mod entities;
mod errors;
pub mod health;
pub mod lab_profile;
pub mod layouts;
pub mod nominations;
pub mod plans;
pub mod reference;
pub mod reports;
pub mod retention;
pub mod rollups;
pub mod samples;
pub mod schema;
pub mod screening;
pub mod seed;
pub mod sequences;
pub mod sql;
pub mod stats;
pub mod tests;
pub mod throttle;
pub mod tokens;
pub mod users;

pub use sql::placeholders;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{CustomizeConnection, ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::DatabaseUrl;
use crate::error::{AppError, AppResult};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// One connection to either backend; the same queries run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

impl DbConnection {
    pub fn backend(&self) -> Backend {
        match self {
            DbConnection::Pg(_) => Backend::Postgres,
            DbConnection::Sqlite(_) => Backend::Sqlite,
        }
    }
}

pub type DbPool = Pool<Manager>;
pub type PooledConn = PooledConnection<Manager>;

/// Opens connections of the one backend chosen from the URL scheme. (diesel's
/// `MultiConnection::establish` tries each backend in turn and throws the errors away,
/// so a PostgreSQL outage could end up as an SQLite file named like the URL.)
#[derive(Debug)]
pub struct Manager {
    url: String,
    backend: Backend,
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        match self.backend {
            Backend::Sqlite => SqliteConnection::establish(&self.url).map(DbConnection::Sqlite),
            Backend::Postgres => PgConnection::establish(&self.url).map(DbConnection::Pg),
        }
        .map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<DbConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), diesel::r2d2::Error> {
        if let DbConnection::Sqlite(c) = conn {
            c.batch_execute(
                "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                 PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
            )
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// The database handle shared by the server: a pool and the backend it speaks.
#[derive(Clone)]
pub struct Db {
    pool: DbPool,
    backend: Backend,
}

impl Db {
    /// Opens a pool for `url`, makes a first real connection (so a wrong URL fails at
    /// start) and applies pending migrations.
    pub fn connect(url: &DatabaseUrl) -> AppResult<Db> {
        let (conn_str, backend, size) = match url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    crate::config::create_private_dir(dir).map_err(AppError::internal)?;
                }
                // A new database starts as an empty file of mode 0600; SQLite gives its
                // WAL and shared-memory files the mode of the database file.
                if !path.exists() {
                    match crate::config::create_private_file(path) {
                        Ok(_) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                        Err(e) => {
                            return Err(AppError::Internal(format!(
                                "cannot create {}: {e}",
                                path.display()
                            )))
                        }
                    }
                }
                (path.to_string_lossy().to_string(), Backend::Sqlite, 4)
            }
            DatabaseUrl::Postgres(u) => (u.clone(), Backend::Postgres, 16),
        };
        let manager = Manager {
            url: conn_str,
            backend,
        };
        // A first real connection, so that a wrong URL or a server that is down fails
        // here with its own message.
        drop(
            manager
                .connect()
                .map_err(|e| AppError::Internal(format!("cannot connect to {url}: {e}")))?,
        );
        let pool = Pool::builder()
            .max_size(size)
            .min_idle(Some(1))
            .connection_customizer(Box::new(SqlitePragmas))
            .build(manager)
            .map_err(|e| AppError::Internal(format!("cannot open a pool for {url}: {e}")))?;
        let db = Db { pool, backend };
        run_migrations(&mut *db.get()?)?;
        Ok(db)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A connection for blocking code (the CLI, tests, inside [`Db::run`]).
    pub fn get(&self) -> AppResult<PooledConn> {
        Ok(self.pool.get()?)
    }

    /// Runs blocking database work on the blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| AppError::Internal(format!("blocking task failed: {e}")))?
    }
}

/// Applies the pending migrations of the connection's backend.
pub fn run_migrations(conn: &mut DbConnection) -> AppResult<()> {
    let result = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        DbConnection::Pg(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
    };
    result.map_err(|e| AppError::Internal(format!("migrations failed: {e}")))
}

/// Runs `f` as one write transaction. On SQLite it begins IMMEDIATE (taking the write
/// lock at once, so a concurrent writer waits on the busy timeout rather than failing
/// with "database is locked" at its first write); on PostgreSQL it is a plain
/// transaction. Commits when `f` succeeds, rolls back when it fails.
pub fn write_tx<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> AppResult<T>,
) -> AppResult<T> {
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        DbConnection::Pg(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    let result = f(conn);
    match result {
        Ok(v) => {
            <DbConnection as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(v)
        }
        Err(e) => {
            if let Err(rb) =
                <DbConnection as Connection>::TransactionManager::rollback_transaction(conn)
            {
                log::error!("rollback failed after {e}: {rb}");
            }
            Err(e)
        }
    }
}

/// Runs `f` as one read transaction, so that what it reads is consistent.
pub fn read_tx<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> AppResult<T>,
) -> AppResult<T> {
    conn.transaction(f)
}

/// Serialises, until the end of the transaction, the writes that count one user's use of
/// one quota (`purpose`), so that parallel requests cannot all pass the same check. On
/// SQLite the IMMEDIATE write transaction does that already. Take it before anything
/// that appends to the audit log (whose lock is always taken last).
pub fn lock_user_quota(conn: &mut DbConnection, purpose: i32, user_id: i64) -> AppResult<()> {
    if let DbConnection::Pg(_) = conn {
        // The two-key form: the purpose, and the user id folded into 32 bits (two users
        // sharing a key only wait for each other).
        let folded = (user_id ^ (user_id >> 32)) as i32;
        let lock = diesel::sql_query("SELECT pg_advisory_xact_lock($1, $2)")
            .bind::<diesel::sql_types::Integer, _>(purpose)
            .bind::<diesel::sql_types::Integer, _>(folded);
        diesel::RunQueryDsl::execute(lock, conn)?;
    }
    Ok(())
}
