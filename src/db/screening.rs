//! Rapid screenings (快检).
