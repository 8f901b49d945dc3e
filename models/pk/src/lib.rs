//! Pharmacokinetics with NONMEM dosing semantics.
pub mod ode;
