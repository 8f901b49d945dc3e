//! Inter-occasion variability (IOV), NONMEM style.
//!
//! In NONMEM, IOV is written with one ETA per occasion, all sharing one variance (a
//! `$OMEGA BLOCK(1) SAME` per occasion), and an occasion column selects which applies:
//!
//! ```text
//! IOVCL = OCC1·ETA(3) + OCC2·ETA(4) + …        (OCCk = 1 on occasion k, else 0)
//! CL    = TVCL · EXP(ETA(1) + IOVCL)
//! ```
//!
//! Here the per-occasion ETAs (κ, "kappa") are independent draws of one matrix, one draw
//! per occasion; the occasion of a record indexes them. A parameter with both IIV and IOV
//! uses `η + κ_occ` in place of `η` (pass that sum to
//! [`IndividualParameter::value`](super::IndividualParameter::value)).

use rand::Rng;

use super::Omega;

/// Inter-occasion variability: the covariance of the per-occasion random effects κ, which
/// are drawn independently for every occasion.
#[derive(Debug, Clone, PartialEq)]
pub struct OccasionVariability {
    /// Covariance of κ within one occasion (usually named "IOV"); its ETA names say which
    /// parameters carry IOV.
    pub omega: Omega,
}

impl OccasionVariability {
    /// IOV with this within-occasion covariance.
    pub fn new(omega: Omega) -> Self {
        OccasionVariability { omega }
    }

    /// Independent draws `κ_k ~ N(0, Ω_IOV)` for occasions `k = 0..n_occasions`, in
    /// occasion order (so the stream position of occasion k never depends on later ones).
    pub fn sample_occasions<R: Rng + ?Sized>(&self, rng: &mut R, n_occasions: usize) -> Vec<Vec<f64>> {
        (0..n_occasions).map(|_| self.omega.draw(rng)).collect()
    }
}
