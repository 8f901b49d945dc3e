//! Linear compartment models (1, 2, 3 compartments; IV or first-order absorption) in
//! closed form.
//!
//! Amounts obey `dA/dt = K·A + r` with a constant matrix `K` and piecewise-constant inputs
//! `r`. Over an interval of length `t` the exact solution is
//! `A(t) = Φ(t)·A(0) + Ψ(t)·r`, with `Φ(t) = exp(K t)` and `Ψ(t) = ∫₀ᵗ exp(K s) ds`.
//! The eigenvalues of `K` are known in closed form (−ka for the depot, the roots of a
//! quadratic or cubic for the disposition, as in NONMEM's ADVAN2/4/12), so Sylvester's
//! formula gives `Φ(t) = Σᵢ e^{λᵢt} Pᵢ` and `Ψ(t) = Σᵢ (e^{λᵢt} − 1)/λᵢ · Pᵢ` with spectral
//! projectors `Pᵢ = Πⱼ≠ᵢ (K − λⱼI)/(λᵢ − λⱼ)`: exact, and a few multiply–adds per step.
//! When two eigenvalues (nearly) coincide (e.g. KA = CL/V) the projectors are
//! ill-conditioned, so the matrix exponential (Padé, scaling and squaring) is used instead;
//! it is exact to rounding too. Steady states are solved exactly (`(I − Φ(τ))·x = c`), never
//! by simulating many doses.
//!
//! Compartments are numbered as in NONMEM's ADVANs: with absorption the depot is
//! compartment 1 and the central compartment 2; without, the central compartment is 1.
//! Optionally the state carries one more component, the integral of the central amount
//! (for exact AUC).

use nalgebra::{DMatrix, SMatrix, SVector};

use crate::PkError;
use crate::system::PkSystem;

/// The structural model, named as pharmacometricians do (NONMEM ADVAN in brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Structure {
    /// One compartment, IV (ADVAN1): 1 = central.
    OneCmt,
    /// One compartment with first-order absorption (ADVAN2): 1 = depot, 2 = central.
    OneCmtOral,
    /// Two compartments, IV (ADVAN3): 1 = central, 2 = peripheral.
    TwoCmt,
    /// Two compartments with absorption (ADVAN4): 1 = depot, 2 = central, 3 = peripheral.
    TwoCmtOral,
    /// Three compartments, IV (ADVAN11): 1 = central, 2, 3 = peripheral.
    ThreeCmt,
    /// Three compartments with absorption (ADVAN12): 1 = depot, 2 = central, 3, 4 = peripheral.
    ThreeCmtOral,
}

impl Structure {
    /// Every structure, in order of size.
    pub const ALL: [Structure; 6] = [
        Structure::OneCmt,
        Structure::OneCmtOral,
        Structure::TwoCmt,
        Structure::TwoCmtOral,
        Structure::ThreeCmt,
        Structure::ThreeCmtOral,
    ];

