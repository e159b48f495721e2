//! The gap-free counters behind sample and report numbers (`db::sequences`), on both
//! backends: each key counts from 1, and a rolled-back write gives its number back.

use lims::db::sequences::{next_report_seq, next_sample_seq};
use lims::db::write_tx;
use lims::error::AppError;

use crate::support::{Backend, TestApp};

pub(super) fn sequence_counters_count_from_one_per_key_and_a_rollback_gives_the_number_back(
    b: Backend,
) {
    let app = TestApp::spawn(b);
    let mut conn = app.db.conn();
    let c = &mut *conn;
    assert_eq!(next_sample_seq(c, 2026, "630104").unwrap(), 1);
    assert_eq!(next_sample_seq(c, 2026, "630104").unwrap(), 2);
    assert_eq!(next_sample_seq(c, 2026, "630105").unwrap(), 1);
    assert_eq!(next_sample_seq(c, 2027, "630104").unwrap(), 1);
    assert_eq!(next_report_seq(c, 2026).unwrap(), 1);
    assert_eq!(next_report_seq(c, 2026).unwrap(), 2);
    assert_eq!(next_report_seq(c, 2027).unwrap(), 1);
    let failed: Result<(), AppError> = write_tx(c, |tx| {
        assert_eq!(next_sample_seq(tx, 2026, "630104")?, 3);
        assert_eq!(next_report_seq(tx, 2026)?, 3);
        Err(AppError::internal("rolled back on purpose"))
    });
    assert!(failed.is_err());
    assert_eq!(next_sample_seq(c, 2026, "630104").unwrap(), 3);
    assert_eq!(next_report_seq(c, 2026).unwrap(), 3);
}
