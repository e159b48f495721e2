//! Retained portions (留样).
