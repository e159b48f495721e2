//! The rollup tables that triggers on `samples` keep (`sample_counts`, migration 000008;
//! `category_counts`, `report_counts` and `receipt_counts`, 000009), named in one place
//! with the SQL that refills each from `samples` when a bulk load (the demo seeder,
//! [`crate::db::bulk`]) inserted samples with those triggers suspended.
//! Invariant: for samples inserted while a rollup's insert triggers were suspended, its
//! refill adds exactly what those triggers would have added (a test compares the two).
//!
//! To add a trigger-kept rollup of `samples`: add a [`Rollup`] to [`ROLLUPS`] naming the
//! triggers that fire on INSERT into `samples` on each backend and the refill per backend.
//! A rollup left out of the list is still correct (its triggers simply stay on during a
//! bulk load); it is only slower. `tests/seed.rs` names every rollup table and compares
//! each, bulk against row by row and refill against triggers.

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

/// Every rollup of `samples` that a bulk load may refill instead of firing its triggers
/// (migrations 000008 and 000009). Each refill restates its insert trigger's condition
/// and key as one GROUP BY over the new samples, added to what is there.
pub const ROLLUPS: &[Rollup] = &[
    Rollup {
        table: "sample_counts",
        sqlite_insert_triggers: &["sample_counts_insert"],
        pg_insert_triggers: &["sample_counts_insert_delete"],
        sqlite_refill: "INSERT INTO sample_counts (month, region_code, plan_id, domain, stage, conclusion, batches) \
             SELECT strftime('%Y-%m', sampled_at, '+8 hours'), region_code, plan_id, domain, stage, conclusion, COUNT(*) \
             FROM samples WHERE samples.id > ? AND status <> 'rejected' \
             GROUP BY 1, 2, 3, 4, 5, 6 \
             ON CONFLICT (month, region_code, plan_id, domain, stage, conclusion) \
             DO UPDATE SET batches = sample_counts.batches + excluded.batches",
        pg_refill: "INSERT INTO sample_counts (month, region_code, plan_id, domain, stage, conclusion, batches) \
             SELECT to_char(sampled_at + INTERVAL '8 hours', 'YYYY-MM'), region_code, plan_id, domain, stage, conclusion, COUNT(*) \
             FROM samples WHERE samples.id > ? AND status <> 'rejected' \
             GROUP BY 1, 2, 3, 4, 5, 6 \
             ON CONFLICT (month, region_code, plan_id, domain, stage, conclusion) \
             DO UPDATE SET batches = sample_counts.batches + EXCLUDED.batches",
    },
    Rollup {
        table: "category_counts",
        sqlite_insert_triggers: &["category_counts_insert"],
        pg_insert_triggers: &["category_counts_insert_delete"],
        sqlite_refill: "INSERT INTO category_counts (month, region_code, domain, category, batches, concluded, non_compliant) \
             SELECT strftime('%Y-%m', sampled_at, '+8 hours'), region_code, domain, \
                    substr(category_code, 1, instr(category_code || '.', '.') - 1), \
                    COUNT(*), SUM(conclusion <> 'pending'), SUM(conclusion = 'non_compliant') \
             FROM samples WHERE samples.id > ? AND status <> 'rejected' \
               AND (SELECT kind FROM plans WHERE plans.id = samples.plan_id) IS NOT 'risk_monitoring' \
             GROUP BY 1, 2, 3, 4 \
             ON CONFLICT (month, region_code, domain, category) \
             DO UPDATE SET batches = category_counts.batches + excluded.batches, \
                           concluded = category_counts.concluded + excluded.concluded, \
                           non_compliant = category_counts.non_compliant + excluded.non_compliant",
        pg_refill: "INSERT INTO category_counts (month, region_code, domain, category, batches, concluded, non_compliant) \
             SELECT to_char(sampled_at + INTERVAL '8 hours', 'YYYY-MM'), region_code, domain, \
                    split_part(category_code, '.', 1), COUNT(*), \
                    COUNT(*) FILTER (WHERE conclusion <> 'pending'), \
                    COUNT(*) FILTER (WHERE conclusion = 'non_compliant') \
             FROM samples WHERE samples.id > ? AND status <> 'rejected' \
               AND (SELECT kind FROM plans WHERE plans.id = samples.plan_id) IS DISTINCT FROM 'risk_monitoring' \
             GROUP BY 1, 2, 3, 4 \
             ON CONFLICT (month, region_code, domain, category) \
             DO UPDATE SET batches = category_counts.batches + EXCLUDED.batches, \
                           concluded = category_counts.concluded + EXCLUDED.concluded, \
                           non_compliant = category_counts.non_compliant + EXCLUDED.non_compliant",
    },
    Rollup {
        table: "report_counts",
        sqlite_insert_triggers: &["report_counts_insert"],
        pg_insert_triggers: &["report_counts_insert_delete"],
        sqlite_refill: "INSERT INTO report_counts (month, region_code, domain, turnaround_days, provisional, on_time, reports) \
             SELECT strftime('%Y-%m', reported_at, '+8 hours'), region_code, domain, \
                    turnaround_days, turnaround_provisional, \
                    COALESCE(date(reported_at, '+8 hours') <= due_on, 0), COUNT(*) \
             FROM samples WHERE samples.id > ? \
               AND reported_at IS NOT NULL AND received_at IS NOT NULL AND turnaround_days IS NOT NULL \
             GROUP BY 1, 2, 3, 4, 5, 6 \
             ON CONFLICT (month, region_code, domain, turnaround_days, provisional, on_time) \
             DO UPDATE SET reports = report_counts.reports + excluded.reports",
        pg_refill: "INSERT INTO report_counts (month, region_code, domain, turnaround_days, provisional, on_time, reports) \
             SELECT to_char(reported_at + INTERVAL '8 hours', 'YYYY-MM'), region_code, domain, \
                    turnaround_days, turnaround_provisional, \
                    COALESCE(CAST(reported_at + INTERVAL '8 hours' AS DATE) <= due_on, FALSE), COUNT(*) \
             FROM samples WHERE samples.id > ? \
               AND reported_at IS NOT NULL AND received_at IS NOT NULL AND turnaround_days IS NOT NULL \
             GROUP BY 1, 2, 3, 4, 5, 6 \
             ON CONFLICT (month, region_code, domain, turnaround_days, provisional, on_time) \
             DO UPDATE SET reports = report_counts.reports + EXCLUDED.reports",
    },
    Rollup {
        table: "receipt_counts",
        sqlite_insert_triggers: &["receipt_counts_insert"],
        pg_insert_triggers: &["receipt_counts_insert_delete"],
        sqlite_refill: "INSERT INTO receipt_counts (month, region_code, domain, late, received) \
             SELECT strftime('%Y-%m', received_at, '+8 hours'), region_code, domain, \
                    COALESCE(delivered_late, 0), COUNT(*) \
             FROM samples WHERE samples.id > ? AND received_at IS NOT NULL \
             GROUP BY 1, 2, 3, 4 \
             ON CONFLICT (month, region_code, domain, late) \
             DO UPDATE SET received = receipt_counts.received + excluded.received",
        pg_refill: "INSERT INTO receipt_counts (month, region_code, domain, late, received) \
             SELECT to_char(received_at + INTERVAL '8 hours', 'YYYY-MM'), region_code, domain, \
                    COALESCE(delivered_late, FALSE), COUNT(*) \
             FROM samples WHERE samples.id > ? AND received_at IS NOT NULL \
             GROUP BY 1, 2, 3, 4 \
             ON CONFLICT (month, region_code, domain, late) \
             DO UPDATE SET received = receipt_counts.received + EXCLUDED.received",
    },
];

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
