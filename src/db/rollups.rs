//! The monthly rollups that triggers on `samples` keep (`sample_counts`, migration
//! 000008; `category_counts`, `report_counts` and `receipt_counts`, 000009), each
//! described once as data ([`Rollup`]): its key columns and the expressions over
//! `samples` that compute them, its counted columns and their conditions, which samples
//! it counts. From that one description come the refill after a bulk load
//! ([`Rollup::refill`], [`crate::db::bulk`]) and the statistics' reads
//! ([`crate::db::stats`], whole months from the rollup, the days at a period's ends from
//! `samples`).
//! Invariant: for samples inserted while a rollup's insert triggers were suspended, its
//! refill adds exactly what those triggers would have added.
//!
//! The triggers themselves (and the first fill of each table) are written out in
//! migrations 000008 and 000009, with the UTC+8 offset as a literal: migrations are
//! history and stay as they are. The unit tests here and in [`crate::db::sql`] check
//! that every key expression below is the one the triggers use; `tests/seed.rs`
//! compares a bulk load with a load row by row and a refill with what the triggers keep,
//! and `tests/stats.rs` compares every rollup with its own independent count.
//!
//! To add a trigger-kept rollup of `samples`: add a [`Rollup`] to [`ROLLUPS`] naming the
//! triggers that fire on INSERT into `samples` on each backend. A rollup left out of
//! the list is still correct (its triggers simply stay on during a bulk load); it is
//! only slower. `tests/seed.rs` names every rollup table and compares each.

use diesel::sql_types::BigInt;
use diesel::RunQueryDsl;

use crate::db::sql::{local_day, local_month, or_false, placeholders, top_category};
use crate::db::{Backend, DbConnection};
use crate::error::AppResult;

/// How a key column of a rollup is computed from a row of `samples`.
#[derive(Debug, Clone, Copy)]
pub enum Expr {
    /// The column of that name.
    Column(&'static str),
    /// The top-level code of a category column (`01.02` → `01`).
    TopCategory(&'static str),
    /// A boolean column, false when NULL.
    OrFalse(&'static str),
    /// Whether the local day of a time column is on or before a date column; false when
    /// either is NULL (a report on or before its deadline).
    LocalDayOnOrBefore(&'static str, &'static str),
}

impl Expr {
    /// The expression on backend `b`, the columns prefixed with `row` (`""` in a query
    /// over `samples`; the triggers say `NEW.` or `s.`).
    pub fn sql(&self, b: Backend, row: &str) -> String {
        match *self {
            Expr::Column(c) => format!("{row}{c}"),
            Expr::TopCategory(c) => top_category(b, &format!("{row}{c}")),
            Expr::OrFalse(c) => or_false(b, &format!("{row}{c}")),
            Expr::LocalDayOnOrBefore(time, date) => or_false(
                b,
                &format!("{} <= {row}{date}", local_day(b, &format!("{row}{time}"))),
            ),
        }
    }
}

/// A key column of a rollup and how one sample gives its value.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub column: &'static str,
    pub of: Expr,
}

/// A counted column of a rollup: what one counted sample adds to it (1, or 1 when
/// `when` holds).
#[derive(Debug, Clone, Copy)]
pub struct Count {
    pub column: &'static str,
    /// A condition over `samples`, the same SQL on both backends; `None` counts every
    /// sample the rollup counts.
    pub when: Option<&'static str>,
}

impl Count {
    /// What one sample adds, as SQL over `samples`.
    pub fn per_sample(&self) -> String {
        match self.when {
            None => "1".to_string(),
            Some(c) => format!("CASE WHEN {c} THEN 1 ELSE 0 END"),
        }
    }
}

/// A table of counts kept by triggers on `samples`, keyed first by `month`, the local
/// month of one time column.
#[derive(Debug)]
pub struct Rollup {
    pub table: &'static str,
    /// The time column of `samples` whose local month is the rollup's `month`.
    pub time: &'static str,
    /// The key columns after `month`, in the order of the table's primary key.
    pub keys: &'static [Key],
    pub counts: &'static [Count],
    /// Which samples are counted: a condition over `samples`, the same SQL on both
    /// backends.
    pub counted: &'static str,
    /// The triggers on `samples` that add an inserted sample to the rollup (SQLite).
    pub sqlite_insert_triggers: &'static [&'static str],
    /// The same on PostgreSQL (there one trigger may also fire on DELETE: it is only
    /// disabled for the bulk load's own transaction).
    pub pg_insert_triggers: &'static [&'static str],
}

