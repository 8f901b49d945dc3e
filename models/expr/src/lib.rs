//! Expressions (being written).
