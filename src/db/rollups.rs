//! The rollup tables that triggers on `samples` keep (migration 000008: `sample_counts`),
//! named in one place with the SQL that refills each from `samples` when a bulk load
//! (the demo seeder, [`crate::db::bulk`]) inserted samples with those triggers suspended.
//! Invariant: for samples inserted while a rollup's insert triggers were suspended, its
//! refill adds exactly what those triggers would have added (a test compares the two).
//!
//! To add a trigger-kept rollup of `samples`: add a [`Rollup`] to [`ROLLUPS`] naming the
//! triggers that fire on INSERT into `samples` on each backend and the refill per backend.
//! A rollup left out of the list is still correct (its triggers simply stay on during a
//! bulk load); it is only slower.

use diesel::sql_types::BigInt;
use diesel::RunQueryDsl;

use crate::db::{placeholders, DbConnection};
use crate::error::AppResult;

/// A table of counts kept by triggers on `samples`.
#[derive(Debug)]
pub struct Rollup {
    pub table: &'static str,
    /// The triggers on `samples` that add an inserted sample to the rollup (SQLite).
    pub sqlite_insert_triggers: &'static [&'static str],
    /// The same on PostgreSQL (there one trigger may also fire on DELETE: it is only
    /// disabled for the bulk load's own transaction).
    pub pg_insert_triggers: &'static [&'static str],
    /// Adds the samples with `id > ?` to the rollup, as the insert triggers count them.
    pub sqlite_refill: &'static str,
    pub pg_refill: &'static str,
}

/// Every rollup of `samples` that a bulk load may refill instead of firing its triggers.
pub const ROLLUPS: &[Rollup] = &[Rollup {
    table: "sample_counts",
    sqlite_insert_triggers: &["sample_counts_insert"],
    pg_insert_triggers: &["sample_counts_insert_delete"],
    sqlite_refill: "INSERT INTO sample_counts (month, region_code, plan_id, domain, stage, conclusion, batches) \
         SELECT strftime('%Y-%m', sampled_at, '+8 hours'), region_code, plan_id, domain, stage, conclusion, COUNT(*) \
         FROM samples WHERE id > ? AND status <> 'rejected' \
         GROUP BY 1, 2, 3, 4, 5, 6 \
         ON CONFLICT (month, region_code, plan_id, domain, stage, conclusion) \
         DO UPDATE SET batches = sample_counts.batches + excluded.batches",
    pg_refill: "INSERT INTO sample_counts (month, region_code, plan_id, domain, stage, conclusion, batches) \
         SELECT to_char(sampled_at + INTERVAL '8 hours', 'YYYY-MM'), region_code, plan_id, domain, stage, conclusion, COUNT(*) \
         FROM samples WHERE id > ? AND status <> 'rejected' \
         GROUP BY 1, 2, 3, 4, 5, 6 \
         ON CONFLICT (month, region_code, plan_id, domain, stage, conclusion) \
         DO UPDATE SET batches = sample_counts.batches + EXCLUDED.batches",
}];

impl Rollup {
    /// The insert triggers of this rollup on the connection's backend.
    pub fn insert_triggers(&self, conn: &DbConnection) -> &'static [&'static str] {
        match conn {
            DbConnection::Sqlite(_) => self.sqlite_insert_triggers,
            DbConnection::Pg(_) => self.pg_insert_triggers,
        }
    }

    /// Adds every sample with an id above `after_id` to the rollup, as its insert
    /// triggers would have one by one.
    pub fn refill(&self, conn: &mut DbConnection, after_id: i64) -> AppResult<()> {
        let sql = match conn {
            DbConnection::Sqlite(_) => self.sqlite_refill,
            DbConnection::Pg(_) => self.pg_refill,
        };
        let sql = placeholders(conn, sql);
        diesel::sql_query(sql)
            .bind::<BigInt, _>(after_id)
            .execute(conn)?;
        Ok(())
    }
}
