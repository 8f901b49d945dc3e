//! `ExposureMetrics::from_profile`: Cmax, Tmax, Cmin, Ctrough, Cavg on small hand-checked
//! profiles, jumps at dose times, the Bateman function's peak, and clear errors.
//!
//! Tolerances: exact (hand-computable) values compared with `==` or 1e-15 relative; the
//! Bateman peak from a grid of step h within h of the analytic Tmax and within |C″|·h²/4 of
//! Cmax.

use vtrial_pk::exposure::{AucMethod, ExposureError, ExposureMetrics, Window};

fn w(a: f64, b: f64) -> Window {
    Window::new(a, b).unwrap()
}

#[test]
fn metrics_of_a_small_profile() {
    let t = [0.0, 1.0, 2.0, 4.0, 8.0, 12.0];
    let c = [0.0, 6.0, 8.0, 8.0, 4.0, 2.0];
    let m = ExposureMetrics::from_profile_with(&t, &c, w(0.0, 12.0), AucMethod::Linear).unwrap();
    assert_eq!((m.cmax, m.tmax), (8.0, 2.0), "first time of the maximum");
    assert_eq!((m.cmin, m.tmin), (0.0, 0.0));
    assert_eq!(m.ctrough, 2.0);
    assert_eq!(m.auc, 3.0 + 7.0 + 16.0 + 24.0 + 12.0);
    assert_eq!(m.cavg, 62.0 / 12.0);
    // Log-down on the two declining segments: 4·4/ln 2 + 4·2/ln 2.
    let m = ExposureMetrics::from_profile(&t, &c, w(0.0, 12.0)).unwrap();
    let want = 3.0 + 7.0 + 16.0 + 24.0 / 2f64.ln();
    assert!((m.auc - want).abs() <= 1e-15 * want, "{} vs {want}", m.auc);
}

#[test]
fn window_ends_between_samples_are_interpolated() {
    let t = [0.0, 2.0, 4.0];
    let c = [0.0, 4.0, 2.0];
    let m = ExposureMetrics::from_profile_with(&t, &c, w(1.0, 3.0), AucMethod::Linear).unwrap();
    assert_eq!((m.cmax, m.tmax), (4.0, 2.0));
    assert_eq!((m.cmin, m.tmin), (2.0, 1.0));
    assert_eq!(m.ctrough, 3.0);
    assert_eq!(m.auc, 3.0 + 3.5);
    // Log-linear interpolation on the decline: C(3) = 4·(2/4)^{1/2}.
    let m = ExposureMetrics::from_profile(&t, &c, w(1.0, 3.0)).unwrap();
    assert!((m.ctrough - 8f64.sqrt()).abs() < 1e-15);
}

#[test]
fn a_time_sampled_twice_is_a_dose_the_window_starts_after_and_ends_before() {
    // Bolus at 0 and 12: pre-dose 2.5 and post-dose 12.5 both recorded at t = 12.
    let t = [0.0, 6.0, 12.0, 12.0, 18.0, 24.0];
    let c = [10.0, 5.0, 2.5, 12.5, 6.25, 3.125];
    let first = ExposureMetrics::from_profile(&t, &c, w(0.0, 12.0)).unwrap();
    assert_eq!(first.ctrough, 2.5, "trough: just before the next dose");
    assert_eq!((first.cmax, first.tmax), (10.0, 0.0));
    let second = ExposureMetrics::from_profile(&t, &c, w(12.0, 24.0)).unwrap();
    assert_eq!((second.cmax, second.tmax), (12.5, 12.0), "the window starts after its dose");
    assert_eq!(second.ctrough, 3.125);
    // Across the jump: both values count, the zero-width step adds no area.
    let both = ExposureMetrics::from_profile(&t, &c, w(0.0, 24.0)).unwrap();
    assert_eq!((both.cmax, both.tmax), (12.5, 12.0));
    assert!((both.auc - (first.auc + second.auc)).abs() < 1e-12);
}

#[test]
fn bateman_peak_from_a_grid_converges_to_the_analytic_tmax() {
    let (dose, v, ka, k) = (100.0, 20.0, 1.5, 0.1);
    let a = dose * ka / (v * (ka - k));
    let c = |t: f64| a * ((-k * t).exp() - (-ka * t).exp());
    let tmax = (ka / k).ln() / (ka - k);
    let cmax = c(tmax);
    let c2 = a * (k * k * (-k * tmax).exp() - ka * ka * (-ka * tmax).exp()); // C''(tmax) < 0
    let mut previous = f64::INFINITY;
    for h in [0.1, 0.01, 0.001] {
        let n = (24.0 / h) as usize;
        let times: Vec<f64> = (0..=n).map(|i| i as f64 * h).collect();
        let conc: Vec<f64> = times.iter().map(|&t| c(t)).collect();
        let m = ExposureMetrics::from_profile(&times, &conc, w(0.0, 24.0)).unwrap();
        assert!((m.tmax - tmax).abs() <= h, "h = {h}: tmax {} vs {tmax}", m.tmax);
        let gap = cmax - m.cmax;
        assert!(gap >= 0.0 && gap <= c2.abs() * h * h / 4.0, "h = {h}: cmax {} vs {cmax}", m.cmax);
        assert!(gap <= previous);
        previous = gap;
    }
}

#[test]
fn errors_say_what_is_wrong() {
    let t = [0.0, 1.0, 2.0];
    let c = [1.0, 2.0, 3.0];
    let err = |t: &[f64], c: &[f64], a: f64, b: f64| ExposureMetrics::from_profile(t, c, Window { start: a, end: b }).unwrap_err();
    assert_eq!(err(&t, &c, 1.0, 1.0), ExposureError::EmptyWindow { start: 1.0, end: 1.0 });
    assert!(matches!(err(&t, &c, 2.0, 1.0), ExposureError::EmptyWindow { .. }));
    assert!(matches!(err(&t, &c, f64::NAN, 1.0), ExposureError::EmptyWindow { .. }));
    assert!(Window::new(0.0, 0.0).is_err());
    assert_eq!(err(&t, &c[..2], 0.0, 1.0), ExposureError::LengthMismatch { times: 3, concentrations: 2 });
    assert_eq!(err(&[0.0, 2.0, 1.0], &c, 0.0, 1.0), ExposureError::Unsorted { index: 2, time: 1.0, previous: 2.0 });
    let e = err(&t, &[1.0, f64::NAN, 3.0], 0.0, 1.0);
    assert!(matches!(e, ExposureError::NonFinite { index: 1, what: "concentration", .. }), "{e:?}");
    assert!(matches!(err(&[0.0, f64::INFINITY], &[1.0, 1.0], 0.0, 1.0), ExposureError::NonFinite { index: 1, what: "time", .. }));
    let e = err(&t, &c, 0.5, 3.0);
    assert_eq!(e, ExposureError::OutsideProfile { start: 0.5, end: 3.0, first: 0.0, last: 2.0 });
    assert_eq!(e.to_string(), "window [0.5, 3] is not within the sampled times [0, 2]; sample both ends of the window");
    assert!(matches!(err(&[], &[], 0.0, 1.0), ExposureError::OutsideProfile { .. }));
    assert_eq!(
        err(&[0.0, 2.0, 1.0], &c, 0.0, 1.0).to_string(),
        "sample 2: time 1 is before the previous sample's time 2; sort samples by time"
    );
}