    /// Canonical name used in model files (`one_cmt_oral`, …).
    pub fn name(self) -> &'static str {
        match self {
            Structure::OneCmt => "one_cmt",
            Structure::OneCmtOral => "one_cmt_oral",
            Structure::TwoCmt => "two_cmt",
            Structure::TwoCmtOral => "two_cmt_oral",
            Structure::ThreeCmt => "three_cmt",
            Structure::ThreeCmtOral => "three_cmt_oral",
        }
    }

    /// Parses a canonical name or a NONMEM alias (`advan2`, …), case-insensitively.
    pub fn from_name(name: &str) -> Option<Structure> {
        let lower = name.to_ascii_lowercase();
        Structure::ALL.into_iter().find(|s| {
            s.name() == lower
                || lower
                    == match s {
                        Structure::OneCmt => "advan1",
                        Structure::OneCmtOral => "advan2",
                        Structure::TwoCmt => "advan3",
                        Structure::TwoCmtOral => "advan4",
                        Structure::ThreeCmt => "advan11",
                        Structure::ThreeCmtOral => "advan12",
                    }
        })
    }

    /// Whether the model has a depot with first-order absorption.
    pub fn has_depot(self) -> bool {
        matches!(self, Structure::OneCmtOral | Structure::TwoCmtOral | Structure::ThreeCmtOral)
    }

    /// Number of peripheral compartments.
    pub fn n_peripheral(self) -> usize {
        match self {
            Structure::OneCmt | Structure::OneCmtOral => 0,
            Structure::TwoCmt | Structure::TwoCmtOral => 1,
            Structure::ThreeCmt | Structure::ThreeCmtOral => 2,
        }
    }

    /// Number of compartments.
    pub fn n_cmt(self) -> usize {
        1 + usize::from(self.has_depot()) + self.n_peripheral()
    }

    /// Zero-based index of the central compartment.
    pub fn central(self) -> usize {
        usize::from(self.has_depot())
    }

    /// Names of the structural parameters this model needs, in order
    /// (`CL`, `V`, then `Q`, `V2`, then `Q3`, `V3`, then `KA`).
    pub fn parameter_names(self) -> &'static [&'static str] {
        match self {
            Structure::OneCmt => &["CL", "V"],
            Structure::OneCmtOral => &["CL", "V", "KA"],
            Structure::TwoCmt => &["CL", "V", "Q", "V2"],
            Structure::TwoCmtOral => &["CL", "V", "Q", "V2", "KA"],
            Structure::ThreeCmt => &["CL", "V", "Q", "V2", "Q3", "V3"],
            Structure::ThreeCmtOral => &["CL", "V", "Q", "V2", "Q3", "V3", "KA"],
        }
    }
}

/// Physiological parameters of a linear model. Unused ones are ignored (`Q`, `V2` for a
/// one-compartment model…). Units are the model's: e.g. L/h, L, 1/h.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LinearParams {
    /// Clearance from the central compartment.
    pub cl: f64,
    /// Central volume.
    pub v: f64,
    /// Intercompartmental clearance to the first peripheral compartment.
    pub q: f64,
    /// First peripheral volume.
    pub v2: f64,
    /// Intercompartmental clearance to the second peripheral compartment.
    pub q3: f64,
    /// Second peripheral volume.
    pub v3: f64,
    /// First-order absorption rate constant.
    pub ka: f64,
}

impl LinearParams {
    /// Sets a parameter by its model-file name (case-insensitive); false if unknown.
    pub fn set(&mut self, name: &str, value: f64) -> bool {
        let slot = match name.to_ascii_uppercase().as_str() {
            "CL" => &mut self.cl,
            "V" | "V1" | "VC" => &mut self.v,
            "Q" | "Q2" => &mut self.q,
            "V2" | "VP" => &mut self.v2,
            "Q3" => &mut self.q3,
            "V3" | "VP2" => &mut self.v3,
            "KA" => &mut self.ka,
            _ => return false,
        };
        *slot = value;
        true
    }
}

/// Largest state: three compartments with a depot, plus the AUC integrator.
const MAX_STATE: usize = 5;

/// The largest rate constant (per time unit) a linear model accepts.
pub const MAX_RATE: f64 = 1e9;

