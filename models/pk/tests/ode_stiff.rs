//! Stiff test problems: Robertson's chemical kinetics and the Van der Pol oscillator.

use vtrial_pk::ode::{Method, OdeError, OdeSystem, Solver, SolverOptions};

/// Robertson's chemical reaction system (H. H. Robertson 1966), the ROBER problem of
/// E. Hairer & G. Wanner, *Solving Ordinary Differential Equations II*, 2nd ed., §IV.1 and
/// §IV.10: y₁' = −0.04y₁ + 10⁴y₂y₃, y₂' = 0.04y₁ − 10⁴y₂y₃ − 3·10⁷y₂², y₃' = 3·10⁷y₂².
struct Robertson;

impl OdeSystem for Robertson {
    fn dim(&self) -> usize {
        3
    }
    fn rhs(&self, _t: f64, y: &[f64], d: &mut [f64]) {
        let r1 = 0.04 * y[0];
        let r2 = 1e4 * y[1] * y[2];
        let r3 = 3e7 * y[1] * y[1];
        d[0] = -r1 + r2;
        d[1] = r1 - r2 - r3;
        d[2] = r3;
    }
    fn is_autonomous(&self) -> bool {
        true
    }
}

/// Reference solution of ROBER at t = 40 (Hairer & Wanner II, §IV.10).
const ROBER_40: [f64; 3] = [
    0.7158270687193687,
    9.185534764557996e-06,
    0.2841637457041569,
];

fn robertson_options(method: Method) -> SolverOptions {
    // y₂ is of order 1e-5, so atol must be far below it.
    SolverOptions {
        method,
        rtol: 1e-8,
        atol: 1e-14,
        ..Default::default()
    }
}

fn assert_rober(y: &[f64], what: &str) {
    for i in 0..3 {
        let rel = (y[i] - ROBER_40[i]).abs() / ROBER_40[i];
        assert!(
            rel <= 1e-5,
            "{what}: y{} = {} vs {} (relative error {rel:e})",
            i + 1,
            y[i],
            ROBER_40[i]
        );
    }
}

#[test]
fn robertson_stiff_and_auto_match_the_reference() {
    let stops = [1e-3, 0.1, 1.0, 10.0, 40.0];
    let mut stiff_steps = 0;
    for method in [Method::Stiff, Method::Auto] {
        let mut y = [1.0, 0.0, 0.0];
        let mut sums = Vec::new();
        let stats = Solver::new(robertson_options(method))
            .integrate(&Robertson, 0.0, &mut y, &stops, |_, yk| {
                sums.push(yk.iter().sum::<f64>())
            })
            .unwrap_or_else(|e| panic!("{method:?}: {e}"));
        assert_rober(&y, &format!("{method:?}"));
        // Mass is conserved (the methods preserve linear invariants up to rounding).
        for s in sums {
            assert!((s - 1.0).abs() < 1e-12, "{method:?}: sum {s}");
        }
        assert!(stats.steps < 1_000, "{method:?}: {stats:?}");
        assert!(
            stats.stiff_steps > 0,
            "{method:?} must use the stiff method: {stats:?}"
        );
        if method == Method::Auto {
            // It started explicit and switched.
            assert!(stats.stiff_steps < stats.steps, "{stats:?}");
        } else {
            stiff_steps = stats.steps;
        }
    }

    // The explicit method alone is limited by stability (h·|λ| ≲ 3.3 with |λ| ≈ 1e4) and runs
    // out of steps long before t = 40; with the default limit it needs very many more steps.
    let opts = SolverOptions {
        max_steps: 20_000,
        ..robertson_options(Method::NonStiff)
    };
    let mut y = [1.0, 0.0, 0.0];
    match Solver::new(opts).integrate(&Robertson, 0.0, &mut y, &[40.0], |_, _| {}) {
        Err(OdeError::TooManySteps {
            t,
            max_steps: 20_000,
        }) => assert!(t > 0.0 && t < 40.0),
        other => panic!("expected TooManySteps, got {other:?}"),
    }
    let mut y = [1.0, 0.0, 0.0];
    let stats = Solver::new(robertson_options(Method::NonStiff))
        .integrate(&Robertson, 0.0, &mut y, &[40.0], |_, _| {})
        .unwrap();
    assert_rober(&y, "NonStiff");
    assert!(
        stats.steps > 50 * stiff_steps,
        "NonStiff: {stats:?}, Stiff: {stiff_steps} steps"
    );
}

