//! PK models solved by ODE: Michaelis–Menten elimination, transit-compartment absorption,
//! and the linear models themselves (to check every closed form against the ODE path).
//!
//! A model gives only its dynamics without doses ([`PkOde`]); [`OdePk`] adds the
//! zero-order inputs of running infusions and an optional AUC integrator, and solves with
//! [`crate::ode::Solver`] (stiff-capable, tolerances settable). Steady states of nonlinear
//! models are found by iterating dosing intervals (see [`crate::sim`]).

use crate::PkError;
use crate::linear::{LinearParams, LinearPk, Structure};
use crate::ode::{OdeSystem, SolveStats, Solver, SolverOptions};
use crate::system::PkSystem;

/// Dynamics of compartment amounts without doses: `dA/dt = f(A)`.
pub trait PkOde {
    /// Number of compartments.
    fn n_cmt(&self) -> usize;
    /// Zero-based index of the central compartment.
    fn central(&self) -> usize;
    /// Writes `f(A)` into `da`.
    fn rhs(&self, a: &[f64], da: &mut [f64]);
    /// Analytic Jacobian of `f`, row-major `n × n`; `false` for finite differences.
    fn jacobian(&self, _a: &[f64], _jac: &mut [f64]) -> bool {
        false
    }
    /// Taylor coefficients of the amounts for the Taylor-series method (see
    /// [`OdeSystem::taylor`]): `coeffs` holds `order + 1` rows of `stride` values (`stride` ≥
    /// [`n_cmt`](PkOde::n_cmt); the compartments come first in a row), row 0 the amounts at
    /// the expansion point; set columns `0..n_cmt` of rows `1..=order` to `A⁽ᵏ⁾/k!` of
    /// `dA/dt = f(A) + rates` (`rates` constant, at least `n_cmt` long). `false` (the default)
    /// where there are none, e.g. outside the region where `f` is analytic.
    fn taylor(&self, _rates: &[f64], _order: usize, _stride: usize, _coeffs: &mut [f64]) -> bool {
        false
    }
}

/// Rows `k` (read) and `k + 1` (written) of Taylor coefficients laid out with `stride`.
#[inline(always)]
fn rows(coeffs: &mut [f64], stride: usize, k: usize) -> (&[f64], &mut [f64]) {
    let (done, rest) = coeffs.split_at_mut((k + 1) * stride);
    (&done[k * stride..], &mut rest[..stride])
}

/// A linear model's rate matrix as an ODE (the closed form's cross-check).
#[derive(Debug, Clone)]
pub struct LinearOde {
    /// The `n × n` rate matrix, row-major, in a fixed array (`n` ≤ [`LINEAR_ODE_MAX`]) so
    /// that the right-hand side has no bounds checks.
    k: [f64; LINEAR_ODE_MAX * LINEAR_ODE_MAX],
    n: usize,
    central: usize,
}

/// Most compartments of a linear structure (three compartments with absorption).
const LINEAR_ODE_MAX: usize = 4;

impl LinearOde {
    /// The ODE of `structure` with `params` (checked as for the closed form).
    pub fn new(structure: Structure, params: LinearParams) -> Result<Self, PkError> {
        let m = LinearPk::new(structure, params)?.rate_matrix();
        let n = m.nrows();
        assert!(n <= LINEAR_ODE_MAX, "a linear structure has at most {LINEAR_ODE_MAX} compartments");
        let mut k = [0.0; LINEAR_ODE_MAX * LINEAR_ODE_MAX];
        for (i, v) in k[..n * n].iter_mut().enumerate() {
            *v = m[(i / n, i % n)];
        }
        Ok(LinearOde { k, n, central: structure.central() })
    }
}

