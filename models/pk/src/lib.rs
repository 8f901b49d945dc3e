//! Pharmacokinetics.
