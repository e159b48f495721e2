//! Exact decimals (`Dec`): parsed from result and limit text, compared exactly,
//! printed without losing a digit.

use super::*;

/// An exact decimal: value = mantissa × 10^(-scale). Parsed from text without rounding.
///
/// Always normalised (no trailing zero in the mantissa when scale > 0; zero is
/// 0 × 10^0), so the derived equality is numeric equality: 0.3 == 0.30.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Dec {
    mantissa: i128,
    scale: u32,
}

impl Dec {
    /// Zero.
    pub const ZERO: Dec = Dec {
        mantissa: 0,
        scale: 0,
    };

    /// One.
    pub const ONE: Dec = Dec {
        mantissa: 1,
        scale: 0,
    };

    fn normalised(mut mantissa: i128, mut scale: u32) -> Dec {
        if mantissa == 0 {
            return Dec::ZERO;
        }
        while scale > 0 && mantissa % 10 == 0 {
            mantissa /= 10;
            scale -= 1;
        }
        Dec { mantissa, scale }
    }

    /// Reads "0.050", "12", ".5", "1.5e-3", "2E4", "-3". None for NaN, inf, any
    /// other text, spaces, |exponent| > 30, more than 80 decimal places, or a value
    /// beyond i128.
    pub fn parse(s: &str) -> Option<Dec> {
        let (negative, body) = match s.as_bytes().first()? {
            b'-' => (true, s.get(1..)?),
            b'+' => (false, s.get(1..)?),
            _ => (false, s),
        };
        let (mantissa_text, exponent) = match body.split_once(['e', 'E']) {
            Some((m, e)) => (m, parse_exponent(e)?),
            None => (body, 0),
        };
        let (int_part, frac_part) = mantissa_text.split_once('.').unwrap_or((mantissa_text, ""));
        let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if (int_part.is_empty() && frac_part.is_empty())
            || !all_digits(int_part)
            || !all_digits(frac_part)
        {
            return None;
        }
        let digits = int_part.bytes().chain(frac_part.bytes());
        let total = int_part.len() + frac_part.len();
        let trailing_zeros = digits.clone().rev().take_while(|b| *b == b'0').count();
        if trailing_zeros == total {
            return Some(Dec::ZERO);
        }
        let mut mantissa: i128 = 0;
        for b in digits.take(total - trailing_zeros) {
            mantissa = mantissa
                .checked_mul(10)?
                .checked_add(i128::from(b - b'0'))?;
        }
        let exp10 =
            exponent - i64::try_from(frac_part.len()).ok()? + i64::try_from(trailing_zeros).ok()?;
        let value = if exp10 >= 0 {
            let factor = pow10(u32::try_from(exp10).ok()?)?;
            Dec::normalised(mantissa.checked_mul(factor)?, 0)
        } else {
            let scale = u32::try_from(-exp10).ok()?;
            if scale > MAX_SCALE {
                return None;
            }
            Dec::normalised(mantissa, scale)
        };
        Some(if negative {
            Dec::normalised(-value.mantissa, value.scale)
        } else {
            value
        })
    }

    /// The digits of the value without its decimal point.
    pub fn mantissa(self) -> i128 {
        self.mantissa
    }

    /// How many digits of the mantissa lie after the decimal point.
    pub fn scale(self) -> u32 {
        self.scale
    }

    /// The nearest `f64` (for display and statistics only, never for judging).
    pub fn to_f64(self) -> f64 {
        self.to_string().parse::<f64>().unwrap_or(f64::NAN)
    }

    /// Exact comparison, whatever the scales; never overflows.
    pub fn cmp_exact(&self, other: &Dec) -> Ordering {
        let (a, b) = (self.mantissa.signum(), other.mantissa.signum());
        if a != b {
            return a.cmp(&b);
        }
        if a == 0 {
            return Ordering::Equal;
        }
        let magnitude = magnitude_cmp(
            self.mantissa.unsigned_abs(),
            self.scale,
            other.mantissa.unsigned_abs(),
            other.scale,
        );
        if a < 0 {
            magnitude.reverse()
        } else {
            magnitude
        }
    }

    /// The value × 10^k, exactly; None if it no longer fits.
    pub fn mul_pow10(self, k: i32) -> Option<Dec> {
        if self.mantissa == 0 {
            return Some(Dec::ZERO);
        }
        let shift = k.unsigned_abs();
        if k >= 0 {
            if shift <= self.scale {
                Some(Dec::normalised(self.mantissa, self.scale - shift))
            } else {
                let factor = pow10(shift - self.scale)?;
                Some(Dec::normalised(self.mantissa.checked_mul(factor)?, 0))
            }
        } else {
            let scale = self.scale.checked_add(shift)?;
            (scale <= MAX_SCALE).then(|| Dec::normalised(self.mantissa, scale))
        }
    }

    /// Whether the value is below zero.
    pub fn is_negative(&self) -> bool {
        self.mantissa < 0
    }

    /// Whether the value is zero.
    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }
}

pub(super) fn pow10(k: u32) -> Option<i128> {
    10i128.checked_pow(k)
}

/// Compares a × 10^-sa with b × 10^-sb for nonzero a, b. Scaling the one with
/// fewer decimals up to the other's scale overflows only if it is the larger.
pub(super) fn magnitude_cmp(a: u128, sa: u32, b: u128, sb: u32) -> Ordering {
    match sa.cmp(&sb) {
        Ordering::Equal => a.cmp(&b),
        Ordering::Less => match 10u128.checked_pow(sb - sa).and_then(|p| a.checked_mul(p)) {
            Some(scaled) => scaled.cmp(&b),
            None => Ordering::Greater,
        },
        Ordering::Greater => magnitude_cmp(b, sb, a, sa).reverse(),
    }
}

/// An exponent after "e": optional sign, digits, |value| ≤ 30.
pub(super) fn parse_exponent(s: &str) -> Option<i64> {
    let (negative, digits) = match s.as_bytes().first()? {
        b'-' => (true, s.get(1..)?),
        b'+' => (false, s.get(1..)?),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value = digits
        .bytes()
        .fold(0i64, |acc, b| (acc * 10 + i64::from(b - b'0')).min(1000));
    (value <= MAX_EXPONENT).then_some(if negative { -value } else { value })
}

impl PartialOrd for Dec {
    fn partial_cmp(&self, other: &Dec) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Dec {
    fn cmp(&self, other: &Dec) -> Ordering {
        self.cmp_exact(other)
    }
}

/// Canonical text: plain notation, no exponent, no trailing zeros ("0.05", "20000").
impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.mantissa.unsigned_abs().to_string();
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let scale = self.scale as usize;
        if scale == 0 {
            write!(f, "{sign}{digits}")
        } else if digits.len() > scale {
            let (whole, fraction) = digits.split_at(digits.len() - scale);
            write!(f, "{sign}{whole}.{fraction}")
        } else {
            let zeros = "0".repeat(scale - digits.len());
            write!(f, "{sign}0.{zeros}{digits}")
        }
    }
}