impl PkOde for LinearOde {
    fn n_cmt(&self) -> usize {
        self.n
    }
    fn central(&self) -> usize {
        self.central
    }
    #[inline(always)]
    fn rhs(&self, a: &[f64], da: &mut [f64]) {
        // Sized products for the model sizes there are (1–4 states), so they unroll.
        match self.n {
            1 => matvec::<1>(&self.k, a, da),
            2 => matvec::<2>(&self.k, a, da),
            3 => matvec::<3>(&self.k, a, da),
            _ => matvec::<4>(&self.k, a, da),
        }
    }
    fn jacobian(&self, _a: &[f64], jac: &mut [f64]) -> bool {
        jac.copy_from_slice(&self.k[..self.n * self.n]);
        true
    }
    /// `A_{k+1} = (K·A_k + rates·[k = 0])/(k + 1)`.
    fn taylor(&self, rates: &[f64], order: usize, stride: usize, coeffs: &mut [f64]) -> bool {
        match self.n {
            1 => linear_taylor::<1>(&self.k, rates, order, stride, coeffs),
            2 => linear_taylor::<2>(&self.k, rates, order, stride, coeffs),
            3 => linear_taylor::<3>(&self.k, rates, order, stride, coeffs),
            _ => linear_taylor::<4>(&self.k, rates, order, stride, coeffs),
        }
        true
    }
}

/// `da = K·a` for the `N × N` row-major matrix at the start of `k`.
#[inline(always)]
fn matvec<const N: usize>(k: &[f64; LINEAR_ODE_MAX * LINEAR_ODE_MAX], a: &[f64], da: &mut [f64]) {
    let a: &[f64; N] = a[..N].try_into().expect("N states");
    let da: &mut [f64; N] = (&mut da[..N]).try_into().expect("N derivatives");
    for (i, d) in da.iter_mut().enumerate() {
        let mut sum = -0.0; // the identity of addition, so the compiler drops it
        for j in 0..N {
            sum += k[i * N + j] * a[j];
        }
        *d = sum;
    }
}

/// Taylor coefficients of `dA/dt = K·A + rates` for the `N × N` row-major `K` at the start of
/// `k` (see [`PkOde::taylor`]). The chain from one order to the next is the derivative itself,
/// `A⁽ᵏ⁺¹⁾ = K·A⁽ᵏ⁾` (kept in registers); the division by `(k + 1)!` is off that chain.
#[inline(always)]
fn linear_taylor<const N: usize>(k: &[f64; LINEAR_ODE_MAX * LINEAR_ODE_MAX], rates: &[f64], order: usize, stride: usize, coeffs: &mut [f64]) {
    let mut derivative: [f64; N] = coeffs[..N].try_into().expect("N amounts");
    let mut inverse_factorial = 1.0;
    for step in 0..order {
        let mut next = [0.0; N];
        for (i, d) in next.iter_mut().enumerate() {
            let mut sum = if step == 0 { rates[i] } else { -0.0 };
            for j in 0..N {
                sum += k[i * N + j] * derivative[j];
            }
            *d = sum;
        }
        inverse_factorial *= crate::ode::TAYLOR_RECIPROCALS[step];
        let row = &mut coeffs[(step + 1) * stride..(step + 1) * stride + N];
        for (r, d) in row.iter_mut().zip(next) {
            *r = d * inverse_factorial;
        }
        derivative = next;
    }
}

/// Michaelis–Menten (saturable) elimination from the central compartment, with optional
/// first-order absorption and one optional peripheral compartment:
/// `dAc/dt = ka·Ad − VMAX·C/(KM + C) − CL·C − Q·C + Q·Ap/V2`, `C = Ac/V`.
///
/// Units: VMAX in amount/time, KM in amount/volume (the units of C), CL a linear
/// clearance added to the saturable one (often 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MichaelisMenten {
    /// Maximum elimination rate (amount/time).
    pub vmax: f64,
    /// Concentration at half the maximum rate.
    pub km: f64,
    /// Central volume.
    pub v: f64,
    /// Linear clearance alongside the saturable one.
    pub cl: f64,
    /// Absorption rate constant; `None` for an IV model (central = compartment 1).
    pub ka: Option<f64>,
    /// Intercompartmental clearance and peripheral volume, if any.
    pub peripheral: Option<(f64, f64)>,
}

