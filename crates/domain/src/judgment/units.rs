//! Unit conversion: exact powers of ten within one dimension (mass fraction,
//! count per volume …), and the spellings that name the same unit.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dimension {
    MassFraction,
    MassConcentration,
}

/// A convertible unit as (dimension, power of ten relative to mg/kg or mg/L).
pub(super) fn unit_factor(unit: &str) -> Option<(Dimension, i32)> {
    use Dimension::{MassConcentration as V, MassFraction as M};
    Some(match unit {
        "g/kg" | "mg/g" => (M, 3),
        "mg/kg" | "ug/g" => (M, 0),
        "ug/kg" | "ng/g" => (M, -3),
        "ng/kg" => (M, -6),
        "%" | "g/100g" => (M, 4),
        "mg/100g" => (M, 1),
        "g/l" | "mg/ml" => (V, 3),
        "mg/l" | "ug/ml" => (V, 0),
        "ug/l" | "ng/ml" => (V, -3),
        "ng/l" => (V, -6),
        "g/100ml" => (V, 4),
        "mg/100ml" => (V, 1),
        _ => return None,
    })
}

/// Full-width folded, micro signs as 'u', lower case, no spaces.
pub(super) fn normalise_unit(unit: &str) -> String {
    unit.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            '\u{00B5}' | '\u{03BC}' => 'u',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The unit itself and, for "x/g(ml)", also "x/g" and "x/ml".
pub(super) fn unit_alternatives(unit: String) -> Vec<String> {
    let mut all = Vec::with_capacity(3);
    if let Some((head, inner)) = unit
        .strip_suffix(')')
        .and_then(|u| u.rsplit_once('('))
        .filter(|(head, inner)| head.contains('/') && !inner.is_empty())
    {
        let numerator = head.rsplit_once('/').map_or("", |(n, _)| n);
        all.push(head.to_string());
        all.push(format!("{numerator}/{inner}"));
    }
    all.insert(0, unit);
    all
}

/// Converts `value` from unit `from` to unit `to` exactly, or None if they do not convert.
///
/// The same unit after normalising ("µg/kg" (micro sign) = "μg/kg" (Greek mu) =
/// "ug/kg"; case-insensitive; spaces and full-width forms ignored) is unchanged,
/// whatever the unit ("°T", "%vol"). Mass fractions convert among themselves: g/kg,
/// mg/g, mg/kg, μg/g, μg/kg, ng/g, ng/kg, % = g/100g (= 10 g/kg), mg/100g; so do
/// mass concentrations: g/L = mg/mL, mg/L = μg/mL, μg/L, ng/L, g/100mL, mg/100mL.
/// Count units (CFU/g, CFU/mL, MPN/g, MPN/100mL) convert only to themselves;
/// "CFU/g(mL)" equals "CFU/g" and "CFU/mL". None also when the value would overflow.
pub fn convert(value: Dec, from: &str, to: &str) -> Option<Dec> {
    let froms = unit_alternatives(normalise_unit(from));
    let tos = unit_alternatives(normalise_unit(to));
    if froms.iter().any(|f| tos.contains(f)) {
        return Some(value);
    }
    froms.iter().find_map(|f| {
        let (dimension_from, power_from) = unit_factor(f)?;
        tos.iter().find_map(|t| {
            let (dimension_to, power_to) = unit_factor(t)?;
            (dimension_from == dimension_to)
                .then(|| value.mul_pow10(power_from - power_to))
                .flatten()
        })
    })
}

/// Converts the numbers of a result into the limit's unit.
pub(super) struct Units<'a> {
    /// None: the result is already in the limit's unit.
    pub(super) from: Option<&'a str>,
    pub(super) to: &'a str,
}

impl Units<'_> {
    pub(super) fn value(&self, value: Dec) -> Result<Dec, ResultError> {
        if value.is_negative() {
            return Err(ResultError::Negative);
        }
        match self.from {
            None => Ok(value),
            Some(from) => convert(value, from, self.to).ok_or_else(|| ResultError::Unit {
                from: from.to_string(),
                to: self.to.to_string(),
            }),
        }
    }

    pub(super) fn reading(&self, reading: &Reading) -> Result<Reading, ResultError> {
        Ok(match reading {
            Reading::Number(v) => Reading::Number(self.value(*v)?),
            Reading::LessThan(v) => Reading::LessThan(self.value(*v)?),
            Reading::Counts(units) => Reading::Counts(
                units
                    .iter()
                    .map(|u| self.reading(u))
                    .collect::<Result<_, _>>()?,
            ),
            other => other.clone(),
        })
    }
}
