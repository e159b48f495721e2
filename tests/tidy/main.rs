//! Tidy rules checked by ordinary tests: what the code must look like.

mod csrf;