impl MichaelisMenten {
    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), PkError> {
        let check = |name: &str, value: f64, positive: bool| {
            let ok = value.is_finite() && if positive { value > 0.0 } else { value >= 0.0 };
            if ok { Ok(()) } else { Err(PkError::InvalidParameter { name: name.into(), value, expected: if positive { "a finite number > 0" } else { "a finite number >= 0" } }) }
        };
        check("VMAX", self.vmax, false)?;
        check("KM", self.km, true)?;
        check("V", self.v, true)?;
        check("CL", self.cl, false)?;
        if let Some(ka) = self.ka {
            check("KA", ka, true)?;
        }
        if let Some((q, v2)) = self.peripheral {
            check("Q", q, false)?;
            check("V2", v2, true)?;
        }
        Ok(())
    }
}

impl PkOde for MichaelisMenten {
    fn n_cmt(&self) -> usize {
        1 + usize::from(self.ka.is_some()) + usize::from(self.peripheral.is_some())
    }
    fn central(&self) -> usize {
        usize::from(self.ka.is_some())
    }
    fn rhs(&self, a: &[f64], da: &mut [f64]) {
        let c_idx = self.central();
        let c = a[c_idx] / self.v;
        // Below C = 0 (a step's overshoot past an emptied compartment) the saturable term
        // continues as its first-order limit VMAX·C/KM, which pulls C back to 0 (the slope
        // is continuous at 0, and a stiff solver damps it). With VMAX·C/(KM + C) the
        // denominator changes sign at C = −KM and elimination ran on at VMAX below zero:
        // with KM = 1e-9 amounts reached −100 mg (found by review). Not max(C, 0) either:
        // that freezes an overshoot, and not KM + |C|, which is ±VMAX on either side of 0
        // for tiny KM, so the solver chatters across 0 in ever smaller steps.
        let saturable = if c >= 0.0 { self.vmax * c / (self.km + c) } else { self.vmax * c / self.km };
        let mut dc = -saturable - self.cl * c;
        if let Some(ka) = self.ka {
            da[0] = -ka * a[0];
            dc += ka * a[0];
        }
        if let Some((q, v2)) = self.peripheral {
            let p = c_idx + 1;
            let flow = q * c - q * a[p] / v2;
            dc -= flow;
            da[p] = flow;
        }
        da[c_idx] = dc;
    }
    fn jacobian(&self, a: &[f64], jac: &mut [f64]) -> bool {
        let n = self.n_cmt();
        jac.iter_mut().for_each(|j| *j = 0.0);
        let ci = self.central();
        let c = a[ci] / self.v;
        // d/dAc of −VMAX·C/(KM + C) (−VMAX·C/KM below 0) − CL·C, with dC/dAc = 1/V.
        let saturable = if c >= 0.0 { self.vmax * self.km / (self.km + c).powi(2) } else { self.vmax / self.km };
        jac[ci * n + ci] = -(saturable + self.cl) / self.v;
        if let Some(ka) = self.ka {
            jac[0] = -ka;
            jac[ci * n] = ka;
        }
        if let Some((q, v2)) = self.peripheral {
            let p = ci + 1;
            jac[ci * n + ci] -= q / self.v;
            jac[ci * n + p] = q / v2;
            jac[p * n + ci] = q / self.v;
            jac[p * n + p] = -q / v2;
        }
        true
    }
    // No Taylor coefficients ([`PkOde::taylor`]'s default): the Taylor series is not used
    // for saturable elimination. Its coefficients are easy (the quotient series of
    // C/(KM + C)), but the step rule, which reads the last two coefficients, does not see
    // the kink where the central compartment empties at a small KM (its weight in the high
    // coefficients is of order KM): found by review, a step ran past it and the central
    // amount reached -17 mg at the default tolerances (KM 1e-9 mg/L, with a peripheral
    // compartment). The solution's complex singularities (where C would reach -KM) also
    // bound the steps, so the gain was small (2.3 M instructions per subject against
    // DOP853's 2.9 M). Michaelis-Menten models run on `Method::RungeKutta`.
}