/// Builds the rate matrix K (row = destination) of `structure`, `n` × `n` in the top-left
/// corner of a `MAX_STATE`² array, and returns its eigenvalues in closed form.
fn rate_matrix(
    structure: Structure,
    p: &LinearParams,
    with_auc: bool,
) -> Result<([[f64; MAX_STATE]; MAX_STATE], Vec<f64>), PkError> {
    let positive = |name: &str, value: f64| {
        if value > 0.0 && value.is_finite() {
            Ok(value)
        } else {
            Err(PkError::InvalidParameter { name: name.into(), value, expected: "a finite number > 0" })
        }
    };
    let non_negative = |name: &str, value: f64| {
        if value >= 0.0 && value.is_finite() {
            Ok(value)
        } else {
            Err(PkError::InvalidParameter { name: name.into(), value, expected: "a finite number >= 0" })
        }
    };
    let v = positive("V", p.v)?;
    let k10 = non_negative("CL", p.cl)? / v;
    let mut k = [[0.0; MAX_STATE]; MAX_STATE];
    let c = structure.central();
    let mut eig = Vec::with_capacity(MAX_STATE);
    if structure.has_depot() {
        let ka = positive("KA", p.ka)?;
        k[0][0] = -ka;
        k[c][0] = ka;
        eig.push(-ka);
    }
    k[c][c] = -k10;
    let mut rates = Vec::new(); // (k_out of central, k_back) per peripheral
    if structure.n_peripheral() >= 1 {
        let v2 = positive("V2", p.v2)?;
        let q = non_negative("Q", p.q)?;
        rates.push((q / v, q / v2));
    }
    if structure.n_peripheral() >= 2 {
        let v3 = positive("V3", p.v3)?;
        let q3 = non_negative("Q3", p.q3)?;
        rates.push((q3 / v, q3 / v3));
    }
    for (i, &(k_cp, k_pc)) in rates.iter().enumerate() {
        let per = c + 1 + i;
        k[c][c] -= k_cp;
        k[per][c] = k_cp;
        k[c][per] = k_pc;
        k[per][per] = -k_pc;
    }
    // Rate constants beyond any drug's (half-lives under a microsecond in hours) come from
    // wrong units or a runaway covariate model; the closed form's matrix functions lose all
    // precision (or stop converging) there, so they are refused by name.
    let mut named = vec![("CL/V", k10)];
    if structure.has_depot() {
        named.push(("KA", p.ka));
    }
    for (i, &(k_cp, k_pc)) in rates.iter().enumerate() {
        named.extend(if i == 0 { [("Q/V", k_cp), ("Q/V2", k_pc)] } else { [("Q3/V", k_cp), ("Q3/V3", k_pc)] });
    }
    if let Some(&(name, value)) = named.iter().find(|(_, r)| !(*r <= MAX_RATE)) {
        return Err(PkError::InvalidParameter {
            name: name.into(),
            value,
            expected: "a rate constant of at most 1e9 per time unit (check the units and covariate model)",
        });
    }
    eig.extend(disposition_eigenvalues(k10, &rates));
    if with_auc {
        let n = structure.n_cmt();
        k[n][c] = 1.0;
        eig.push(0.0);
    }
    Ok((k, eig))
}

/// Eigenvalues of the central–peripheral block: the roots of its characteristic polynomial.
fn disposition_eigenvalues(k10: f64, rates: &[(f64, f64)]) -> Vec<f64> {
    match *rates {
        [] => vec![-k10],
        [(k12, k21)] => {
            // λ² + aλ + b = 0, a = k10 + k12 + k21, b = k10·k21 (stable form of the roots).
            let a = k10 + k12 + k21;
            let b = k10 * k21;
            let disc = (a * a - 4.0 * b).max(0.0).sqrt();
            let big = -(a + disc) / 2.0;
            let small = if big != 0.0 { b / big } else { 0.0 };
            vec![big, small]
        }
        [(k12, k21), (k13, k31)] => {
            // λ³ + a2λ² + a1λ + a0 = 0 (as in ADVAN11); three real roots, trigonometric method.
            let a2 = k10 + k12 + k13 + k21 + k31;
            let a1 = k10 * k21 + k10 * k31 + k12 * k31 + k13 * k21 + k21 * k31;
            let a0 = k10 * k21 * k31;
            let p = a1 - a2 * a2 / 3.0;
            let q = 2.0 * a2.powi(3) / 27.0 - a2 * a1 / 3.0 + a0;
            let mut roots = if p < 0.0 {
                let m = 2.0 * (-p / 3.0).sqrt();
                let arg = (3.0 * q / (p * m)).clamp(-1.0, 1.0);
                let theta = arg.acos() / 3.0;
                (0..3)
                    .map(|j| m * (theta - 2.0 * std::f64::consts::PI * j as f64 / 3.0).cos() - a2 / 3.0)
                    .collect::<Vec<_>>()
            } else {
                vec![-a2 / 3.0; 3]
            };
            // Polish with Newton steps on the cubic (the trigonometric form loses digits).
            for r in &mut roots {
                for _ in 0..3 {
                    let f = ((*r + a2) * *r + a1) * *r + a0;
                    let df = (3.0 * *r + 2.0 * a2) * *r + a1;
                    if df != 0.0 {
                        *r -= f / df;
                    }
                }
            }
            roots
        }
        _ => unreachable!("at most two peripheral compartments"),
    }
}

