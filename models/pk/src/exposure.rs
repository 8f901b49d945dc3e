//! Exposure metrics (being written).