/// Transit-compartment absorption (Savic et al., J Pharmacokinet Pharmacodyn 2007;34:711):
/// a dose into compartment 1 (Savic's A₀) passes through `n` transit compartments, all
/// `n + 1` at rate `KTR = (n + 1)/MTT` — so that MTT is the mean time through the chain and
/// the last transit compartment holds Savic's `Dose·(KTR·t)ⁿ·e^(−KTR·t)/n!` — into an
/// absorption compartment (rate KA), then a one-compartment disposition with linear
/// clearance. Compartments: 1 dose, 2..=n+1 transit, n+2 absorption, n+3 central.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transit {
    /// Number of transit compartments after the dose compartment (≥ 1).
    pub n: usize,
    /// Mean transit time; KTR = (n + 1)/MTT.
    pub mtt: f64,
    /// Absorption rate constant.
    pub ka: f64,
    /// Clearance.
    pub cl: f64,
    /// Central volume.
    pub v: f64,
}

impl Transit {
    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), PkError> {
        for (name, value) in [("MTT", self.mtt), ("KA", self.ka), ("V", self.v)] {
            if !(value > 0.0 && value.is_finite()) {
                return Err(PkError::InvalidParameter { name: name.into(), value, expected: "a finite number > 0" });
            }
        }
        if !(self.cl >= 0.0 && self.cl.is_finite()) {
            return Err(PkError::InvalidParameter { name: "CL".into(), value: self.cl, expected: "a finite number >= 0" });
        }
        if self.n == 0 {
            return Err(PkError::InvalidParameter { name: "NTR".into(), value: 0.0, expected: "a whole number >= 1" });
        }
        Ok(())
    }

    fn ktr(&self) -> f64 {
        (self.n as f64 + 1.0) / self.mtt
    }

    /// Compartments of a model with `n` transit compartments: dose, `n` transit, absorption,
    /// central.
    pub const fn compartments(n: usize) -> usize {
        n + 3
    }

    /// Zero-based index of the central compartment of a model with `n` transit compartments.
    pub const fn central_of(n: usize) -> usize {
        n + 2
    }
}

impl PkOde for Transit {
    fn n_cmt(&self) -> usize {
        Self::compartments(self.n)
    }
    fn central(&self) -> usize {
        Self::central_of(self.n)
    }
    fn rhs(&self, a: &[f64], da: &mut [f64]) {
        let ktr = self.ktr();
        da[0] = -ktr * a[0];
        for i in 1..=self.n {
            da[i] = ktr * (a[i - 1] - a[i]);
        }
        let abs = self.n + 1;
        da[abs] = ktr * a[self.n] - self.ka * a[abs];
        da[abs + 1] = self.ka * a[abs] - self.cl / self.v * a[abs + 1];
    }
    /// Linear: `A_{k+1} = (f(A_k) + rates·[k = 0])/(k + 1)`.
    fn taylor(&self, rates: &[f64], order: usize, stride: usize, coeffs: &mut [f64]) -> bool {
        let n = self.n_cmt();
        for k in 0..order {
            let (a, next) = rows(coeffs, stride, k);
            self.rhs(&a[..n], &mut next[..n]);
            let scale = crate::ode::TAYLOR_RECIPROCALS[k];
            for (i, d) in next[..n].iter_mut().enumerate() {
                *d = if k == 0 { (*d + rates[i]) * scale } else { *d * scale };
            }
        }
        true
    }
}

/// The ODE with doses' inputs and the AUC integrator.
struct WithInputs<'a, M: PkOde> {
    model: &'a M,
    rates: &'a [f64],
    /// Whether any rate is non-zero (most intervals have no infusion running).
    has_input: bool,
    auc: bool,
}

