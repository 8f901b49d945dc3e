//! Time above a threshold, from samples (resolution-limited) and from the function itself
//! (exact), and the exact peak.
//!
//! Tolerances: the exact methods to 1e-9 relative of closed forms (crossings of
//! `C₀·e^{−kt}` at `ln(C₀/thr)/k`; the Bateman peak at `ln(ka/k)/(ka − k)`, Tmax to 1e-7
//! relative since a smooth maximum is flat, Cmax to 1e-14); the sampled method's error
//! positive (the chord lies above a convex decline) and within the linear-interpolation
//! bound `h²·k/8` (+5 % for higher-order terms).

use vtrial_pk::exposure::{ExposureError, Window, peak_exact, time_above, time_above_exact};

const C0: f64 = 10.0;
const K: f64 = 0.2;

fn decay(t: f64) -> f64 {
    C0 * (-K * t).exp()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn exact_time_above_for_exponential_decay() {
    let w = Window::new(0.0, 24.0).unwrap();
    for thr in [0.1, 3.0, 9.99] {
        let want = (C0 / thr).ln() / K;
        for grid in [w.grid(1), w.grid(24), w.grid(1000)] {
            let got = time_above_exact(thr, w, decay, &grid).unwrap();
            assert!(rel(got, want) < 1e-9, "threshold {thr}, {} grid points: {got} vs {want}", grid.len());
        }
    }
    assert_eq!(time_above_exact(20.0, w, decay, &w.grid(4)).unwrap(), 0.0);
    assert_eq!(time_above_exact(0.01, w, decay, &w.grid(4)).unwrap(), 24.0);
}

#[test]
fn exact_time_above_across_a_dose_jump() {
    // Two boluses, at 0 and 12: C(t) = C₀e^{−kt} + [t ≥ 12]·C₀e^{−k(t−12)}.
    let c = |t: f64| decay(t) + if t >= 12.0 { decay(t - 12.0) } else { 0.0 };
    let thr = 3.0;
    let first = (C0 / thr).ln() / K;
    let second = (C0 * (1.0 + (12.0 * K).exp()) / thr).ln() / K - 12.0;
    let w = Window::new(0.0, 24.0).unwrap();
    for grid in [w.grid(24), w.grid(7)] {
        let got = time_above_exact(thr, w, c, &grid).unwrap();
        assert!(rel(got, first + second) < 1e-9, "{} grid points: {got} vs {}", grid.len(), first + second);
    }
}

#[test]
fn exact_time_above_for_the_bateman_function() {
    let (a, ka, k) = (100.0 * 1.5 / (20.0 * 1.4), 1.5, 0.1);
    let c = |t: f64| a * ((-k * t).exp() - (-ka * t).exp());
    let thr = 2.0;
    // Independent crossings by plain bisection on either side of the peak.
    let tmax = (ka / k).ln() / (ka - k);
    let bisect = |mut lo: f64, mut hi: f64, rising: bool| {
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if (c(mid) > thr) == rising { hi = mid } else { lo = mid }
        }
        0.5 * (lo + hi)
    };
    let want = bisect(tmax, 48.0, false) - bisect(0.0, tmax, true);
    let w = Window::new(0.0, 48.0).unwrap();
    let got = time_above_exact(thr, w, c, &w.grid(48)).unwrap();
    assert!(rel(got, want) < 1e-9, "{got} vs {want}");
}

#[test]
fn sampled_time_above_is_resolution_limited() {
    let w = Window::new(0.0, 24.0).unwrap();
    let thr = 3.0;
    let want = (C0 / thr).ln() / K;
    let err = |h: f64| {
        let n = (24.0 / h) as usize;
        let t: Vec<f64> = (0..=n).map(|i| i as f64 * h).collect();
        let c: Vec<f64> = t.iter().map(|&t| decay(t)).collect();
        time_above(&t, &c, w, thr).unwrap() - want
    };
    // Linear interpolation misplaces a crossing at relative position θ of a cell by
    // θ(1 − θ)·h²·C″/(2|C′|) ≤ h²·k/8 for this decline (C″/|C′| = k), always late.
    for h in [0.5, 0.25, 0.1] {
        let e = err(h);
        assert!(e > 0.0 && e <= 1.05 * h * h * K / 8.0, "h = {h}: error {e}");
    }
    // Crossings exactly on samples.
    assert_eq!(time_above(&[0.0, 1.0, 2.0, 3.0], &[0.0, 2.0, 2.0, 0.0], Window::new(0.0, 3.0).unwrap(), 1.0).unwrap(), 2.0);
}

#[test]
fn exact_peak_of_the_bateman_function() {
    let (dose, v, ka, k) = (100.0, 20.0, 1.5, 0.1);
    let a = dose * ka / (v * (ka - k));
    let c = |t: f64| a * ((-k * t).exp() - (-ka * t).exp());
    let tmax = (ka / k).ln() / (ka - k);
    let w = Window::new(0.0, 24.0).unwrap();
    for n in [6, 24, 240] {
        let (t, cmax) = peak_exact(w, c, &w.grid(n)).unwrap();
        assert!(rel(t, tmax) < 1e-7, "{n} cells: tmax {t} vs {tmax}");
        assert!(rel(cmax, c(tmax)) < 1e-14, "{n} cells: cmax {cmax} vs {}", c(tmax));
    }
    // A monotone decline peaks at the window's start.
    assert_eq!(peak_exact(w, decay, &w.grid(10)).unwrap(), (0.0, C0));
}

#[test]
fn exact_methods_report_bad_input() {
    let w = Window::new(0.0, 1.0).unwrap();
    let e = time_above_exact(1.0, w, |t| if t > 0.5 { f64::NAN } else { 1.0 }, &w.grid(4)).unwrap_err();
    assert!(matches!(e, ExposureError::NonFiniteFunction { time: 0.75, value } if value.is_nan()), "{e:?}");
    assert_eq!(e.to_string(), "the concentration function is NaN at time 0.75: not a finite number");
    assert!(matches!(time_above_exact(f64::NAN, w, decay, &[]), Err(ExposureError::InvalidThreshold { .. })));
    assert!(matches!(time_above_exact(1.0, w, decay, &[0.5, 0.2]), Err(ExposureError::Unsorted { index: 1, .. })));
    assert!(matches!(peak_exact(Window { start: 1.0, end: 0.0 }, decay, &[]), Err(ExposureError::EmptyWindow { .. })));
}
