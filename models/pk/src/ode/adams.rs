//! Variable-step, variable-order Adams–Bashforth–Moulton method (PECE, orders 1–12) after
//! L. F. Shampine & M. K. Gordon, *Computer Solution of Ordinary Differential Equations: the
//! Initial Value Problem*, Freeman 1975 (subroutines STEP and INTRP of their code DE, also in
//! Netlib's `ode.f` and SLATEC's DDEABM/DSTEPS).
//!
//! The solution is carried as modified divided differences `φ` of the derivative; a step of
//! order `k` predicts with the `k`-step Adams–Bashforth formula, evaluates, corrects with the
//! Adams–Moulton formula of order `k + 1` (local extrapolation) and evaluates again: two
//! right-hand-side calls per accepted step, one per rejected attempt. The error estimate is that
//! of the order-`k` corrector; estimates at orders `k − 2 … k + 1` choose the order, and the step
//! size is only changed by halving, doubling or a factor in `[0.5, 0.9]` so that runs of
//! constant steps keep the coefficients (which cost `O(k²)` to recompute) unchanged. The
//! interpolating polynomial of the last step gives the solution anywhere in it at no
//! right-hand-side cost (INTRP).
//!
//! Differences from STEP: the error is measured in the solver's weighted RMS norm (weights
//! `atol + rtol·|y|` at the start of the step) against 1 rather than an L2 norm against `eps`;
//! the "tolerance too small for the precision" exit and the rounding-error compensation
//! (needed only as `rtol` approaches 1e-14) are left out (the step-size floor of the other
//! methods, [`OdeError::StepSizeTooSmall`], applies instead); a step whose corrected value or
//! derivative is NaN or infinite is rejected with the step cut to a quarter; and the first
//! step is Hairer's `hinit` estimate for an order-2 method rather than STEP's
//! `¼·√(eps/‖f‖)`, being at most twice the step the order-1 error test admits.

use super::OdeSystem;
use super::SolveStats;
use super::control::{self, Tol};
use super::dim::{by_dim, dim};
use super::error::OdeError;

/// `1/(i + 1)` for `i = 0 ..`.
const RECIPROCALS: [f64; COLS] = super::reciprocals();
/// Highest order.
const MAX_ORDER: usize = 12;
/// Columns of `φ` (indices 1 ..= 14; column 0 unused).
const COLS: usize = MAX_ORDER + 3;
/// `2^(i)` for `i = 1 ..= 13` (`two` of STEP), 1-based.
const TWO: [f64; 14] = [
    0.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 2048.0, 4096.0, 8192.0,
];
/// `γ*` of STEP: the error constants of the Adams–Moulton formulas, 1-based.
const GSTR: [f64; 14] = [
    0.0, 0.5, 0.0833, 0.0417, 0.0264, 0.0188, 0.0143, 0.0114, 0.00936, 0.00789, 0.00679, 0.00592,
    0.00524, 0.00468,
];

/// State and scratch of the Adams method. Arrays of coefficients are 1-based as in STEP.
#[derive(Clone, Debug)]
pub(crate) struct Adams {
    n: usize,
    /// `φ(l, i)` at `i·n + l`.
    phi: Vec<f64>,
    y: Vec<f64>,
    p: Vec<f64>,
    yp: Vec<f64>,
    y_new: Vec<f64>,
    /// `1 / (√n · (atol + rtol·|y|))`.
    wt: Vec<f64>,
    psi: [f64; COLS],
    alpha: [f64; COLS],
    beta: [f64; COLS],
    sig: [f64; COLS],
    v: [f64; COLS],
    w: [f64; COLS],
    g: [f64; COLS],
    k: usize,
    kold: usize,
    kprev: usize,
    ns: usize,
    hold: f64,
    phase1: bool,
    /// Estimates of the last attempt (STEP's `erk`, `erkm1`, `knew`).
    erk: f64,
    erkm1: f64,
    knew: usize,
}

