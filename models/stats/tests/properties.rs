//! Property tests: p-values in [0, 1], CIs contain the estimate, symmetry under swapping
//! arms, agreement of one- and two-sided p-values, monotone adjustments.

use proptest::prelude::*;
use vtrial_stats::binary::{PropCi, chi_square, diff_proportions, fisher_exact};
use vtrial_stats::continuous::welch_t;
use vtrial_stats::dist::{normal, t};
use vtrial_stats::multiplicity::{Adjustment, adjust};
use vtrial_stats::survival::{cox_efron, logrank};
use vtrial_stats::{Hypothesis, Sided, TestResult};

fn sane(r: &TestResult) {
    assert!((0.0..=1.0).contains(&r.p_value), "p = {}", r.p_value);
    assert!(
        r.ci.0 <= r.estimate + 1e-12 && r.estimate <= r.ci.1 + 1e-12,
        "{r:?}"
    );
}

const TWO: Hypothesis = Hypothesis {
    alpha: 0.05,
    sided: Sided::Two,
    margin: 0.0,
    direction: vtrial_stats::Direction::HigherIsBetter,
};

proptest! {
    #[test]
    fn welch_is_sane_and_antisymmetric(a in prop::collection::vec(-10.0f64..10.0, 2..30), b in prop::collection::vec(-10.0f64..10.0, 2..30)) {
        if let (Ok(r), Ok(s)) = (welch_t(&a, &b, &TWO), welch_t(&b, &a, &TWO)) {
            sane(&r);
            prop_assert!((r.p_value - s.p_value).abs() < 1e-12);
            prop_assert!((r.estimate + s.estimate).abs() < 1e-12);
            let up = welch_t(&a, &b, &Hypothesis::superiority(0.05, Sided::OneUpper)).unwrap();
            let lo = welch_t(&a, &b, &Hypothesis::superiority(0.05, Sided::OneLower)).unwrap();
            prop_assert!((up.p_value + lo.p_value - 1.0).abs() < 1e-12);
            prop_assert!((2.0 * up.p_value.min(lo.p_value) - r.p_value).abs() < 1e-12);
        }
    }

    #[test]
    fn two_by_two_tests_are_sane_and_symmetric(x1 in 0u64..30, n1 in 1u64..30, x0 in 0u64..30, n0 in 1u64..30) {
        let (x1, x0) = (x1.min(n1), x0.min(n0));
        let f = fisher_exact(x1, n1, x0, n0, &TWO).unwrap();
        let g = fisher_exact(x0, n0, x1, n1, &TWO).unwrap();
        sane(&f);
        prop_assert!((f.p_value - g.p_value).abs() < 1e-9);
        let up = fisher_exact(x1, n1, x0, n0, &Hypothesis::superiority(0.05, Sided::OneUpper)).unwrap();
        let lo = fisher_exact(x1, n1, x0, n0, &Hypothesis::superiority(0.05, Sided::OneLower)).unwrap();
        // P(X ≥ x) + P(X ≤ x) = 1 + P(X = x), and the two-sided p-value is at least the smaller tail's.
        prop_assert!(up.p_value + lo.p_value >= 1.0 - 1e-12);
        prop_assert!(f.p_value >= up.p_value.min(lo.p_value) - 1e-12);
        for yates in [false, true] {
            if let Ok(c) = chi_square(x1, n1, x0, n0, yates, &TWO) {
                sane(&c);
                let d = chi_square(x0, n0, x1, n1, yates, &TWO).unwrap();
                prop_assert!((c.statistic - d.statistic).abs() < 1e-9);
            }
        }
        for ci in [PropCi::Wald, PropCi::Newcombe] {
            if let Ok(r) = diff_proportions(x1, n1, x0, n0, ci, &TWO) {
                sane(&r);
                prop_assert!(r.ci.0 >= -1.0 - 1e-12 || ci == PropCi::Wald);
                prop_assert!(r.ci.1 <= 1.0 + 1e-12 || ci == PropCi::Wald);
            }
        }
    }

    /// The Newcombe test is the interval's inversion: `p < α` exactly when the level-α
    /// interval excludes δ0, and at level `p` the interval's bound sits on δ0.
    #[test]
    fn newcombe_p_values_agree_with_the_interval(x1 in 0u64..60, n1 in 1u64..60, x0 in 0u64..60, n0 in 1u64..60, alpha in 0.001f64..0.3, margin in 0.0f64..0.3) {
        let (x1, x0) = (x1.min(n1), x0.min(n0));
        let hypotheses = [
            Hypothesis::superiority(alpha, Sided::Two),
            Hypothesis::superiority(alpha, Sided::OneUpper),
            Hypothesis::superiority(alpha, Sided::OneLower),
            Hypothesis::non_inferiority(alpha, margin, vtrial_stats::Direction::HigherIsBetter),
            Hypothesis::non_inferiority(alpha, margin, vtrial_stats::Direction::LowerIsBetter),
        ];
        for h in hypotheses {
            let Ok(r) = diff_proportions(x1, n1, x0, n0, PropCi::Newcombe, &h) else { continue };
            sane(&r);
            if (r.p_value - alpha).abs() > 1e-9 {
                prop_assert_eq!(r.decision, r.p_value < alpha, "{:?} {:?}", h, r);
            }
            // (Above 1e-6: below it 1 − p/2 loses the digits the quantile needs.)
            if r.p_value > 1e-6 && r.p_value < 0.5 {
                let at_p = diff_proportions(x1, n1, x0, n0, PropCi::Newcombe, &Hypothesis { alpha: r.p_value, ..h }).unwrap();
                let d0 = h.null_value();
                let gap = (at_p.ci.0 - d0).abs().min((at_p.ci.1 - d0).abs());
                prop_assert!(gap < 1e-8, "{:?}: interval at level p {:?} vs δ0 {}", h, at_p.ci, d0);
            }
        }
    }

    #[test]
    fn logrank_and_cox_agree_in_sign(times in prop::collection::vec(0.1f64..10.0, 10..40), seed in 0u64..1000) {
        let n = times.len();
        let events: Vec<bool> = (0..n).map(|i| !(i as u64 + seed).is_multiple_of(4)).collect();
        let trt: Vec<bool> = (0..n).map(|i| i % 2 == 0).collect();
        if let (Ok((l, _)), Ok((c, _))) = (logrank(&times, &events, &trt, None, &TWO), cox_efron(&times, &events, &trt, &[], None, &TWO)) {
            sane(&l);
            sane(&c);
            if l.estimate.abs() > 1e-9 {
                prop_assert_eq!(l.estimate.signum(), c.estimate.signum());
            }
            // Swapping arms flips the sign.
            let other: Vec<bool> = trt.iter().map(|t| !t).collect();
            let (l2, _) = logrank(&times, &events, &other, None, &TWO).unwrap();
            prop_assert!((l.statistic + l2.statistic).abs() < 1e-9);
        }
    }

    #[test]
    fn adjustments_are_ordered(p in prop::collection::vec(0.0f64..1.0, 1..8)) {
        let b = adjust(&p, Adjustment::Bonferroni);
        let h = adjust(&p, Adjustment::Holm);
        let hb = adjust(&p, Adjustment::Hochberg);
        for i in 0..p.len() {
            prop_assert!(p[i] <= hb[i] + 1e-15 && hb[i] <= h[i] + 1e-15 && h[i] <= b[i] + 1e-15);
            prop_assert!(b[i] <= 1.0);
        }
    }

    #[test]
    fn quantiles_invert_cdfs(p in 1e-6f64..(1.0 - 1e-6), df in 1.0f64..200.0) {
        prop_assert!((normal::cdf(normal::quantile(p)) - p).abs() < 1e-13);
        prop_assert!((t::cdf(t::quantile(p, df), df) - p).abs() < 1e-11);
    }
}
