//! `vtrial cohort …` (placeholder, being written).