impl Default for Adams {
    fn default() -> Self {
        Self {
            n: 0,
            phi: Vec::new(),
            y: Vec::new(),
            p: Vec::new(),
            yp: Vec::new(),
            y_new: Vec::new(),
            wt: Vec::new(),
            psi: [0.0; COLS],
            alpha: [0.0; COLS],
            beta: [0.0; COLS],
            sig: [0.0; COLS],
            v: [0.0; COLS],
            w: [0.0; COLS],
            g: [0.0; COLS],
            k: 1,
            kold: 0,
            kprev: 0,
            ns: 0,
            hold: 0.0,
            phase1: true,
            erk: 0.0,
            erkm1: 0.0,
            knew: 1,
        }
    }
}

/// Outcome of one attempted step.
enum Attempt {
    Accepted,
    /// Error test failed (the step is undone).
    Rejected,
    /// NaN or infinity in component `.0` (the step is undone).
    NonFinite(usize),
}

/// Options of one [`Adams::run`].
pub(crate) struct RunOptions {
    pub tol: Tol,
    pub max_steps: usize,
    pub h_max: f64,
    /// First trial step; `None` estimates one.
    pub initial_step: Option<f64>,
}

impl Adams {
    /// Sizes the buffers for dimension `n`.
    pub(crate) fn resize(&mut self, n: usize) {
        self.n = n;
        self.phi.resize(COLS * n, 0.0);
        for v in [
            &mut self.y,
            &mut self.p,
            &mut self.yp,
            &mut self.y_new,
            &mut self.wt,
        ] {
            v.resize(n, 0.0);
        }
    }

