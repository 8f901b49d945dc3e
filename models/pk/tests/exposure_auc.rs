//! AUC: the trapezoid's O(h²) error, the log-down rule's exactness for exponential decay,
//! and the exact AUC of a model that integrates its central amount.
//!
//! One-compartment IV bolus: `C(t) = C₀·e^{−kt}`, `AUC(0, T) = C₀/k·(1 − e^{−kT})`.
//! Tolerances: log-down and integrator AUCs to 1e-12 relative; the trapezoid's error ratio
//! between grids h and h/2 within 4 ± 0.05, and its error within 1 % of the leading term
//! `h²/12·(C′(T) − C′(0))` of the Euler–Maclaurin formula.

use proptest::prelude::*;
use vtrial_pk::exposure::{AucMethod, AucSource, ExposureMetrics, Window, auc, auc_from_integral};
use vtrial_pk::{Dose, LinearParams, LinearPk, PkSystem, Record, RecordKind, Simulator, SteadyState, Structure};

const C0: f64 = 10.0;
const K: f64 = 0.2;

fn conc(t: f64) -> f64 {
    C0 * (-K * t).exp()
}

fn exact_auc(a: f64, b: f64) -> f64 {
    C0 / K * ((-K * a).exp() - (-K * b).exp())
}

fn profile(h: f64, end: f64) -> (Vec<f64>, Vec<f64>) {
    let n = (end / h).round() as usize;
    let times: Vec<f64> = (0..=n).map(|i| i as f64 * h).collect();
    let c = times.iter().map(|&t| conc(t)).collect();
    (times, c)
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn trapezoid_error_is_second_order() {
    let w = Window::new(0.0, 12.0).unwrap();
    let exact = exact_auc(0.0, 12.0);
    let err = |h: f64| {
        let (t, c) = profile(h, 12.0);
        auc(&t, &c, w, AucMethod::Linear).unwrap() - exact
    };
    let (e1, e2) = (err(0.5), err(0.25));
    assert!(e1 > 0.0 && e2 > 0.0, "the chord lies above a convex curve: {e1}, {e2}");
    assert!((e1 / e2 - 4.0).abs() < 0.05, "ratio {}", e1 / e2);
    // Euler–Maclaurin: h²/12 · (C'(T) − C'(0)) = h²/12 · k·C₀·(1 − e^{−kT}).
    let leading = 0.25_f64.powi(2) / 12.0 * K * C0 * (1.0 - (-K * 12.0_f64).exp());
    assert!(rel(e2, leading) < 0.01, "{e2} vs {leading}");
}

#[test]
fn log_down_is_exact_for_exponential_decay() {
    let (t, c) = profile(0.5, 24.0);
    for (a, b) in [(0.0, 24.0), (0.0, 12.0), (1.3, 10.7), (3.0, 3.2)] {
        let w = Window::new(a, b).unwrap();
        let got = auc(&t, &c, w, AucMethod::LinearUpLogDown).unwrap();
        assert!(rel(got, exact_auc(a, b)) < 1e-12, "[{a}, {b}]: {got} vs {}", exact_auc(a, b));
    }
    // The default method of the metrics is linear-up/log-down.
    let m = ExposureMetrics::from_profile(&t, &c, Window::new(0.0, 24.0).unwrap()).unwrap();
    assert_eq!(m.auc_source, AucSource::Profile(AucMethod::LinearUpLogDown));
    assert!(rel(m.auc, exact_auc(0.0, 24.0)) < 1e-12);
    assert!(rel(m.cavg, exact_auc(0.0, 24.0) / 24.0) < 1e-12);
}

#[test]
fn rising_segments_use_the_trapezoid_under_log_down() {
    // An infusion-like rise then a plateau: log-down changes nothing.
    let t = [0.0, 1.0, 2.0, 3.0];
    let c = [0.0, 2.0, 3.0, 3.0];
    let w = Window::new(0.0, 3.0).unwrap();
    let lin = auc(&t, &c, w, AucMethod::Linear).unwrap();
    assert_eq!(lin, 1.0 + 2.5 + 3.0);
    assert_eq!(auc(&t, &c, w, AucMethod::LinearUpLogDown).unwrap(), lin);
    // A decline to zero cannot use the log rule: the trapezoid is used.
    let w = Window::new(0.0, 2.0).unwrap();
    assert_eq!(auc(&[0.0, 2.0], &[4.0, 0.0], w, AucMethod::LinearUpLogDown).unwrap(), 4.0);
}

#[test]
fn integrator_auc_of_linear_pk_is_exact() {
    let (v, cl, dose, t_end) = (10.0, 2.0, 100.0, 12.0); // C₀ = 10, k = 0.2
    let mut pk = LinearPk::with_auc(Structure::OneCmt, LinearParams { cl, v, ..Default::default() }).unwrap();
    let idx = pk.auc_index().unwrap();
    let mut state = vec![dose, 0.0];
    let mut at_5 = f64::NAN;
    pk.advance(&mut state, 0.0, &[5.0, t_end], &[0.0, 0.0], |k, s| {
        if k == 0 {
            at_5 = s[idx];
        }
    })
    .unwrap();
    let whole = auc_from_integral(0.0, state[idx], v).unwrap();
    assert!(rel(whole, exact_auc(0.0, t_end)) < 1e-12, "{whole} vs {}", exact_auc(0.0, t_end));
    let part = auc_from_integral(at_5, state[idx], v).unwrap();
    assert!(rel(part, exact_auc(5.0, t_end)) < 1e-12, "{part} vs {}", exact_auc(5.0, t_end));
}

#[test]
fn steady_state_interval_auc_equals_dose_over_clearance() {
    // 100 mg IV q12h at steady state: AUC over one interval = F·Dose/CL = 50 mg·h/L.
    let (v, cl, dose, tau) = (10.0, 2.0, 100.0, 12.0);
    let mut model = [LinearPk::with_auc(Structure::OneCmt, LinearParams { cl, v, ..Default::default() }).unwrap()];
    let ss_dose = Dose { steady_state: SteadyState::Reset, ..Dose::bolus(0, dose).every(tau, 0) };
    let mut records = vec![Record { time: 0.0, kind: RecordKind::Dose(ss_dose), params: 0 }];
    let n = 96;
    records.extend((1..=n).map(|i| Record { time: tau * i as f64 / n as f64, kind: RecordKind::Observation, params: 0 }));
    let mut times = Vec::new();
    let mut concs = Vec::new();
    let mut integral = Vec::new();
    Simulator::default()
        .run(&mut model, &records, |i, s| {
            times.push(records[i].time);
            concs.push(s[0] / v);
            integral.push(s[1]);
        })
        .unwrap();
    let w = Window::new(0.0, tau).unwrap();
    let exact = auc_from_integral(integral[0], integral[n], v).unwrap();
    assert!(rel(exact, dose / cl) < 1e-12, "{exact}");
    let m = ExposureMetrics::from_profile(&times, &concs, w).unwrap();
    assert!(rel(m.auc, dose / cl) < 1e-12, "log-down on the sampled profile: {}", m.auc);
    let k = cl / v;
    let c_peak = dose / v / (1.0 - (-k * tau).exp());
    assert!(rel(m.cmax, c_peak) < 1e-12 && m.tmax == 0.0);
    assert!(rel(m.ctrough, c_peak * (-k * tau).exp()) < 1e-12);
    let m = m.with_exact_auc(exact);
    assert_eq!(m.auc_source, AucSource::Integral);
    assert!(rel(m.cavg, dose / cl / tau) < 1e-12);
}

#[test]
fn invalid_volume_or_integral_is_an_error() {
    assert!(auc_from_integral(0.0, 1.0, 0.0).unwrap_err().to_string().contains("volume scale 0"));
    assert!(auc_from_integral(0.0, 1.0, f64::NAN).is_err());
    assert!(auc_from_integral(f64::INFINITY, 1.0, 1.0).unwrap_err().to_string().contains("start"));
}

proptest! {
    #[test]
    fn log_down_is_exact_on_any_grid(
        c0 in 0.01..1e3_f64,
        k in 0.001..2.0_f64,
        mut gaps in proptest::collection::vec(0.001..3.0_f64, 2..40),
        frac in 0.0..1.0_f64,
    ) {
        gaps.insert(0, 0.0);
        let times: Vec<f64> = gaps.iter().scan(0.0, |t, g| { *t += g; Some(*t) }).collect();
        let conc: Vec<f64> = times.iter().map(|t| c0 * (-k * t).exp()).collect();
        let last = *times.last().unwrap();
        let (a, b) = (frac * last * 0.5, last);
        let got = auc(&times, &conc, Window::new(a, b).unwrap(), AucMethod::LinearUpLogDown).unwrap();
        let want = c0 / k * ((-k * a).exp() - (-k * b).exp());
        prop_assert!((got - want).abs() <= 1e-12 * want, "{} vs {}", got, want);
    }
}