const fn key(column: &'static str) -> Key {
    Key {
        column,
        of: Expr::Column(column),
    }
}

const fn every(column: &'static str) -> Count {
    Count { column, when: None }
}

/// Batches per local month of sampling, county, plan, domain, stage and conclusion
/// (migration 000008); rejected samples are not counted.
pub const SAMPLE_COUNTS: Rollup = Rollup {
    table: "sample_counts",
    time: "sampled_at",
    keys: &[
        key("region_code"),
        key("plan_id"),
        key("domain"),
        key("stage"),
        key("conclusion"),
    ],
    counts: &[every("batches")],
    counted: "status <> 'rejected'",
    sqlite_insert_triggers: &["sample_counts_insert"],
    pg_insert_triggers: &["sample_counts_insert_delete"],
};

/// Batches, concluded and non-compliant batches per local month of sampling, county,
/// domain and top-level category, of the plans other than risk monitoring (000009).
pub const CATEGORY_COUNTS: Rollup = Rollup {
    table: "category_counts",
    time: "sampled_at",
    keys: &[
        key("region_code"),
        key("domain"),
        Key {
            column: "category",
            of: Expr::TopCategory("category_code"),
        },
    ],
    counts: &[
        every("batches"),
        Count {
            column: "concluded",
            when: Some("conclusion <> 'pending'"),
        },
        Count {
            column: "non_compliant",
            when: Some("conclusion = 'non_compliant'"),
        },
    ],
    // The triggers ask `(SELECT kind FROM plans WHERE id = plan_id)`; every sample has
    // its plan (a foreign key), so this is the same set in SQL both backends share.
    counted: "status <> 'rejected' \
              AND plan_id NOT IN (SELECT id FROM plans WHERE kind = 'risk_monitoring')",
    sqlite_insert_triggers: &["category_counts_insert"],
    pg_insert_triggers: &["category_counts_insert_delete"],
};

/// Reports per local month of issue, county, domain, turnaround in working days,
/// whether that count was provisional and whether the report met the sample's deadline
/// (000009).
pub const REPORT_COUNTS: Rollup = Rollup {
    table: "report_counts",
    time: "reported_at",
    keys: &[
        key("region_code"),
        key("domain"),
        key("turnaround_days"),
        Key {
            column: "provisional",
            of: Expr::Column("turnaround_provisional"),
        },
        Key {
            column: "on_time",
            of: Expr::LocalDayOnOrBefore("reported_at", "due_on"),
        },
    ],
    counts: &[every("reports")],
    counted: "reported_at IS NOT NULL AND received_at IS NOT NULL \
              AND turnaround_days IS NOT NULL",
    sqlite_insert_triggers: &["report_counts_insert"],
    pg_insert_triggers: &["report_counts_insert_delete"],
};

/// Samples per local month of receipt, county, domain and whether they reached the lab
/// late (000009).
pub const RECEIPT_COUNTS: Rollup = Rollup {
    table: "receipt_counts",
    time: "received_at",
    keys: &[
        key("region_code"),
        key("domain"),
        Key {
            column: "late",
            of: Expr::OrFalse("delivered_late"),
        },
    ],
    counts: &[every("received")],
    counted: "received_at IS NOT NULL",
    sqlite_insert_triggers: &["receipt_counts_insert"],
    pg_insert_triggers: &["receipt_counts_insert_delete"],
};

/// Every rollup of `samples` that a bulk load may refill instead of firing its triggers.
pub const ROLLUPS: &[Rollup] = &[
    SAMPLE_COUNTS,
    CATEGORY_COUNTS,
    REPORT_COUNTS,
    RECEIPT_COUNTS,
];

