//! The test oracle of the monthly rollups: each rollup's rows counted straight from
//! `samples`, with the key expressions written out here by hand. It is independent of
//! `lims::db::rollups` on purpose: an oracle that reused the definitions it checks (or
//! `lims::db::sql`) would agree with any mistake in them and test nothing. When the
//! offset or a rollup changes, this file changes by hand too.

use diesel::prelude::*;

use lims::db::DbConnection;

use crate::support::Backend;

/// One row of a rollup: its key columns as one text, and its counts as one text.
#[derive(QueryableByName, Debug, PartialEq)]
pub struct CountCell {
    #[diesel(sql_type = diesel::sql_types::Text)]
    key: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    n: String,
}

/// A rollup the triggers keep, and the same counts over `samples`.
struct RollupCheck {
    table: &'static str,
    keys: &'static str,
    /// The count columns; the first one is never 0 in a kept row.
    counts: &'static str,
    /// The keys over `samples` (`{month:col}`: a time column's local month; `{top}`: the
    /// top-level category; `{on_time}`, `{late}`).
    sample_keys: &'static str,
    sample_counts: &'static str,
    counted: &'static str,
}

const ROLLUPS: [RollupCheck; 4] = [
    RollupCheck {
        table: "sample_counts",
        keys: "month, region_code, plan_id, domain, stage, conclusion",
        counts: "batches",
        sample_keys: "{month:sampled_at}, region_code, plan_id, domain, stage, conclusion",
        sample_counts: "COUNT(*)",
        counted: "status <> 'rejected'",
    },
    RollupCheck {
        table: "category_counts",
        keys: "month, region_code, domain, category",
        counts: "batches, concluded, non_compliant",
        sample_keys: "{month:sampled_at}, region_code, domain, {top}",
        sample_counts: "COUNT(*), SUM(CASE WHEN conclusion <> 'pending' THEN 1 ELSE 0 END), \
                        SUM(CASE WHEN conclusion = 'non_compliant' THEN 1 ELSE 0 END)",
        counted: "status <> 'rejected' \
                  AND plan_id NOT IN (SELECT id FROM plans WHERE kind = 'risk_monitoring')",
    },
    RollupCheck {
        table: "report_counts",
        keys: "month, region_code, domain, turnaround_days, provisional, on_time",
        counts: "reports",
        sample_keys: "{month:reported_at}, region_code, domain, turnaround_days, \
                      turnaround_provisional, {on_time}",
        sample_counts: "COUNT(*)",
        counted:
            "reported_at IS NOT NULL AND received_at IS NOT NULL AND turnaround_days IS NOT NULL",
    },
    RollupCheck {
        table: "receipt_counts",
        keys: "month, region_code, domain, late",
        counts: "received",
        sample_keys: "{month:received_at}, region_code, domain, {late}",
        sample_counts: "COUNT(*)",
        counted: "received_at IS NOT NULL",
    },
];

/// Splits SQL expressions at the commas outside parentheses.
fn split_exprs(exprs: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let (mut depth, mut cur) = (0, String::new());
    for ch in exprs.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if ch == ',' && depth == 0 {
            parts.push(std::mem::take(&mut cur));
        } else {
            cur.push(ch);
        }
    }
    parts.push(cur);
    parts.into_iter().map(|p| p.trim().to_string()).collect()
}

/// The expressions as one text: each cast to text, joined by `|`.
fn as_text(exprs: &str) -> String {
    split_exprs(exprs)
        .iter()
        .map(|e| format!("CAST({e} AS TEXT)"))
        .collect::<Vec<_>>()
        .join(" || '|' || ")
}

/// For each rollup: the counts the triggers keep and the same counts taken from
/// `samples` directly.
pub fn kept_and_counted(
    c: &mut DbConnection,
    b: Backend,
) -> Vec<(&'static str, Vec<CountCell>, Vec<CountCell>)> {
    let sqlite = b == Backend::Sqlite;
    let month = |col: &str| match sqlite {
        true => format!("strftime('%Y-%m', {col}, '+8 hours')"),
        false => format!("to_char({col} + INTERVAL '8 hours', 'YYYY-MM')"),
    };
    let mut out = Vec::new();
    for r in &ROLLUPS {
        let keys = r
            .sample_keys
            .replace("{month:sampled_at}", &month("sampled_at"))
            .replace("{month:reported_at}", &month("reported_at"))
            .replace("{month:received_at}", &month("received_at"))
            .replace(
                "{top}",
                match sqlite {
                    true => "substr(category_code, 1, instr(category_code || '.', '.') - 1)",
                    false => "split_part(category_code, '.', 1)",
                },
            )
            .replace(
                "{on_time}",
                match sqlite {
                    true => "COALESCE(date(reported_at, '+8 hours') <= due_on, 0)",
                    false => {
                        "COALESCE(CAST(reported_at + INTERVAL '8 hours' AS DATE) <= due_on, FALSE)"
                    }
                },
            )
            .replace(
                "{late}",
                match sqlite {
                    true => "COALESCE(delivered_late, 0)",
                    false => "COALESCE(delivered_late, FALSE)",
                },
            );
        let first = split_exprs(r.counts)[0].clone();
        let kept: Vec<CountCell> = diesel::sql_query(format!(
            "SELECT {} AS key, {} AS n FROM {} WHERE {first} <> 0 ORDER BY 1",
            as_text(r.keys),
            as_text(r.counts),
            r.table
        ))
        .load(c)
        .expect("kept");
        let counted: Vec<CountCell> = diesel::sql_query(format!(
            "SELECT {key} AS key, {n} AS n FROM samples WHERE {} GROUP BY {keys} ORDER BY 1",
            r.counted,
            key = as_text(&keys),
            n = as_text(r.sample_counts),
        ))
        .load(c)
        .expect("counted");
        out.push((r.table, kept, counted));
    }
    out
}

/// Asserts that every rollup equals the count taken from `samples`, and that none
/// holds a negative count.
pub fn assert_rollups_match(c: &mut DbConnection, b: Backend) {
    for (table, kept, counted) in kept_and_counted(c, b) {
        assert_eq!(kept, counted, "{table}");
        let r = ROLLUPS.iter().find(|r| r.table == table).expect("a rollup");
        let negative: i64 = diesel::sql_query(format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table} WHERE {}",
            split_exprs(r.counts)
                .iter()
                .map(|c| format!("{c} < 0"))
                .collect::<Vec<_>>()
                .join(" OR ")
        ))
        .get_result::<N>(c)
        .expect("negative")
        .n;
        assert_eq!(negative, 0, "{table}");
    }
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}
