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
//!
//! The rows themselves go in by [`insert_samples`] and its siblings: multi-row INSERTs
//! on SQLite, COPY on PostgreSQL.

use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::ExecuteCopyFromDsl;
use diesel::sql_types::{BigInt, Text};
use diesel::{Insertable, QueryableByName, RunQueryDsl};

use crate::db::rollups::ROLLUPS;
use crate::db::schema::{entities, plans, sample_tests, samples};
use crate::db::{placeholders, DbConnection};
use crate::error::AppResult;

/// Rows per multi-row INSERT on SQLite: 1,000 samples × 28 columns stays below its
/// limit of 32,766 bound parameters. (PostgreSQL takes the rows by COPY.)
pub const CHUNK: usize = 1_000;

/// A plan row as the intake use case stores it.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = plans, treat_none_as_default_value = false)]
pub struct NewPlan {
    pub code: String,
    pub name: String,
    pub year: i32,
    pub level: String,
    pub kind: String,
    pub domain: String,
    pub region_code: String,
    pub target_batches: i32,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An entity row as the intake use case stores it.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = entities, treat_none_as_default_value = false)]
pub struct NewEntity {
    pub name: String,
    pub uscc: String,
    pub license_no: Option<String>,
    pub kind: String,
    pub address: String,
    pub region_code: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A sample row with the columns intake, receipt and approval write.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = samples, treat_none_as_default_value = false)]
pub struct NewSample {
    pub sample_no: String,
    pub plan_id: i64,
    pub entity_id: i64,
    pub domain: String,
    pub category_code: String,
    pub product_name: String,
    pub stage: String,
    pub sampled_at: NaiveDateTime,
    pub quantity: String,
    pub unit: String,
    pub storage: String,
    pub status: String,
    pub conclusion: String,
    pub region_code: String,
    pub registered_by: i64,
    pub registered_at: NaiveDateTime,
    pub delivery_due_on: Option<NaiveDate>,
    pub delivery_due_provisional: bool,
    pub received_at: Option<NaiveDateTime>,
    pub received_by: Option<i64>,
    pub delivered_late: Option<bool>,
    pub due_on: Option<NaiveDate>,
    pub due_provisional: bool,
    pub reported_at: Option<NaiveDateTime>,
    pub turnaround_days: Option<i64>,
    pub turnaround_provisional: bool,
    pub version: i32,
    pub updated_at: NaiveDateTime,
}

/// A judged test row (only failing tests are generated: they are what the figures read).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = sample_tests, treat_none_as_default_value = false)]
pub struct NewTest {
    pub sample_id: i64,
    pub test_item_id: i64,
    pub name: String,
    pub method_standard: String,
    pub judgment_standard: String,
    pub limit_kind: String,
    pub unit: String,
    pub status: String,
    pub attempt: i32,
    pub judgment: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Inserts rows: on SQLite with one multi-row INSERT per `CHUNK`, on PostgreSQL with
/// one binary COPY. (`None` is written as NULL, not DEFAULT: SQLite has no DEFAULT in
/// a multi-row VALUES list, and diesel would otherwise insert row by row, each row in
/// a savepoint.) diesel's batch insert does not go through the multi connection, so
/// this matches on the backend.
macro_rules! bulk {
    ($name:ident, $ty:ty, $table:path) => {
        pub fn $name(conn: &mut DbConnection, rows: &[$ty]) -> AppResult<()> {
            match conn {
                DbConnection::Sqlite(c) => {
                    for chunk in rows.chunks(CHUNK) {
                        diesel::insert_into($table).values(chunk).execute(c)?;
                    }
                }
                DbConnection::Pg(c) => {
                    if !rows.is_empty() {
                        diesel::copy_from($table).from_insertable(rows).execute(c)?;
                    }
                }
            }
            Ok(())
        }
    };
}

bulk!(insert_plans, NewPlan, plans::table);
bulk!(insert_entities, NewEntity, entities::table);
bulk!(insert_samples, NewSample, samples::table);
bulk!(insert_tests, NewTest, sample_tests::table);

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
