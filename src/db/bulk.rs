//! Bulk loading of `samples` (the demo seeder). Inside one write transaction the table's
//! secondary indexes, the rollups' insert triggers ([`crate::db::rollups`]) and, on
//! PostgreSQL, its foreign keys (checked row by row there, about four fifths of a COPY's
//! time) are set aside while many rows go in; then the rollups are refilled from the new
//! rows and the indexes, triggers and foreign keys put back from their own stored
//! definitions (a foreign key added back checks every row at once). Invariant: when the
//! transaction commits, the schema is the migrations' schema again and every rollup holds
//! what its triggers would have kept; when it fails, the rollback undoes all of it
//! (DDL is transactional on both backends), and no other writer can insert in between
//! (SQLite: the write lock; PostgreSQL: the ACCESS EXCLUSIVE lock of the DDL).

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Text};
use diesel::{QueryableByName, RunQueryDsl};

use crate::db::rollups::ROLLUPS;
use crate::db::{placeholders, DbConnection};
use crate::error::AppResult;

#[derive(QueryableByName)]
struct Definition {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    sql: String,
}

#[derive(QueryableByName)]
struct MaxId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// What was set aside on `samples`, to be put back by [`SamplesBulkLoad::finish`].
#[must_use = "finish() puts the indexes and triggers back"]
pub struct SamplesBulkLoad {
    /// Secondary indexes (not those of PRIMARY KEY or UNIQUE constraints), with the
    /// statement that made each, as the database stores it.
    indexes: Vec<Definition>,
    /// Suspended insert triggers: on SQLite the stored CREATE TRIGGER statements (the
    /// triggers are dropped), on PostgreSQL their names (the triggers are disabled).
    triggers: Vec<Definition>,
    /// PostgreSQL: the foreign keys of `samples`, with the ALTER TABLE that adds each.
    foreign_keys: Vec<Definition>,
    /// Samples with a larger id are the bulk load's own.
    after_id: i64,
}

/// Sets the indexes, insert triggers and (PostgreSQL) foreign keys of `samples` aside. Call inside the write
/// transaction that inserts the rows and calls [`SamplesBulkLoad::finish`].
pub fn begin_samples(conn: &mut DbConnection) -> AppResult<SamplesBulkLoad> {
    let after_id =
        diesel::sql_query("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS id FROM samples")
            .get_result::<MaxId>(conn)?
            .id;
    let index_sql = match conn {
        DbConnection::Sqlite(_) => {
            "SELECT name, sql FROM sqlite_master \
             WHERE type = 'index' AND tbl_name = 'samples' AND sql IS NOT NULL ORDER BY name"
        }
        DbConnection::Pg(_) => {
            "SELECT c.relname::text AS name, pg_get_indexdef(c.oid) AS sql \
             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE i.indrelid = 'samples'::regclass \
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) \
             ORDER BY 1"
        }
    };
    let indexes: Vec<Definition> = diesel::sql_query(index_sql).load(conn)?;
    let mut triggers = Vec::new();
    for rollup in ROLLUPS {
        for name in rollup.insert_triggers(conn) {
            let sql = match conn {
                DbConnection::Sqlite(_) => {
                    let q = placeholders(
                        conn,
                        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                    );
                    diesel::sql_query(q)
                        .bind::<Text, _>(*name)
                        .get_result::<Definition>(conn)?
                        .sql
                }
                DbConnection::Pg(_) => String::new(),
            };
            triggers.push(Definition {
                name: name.to_string(),
                sql,
            });
        }
    }
    for t in &triggers {
        match conn {
            DbConnection::Sqlite(_) => conn.batch_execute(&format!("DROP TRIGGER {}", t.name))?,
            DbConnection::Pg(_) => {
                conn.batch_execute(&format!("ALTER TABLE samples DISABLE TRIGGER {}", t.name))?
            }
        }
    }
    for i in &indexes {
        conn.batch_execute(&format!("DROP INDEX {}", i.name))?;
    }
    let foreign_keys: Vec<Definition> = match conn {
        DbConnection::Sqlite(_) => Vec::new(),
        DbConnection::Pg(_) => diesel::sql_query(
            "SELECT conname::text AS name, \
                    'ALTER TABLE samples ADD CONSTRAINT ' || quote_ident(conname) || ' ' \
                    || pg_get_constraintdef(oid) AS sql \
             FROM pg_constraint WHERE conrelid = 'samples'::regclass AND contype = 'f' \
             ORDER BY 1",
        )
        .load(conn)?,
    };
    for k in &foreign_keys {
        conn.batch_execute(&format!("ALTER TABLE samples DROP CONSTRAINT {}", k.name))?;
    }
    Ok(SamplesBulkLoad {
        indexes,
        triggers,
        foreign_keys,
        after_id,
    })
}

impl SamplesBulkLoad {
    /// Refills the rollups from the samples inserted since [`begin_samples`], then puts
    /// the triggers, indexes and foreign keys back as they were defined. `progress`
    /// hears "counts", then "indexes"; the answer is the time each took (the foreign
    /// keys count with the indexes).
    pub fn finish(
        self,
        conn: &mut DbConnection,
        progress: &mut dyn FnMut(&str),
    ) -> AppResult<(Duration, Duration)> {
        progress("counts");
        let counting = Instant::now();
        for rollup in ROLLUPS {
            rollup.refill(conn, self.after_id)?;
        }
        for t in &self.triggers {
            match conn {
                DbConnection::Sqlite(_) => conn.batch_execute(&t.sql)?,
                DbConnection::Pg(_) => {
                    conn.batch_execute(&format!("ALTER TABLE samples ENABLE TRIGGER {}", t.name))?
                }
            }
        }
        let counted = counting.elapsed();
        progress("indexes");
        let indexing = Instant::now();
        for i in &self.indexes {
            conn.batch_execute(&i.sql)?;
        }
        for k in &self.foreign_keys {
            conn.batch_execute(&k.sql)?;
        }
        Ok((counted, indexing.elapsed()))
    }
}
