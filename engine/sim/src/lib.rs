//! The trial engine (in progress).
