//! The primary two-arm comparison of each trial: Welch's t-test (continuous), the difference
//! in proportions (binary) and the log-rank test (time to event), with the distribution
//! functions they need. The estimate is always treatment minus control (for the log-rank
//! test: Peto's log hazard ratio (O−E)/V, treatment versus control).

/// The result of a comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// Treatment effect estimate.
    pub estimate: f64,
    /// Its standard error.
    pub std_error: f64,
    /// Test statistic (t or z), treatment minus control.
    pub statistic: f64,
    /// Degrees of freedom (Welch), infinite for z tests.
    pub df: f64,
    /// p-value (one- or two-sided as asked).
    pub p_value: f64,
}

/// Sidedness and direction of the test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sides {
    /// 1 or 2.
    pub sided: u8,
    /// For one-sided tests: lower values (negative statistics) favour treatment.
    pub lower_is_better: bool,
}

impl Sides {
    /// The p-value of a statistic whose null CDF is `cdf`.
    fn p(&self, statistic: f64, cdf: impl Fn(f64) -> f64) -> f64 {
        if !statistic.is_finite() {
            return f64::NAN;
        }
        match (self.sided, self.lower_is_better) {
            (2, _) => (2.0 * cdf(-statistic.abs())).min(1.0),
            (_, true) => cdf(statistic),
            (_, false) => cdf(-statistic),
        }
    }
}

/// Welch's unequal-variance t-test of `treatment` versus `control`.
pub fn welch(control: &[f64], treatment: &[f64], sides: Sides) -> Option<Comparison> {
    let (n1, n2) = (control.len() as f64, treatment.len() as f64);
    if n1 < 2.0 || n2 < 2.0 {
        return None;
    }
    let (m1, v1) = mean_var(control);
    let (m2, v2) = mean_var(treatment);
    let (a, b) = (v1 / n1, v2 / n2);
    let se = (a + b).sqrt();
    if se == 0.0 {
        return None;
    }
    let t = (m2 - m1) / se;
    let df = (a + b).powi(2) / (a * a / (n1 - 1.0) + b * b / (n2 - 1.0));
    Some(Comparison { estimate: m2 - m1, std_error: se, statistic: t, df, p_value: sides.p(t, |x| student_t_cdf(x, df)) })
}

/// Difference in proportions `k2/n2 − k1/n1` (treatment − control), z test with the pooled
/// proportion under the null.
pub fn proportions(k1: usize, n1: usize, k2: usize, n2: usize, sides: Sides) -> Option<Comparison> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (p1, p2) = (k1 as f64 / n1 as f64, k2 as f64 / n2 as f64);
    let pooled = (k1 + k2) as f64 / (n1 + n2) as f64;
    let se0 = (pooled * (1.0 - pooled) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
    if se0 == 0.0 {
        return None;
    }
    let se = (p1 * (1.0 - p1) / n1 as f64 + p2 * (1.0 - p2) / n2 as f64).sqrt();
    let z = (p2 - p1) / se0;
    Some(Comparison { estimate: p2 - p1, std_error: se, statistic: z, df: f64::INFINITY, p_value: sides.p(z, normal_cdf) })
}

/// The log-rank test. `subjects`: (time, event observed, is treatment). The statistic is
/// Z = (O − E)/√V for the treatment group, so Z < 0 means fewer events on treatment.
pub fn log_rank(subjects: &mut [(f64, bool, bool)], sides: Sides) -> Option<Comparison> {
    subjects.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut at_risk = subjects.len() as f64;
    let mut at_risk_t = subjects.iter().filter(|s| s.2).count() as f64;
    let (mut o_minus_e, mut var) = (0.0, 0.0);
    let mut i = 0;
    while i < subjects.len() {
        let t = subjects[i].0;
        let (mut d, mut d_t, mut leave, mut leave_t) = (0.0, 0.0, 0.0, 0.0);
        while i < subjects.len() && subjects[i].0 == t {
            let (_, event, treat) = subjects[i];
            if event {
                d += 1.0;
                if treat {
                    d_t += 1.0;
                }
            }
            leave += 1.0;
            if treat {
                leave_t += 1.0;
            }
            i += 1;
        }
        if d > 0.0 {
            o_minus_e += d_t - d * at_risk_t / at_risk;
            if at_risk > 1.0 {
                var += d * (at_risk_t / at_risk) * (1.0 - at_risk_t / at_risk) * (at_risk - d) / (at_risk - 1.0);
            }
        }
        at_risk -= leave;
        at_risk_t -= leave_t;
    }
    if var <= 0.0 {
        return None;
    }
    let z = o_minus_e / var.sqrt();
    Some(Comparison { estimate: o_minus_e / var, std_error: 1.0 / var.sqrt(), statistic: z, df: f64::INFINITY, p_value: sides.p(z, normal_cdf) })
}

/// Mean and unbiased variance.
pub fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = if x.len() > 1 { x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0) } else { f64::NAN };
    (m, v)
}

