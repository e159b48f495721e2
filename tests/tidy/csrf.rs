//! Every POST page handler takes the CSRF-checked form extractor (being written).