/// Van der Pol's equation y₁' = y₂, y₂' = μ(1 − y₁²)y₂ − y₁: for μ = 1000, relaxation
/// oscillations with fast jumps, stiff on the slow parts.
struct VanDerPol {
    mu: f64,
}

impl OdeSystem for VanDerPol {
    fn dim(&self) -> usize {
        2
    }
    fn rhs(&self, _t: f64, y: &[f64], d: &mut [f64]) {
        d[0] = y[1];
        d[1] = self.mu * (1.0 - y[0] * y[0]) * y[1] - y[0];
    }
    fn jacobian(&self, _t: f64, y: &[f64], jac: &mut [f64]) -> bool {
        jac.copy_from_slice(&[
            0.0,
            1.0,
            -2.0 * self.mu * y[0] * y[1] - 1.0,
            self.mu * (1.0 - y[0] * y[0]),
        ]);
        true
    }
    fn is_autonomous(&self) -> bool {
        true
    }
}

/// Times where y₁ changes sign, from a solution sampled every 0.5.
fn zero_crossings(method: Method, mu: f64, t_end: f64) -> (Vec<f64>, vtrial_pk::ode::SolveStats) {
    let stops: Vec<f64> = (1..=(2.0 * t_end) as usize)
        .map(|i| 0.5 * i as f64)
        .collect();
    let mut y = [2.0, 0.0];
    let mut prev = y[0];
    let mut crossings = Vec::new();
    let opts = SolverOptions {
        method,
        rtol: 1e-6,
        atol: 1e-8,
        ..Default::default()
    };
    let stats = Solver::new(opts)
        .integrate(&VanDerPol { mu }, 0.0, &mut y, &stops, |k, yk| {
            assert!(
                yk[0].abs() < 2.1,
                "|y1| stays below ~2: {} at t = {}",
                yk[0],
                stops[k]
            );
            if yk[0].signum() != prev.signum() {
                crossings.push(stops[k]);
            }
            prev = yk[0];
        })
        .unwrap_or_else(|e| panic!("{method:?}: {e}"));
    (crossings, stats)
}

#[test]
fn van_der_pol_mu_1000_completes_with_the_stiff_method() {
    // For large μ, y₁ creeps along the slow manifold from ±2 to ±1 in μ(3/2 − ln 2) ≈ 806.9
    // and then jumps (J. Grasman, *Asymptotic Methods for Relaxation Oscillations*, 1987: the
    // period is μ(3 − 2 ln 2) + 7.014μ^(−1/3) + O(ln μ/μ)). Over t ∈ [0, 3000] y₁ changes sign
    // at ≈ 807, ≈ 1614 and ≈ 2421.
    let mu = 1000.0;
    let half_period = mu * (1.5 - 2f64.ln());
    for method in [Method::Stiff, Method::Auto] {
        let (crossings, stats) = zero_crossings(method, mu, 3000.0);
        assert_eq!(crossings.len(), 3, "{method:?}: {crossings:?}");
        for (i, &c) in crossings.iter().enumerate() {
            let expected = half_period * (i + 1) as f64;
            assert!(
                (c - expected).abs() < 0.01 * expected,
                "{method:?}: crossing {i} at {c}, expected ≈ {expected}"
            );
        }
        assert!(
            stats.steps < 5_000 && stats.stiff_steps > 0,
            "{method:?}: {stats:?}"
        );
    }
}
