//! Helpers shared by the integration tests.

use std::cell::Cell;

use vtrial_pk::nonlinear::{LinearOde, PkOde};

/// A linear model that counts its right-hand-side calls.
pub struct Counting {
    /// The model evaluated.
    pub inner: LinearOde,
    /// Right-hand-side calls so far.
    pub calls: Cell<usize>,
}

impl PkOde for Counting {
    fn n_cmt(&self) -> usize {
        self.inner.n_cmt()
    }
    fn central(&self) -> usize {
        self.inner.central()
    }
    fn rhs(&self, a: &[f64], da: &mut [f64]) {
        self.calls.set(self.calls.get() + 1);
        self.inner.rhs(a, da);
    }
    fn jacobian(&self, a: &[f64], jac: &mut [f64]) -> bool {
        self.inner.jacobian(a, jac)
    }
}
