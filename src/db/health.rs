//! The health check's question to the database: does it answer at all.

use diesel::connection::SimpleConnection;

use crate::db::DbConnection;
use crate::error::AppResult;

/// Runs the cheapest statement there is; an error means the database does not answer.
pub fn ping(conn: &mut DbConnection) -> AppResult<()> {
    conn.batch_execute("SELECT 1")?;
    Ok(())
}