impl<M: PkOde> OdeSystem for WithInputs<'_, M> {
    fn dim(&self) -> usize {
        self.model.n_cmt() + usize::from(self.auc)
    }
    #[inline(always)]
    fn rhs(&self, _t: f64, y: &[f64], dydt: &mut [f64]) {
        let n = self.model.n_cmt();
        self.model.rhs(&y[..n], &mut dydt[..n]);
        if self.has_input {
            for (d, r) in dydt.iter_mut().zip(self.rates) {
                *d += r;
            }
        }
        if self.auc {
            dydt[n] = y[self.model.central()];
        }
    }
    fn jacobian(&self, _t: f64, y: &[f64], jac: &mut [f64]) -> bool {
        let n = self.model.n_cmt();
        if !self.auc {
            return self.model.jacobian(y, jac);
        }
        // The model writes its n × n Jacobian at the start of `jac`; its rows are then
        // spread out to the (n + 1)-wide layout, last row first so nothing is overwritten.
        if !self.model.jacobian(&y[..n], &mut jac[..n * n]) {
            return false;
        }
        let m = n + 1;
        for i in (0..n).rev() {
            jac.copy_within(i * n..(i + 1) * n, i * m);
            jac[i * m + n] = 0.0;
        }
        jac[n * m..].iter_mut().for_each(|j| *j = 0.0);
        jac[n * m + self.model.central()] = 1.0;
        true
    }
    fn is_autonomous(&self) -> bool {
        true
    }
    /// The model's coefficients, then the AUC integrator's: `AUC_{k+1} = A_central,k/(k + 1)`.
    fn taylor(&self, _t: f64, order: usize, coeffs: &mut [f64]) -> bool {
        let stride = self.dim();
        if !self.model.taylor(self.rates, order, stride, coeffs) {
            return false;
        }
        if self.auc {
            let (n, central) = (self.model.n_cmt(), self.model.central());
            let input = self.rates.get(n).copied().unwrap_or(0.0); // as in `rhs`
            for k in 0..order {
                let f = coeffs[k * stride + central] + if k == 0 { input } else { 0.0 };
                coeffs[(k + 1) * stride + n] = f / (k + 1) as f64;
            }
        }
        true
    }
}

/// A [`PkSystem`] solved by ODE.
pub struct OdePk<M: PkOde> {
    model: M,
    solver: Solver,
    auc: bool,
    stats: SolveStats,
}

impl<M: PkOde> OdePk<M> {
    /// Solves `model` with the solver's `options`. Each interval between events starts
    /// afresh (no warm start: an interval can be a rounding-sized sliver, e.g. between an
    /// infusion's computed end and a record at the same nominal time, whose step size must
    /// not carry over).
    pub fn new(model: M, options: SolverOptions) -> Self {
        OdePk { model, solver: Solver::new(options), auc: false, stats: SolveStats::default() }
    }

    /// Adds one state component: the integral of the central amount (as [`LinearPk::with_auc`]).
    pub fn with_auc(mut self) -> Self {
        self.auc = true;
        self
    }

    /// The model.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The solver's work so far, summed over the successful calls (one per stretch between
    /// discontinuities: doses, infusion starts and ends; observations do not break it).
    pub fn solve_stats(&self) -> SolveStats {
        self.stats
    }
}

impl<M: PkOde> PkSystem for OdePk<M> {
    fn n_cmt(&self) -> usize {
        self.model.n_cmt()
    }

    fn n_state(&self) -> usize {
        self.model.n_cmt() + usize::from(self.auc)
    }

