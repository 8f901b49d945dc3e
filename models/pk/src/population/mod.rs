//! Population variability (being written).