/// Relative gap below which two eigenvalues count as equal and Sylvester's formula is
/// abandoned for the matrix exponential.
const EIGEN_GAP: f64 = 1e-6;

/// How many `(dt, Φ, Ψ)` pairs are cached per system: observation grids repeat a few steps.
const CACHE_SLOTS: usize = 4;

/// A linear system of dimension `N` with its propagators.
#[derive(Debug, Clone)]
struct Linear<const N: usize> {
    k: SMatrix<f64, N, N>,
    n_cmt: usize,
    /// Eigenvalues and spectral projectors, or `None` when eigenvalues (nearly) coincide.
    spectral: Option<([f64; N], [SMatrix<f64, N, N>; N])>,
    cache: [(f64, SMatrix<f64, N, N>, SMatrix<f64, N, N>); CACHE_SLOTS],
    next_slot: usize,
    /// The slot that answered last: observation grids ask for the same step again and again.
    last_hit: usize,
}

impl<const N: usize> Linear<N> {
    fn new(k: &[[f64; MAX_STATE]; MAX_STATE], eig: &[f64], n_cmt: usize) -> Self {
        let k = SMatrix::<f64, N, N>::from_fn(|i, j| k[i][j]);
        let spectral = Self::projectors(&k, eig);
        let nan = (f64::NAN, SMatrix::zeros(), SMatrix::zeros());
        Linear { k, n_cmt, spectral, cache: [nan; CACHE_SLOTS], next_slot: 0, last_hit: 0 }
    }

    fn projectors(k: &SMatrix<f64, N, N>, eig: &[f64]) -> Option<([f64; N], [SMatrix<f64, N, N>; N])> {
        let scale = eig.iter().fold(0.0_f64, |m, l| m.max(l.abs()));
        for i in 0..N {
            for j in 0..i {
                if (eig[i] - eig[j]).abs() <= EIGEN_GAP * scale.max(f64::MIN_POSITIVE) {
                    return None;
                }
            }
        }
        let identity = SMatrix::<f64, N, N>::identity();
        let lambdas: [f64; N] = std::array::from_fn(|i| eig[i]);
        let projectors = std::array::from_fn(|i| {
            let mut p = identity;
            for j in (0..N).filter(|&j| j != i) {
                p = p * (k - identity * lambdas[j]) / (lambdas[i] - lambdas[j]);
            }
            p
        });
        Some((lambdas, projectors))
    }

    /// Φ(dt) and Ψ(dt), from the cache when `dt` was seen recently.
    #[inline]
    fn propagators(&mut self, dt: f64) -> (SMatrix<f64, N, N>, SMatrix<f64, N, N>) {
        let hit = &self.cache[self.last_hit];
        if hit.0 == dt {
            return (hit.1, hit.2);
        }
        self.propagators_slow(dt)
    }

    #[inline(never)]
    fn propagators_slow(&mut self, dt: f64) -> (SMatrix<f64, N, N>, SMatrix<f64, N, N>) {
        if let Some(slot) = self.cache.iter().position(|(d, _, _)| *d == dt) {
            self.last_hit = slot;
            return (self.cache[slot].1, self.cache[slot].2);
        }
        let (phi, psi) = match &self.spectral {
            Some((lambdas, projectors)) => {
                let mut phi = SMatrix::zeros();
                let mut psi = SMatrix::zeros();
                for (&l, p) in lambdas.iter().zip(projectors) {
                    // exp for Φ keeps relative precision of small terms; expm1 for Ψ keeps
                    // it for short steps.
                    phi += p * (l * dt).exp();
                    psi += p * if l == 0.0 { dt } else { (l * dt).exp_m1() / l };
                }
                (phi, psi)
            }
            None => exponential_pair(&self.k, dt),
        };
        self.cache[self.next_slot] = (dt, phi, psi);
        self.last_hit = self.next_slot;
        self.next_slot = (self.next_slot + 1) % CACHE_SLOTS;
        (phi, psi)
    }