impl Rollup {
    /// The insert triggers of this rollup on the connection's backend.
    pub fn insert_triggers(&self, conn: &DbConnection) -> &'static [&'static str] {
        self.insert_triggers_of(conn.backend())
    }

    /// The insert triggers of this rollup on backend `b`.
    pub fn insert_triggers_of(&self, b: Backend) -> &'static [&'static str] {
        match b {
            Backend::Sqlite => self.sqlite_insert_triggers,
            Backend::Postgres => self.pg_insert_triggers,
        }
    }

    /// The key column that holds the top-level category, if the rollup has one.
    pub fn category_key(&self) -> Option<&'static str> {
        self.keys
            .iter()
            .find(|k| matches!(k.of, Expr::TopCategory(_)))
            .map(|k| k.column)
    }

    /// The key column `column` computed over `samples` (`month` included).
    pub fn key_over_samples(&self, b: Backend, column: &str) -> Option<String> {
        if column == "month" {
            return Some(local_month(b, self.time));
        }
        self.keys
            .iter()
            .find(|k| k.column == column)
            .map(|k| k.of.sql(b, ""))
    }

    /// The SQL that adds every sample with `id > ?` to the rollup, as one GROUP BY over
    /// the new samples added to what is there.
    pub fn refill_sql(&self, b: Backend) -> String {
        let columns: Vec<&str> = std::iter::once("month")
            .chain(self.keys.iter().map(|k| k.column))
            .collect();
        let values: Vec<String> = std::iter::once(local_month(b, self.time))
            .chain(self.keys.iter().map(|k| k.of.sql(b, "")))
            .chain(self.counts.iter().map(|c| match c.when {
                None => "COUNT(*)".to_string(),
                Some(_) => format!("SUM({})", c.per_sample()),
            }))
            .collect();
        let groups: Vec<String> = (1..=columns.len()).map(|i| i.to_string()).collect();
        let sums: Vec<String> = self
            .counts
            .iter()
            .map(|c| format!("{0} = {1}.{0} + excluded.{0}", c.column, self.table))
            .collect();
        format!(
            "INSERT INTO {table} ({columns}, {counts}) SELECT {values} FROM samples \
             WHERE samples.id > ? AND {counted} GROUP BY {groups} \
             ON CONFLICT ({columns}) DO UPDATE SET {sums}",
            table = self.table,
            columns = columns.join(", "),
            counts = self
                .counts
                .iter()
                .map(|c| c.column)
                .collect::<Vec<_>>()
                .join(", "),
            values = values.join(", "),
            counted = self.counted,
            groups = groups.join(", "),
            sums = sums.join(", "),
        )
    }

    /// Adds every sample with an id above `after_id` to the rollup, as its insert
    /// triggers would have one by one.
    pub fn refill(&self, conn: &mut DbConnection, after_id: i64) -> AppResult<()> {
        let sql = placeholders(conn, &self.refill_sql(conn.backend()));
        diesel::sql_query(sql)
            .bind::<BigInt, _>(after_id)
            .execute(conn)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sql::tests::{PG_TRIGGERS, SQLITE_TRIGGERS};

    #[test]
    fn every_key_is_computed_as_its_triggers_compute_it() {
        for (b, row, files) in [
            (Backend::Sqlite, "NEW.", SQLITE_TRIGGERS),
            (Backend::Postgres, "s.", PG_TRIGGERS),
        ] {
            for r in ROLLUPS {
                let month = local_month(b, &format!("{row}{}", r.time));
                assert!(files.iter().any(|f| f.contains(&month)), "{month}");
                for k in r.keys {
                    let e = k.of.sql(b, row);
                    assert!(files.iter().any(|f| f.contains(&e)), "{}: {e}", r.table);
                }
                for t in r.insert_triggers_of(b) {
                    assert!(
                        files
                            .iter()
                            .any(|f| f.contains(&format!("CREATE TRIGGER {t} "))),
                        "{t}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_refill_groups_by_every_key_and_adds_to_every_count() {
        let sql = CATEGORY_COUNTS.refill_sql(Backend::Sqlite);
        assert!(
            sql.starts_with(
                "INSERT INTO category_counts (month, region_code, domain, category, \
                 batches, concluded, non_compliant) SELECT strftime('%Y-%m', sampled_at, \
                 '+8 hours'), region_code, domain, substr(category_code, 1, \
                 instr(category_code || '.', '.') - 1), COUNT(*), \
                 SUM(CASE WHEN conclusion <> 'pending' THEN 1 ELSE 0 END)"
            ),
            "{sql}"
        );
        assert!(sql.contains("GROUP BY 1, 2, 3, 4 ON CONFLICT"), "{sql}");
        assert!(
            sql.ends_with("non_compliant = category_counts.non_compliant + excluded.non_compliant"),
            "{sql}"
        );
    }
}
