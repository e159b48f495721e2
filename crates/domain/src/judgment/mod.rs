//! Result entry and single-item judgment (单项判定): reading a technician's result text, converting its unit and judging it pass | fail against the limit copied onto a test. Invariant: the entered text is kept unaltered and every comparison is an exact decimal comparison, so a result exactly at the limit is judged the same way every time.
//!
//! Choices where the lab rules leave room:
//! - Every reading is turned into the interval its true value must lie in: a
//!   number is a point, "<x" is `[0, x)`, "not detected" / "<LOD" is `[0, LOD)`.
//!   A result passes when that interval lies inside the acceptance region, fails
//!   when it lies wholly outside, and otherwise cannot be judged
//!   ([`ResultError::LodAboveLimit`]). So "<0.01" passes a max of 0.2, "<0.3"
//!   cannot be judged against it, and "<0.5" fails a min of 2.9 (nothing detected
//!   is below a minimum) while "<5" cannot be judged against that min.
//! - "Not detected" with no LOD known at all (neither given with the result nor on
//!   the limit) is taken as zero: it passes any max, fails any positive min.
//! - "未检出(<0.01)", "ND(<0.01)", "未检出(检出限0.01)" read as `LessThan(0.01)`:
//!   the bound is worth keeping.
//! - A comma is a decimal mark ("0,05") only when the limit has no sampling plan,
//!   and only when it cannot be a thousands separator: "1,000" is refused as
//!   ambiguous (it could mean 1 or 1000), "0,050" and "1,5" are read.
//! - For a sampling plan, counts are separated by ";", "、", "/" or ","; only when
//!   none of these is present do spaces separate them. A single word ("未检出",
//!   "阴性") speaks for every unit; a single number or "<x" is one unit only, so
//!   it is a [`ResultError::WrongCount`] unless n = 1.
//! - Counts between m and M that are only bounded ("<100" with m = 50) are judged
//!   exactly: they pass when even all of them above m stay within c.
//! - Qualitative limits accept "未检出" / "<LOD" as a negative finding.
//! - An empty result unit means "the limit's unit". Units are only checked when
//!   there is a number to convert (a value, a bound, or an LOD given with the
//!   result); the LOD given with the result is in the result's unit.
//! - "X/g(mL)" units (as in "CFU/g(mL)") equal both "X/g" and "X/mL".
//! - "<LOQ", ">x" and "多不可计" are not understood: they are refused as unreadable.

mod decimal;
mod judge;
mod limit;
mod reading;
#[cfg(test)]
mod tests;
mod units;

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use decimal::*;
pub use judge::*;
pub use limit::*;
pub use reading::*;
pub use units::*;

/// The longest result text accepted, in characters.
pub const MAX_RESULT_CHARS: usize = 200;

/// The largest power of ten a result may be written with ("1e30", "1×10^-30").
const MAX_EXPONENT: i64 = 30;

/// The most decimal places a [`Dec`] keeps; finer values are refused, which keeps
/// every value printable in a few dozen characters.
const MAX_SCALE: u32 = 80;
