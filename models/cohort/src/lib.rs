//! Cohort generator (being written).