/// Standard normal CDF, via erfc (W. J. Cody's rational approximations are not needed at
/// this precision: the complementary error function below is accurate to ~1e-14).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// The complementary error function, by its continued fraction for |x| > 2 and its
/// Taylor series otherwise.
pub fn erfc(x: f64) -> f64 {
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 2.0 {
        // erf by its Maclaurin series.
        let mut term = x;
        let mut sum = x;
        let x2 = x * x;
        for n in 1..200 {
            term *= -x2 / n as f64;
            let add = term / (2 * n + 1) as f64;
            sum += add;
            if add.abs() < 1e-17 * sum.abs() {
                break;
            }
        }
        1.0 - sum * 2.0 / std::f64::consts::PI.sqrt()
    } else {
        // Lentz's method for erfc(x) = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))).
        let tiny = 1e-300;
        let mut f = x;
        let (mut c, mut d) = (x, 0.0);
        for n in 1..500 {
            let a = n as f64 / 2.0;
            d = x + a * d;
            d = if d.abs() < tiny { tiny } else { d };
            c = x + a / c;
            c = if c.abs() < tiny { tiny } else { c };
            d = 1.0 / d;
            let delta = c * d;
            f *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        (-x * x).exp() / std::f64::consts::PI.sqrt() / f
    }
}

/// Student's t CDF with `df` degrees of freedom (via the regularised incomplete beta).
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    if df.is_infinite() {
        return normal_cdf(t);
    }
    let x = df / (df + t * t);
    let tail = 0.5 * incomplete_beta(df / 2.0, 0.5, x);
    if t > 0.0 { 1.0 - tail } else { tail }
}

/// ln Γ(x), Lanczos approximation (g = 7, n = 9), relative error ~1e-15.
pub fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularised incomplete beta function I_x(a, b), by its continued fraction.
pub fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front = (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    let tiny = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    d = if d.abs() < tiny { tiny } else { d };
    d = 1.0 / d;
    let mut h = d;
    for m in 1..1000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < tiny { tiny } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < tiny { tiny } else { c };
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: Sides = Sides { sided: 2, lower_is_better: true };

    #[test]
    fn distribution_functions_match_tables() {
        assert!((normal_cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-14);
        assert!((normal_cdf(-3.0) - 0.001_349_898_031_630_094_6).abs() < 1e-15);
        assert!((normal_cdf(-8.0) - 6.220_960_574_271_785e-16).abs() < 1e-25);
        // R: pt(2, 10) = 0.963305982614; pt(-1.5, 3.7) = 0.1036
        assert!((student_t_cdf(2.0, 10.0) - 0.963_305_982_614_320_5).abs() < 1e-12);
        assert!((student_t_cdf(0.0, 4.3) - 0.5).abs() < 1e-15);
        assert!((ln_gamma(10.0) - 362_880f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn welch_matches_hand_computation() {
        let c = [1.0, 2.0, 3.0, 4.0];
        let t = [2.0, 4.0, 6.0, 8.0, 10.0];
        let r = welch(&c, &t, TWO).unwrap();
        // means 2.5 and 6, variances 5/3 and 10: se = sqrt(5/12 + 2) = 1.5546
        assert!((r.estimate - 3.5).abs() < 1e-12);
        assert!((r.std_error - (5.0f64 / 12.0 + 2.0).sqrt()).abs() < 1e-12);
        let a: f64 = 5.0 / 12.0;
        let df = (a + 2.0).powi(2) / (a * a / 3.0 + 4.0 / 4.0);
        assert!((r.df - df).abs() < 1e-12);
        assert!((r.p_value - 2.0 * student_t_cdf(-r.statistic, df)).abs() < 1e-15);
        // One-sided in the direction of the effect halves the p-value.
        let one = welch(&c, &t, Sides { sided: 1, lower_is_better: false }).unwrap();
        assert!((one.p_value - r.p_value / 2.0).abs() < 1e-15);
    }

    #[test]
    fn proportions_z_test() {
        let r = proportions(20, 100, 35, 100, TWO).unwrap();
        let p = 0.275f64;
        let z = 0.15 / (p * (1.0 - p) * 0.02).sqrt();
        assert!((r.statistic - z).abs() < 1e-12);
        assert!((r.p_value - 2.0 * normal_cdf(-z)).abs() < 1e-14);
    }

    #[test]
    fn log_rank_tiny_example_by_hand() {
        // Control dies at 1, treatment at 2: O−E = −0.5, V = 0.25, Z = −1, χ² p = 0.3173.
        let mut s = [(1.0, true, false), (2.0, true, true)];
        let r = log_rank(&mut s, TWO).unwrap();
        assert!((r.statistic + 1.0).abs() < 1e-12);
        assert!((r.p_value - 0.317_310_507_862_914_1).abs() < 1e-12);
        // Censoring at the event time: the censored subject is still at risk.
        let mut s = [(1.0, true, false), (1.0, false, true), (3.0, true, true)];
        let r = log_rank(&mut s, TWO).unwrap();
        // t=1: 3 at risk (2 treated), O−E = −2/3, V = 2/9; t=3: one at risk, no information.
        assert!((r.statistic + 2f64.sqrt()).abs() < 1e-12);
    }
}
