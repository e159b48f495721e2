//! SQL text that differs between the backends, for the raw queries of `db`: the local
//! (Asia/Shanghai) day, month and year of a stored UTC column, a category's top-level
//! code, a boolean that is false when NULL, and `?` placeholders numbered for
//! PostgreSQL. Invariant: the offset comes from `domain::local_time::OFFSET_HOURS`
//! alone; the statistics queries and the rollup refill build their local-time SQL here.
//!
//! The triggers of migrations 000008 and 000009 (and the first fills there) write the
//! same expressions with the offset as a literal: migrations are history and stay as
//! they are. The tests below check that what this module builds is what they use, so a
//! changed offset constant fails a test instead of splitting the rollups from the
//! figures.

use crate::db::{Backend, DbConnection};
use crate::domain::local_time::OFFSET_HOURS;

/// The SQLite date modifier that moves a UTC time to local time (`'+8 hours'`).
fn sqlite_shift() -> String {
    format!("'{OFFSET_HOURS:+} hours'")
}

/// `col` (a UTC timestamp) moved to local time, on PostgreSQL.
fn pg_local(col: &str) -> String {
    format!("{col} + INTERVAL '{OFFSET_HOURS} hours'")
}

/// The local month of UTC column `col` as text `YYYY-MM` (the rollups' `month`).
pub fn local_month(b: Backend, col: &str) -> String {
    match b {
        Backend::Sqlite => format!("strftime('%Y-%m', {col}, {})", sqlite_shift()),
        Backend::Postgres => format!("to_char({}, 'YYYY-MM')", pg_local(col)),
    }
}

/// The local day of UTC column `col`, as a date.
pub fn local_day(b: Backend, col: &str) -> String {
    match b {
        Backend::Sqlite => format!("date({col}, {})", sqlite_shift()),
        Backend::Postgres => format!("CAST({} AS DATE)", pg_local(col)),
    }
}

/// The local calendar year of UTC column `col` as text `YYYY`.
pub fn local_year(b: Backend, col: &str) -> String {
    match b {
        Backend::Sqlite => format!("strftime('%Y', {col}, {})", sqlite_shift()),
        Backend::Postgres => format!("to_char({}, 'YYYY')", pg_local(col)),
    }
}

/// The top-level code of category column `col` (`01.02` → `01`).
pub fn top_category(b: Backend, col: &str) -> String {
    match b {
        Backend::Sqlite => format!("substr({col}, 1, instr({col} || '.', '.') - 1)"),
        Backend::Postgres => format!("split_part({col}, '.', 1)"),
    }
}

/// Boolean expression `expr`, false where it is NULL (SQLite stores booleans as 0/1).
pub fn or_false(b: Backend, expr: &str) -> String {
    match b {
        Backend::Sqlite => format!("COALESCE({expr}, 0)"),
        Backend::Postgres => format!("COALESCE({expr}, FALSE)"),
    }
}

/// SQLite's `INDEXED BY` for `index` (PostgreSQL's planner finds a partial index by
/// itself and has no such clause).
pub fn indexed_by(b: Backend, index: &str) -> String {
    match b {
        Backend::Sqlite => format!(" INDEXED BY {index}"),
        Backend::Postgres => String::new(),
    }
}

/// `sql` written with `?` placeholders, numbered `$1, $2, …` for PostgreSQL. For raw SQL
/// (`diesel::sql_query`) run on either backend; the text must hold no other `?`.
pub fn placeholders(conn: &DbConnection, sql: &str) -> String {
    match conn {
        DbConnection::Sqlite(_) => sql.to_string(),
        DbConnection::Pg(_) => {
            let mut out = String::with_capacity(sql.len() + 16);
            let mut n = 0;
            for ch in sql.chars() {
                if ch == '?' {
                    n += 1;
                    out.push_str(&format!("${n}"));
                } else {
                    out.push(ch);
                }
            }
            out
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The triggers of the monthly rollups, as the migrations wrote them.
    pub(crate) const SQLITE_TRIGGERS: [&str; 2] = [
        include_str!("../../migrations/sqlite/2026-11-28-000008_stats_rollup/up.sql"),
        include_str!("../../migrations/sqlite/2026-11-28-000009_lab_rollup/up.sql"),
    ];
    pub(crate) const PG_TRIGGERS: [&str; 2] = [
        include_str!("../../migrations/postgres/2026-11-28-000008_stats_rollup/up.sql"),
        include_str!("../../migrations/postgres/2026-11-28-000009_lab_rollup/up.sql"),
    ];

    fn in_triggers(b: Backend, expr: &str) -> bool {
        let files = match b {
            Backend::Sqlite => SQLITE_TRIGGERS,
            Backend::Postgres => PG_TRIGGERS,
        };
        files.iter().any(|f| f.contains(expr))
    }

    #[test]
    fn the_local_time_sql_is_what_the_rollup_triggers_use() {
        // The triggers name the new row `NEW` on SQLite and `s` in PostgreSQL's functions.
        for (b, row) in [(Backend::Sqlite, "NEW."), (Backend::Postgres, "s.")] {
            for col in ["sampled_at", "reported_at", "received_at"] {
                let month = local_month(b, &format!("{row}{col}"));
                assert!(in_triggers(b, &month), "{month}");
            }
            let day = local_day(b, &format!("{row}reported_at"));
            assert!(in_triggers(b, &day), "{day}");
            let top = top_category(b, &format!("{row}category_code"));
            assert!(in_triggers(b, &top), "{top}");
            let late = or_false(b, &format!("{row}delivered_late"));
            assert!(in_triggers(b, &late), "{late}");
        }
    }

    #[test]
    fn the_local_year_is_built_like_the_month() {
        assert_eq!(
            local_year(Backend::Sqlite, "t"),
            "strftime('%Y', t, '+8 hours')"
        );
        assert_eq!(
            local_year(Backend::Postgres, "t"),
            "to_char(t + INTERVAL '8 hours', 'YYYY')"
        );
    }
}