    fn advance<V: FnMut(usize, &[f64])>(&mut self, state: &mut [f64], t0: f64, stops: &[f64], rates: &[f64], visit: V) -> Result<(), PkError> {
        let system = WithInputs { model: &self.model, rates, has_input: rates.iter().any(|&r| r != 0.0), auc: self.auc };
        self.solver
            .integrate(&system, t0, state, stops, visit)
            .map(|stats| self.stats += stats)
            .map_err(|e| PkError::Ode { t_start: t0, t_end: stops.last().copied().unwrap_or(t0), message: e.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Dose, Record, RecordKind, Simulator};

    fn tight() -> SolverOptions {
        SolverOptions { rtol: 1e-10, atol: 1e-12, ..SolverOptions::default() }
    }

    #[test]
    fn michaelis_menten_at_low_concentration_is_linear() {
        // KM ≫ C: elimination ≈ (VMAX/KM)·C, i.e. CL = VMAX/KM.
        let mm = MichaelisMenten { vmax: 1e3, km: 1e6, v: 10.0, cl: 0.0, ka: Some(1.0), peripheral: None };
        let lin = LinearPk::new(Structure::OneCmtOral, LinearParams { cl: 1e-3, v: 10.0, ka: 1.0, ..Default::default() }).unwrap();
        let records = vec![
            Record { time: 0.0, kind: RecordKind::Dose(Dose::bolus(0, 100.0)), params: 0 },
            Record { time: 12.0, kind: RecordKind::Observation, params: 0 },
        ];
        let (mut a, mut b) = (0.0, 0.0);
        Simulator::default().run(&mut [OdePk::new(mm, tight())], &records, |i, s| if i == 1 { a = s[1] }).unwrap();
        Simulator::default().run(&mut [lin], &records, |i, s| if i == 1 { b = s[1] }).unwrap();
        assert!((a - b).abs() < 1e-4 * b, "{a} vs {b}");
    }

    #[test]
    fn no_steady_state_when_vmax_is_below_the_dosing_rate_says_so() {
        // 100 mg every 24 h is 4.2 mg/h against a VMAX of 2 mg/h: amounts grow without bound.
        let mm = MichaelisMenten { vmax: 2.0, km: 1.0, v: 10.0, cl: 0.0, ka: None, peripheral: None };
        let dose = Dose { steady_state: crate::SteadyState::Reset, ..Dose::bolus(0, 100.0).every(24.0, 0) };
        let records = vec![Record { time: 0.0, kind: RecordKind::Dose(dose), params: 0 }];
        let e = Simulator::default().run(&mut [OdePk::new(mm, SolverOptions::default())], &records, |_, _| {}).unwrap_err().to_string();
        assert!(e.contains("not reached") && e.contains("VMAX is below the dosing rate") && !e.contains("ss_max_intervals"), "{e}");
    }

    #[test]
    fn michaelis_menten_with_tiny_km_empties_to_zero_and_stays_there() {
        // KM ≪ C: elimination is zero-order at VMAX until the compartment is empty (40 mg at
        // 8 mg/h: at 5 h), then stops. Each case is solved with the default options and at
        // loose tolerances, where a step overshoots zero most. KM = 1e-12 mg/L at loose
        // tolerances may instead fail with the solver's step-limit error (the switch from
        // zero to first order happens within 4e-11 mg); it must never return wrong numbers.
        for km in [1e-3, 1e-9, 1e-12] {
            for options in [SolverOptions::default(), SolverOptions { rtol: 1e-4, atol: 1e-4, ..SolverOptions::default() }] {
                let mm = MichaelisMenten { vmax: 8.0, km, v: 40.0, cl: 0.0, ka: None, peripheral: None };
                let mut records = vec![Record { time: 0.0, kind: RecordKind::Dose(Dose::bolus(0, 40.0)), params: 0 }];
                records.extend((1..=100).map(|h| Record { time: f64::from(h), kind: RecordKind::Observation, params: 0 }));
                let (rtol, atol) = (options.rtol, options.atol);
                let mut amounts = Vec::new();
                let result = Simulator::default().run(&mut [OdePk::new(mm, options)], &records, |i, s| amounts.push((records[i].time, s[0])));
                if let Err(e) = result {
                    assert!(km < 1e-9 && rtol > 1e-6 && matches!(e, PkError::Ode { .. }), "KM {km}, rtol {rtol}: {e}");
                    continue;
                }
                for (t, a) in amounts {
                    assert!(a >= -10.0 * atol, "KM {km}, rtol {rtol}: A({t}) = {a} < 0");
                    if t >= 6.0 {
                        assert!(a.abs() <= 10.0 * atol, "KM {km}, rtol {rtol}: A({t}) = {a}, expected 0");
                    } else if t <= 4.0 && km <= 1e-9 {
                        let exact = 40.0 - 8.0 * t;
                        assert!((a - exact).abs() <= 10.0 * (rtol * exact + atol), "KM {km}, rtol {rtol}: A({t}) = {a}, expected {exact}");
                    }
                }
            }
        }
    }

    #[test]
    fn transit_chain_conserves_mass_without_elimination() {
        let tr = Transit { n: 5, mtt: 2.0, ka: 1.0, cl: 0.0, v: 10.0 };
        let mut total = 0.0;
        let records = vec![
            Record { time: 0.0, kind: RecordKind::Dose(Dose::bolus(0, 50.0)), params: 0 },
            Record { time: 3.0, kind: RecordKind::Observation, params: 0 },
        ];
        Simulator::default().run(&mut [OdePk::new(tr, tight())], &records, |i, s| if i == 1 { total = s.iter().sum() }).unwrap();
        assert!((total - 50.0).abs() < 1e-8, "{total}");
    }

    #[test]
    fn transit_chain_is_savics_so_mtt_is_the_mean_transit_time() {
        // Savic et al. 2007: the last of n transit compartments after the dose compartment
        // holds Dose·(KTR·t)ⁿ·e^(−KTR·t)/n! with KTR = (n + 1)/MTT, whose outflow KTR·Aₙ has
        // mean time (n + 1)/KTR = MTT.
        let (n, mtt, dose) = (3, 2.0, 100.0);
        let tr = Transit { n, mtt, ka: 1.2, cl: 4.0, v: 30.0 };
        assert_eq!((tr.n_cmt(), tr.central()), (6, 5));
        let ktr = (n as f64 + 1.0) / mtt;
        let times = [0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0];
        let mut records = vec![Record { time: 0.0, kind: RecordKind::Dose(Dose::bolus(0, dose)), params: 0 }];
        records.extend(times.iter().map(|&t| Record { time: t, kind: RecordKind::Observation, params: 0 }));
        let mut last = Vec::new();
        Simulator::default().run(&mut [OdePk::new(tr, tight())], &records, |i, s| if i > 0 { last.push(s[n]) }).unwrap();
        for (t, a) in times.iter().zip(&last) {
            let x = ktr * t;
            let exact = dose * x.powi(n as i32) * (-x).exp() / 6.0;
            assert!((a - exact).abs() < 1e-7 * dose, "A{}({t}) = {a}, Savic {exact}", n + 1);
        }
    }

    #[test]
    fn auc_tracking_jacobian_has_the_integrator_row() {
        let mm = MichaelisMenten { vmax: 30.0, km: 2.0, v: 15.0, cl: 0.5, ka: Some(1.3), peripheral: Some((2.0, 40.0)) };
        let (n, m) = (3, 4);
        let mut inner = vec![0.0; n * n];
        let y = [5.0, 20.0, 7.0, 0.0];
        assert!(mm.jacobian(&y[..n], &mut inner));
        let sys = WithInputs { model: &mm, rates: &[0.0; 4], has_input: false, auc: true };
        let mut jac = vec![f64::NAN; m * m];
        assert!(sys.jacobian(0.0, &y, &mut jac));
        for i in 0..m {
            for j in 0..m {
                let want = if i < n && j < n { inner[i * n + j] } else if i == n && j == mm.central() { 1.0 } else { 0.0 };
                assert_eq!(jac[i * m + j], want, "J[{i}][{j}]");
            }
        }
    }

    #[test]
    fn analytic_jacobians_match_finite_differences() {
        let models: Vec<Box<dyn PkOde>> = vec![
            Box::new(MichaelisMenten { vmax: 30.0, km: 2.0, v: 15.0, cl: 0.5, ka: Some(1.3), peripheral: Some((2.0, 40.0)) }),
            Box::new(LinearOde::new(Structure::ThreeCmtOral, LinearParams { cl: 2.0, v: 10.0, q: 1.0, v2: 20.0, q3: 0.5, v3: 50.0, ka: 1.0 }).unwrap()),
        ];
        for m in models {
            let n = m.n_cmt();
            let a: Vec<f64> = (0..n).map(|i| 10.0 + 7.0 * i as f64).collect();
            let mut jac = vec![0.0; n * n];
            assert!(m.jacobian(&a, &mut jac));
            for j in 0..n {
                let h = 1e-6 * a[j];
                let (mut up, mut down) = (a.clone(), a.clone());
                up[j] += h;
                down[j] -= h;
                let (mut fu, mut fd) = (vec![0.0; n], vec![0.0; n]);
                m.rhs(&up, &mut fu);
                m.rhs(&down, &mut fd);
                for i in 0..n {
                    let fdiff = (fu[i] - fd[i]) / (2.0 * h);
                    assert!((fdiff - jac[i * n + j]).abs() < 1e-6 * (1.0 + fdiff.abs()), "J[{i}][{j}] {} vs {fdiff}", jac[i * n + j]);
                }
            }
        }
    }
}

/// Any of the ODE models above, chosen at run time (e.g. from a model file).
#[derive(Debug, Clone)]
pub enum OdeModel {
    /// A linear model's rate matrix.
    Linear(LinearOde),
    /// Michaelis–Menten elimination.
    MichaelisMenten(MichaelisMenten),
    /// Transit-compartment absorption.
    Transit(Transit),
}

impl PkOde for OdeModel {
    fn n_cmt(&self) -> usize {
        match self {
            OdeModel::Linear(m) => m.n_cmt(),
            OdeModel::MichaelisMenten(m) => m.n_cmt(),
            OdeModel::Transit(m) => m.n_cmt(),
        }
    }
    fn central(&self) -> usize {
        match self {
            OdeModel::Linear(m) => m.central(),
            OdeModel::MichaelisMenten(m) => m.central(),
            OdeModel::Transit(m) => m.central(),
        }
    }
    fn rhs(&self, a: &[f64], da: &mut [f64]) {
        match self {
            OdeModel::Linear(m) => m.rhs(a, da),
            OdeModel::MichaelisMenten(m) => m.rhs(a, da),
            OdeModel::Transit(m) => m.rhs(a, da),
        }
    }
    fn jacobian(&self, a: &[f64], jac: &mut [f64]) -> bool {
        match self {
            OdeModel::Linear(m) => m.jacobian(a, jac),
            OdeModel::MichaelisMenten(m) => m.jacobian(a, jac),
            OdeModel::Transit(m) => m.jacobian(a, jac),
        }
    }
    fn taylor(&self, rates: &[f64], order: usize, stride: usize, coeffs: &mut [f64]) -> bool {
        match self {
            OdeModel::Linear(m) => m.taylor(rates, order, stride, coeffs),
            OdeModel::MichaelisMenten(m) => m.taylor(rates, order, stride, coeffs),
            OdeModel::Transit(m) => m.taylor(rates, order, stride, coeffs),
        }
    }
}

/// A model solved either in closed form or by ODE, chosen at run time.
pub enum Dynamics {
    /// Closed-form linear model.
    Closed(LinearPk),
    /// ODE model.
    Ode(OdePk<OdeModel>),
}

impl PkSystem for Dynamics {
    fn n_cmt(&self) -> usize {
        match self {
            Dynamics::Closed(s) => s.n_cmt(),
            Dynamics::Ode(s) => s.n_cmt(),
        }
    }
    fn n_state(&self) -> usize {
        match self {
            Dynamics::Closed(s) => s.n_state(),
            Dynamics::Ode(s) => s.n_state(),
        }
    }
    fn advance<V: FnMut(usize, &[f64])>(&mut self, state: &mut [f64], t0: f64, stops: &[f64], rates: &[f64], visit: V) -> Result<(), PkError> {
        match self {
            Dynamics::Closed(s) => s.advance(state, t0, stops, rates, visit),
            Dynamics::Ode(s) => s.advance(state, t0, stops, rates, visit),
        }
    }
    fn solve_periodic(&mut self, period: f64, c: &[f64], x: &mut [f64]) -> Option<Result<(), PkError>> {
        match self {
            Dynamics::Closed(s) => s.solve_periodic(period, c, x),
            Dynamics::Ode(_) => None,
        }
    }
    fn solve_constant_input(&mut self, rates: &[f64], x: &mut [f64]) -> Option<Result<(), PkError>> {
        match self {
            Dynamics::Closed(s) => s.solve_constant_input(rates, x),
            Dynamics::Ode(_) => None,
        }
    }
}