    fn advance<V: FnMut(usize, &[f64])>(
        &mut self,
        state: &mut [f64],
        t0: f64,
        stops: &[f64],
        rates: &[f64],
        mut visit: V,
    ) {
        let mut x = SVector::<f64, N>::from_column_slice(state);
        let r = SVector::<f64, N>::from_column_slice(rates);
        let has_input = rates.iter().any(|&r| r != 0.0);
        let mut t = t0;
        // Observation grids repeat one step: keep its propagators at hand.
        let (mut step, mut phi, mut psi) = (f64::NAN, SMatrix::<f64, N, N>::zeros(), SMatrix::<f64, N, N>::zeros());
        for (i, &stop) in stops.iter().enumerate() {
            let dt = stop - t;
            if dt > 0.0 {
                if dt != step {
                    (phi, psi) = self.propagators(dt);
                    step = dt;
                }
                x = phi * x;
                if has_input {
                    x += psi * r;
                }
                t = stop;
            }
            visit(i, x.as_slice());
        }
        state.copy_from_slice(x.as_slice());
    }

    /// The compartment block of a matrix, as a dynamic matrix for a one-off solve.
    fn compartment_block(&self, m: &SMatrix<f64, N, N>) -> DMatrix<f64> {
        DMatrix::from_fn(self.n_cmt, self.n_cmt, |i, j| m[(i, j)])
    }
}

/// `(exp(K·dt), ∫₀^dt exp(K·s) ds)` by the matrix exponential of the augmented matrix
/// `[[K, I], [0, 0]]·dt` (Van Loan), used when eigenvalues coincide.
fn exponential_pair<const N: usize>(k: &SMatrix<f64, N, N>, dt: f64) -> (SMatrix<f64, N, N>, SMatrix<f64, N, N>) {
    let mut aug = DMatrix::<f64>::zeros(2 * N, 2 * N);
    for i in 0..N {
        for j in 0..N {
            aug[(i, j)] = k[(i, j)] * dt;
        }
        aug[(i, N + i)] = dt;
    }
    let e = aug.exp();
    (SMatrix::from_fn(|i, j| e[(i, j)]), SMatrix::from_fn(|i, j| e[(i, N + j)]))
}

/// Solves `a·x = b`, or reports that `a` is singular.
fn solve(a: DMatrix<f64>, b: &[f64], x: &mut [f64], why_singular: &str) -> Result<(), PkError> {
    let rhs = nalgebra::DVector::from_column_slice(b);
    let lu = a.lu();
    // A pivot this small relative to the matrix means no unique steady state.
    let u = lu.u();
    let scale = u.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let min_pivot = u.diagonal().iter().fold(f64::INFINITY, |m, v| m.min(v.abs()));
    if !(min_pivot > 1e-13 * scale) {
        return Err(PkError::NoSteadyState { record: 0, reason: why_singular.into() });
    }
    let sol = lu.solve(&rhs).ok_or_else(|| PkError::NoSteadyState { record: 0, reason: why_singular.into() })?;
    x.copy_from_slice(sol.as_slice());
    Ok(())
}

/// A linear compartment model with fixed parameters, solved in closed form.
#[derive(Debug, Clone)]
pub struct LinearPk {
    structure: Structure,
    params: LinearParams,
    with_auc: bool,
    inner: Inner,
}

#[derive(Debug, Clone)]
enum Inner {
    N1(Linear<1>),
    N2(Linear<2>),
    N3(Linear<3>),
    N4(Linear<4>),
    N5(Linear<5>),
}

/// Calls `$body` with `$l` bound to the sized system inside `$inner`.
macro_rules! with_linear {
    ($inner:expr, $l:ident => $body:expr) => {
        match $inner {
            Inner::N1($l) => $body,
            Inner::N2($l) => $body,
            Inner::N3($l) => $body,
            Inner::N4($l) => $body,
            Inner::N5($l) => $body,
        }
    };
}