    /// Integrates from `(t0, y)` with `f0 = f(t0, y)` through the stops from index `*next`
    /// on, visiting each. On success `y` holds the state at the last stop and the result is
    /// the step size proposed next; on error `y` holds the last accepted state.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run<S: OdeSystem + ?Sized, V: FnMut(usize, &[f64])>(
        &mut self,
        sys: &S,
        t0: f64,
        y: &mut [f64],
        f0: &[f64],
        stops: &[f64],
        next: &mut usize,
        visit: &mut V,
        opts: &RunOptions,
        stats: &mut SolveStats,
    ) -> Result<f64, OdeError> {
        by_dim!(y.len(), |N| self.run_n::<S, V, N>(
            sys, t0, y, f0, stops, next, visit, opts, stats
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn run_n<S: OdeSystem + ?Sized, V: FnMut(usize, &[f64]), const N: usize>(
        &mut self,
        sys: &S,
        t0: f64,
        y: &mut [f64],
        f0: &[f64],
        stops: &[f64],
        next: &mut usize,
        visit: &mut V,
        opts: &RunOptions,
        stats: &mut SolveStats,
    ) -> Result<f64, OdeError> {
        let n = dim::<N>(y.len());
        let t_end = *stops.last().expect("a stop after t0");
        let tol = opts.tol;
        self.y[..n].copy_from_slice(&y[..n]);
        self.yp[..n].copy_from_slice(&f0[..n]);
        self.update_weights::<N>(tol);
        // Start (block 0 of STEP): φ₁ = f, φ₂ = 0, order 1.
        self.phi[n..2 * n].copy_from_slice(&f0[..n]);
        self.phi[2 * n..3 * n].fill(0.0);
        self.k = 1;
        self.kold = 0;
        self.kprev = 0;
        self.ns = 0;
        self.hold = 0.0;
        self.phase1 = true;
        self.g[1] = 1.0;
        self.g[2] = 0.5;
        self.sig[1] = 1.0;
        let mut h = match opts.initial_step {
            Some(h) => h,
            None => {
                stats.rhs_evals += 1;
                self.initial_step::<S, N>(sys, t0, t_end, f0, opts.h_max)
            }
        }
        .min(opts.h_max);

        let mut t = t0;
        let mut attempts = 0usize;
        let mut ifail = 0u32;
        let mut non_finite: Option<usize> = None;
        let result = loop {
            if attempts >= opts.max_steps {
                break Err(OdeError::TooManySteps {
                    t,
                    max_steps: opts.max_steps,
                });
            }
            let last = control::lands_on_end(t, h, t_end, opts.h_max);
            let h_step = if last { t_end - t } else { h };
            let t_new = if last { t_end } else { t + h };
            if !last && let Some(e) = control::step_too_small(t, h_step, non_finite) {
                break Err(e);
            }
            attempts += 1;
            match self.attempt::<S, N>(sys, t_new, h_step, stats) {
                Attempt::Accepted => {}
                Attempt::Rejected => {
                    stats.rejected += 1;
                    ifail += 1;
                    // Block 3: halve; on the third failure in a row fall to order 1, after it
                    // also use the optimal step size of order 1.
                    let mut factor = 0.5;
                    if ifail >= 3 {
                        if ifail > 3 && 0.5 < 0.25 * self.erk {
                            factor = (0.5 / self.erk).sqrt();
                        }
                        self.knew = 1;
                    }
                    h = factor * h_step;
                    self.k = self.knew;
                    self.ns = 0;
                    continue;
                }
                Attempt::NonFinite(component) => {
                    stats.rejected += 1;
                    ifail += 1;
                    non_finite = Some(component);
                    h = 0.25 * h_step;
                    self.k = 1;
                    self.ns = 0;
                    continue;
                }
            }
            ifail = 0;
            non_finite = None;
            stats.steps += 1;
            // Serve the stops within the step from the interpolating polynomial.
            while *next < stops.len() && stops[*next] <= t_new {
                if stops[*next] == t_new {
                    visit(*next, &self.y_new[..n]);
                } else {
                    self.interpolate::<N>(t_new, stops[*next]);
                    visit(*next, &self.p[..n]);
                }
                *next += 1;
            }
            std::mem::swap(&mut self.y, &mut self.y_new);
            t = t_new;
            h = self.next_step_size::<N>(h_step).min(opts.h_max);
            if last {
                break Ok(h);
            }
            self.update_weights::<N>(tol);
        };
        y[..n].copy_from_slice(&self.y[..n]);
        result
    }

    /// First step size: the step the order-1 error test admits with half the tolerance,
    /// `h = 1/√‖y''‖` (the test is `½h²‖y''‖ <= 1`), with `y''` from a difference of `f`
    /// along a short Euler step (one right-hand-side call, made at or before `t_hi`), the
    /// probe step being Hairer's `0.01·‖y‖/‖f‖` (`hinit`); at most 100 probe steps and
    /// `h_max`. Phase 1 then doubles the step while raising the order.
    fn initial_step<S: OdeSystem + ?Sized, const N: usize>(
        &mut self,
        sys: &S,
        t0: f64,
        t_hi: f64,
        f0: &[f64],
        h_max: f64,
    ) -> f64 {
        let n = dim::<N>(self.n);
        let (y0, f0) = (&self.y[..n], &f0[..n]);
        let (mut dnf, mut dny) = (0.0, 0.0);
        for l in 0..n {
            let w = self.wt[l];
            dnf += (f0[l] * w) * (f0[l] * w);
            dny += (y0[l] * w) * (y0[l] * w);
        }
        let probe = if dnf <= 1e-20 || dny < 1.0 {
            1e-6
        } else {
            0.01 * (dny / dnf).sqrt()
        }
        .min(h_max);
        let (y1, f1) = (&mut self.p[..n], &mut self.y_new[..n]);
        for l in 0..n {
            y1[l] = y0[l] + probe * f0[l];
        }
        sys.rhs((t0 + probe).min(t_hi), y1, f1);
        let mut d2 = 0.0;
        for l in 0..n {
            let e = (f1[l] - f0[l]) * self.wt[l];
            d2 += e * e;
        }
        let d2 = d2.sqrt() / probe;
        let h = if d2.is_finite() && d2 > 0.0 {
            (1.0 / d2).sqrt().min(100.0 * probe)
        } else {
            100.0 * probe
        };
        let h = h.max(1e3 * f64::EPSILON * t0.abs()).min(h_max);
        if h.is_finite() && h > 0.0 {
            h
        } else {
            h_max.min(1e-6)
        }
    }

    fn update_weights<const N: usize>(&mut self, tol: Tol) {
        let n = dim::<N>(self.n);
        // 1/√n folded into the tolerances.
        let scale = 1.0 / (n as f64).sqrt();
        let (atol, rtol) = (tol.atol / scale, tol.rtol / scale);
        for l in 0..n {
            self.wt[l] = 1.0 / (atol + rtol * self.y[l].abs());
        }
    }

    /// Block 1 of STEP: the coefficients of the formulas for a step of size `h` at order `k`
    /// (only those that change when `h` has not).
    fn coefficients(&mut self, h: f64) {
        let k = self.k.min(MAX_ORDER);
        let (kp1, kp2) = (k + 1, k + 2);
        if h != self.hold {
            self.ns = 0;
        }
        if self.ns <= self.kold {
            self.ns += 1;
        }
        let ns = self.ns;
        let nsp1 = ns + 1;
        if k < ns {
            return;
        }
        self.beta[ns] = 1.0;
        self.alpha[ns] = 1.0 / ns as f64;
        let mut temp1 = h * ns as f64;
        self.sig[nsp1] = 1.0;
        for i in nsp1..=k {
            let temp2 = self.psi[i - 1];
            self.psi[i - 1] = temp1;
            self.beta[i] = self.beta[i - 1] * self.psi[i - 1] / temp2;
            temp1 = temp2 + h;
            self.alpha[i] = h / temp1;
            self.sig[i + 1] = i as f64 * self.alpha[i] * self.sig[i];
        }
        self.psi[k] = temp1;
        let (v, w) = (&mut self.v, &mut self.w);
        if ns <= 1 {
            for iq in 1..=k {
                v[iq] = 1.0 / (iq * (iq + 1)) as f64;
                w[iq] = v[iq];
            }
        } else {
            if k > self.kprev {
                // The order was raised: update the diagonal part of v.
                v[k] = 1.0 / (k * kp1) as f64;
                for j in 1..ns.saturating_sub(1) {
                    let i = k - j;
                    v[i] -= self.alpha[j + 1] * v[i + 1];
                }
            }
            let limit1 = kp1 - ns;
            let temp5 = self.alpha[ns];
            for iq in 1..=limit1 {
                v[iq] -= temp5 * v[iq + 1];
            }
            w[1..=limit1].copy_from_slice(&v[1..=limit1]);
            self.g[nsp1] = w[1];
        }
        self.kprev = k;
        for i in (ns + 2)..=kp1 {
            let limit2 = kp2 - i;
            let temp6 = self.alpha[i - 1];
            for iq in 1..=limit2 {
                w[iq] -= temp6 * w[iq + 1];
            }
            self.g[i] = w[1];
        }
    }

    /// Undoes the prediction of a failed step (block 3 of STEP): φ and ψ as they were.
    fn restore<const N: usize>(&mut self, h: f64) {
        let n = dim::<N>(self.n);
        let k = self.k.min(MAX_ORDER);
        let phi = &mut self.phi[..COLS * n];
        for i in 1..=k {
            let r = 1.0 / self.beta[i];
            let (c, next) = column_pair(phi, i, n);
            for (x, &mut y) in c.iter_mut().zip(next) {
                *x = r * (*x - y);
            }
        }
        for i in 2..=k {
            self.psi[i - 1] = self.psi[i] - h;
        }
    }

    /// One PECE attempt of size `h` ending at `t_new` (blocks 1, 2 and the correction of 4).
    /// On acceptance `y_new`, `yp` hold the corrected solution and its derivative and φ is
    /// updated; otherwise φ, ψ are restored and `knew`, `erk` set for the retry.
    fn attempt<S: OdeSystem + ?Sized, const N: usize>(
        &mut self,
        sys: &S,
        t_new: f64,
        h: f64,
        stats: &mut SolveStats,
    ) -> Attempt {
        let n = dim::<N>(self.n);
        self.coefficients(h);
        let k = self.k.min(MAX_ORDER);
        let (km1, kp1) = (k.wrapping_sub(1), k + 1);
        let nsp1 = self.ns + 1;
        let phi = &mut self.phi[..COLS * n];
        let (y, p, yp, wt) = (
            &self.y[..n],
            &mut self.p[..n],
            &mut self.yp[..n],
            &self.wt[..n],
        );
        // Predict: φ → φ*, then the Adams–Bashforth sum and the predicted differences.
        for i in nsp1..=k {
            let b = self.beta[i];
            for x in column(phi, i, n) {
                *x *= b;
            }
        }
        {
            let (c, next) = column_pair(phi, kp1, n);
            next.copy_from_slice(c);
            c.fill(0.0);
        }
        p.fill(0.0);
        for i in (1..=k).rev() {
            let gi = self.g[i];
            let (c, next) = column_pair(phi, i, n);
            for ((pl, x), &nx) in p.iter_mut().zip(c.iter_mut()).zip(next.iter()) {
                *pl += gi * *x;
                *x += nx;
            }
        }
        for (pl, &yl) in p.iter_mut().zip(y) {
            *pl = yl + h * *pl;
        }
        sys.rhs(t_new, p, yp);
        stats.rhs_evals += 1;
        // Estimate the errors at orders k, k − 1, k − 2.
        let (mut erkm2, mut erkm1, mut erk) = (0.0, 0.0, 0.0);
        {
            let phi = &*phi;
            let c1 = &phi[n..2 * n];
            let ck = &phi[k * n..(k + 1) * n];
            let ckm1 = &phi[km1.max(1) * n..(km1.max(1) + 1) * n];
            for l in 0..n {
                let d = yp[l] - c1[l];
                let e = (ckm1[l] + d) * wt[l];
                erkm2 += e * e;
                let e = (ck[l] + d) * wt[l];
                erkm1 += e * e;
                erk += (d * wt[l]) * (d * wt[l]);
            }
        }
        let absh = h.abs();
        erkm2 = if k >= 3 {
            absh * self.sig[km1] * GSTR[k - 2] * erkm2.sqrt()
        } else {
            0.0
        };
        erkm1 = if k >= 2 {
            absh * self.sig[k] * GSTR[km1] * erkm1.sqrt()
        } else {
            0.0
        };
        let temp5 = absh * erk.sqrt();
        let err = temp5 * (self.g[k] - self.g[kp1]);
        erk = temp5 * self.sig[kp1] * GSTR[k];
        let mut knew = k;
        if k >= 3 {
            if erkm1.max(erkm2) <= erk {
                knew = km1;
            }
        } else if k == 2 && erkm1 <= 0.5 * erk {
            knew = km1;
        }
        self.erk = erk;
        self.erkm1 = erkm1;
        self.knew = knew;
        if !err.is_finite() {
            let component = control::first_non_finite(yp).unwrap_or(0);
            self.phase1 = false;
            self.restore::<N>(h);
            return Attempt::NonFinite(component);
        }
        if err > 1.0 {
            self.phase1 = false;
            self.restore::<N>(h);
            return Attempt::Rejected;
        }
        // Correct and evaluate.
        let y_new = &mut self.y_new[..n];
        let c = h * self.g[kp1];
        {
            let c1 = &phi[n..2 * n];
            for l in 0..n {
                y_new[l] = p[l] + c * (yp[l] - c1[l]);
            }
        }
        sys.rhs(t_new, y_new, yp);
        stats.rhs_evals += 1;
        let mut sum = 0.0;
        for l in 0..n {
            sum += y_new[l] * 0.0 + yp[l] * 0.0;
        }
        if sum != 0.0 {
            // 0·x is NaN exactly when x is NaN or infinite.
            let component = control::first_non_finite(y_new)
                .or_else(|| control::first_non_finite(yp))
                .unwrap_or(0);
            self.phase1 = false;
            self.restore::<N>(h);
            return Attempt::NonFinite(component);
        }
        self.kold = k;
        self.hold = h;
        // Update the differences for the next step.
        let (lo, hi) = phi.split_at_mut(kp1 * n);
        let (ckp1, ckp2) = hi[..2 * n].split_at_mut(n);
        for l in 0..n {
            let d = yp[l] - lo[n + l];
            ckp1[l] = d;
            ckp2[l] = d - ckp2[l];
        }
        for c in lo[n..].chunks_exact_mut(n) {
            for (x, &d) in c.iter_mut().zip(ckp1.iter()) {
                *x += d;
            }
        }
        Attempt::Accepted
    }

    /// Order and step size after an accepted step of size `h` (the rest of block 4).
    fn next_step_size<const N: usize>(&mut self, h: f64) -> f64 {
        let n = dim::<N>(self.n);
        let k = self.k;
        let (km1, kp1, kp2) = (k - 1, k + 1, k + 2);
        let absh = h.abs();
        let knew = self.knew;
        if knew == km1 || k == MAX_ORDER {
            self.phase1 = false;
        }
        let mut erk = self.erk;
        enum Order {
            Raise,
            Lower,
            Keep,
        }
        let order = if self.phase1 {
            Order::Raise
        } else if knew == km1 {
            Order::Lower
        } else if kp1 > self.ns {
            Order::Keep
        } else {
            let mut s = 0.0;
            for l in 0..n {
                let e = self.phi[kp2 * n + l] * self.wt[l];
                s += e * e;
            }
            let erkp1 = absh * GSTR[kp1] * s.sqrt();
            let o = if k == 1 {
                if erkp1 >= 0.5 * erk {
                    Order::Keep
                } else {
                    Order::Raise
                }
            } else if self.erkm1 <= erk.min(erkp1) {
                Order::Lower
            } else if erkp1 >= erk || k == MAX_ORDER {
                Order::Keep
            } else {
                Order::Raise
            };
            if let Order::Raise = o {
                erk = erkp1;
            }
            o
        };
        match order {
            Order::Raise => self.k = kp1,
            Order::Lower => {
                self.k = km1;
                erk = self.erkm1;
            }
            Order::Keep => {}
        }
        let k = self.k;
        if self.phase1 || 0.5 >= erk * TWO[k + 1] {
            return 2.0 * h;
        }
        if 0.5 >= erk {
            return h;
        }
        let r = (0.5 / erk).powf(1.0 / (k + 1) as f64);
        absh * r.clamp(0.5, 0.9)
    }

    /// INTRP: the solution at `t_out` (within the last step, which ended at `t`) into `p`.
    fn interpolate<const N: usize>(&mut self, t: f64, t_out: f64) {
        let n = dim::<N>(self.n);
        let hi = t_out - t;
        let ki = (self.kold + 1).min(MAX_ORDER + 1);
        // w[i] = 1/(i + 1), 0-based here.
        let mut w = RECIPROCALS;
        let mut g = [0.0; COLS];
        g[1] = 1.0;
        let mut term = 0.0;
        for j in 2..=ki {
            let psi = self.psi[j - 1];
            let gamma = (hi + term) / psi;
            let eta = hi / psi;
            let ws = &mut w[..ki + 2 - j];
            for i in 0..ws.len() - 1 {
                ws[i] = gamma * ws[i] - eta * ws[i + 1];
            }
            g[j] = ws[0];
            term = psi;
        }
        let phi = &self.phi[..COLS * n];
        let out = &mut self.p[..n];
        out.fill(0.0);
        for i in (1..=ki).rev() {
            let gi = g[i];
            for (o, &x) in out.iter_mut().zip(&phi[i * n..(i + 1) * n]) {
                *o += gi * x;
            }
        }
        for (o, &y) in out.iter_mut().zip(&self.y_new[..n]) {
            *o = y + hi * *o;
        }
    }
}

/// Column `i` of φ (length `n`).
#[inline(always)]
fn column(phi: &mut [f64], i: usize, n: usize) -> &mut [f64] {
    &mut phi[i * n..(i + 1) * n]
}

/// Columns `i` and `i + 1` of φ.
#[inline(always)]
fn column_pair(phi: &mut [f64], i: usize, n: usize) -> (&mut [f64], &mut [f64]) {
    phi[i * n..(i + 2) * n].split_at_mut(n)
}