impl LinearPk {
    /// Builds the model; parameters are checked (volumes and KA > 0, clearances ≥ 0, rate
    /// constants such as CL/V at most [`MAX_RATE`]).
    pub fn new(structure: Structure, params: LinearParams) -> Result<Self, PkError> {
        Self::build(structure, params, false)
    }

    /// Like [`LinearPk::new`], with one more state component: the integral of the central
    /// amount over time (divide by V for the concentration AUC).
    pub fn with_auc(structure: Structure, params: LinearParams) -> Result<Self, PkError> {
        Self::build(structure, params, true)
    }

    fn build(structure: Structure, params: LinearParams, with_auc: bool) -> Result<Self, PkError> {
        let (k, eig) = rate_matrix(structure, &params, with_auc)?;
        let n_cmt = structure.n_cmt();
        let inner = match n_cmt + usize::from(with_auc) {
            1 => Inner::N1(Linear::new(&k, &eig, n_cmt)),
            2 => Inner::N2(Linear::new(&k, &eig, n_cmt)),
            3 => Inner::N3(Linear::new(&k, &eig, n_cmt)),
            4 => Inner::N4(Linear::new(&k, &eig, n_cmt)),
            5 => Inner::N5(Linear::new(&k, &eig, n_cmt)),
            n => unreachable!("state of size {n}"),
        };
        Ok(LinearPk { structure, params, with_auc, inner })
    }

    /// The structural model.
    pub fn structure(&self) -> Structure {
        self.structure
    }

    /// The parameters it was built with.
    pub fn params(&self) -> &LinearParams {
        &self.params
    }

    /// Index of the AUC integrator in the state, when tracked.
    pub fn auc_index(&self) -> Option<usize> {
        self.with_auc.then(|| self.structure.n_cmt())
    }

    /// The rate matrix K (row = destination), including the AUC row when tracked.
    pub fn rate_matrix(&self) -> DMatrix<f64> {
        with_linear!(&self.inner, l => DMatrix::from_fn(N_of(l), N_of(l), |i, j| l.k[(i, j)]))
    }

    /// Whether the closed form uses spectral projectors (false: matrix exponential, because
    /// eigenvalues coincide).
    pub fn is_spectral(&self) -> bool {
        with_linear!(&self.inner, l => l.spectral.is_some())
    }
}

/// The dimension of a sized system.
#[allow(non_snake_case)]
fn N_of<const N: usize>(_: &Linear<N>) -> usize {
    N
}

impl PkSystem for LinearPk {
    fn n_cmt(&self) -> usize {
        self.structure.n_cmt()
    }

    fn n_state(&self) -> usize {
        self.structure.n_cmt() + usize::from(self.with_auc)
    }

    fn advance<V: FnMut(usize, &[f64])>(
        &mut self,
        state: &mut [f64],
        t0: f64,
        stops: &[f64],
        rates: &[f64],
        visit: V,
    ) -> Result<(), PkError> {
        with_linear!(&mut self.inner, l => l.advance(state, t0, stops, rates, visit));
        Ok(())
    }

    fn solve_periodic(&mut self, period: f64, c: &[f64], x: &mut [f64]) -> Option<Result<(), PkError>> {
        let a = with_linear!(&mut self.inner, l => {
            let (phi, _) = l.propagators(period);
            let block = l.compartment_block(&phi);
            DMatrix::identity(block.nrows(), block.ncols()) - block
        });
        Some(solve(a, c, x, "the model has no elimination, so doses accumulate without bound"))
    }

    fn solve_constant_input(&mut self, rates: &[f64], x: &mut [f64]) -> Option<Result<(), PkError>> {
        let a = with_linear!(&self.inner, l => -l.compartment_block(&l.k));
        Some(solve(a, rates, x, "the model has no elimination, so a constant infusion never reaches steady state"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pk: &mut LinearPk, x0: &[f64], t: f64, rates: &[f64]) -> Vec<f64> {
        let mut x = x0.to_vec();
        pk.advance(&mut x, 0.0, &[t], rates, |_, _| {}).unwrap();
        x
    }

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn one_compartment_bolus_decays_exponentially() {
        let p = LinearParams { cl: 2.0, v: 10.0, ..Default::default() };
        let mut pk = LinearPk::new(Structure::OneCmt, p).unwrap();
        let x = run(&mut pk, &[100.0], 3.0, &[0.0]);
        assert!(close(x[0], 100.0 * (-0.2_f64 * 3.0).exp(), 1e-14));
    }

    #[test]
    fn one_compartment_oral_matches_bateman() {
        let (ka, cl, v, dose, t) = (1.5, 1.1, 20.0, 100.0, 7.3);
        let k = cl / v;
        let p = LinearParams { cl, v, ka, ..Default::default() };
        let mut pk = LinearPk::new(Structure::OneCmtOral, p).unwrap();
        let x = run(&mut pk, &[dose, 0.0], t, &[0.0, 0.0]);
        let bateman = dose * ka / (ka - k) * ((-k * t).exp() - (-ka * t).exp());
        assert!(close(x[1], bateman, 1e-13), "{} vs {bateman}", x[1]);
        assert!(close(x[0], dose * (-ka * t).exp(), 1e-14));
    }

    #[test]
    fn equal_rate_constants_use_the_matrix_exponential() {
        // KA = CL/V: the Bateman function degenerates to D·k·t·e^{-kt}.
        let (k, dose, t) = (0.5, 100.0, 2.0);
        let p = LinearParams { cl: k * 10.0, v: 10.0, ka: k, ..Default::default() };
        let mut pk = LinearPk::new(Structure::OneCmtOral, p).unwrap();
        assert!(!pk.is_spectral());
        let x = run(&mut pk, &[dose, 0.0], t, &[0.0, 0.0]);
        assert!(close(x[1], dose * k * t * (-k * t).exp(), 1e-12));
    }

    #[test]
    fn infusion_approaches_rate_over_clearance() {
        let p = LinearParams { cl: 3.0, v: 30.0, ..Default::default() };
        let mut pk = LinearPk::new(Structure::OneCmt, p).unwrap();
        let x = run(&mut pk, &[0.0], 5.0, &[12.0]);
        let k = 0.1;
        assert!(close(x[0], 12.0 / k * (1.0 - (-k * 5.0_f64).exp()), 1e-13));
    }

    #[test]
    fn two_compartment_bolus_is_biexponential() {
        // Gibaldi & Perrier: C(t) = A e^{-αt} + B e^{-βt}, A = D/V (α − k21)/(α − β).
        let (cl, v, q, v2, dose, t): (f64, f64, f64, f64, f64, f64) = (4.0, 20.0, 6.0, 40.0, 500.0, 3.7);
        let (k10, k12, k21) = (cl / v, q / v, q / v2);
        let s = k10 + k12 + k21;
        let disc = (s * s - 4.0 * k10 * k21).sqrt();
        let (alpha, beta) = ((s + disc) / 2.0, (s - disc) / 2.0);
        let a = dose / v * (alpha - k21) / (alpha - beta);
        let b = dose / v * (k21 - beta) / (alpha - beta);
        let expected = a * (-alpha * t).exp() + b * (-beta * t).exp();
        let p = LinearParams { cl, v, q, v2, ..Default::default() };
        let mut pk = LinearPk::new(Structure::TwoCmt, p).unwrap();
        let x = run(&mut pk, &[dose, 0.0], t, &[0.0, 0.0]);
        assert!(close(x[0] / v, expected, 1e-13), "{} vs {expected}", x[0] / v);
    }

    #[test]
    fn closed_form_equals_matrix_exponential_for_every_structure() {
        let p = LinearParams { cl: 3.1, v: 17.0, q: 2.3, v2: 41.0, q3: 0.7, v3: 90.0, ka: 0.9 };
        for s in Structure::ALL {
            for with_auc in [false, true] {
                let mut pk = LinearPk::build(s, p, with_auc).unwrap();
                assert!(pk.is_spectral(), "{s:?}");
                let k = pk.rate_matrix();
                let n = k.nrows();
                let x0: Vec<f64> = (0..n).map(|i| 10.0 * (i + 1) as f64).collect();
                let rates: Vec<f64> = (0..n).map(|i| if i < s.n_cmt() { 1.0 + i as f64 } else { 0.0 }).collect();
                for t in [0.01, 1.0, 13.0, 200.0] {
                    let got = run(&mut pk, &x0, t, &rates);
                    // Van Loan: exp([[K, r],[0, 0]] t) applied to [x0; 1].
                    let mut aug = DMatrix::<f64>::zeros(n + 1, n + 1);
                    for i in 0..n {
                        for j in 0..n {
                            aug[(i, j)] = k[(i, j)] * t;
                        }
                        aug[(i, n)] = rates[i] * t;
                    }
                    let e = aug.exp();
                    for i in 0..n {
                        let want: f64 = (0..n).map(|j| e[(i, j)] * x0[j]).sum::<f64>() + e[(i, n)];
                        assert!((got[i] - want).abs() <= 1e-10 * want.abs().max(1e-6), "{s:?} auc={with_auc} t={t} i={i}: {} vs {want}", got[i]);
                    }
                }
            }
        }
    }

    #[test]
    fn auc_integrator_integrates_the_central_amount() {
        let (cl, v, dose) = (2.0, 10.0, 100.0);
        let p = LinearParams { cl, v, ..Default::default() };
        let mut pk = LinearPk::with_auc(Structure::OneCmt, p).unwrap();
        let x = run(&mut pk, &[dose, 0.0], 1e4, &[0.0, 0.0]);
        // AUC(0, ∞) of concentration = dose / CL.
        assert!(close(x[1] / v, dose / cl, 1e-12));
    }

    #[test]
    fn invalid_parameters_are_named() {
        let p = LinearParams { cl: 1.0, v: -5.0, ka: 1.0, ..Default::default() };
        let err = LinearPk::new(Structure::OneCmtOral, p).unwrap_err();
        assert!(err.to_string().contains("parameter V = -5"), "{err}");
    }

    #[test]
    fn rate_constants_beyond_any_drug_are_refused_by_name() {
        // These hung in the matrix exponential (CL 1e40, KA 1e45, V 1e-40) or gave "no steady
        // state" (CL 1e20): a runaway covariate model or wrong units.
        let base = LinearParams { cl: 1.0, v: 20.0, q: 2.0, v2: 50.0, ka: 1.0, ..Default::default() };
        for (p, name) in [
            (LinearParams { cl: 1e40, ..base }, "CL/V"),
            (LinearParams { cl: 1e20, ..base }, "CL/V"),
            (LinearParams { v: 1e-40, ..base }, "CL/V"),
            (LinearParams { ka: 1e45, ..base }, "KA"),
            (LinearParams { q: 1e12, ..base }, "Q/V"),
            (LinearParams { v2: 1e-12, ..base }, "Q/V2"),
        ] {
            let err = LinearPk::new(Structure::TwoCmtOral, p).unwrap_err().to_string();
            assert!(err.contains(&format!("parameter {name} = ")) && err.contains("at most 1e9"), "{err}");
        }
        // Fast but possible rates still simulate: KA 1e8 /h, CL/V 1e6 /h.
        let mut sys = [LinearPk::new(Structure::TwoCmtOral, LinearParams { cl: 2e7, ka: 1e8, ..base }).unwrap()];
        use crate::event::{Dose, Record, RecordKind};
        let records = [
            Record { time: 0.0, kind: RecordKind::Dose(Dose::bolus(1, 100.0)), params: 0 },
            Record { time: 1.0, kind: RecordKind::Observation, params: 0 },
        ];
        let mut last = f64::NAN;
        crate::Simulator::default().run(&mut sys, &records, |_, a| last = a[1]).unwrap();
        assert!(last.is_finite() && last >= 0.0 && last < 1e-6, "{last}");
    }

    #[test]
    fn structures_parse_from_names_and_advans() {
        assert_eq!(Structure::from_name("ADVAN4"), Some(Structure::TwoCmtOral));
        assert_eq!(Structure::from_name("three_cmt"), Some(Structure::ThreeCmt));
        assert_eq!(Structure::from_name("four_cmt"), None);
    }
}
