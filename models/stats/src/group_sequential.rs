//! Group-sequential designs: efficacy boundaries from Lan–DeMets alpha-spending functions.
//!
//! A trial analysed at information fractions `0 < t₁ < … < t_K = 1` stops for efficacy at the
//! first look whose standardised statistic `Z_k` reaches `c_k`. Under H0 the `Z_k` are
//! jointly normal with `cov(Z_j, Z_k) = √(t_j/t_k)` (Jennison & Turnbull, *Group Sequential
//! Methods with Applications to Clinical Trials*, 2000, §3.4); `c_k` is chosen so that the
//! probability of stopping at look `k` under H0 is `α(t_k) − α(t_{k−1})`, the alpha that the
//! spending function releases there (Lan & DeMets, Biometrika 70, 659–663, 1983).
//!
//! The crossing probabilities are computed by the recursive numerical integration of
//! Armitage, McPherson & Rowe (1969) on the grid of Jennison & Turnbull §19.2 (the one
//! gsDesign and rpact use: `6r − 1` points, `r = 18` by default, with Simpson's rule), so
//! boundaries agree with theirs to about 1e-6 in z. Boundaries here are one-sided; a
//! two-sided symmetric test uses the one-sided boundaries at `α/2` on `|Z|` (the chance of
//! crossing both ways is neglected, as rpact's and gsDesign's two-sided symmetric designs do
//! to within 1e-9 at the usual alphas).
//!
//! ```
//! use vtrial_stats::group_sequential::{efficacy_bounds, Spending};
//! // O'Brien–Fleming-type spending, looks at half and all of the information.
//! let b = efficacy_bounds(0.025, &[0.5, 1.0], Spending::OBrienFleming).unwrap();
//! assert!((b.z[0] - 2.9626).abs() < 1e-3 && (b.z[1] - 1.9686).abs() < 1e-3);
//! ```

use crate::StatsError;
use crate::dist::normal;

/// An alpha-spending function `α(t)` of the information fraction `t` (Lan–DeMets family).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Spending {
    /// O'Brien–Fleming type: `α(t) = 2 − 2Φ(z_{1−α/2}/√t)` (one-sided `α`). Spends little
    /// early; the final boundary is close to the fixed design's.
    OBrienFleming,
    /// Pocock type: `α(t) = α·ln(1 + (e − 1)t)`. Nearly constant boundaries.
    Pocock,
    /// Hwang–Shih–DeCani: `α(t) = α(1 − e^{−γt})/(1 − e^{−γ})` (`γ = 0`: linear, `α·t`);
    /// `γ = −4` is close to O'Brien–Fleming, `γ = 1` to Pocock.
    HwangShihDeCani(f64),
}

impl Spending {
    /// Cumulative alpha spent by information fraction `t` (0 ≤ t ≤ 1), for one-sided `alpha`.
    pub fn spent(self, alpha: f64, t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        let t = t.min(1.0);
        match self {
            Spending::OBrienFleming => 2.0 * normal::sf(normal::quantile(1.0 - alpha / 2.0) / t.sqrt()),
            Spending::Pocock => alpha * (1.0 + (std::f64::consts::E - 1.0) * t).ln(),
            Spending::HwangShihDeCani(g) if g.abs() < 1e-12 => alpha * t,
            Spending::HwangShihDeCani(g) => alpha * (1.0 - (-g * t).exp()) / (1.0 - (-g).exp()),
        }
    }

    /// The name as scenario files write it (`obrien_fleming`, `pocock`, `hsd(-4)`).
    pub fn name(self) -> String {
        match self {
            Spending::OBrienFleming => "obrien_fleming".into(),
            Spending::Pocock => "pocock".into(),
            Spending::HwangShihDeCani(g) => format!("hsd({g})"),
        }
    }

    /// Parses [`Spending::name`]'s forms; the error says what is accepted.
    pub fn parse(text: &str) -> Result<Spending, String> {
        let t: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
        match t.as_str() {
            "obrien_fleming" | "obf" => return Ok(Spending::OBrienFleming),
            "pocock" => return Ok(Spending::Pocock),
            _ => {}
        }
        if let Some(g) = t.strip_prefix("hsd(").and_then(|r| r.strip_suffix(')')) {
            if let Ok(g) = g.parse::<f64>() {
                if g.is_finite() && (-40.0..=40.0).contains(&g) {
                    return Ok(Spending::HwangShihDeCani(g));
                }
            }
        }
        Err(format!("{text:?}: use obrien_fleming, pocock or hsd(GAMMA) with GAMMA from -40 to 40 (e.g. hsd(-4))"))
    }
}

/// Efficacy boundaries of a one-sided group-sequential test.
#[derive(Debug, Clone, PartialEq)]
pub struct Bounds {
    /// Information fractions of the looks (the last is 1).
    pub information: Vec<f64>,
    /// Critical values on the z scale: stop for efficacy at look `k` when `Z_k ≥ z[k]`.
    pub z: Vec<f64>,
    /// The same as one-sided nominal p-values, `1 − Φ(z[k])`.
    pub nominal_p: Vec<f64>,
    /// Cumulative alpha spent by each look.
    pub cumulative_alpha: Vec<f64>,
}

/// Grid size parameter of Jennison & Turnbull's integration grid (`6r − 1` points).
const GRID_R: usize = 18;

/// Efficacy boundaries for one-sided level `alpha` at the looks `information` (strictly
/// increasing fractions in (0, 1], the last equal to 1).
pub fn efficacy_bounds(alpha: f64, information: &[f64], spending: Spending) -> Result<Bounds, StatsError> {
    if !(alpha > 0.0 && alpha < 0.5) {
        return Err(StatsError::InvalidArgument(format!("one-sided alpha {alpha} must be in (0, 0.5)")));
    }
    check_information(information)?;
    if let Spending::HwangShihDeCani(g) = spending {
        if !g.is_finite() {
            return Err(StatsError::InvalidArgument(format!("hsd gamma {g} must be finite")));
        }
    }
    let mut z = Vec::with_capacity(information.len());
    let mut cumulative = Vec::with_capacity(information.len());
    let mut paths = Recursion::new(0.0);
    let mut spent_before = 0.0;
    for (k, &t) in information.iter().enumerate() {
        let spent = spending.spent(alpha, t).max(spent_before);
        let target = spent - spent_before;
        // Nothing left to spend (flat spending): the boundary is out of reach.
        let c = if target <= 1e-15 { f64::INFINITY } else { solve_boundary(&|c| paths.exit(t, c), target) };
        z.push(c);
        cumulative.push(spent);
        spent_before = spent;
        if k + 1 < information.len() {
            paths.advance(t, c);
        }
    }
    let nominal_p = z.iter().map(|&c| normal::sf(c)).collect();
    Ok(Bounds { information: information.to_vec(), z, nominal_p, cumulative_alpha: cumulative })
}

/// The probability under H0 of stopping at each look for efficacy with the boundaries `z`
/// (a check of [`efficacy_bounds`], and the level of any given boundaries).
pub fn crossing_probabilities(information: &[f64], z: &[f64]) -> Result<Vec<f64>, StatsError> {
    crossing_probabilities_with_drift(information, z, 0.0)
}

/// The probability of stopping at each look for efficacy when the statistic at full
/// information has mean `drift` (`Z_k ~ N(drift·√t_k, 1)`): the power of the design is their
/// sum. For a difference in means `δ` with SD `σ` and `n` per arm at the end, `drift =
/// δ/(σ√(2/n))`.
pub fn crossing_probabilities_with_drift(information: &[f64], z: &[f64], drift: f64) -> Result<Vec<f64>, StatsError> {
    check_information(information)?;
    if z.len() != information.len() {
        return Err(StatsError::LengthMismatch("information fractions and boundaries"));
    }
    if !drift.is_finite() {
        return Err(StatsError::InvalidArgument(format!("drift {drift} must be finite")));
    }
    let mut out = Vec::with_capacity(z.len());
    let mut paths = Recursion::new(drift);
    for (k, (&t, &c)) in information.iter().zip(z).enumerate() {
        out.push(paths.exit(t, c));
        if k + 1 < information.len() {
            paths.advance(t, c);
        }
    }
    Ok(out)
}

/// The stage-wise ordering p-value (Armitage 1957; Jennison & Turnbull 2000, §8.4) of a
/// one-sided group-sequential test that stopped at look `k` (0-based) with statistic `z`
/// on the boundaries' scale: the null probability of stopping for efficacy at an earlier
/// look, or of reaching look `k` with a statistic at least `z`. Futility boundaries are
/// non-binding and ignored. At `z = bounds[k]` it is the alpha spent by look `k`, so it is
/// at most the design's alpha exactly when the trial stopped for efficacy; under the null,
/// and when trials do not stop for futility, it is uniform.
pub fn stagewise_p_value(information: &[f64], bounds: &[f64], k: usize, z: f64) -> Result<f64, StatsError> {
    check_stop(information, bounds, k, z.is_nan(), z)?;
    // ±∞ (a p-value of 0 or 1) as far out as matters.
    Ok(stagewise_tail(information, bounds, k, if z.is_infinite() { z.clamp(-40.0, 40.0) } else { z }, 0.0))
}

/// Checks the design and the stop given to the stage-wise functions (`bad`: the statistic
/// or another argument is out of range).
fn check_stop(information: &[f64], bounds: &[f64], k: usize, bad: bool, z: f64) -> Result<(), StatsError> {
    check_information(information)?;
    if bounds.len() != information.len() {
        return Err(StatsError::LengthMismatch("information fractions and boundaries"));
    }
    if k >= information.len() || bad {
        return Err(StatsError::InvalidArgument(format!("look {k} of {} with statistic {z}", information.len())));
    }
    Ok(())
}

/// The probability under mean `m` of the look-`k` statistic (`Z_j ~ N(m·√(t_j/t_k), 1)`)
/// of an outcome at least as extreme as stopping at look `k` with `z` in the stage-wise
/// ordering (increasing in `m`; at `m = 0` the [`stagewise_p_value`]). Under the null only
/// the ratios of the information fractions matter, and with the mean of `Z_k` as the drift
/// the same holds: look `k` becomes the last, at fraction 1.
fn stagewise_tail(information: &[f64], bounds: &[f64], k: usize, z: f64, m: f64) -> f64 {
    let scaled: Vec<f64> = information[..=k].iter().map(|t| t / information[k]).collect();
    let mut paths = Recursion::new(m);
    let mut total = 0.0;
    for (j, &t) in scaled.iter().enumerate() {
        let c = if j < k { bounds[j] } else { z };
        total += paths.exit(t, c);
        if j < k {
            paths.advance(t, c);
        }
    }
    total.clamp(0.0, 1.0)
}

/// Stage-wise ordering inference on the mean of the statistic at the stopping look `k`
/// (Jennison & Turnbull 2000, §8.4–8.5): the median-unbiased estimate (the mean at which
/// the observed outcome is the median of the stage-wise ordering) and the `1 − 2γ` interval
/// (the means at which it is the γ and 1 − γ quantile), on the scale of `Z_k`; multiply by
/// the look's standard error for the parameter. `None` when a root cannot be bracketed.
pub fn stagewise_estimate(information: &[f64], bounds: &[f64], k: usize, z: f64, gamma: f64) -> Result<Option<(f64, f64, f64)>, StatsError> {
    if !(gamma > 0.0 && gamma < 0.5) {
        return Err(StatsError::InvalidArgument(format!("tail {gamma} must be in (0, 0.5)")));
    }
    check_stop(information, bounds, k, !z.is_finite(), z)?;
    // Regula falsi with the Illinois modification (a few evaluations of the recursion each,
    // rather than bisection's thirty), to 1e-5 on the z scale or 1e-8 in probability.
    let solve = |target: f64| -> Option<f64> {
        let f = |m: f64| stagewise_tail(information, bounds, k, z, m) - target;
        let (mut a, mut b) = (z - 12.0, z + 12.0);
        let (mut fa, mut fb) = (f(a), f(b));
        // Once earlier efficacy stops dominate the tail the root can lie far below z: step
        // down, doubling the distance.
        let mut step = 12.0;
        while fa > 0.0 && step < 1e4 {
            step *= 2.0;
            (a, fa) = (z - step, f(z - step));
        }
        if fa > 0.0 || fb < 0.0 {
            return None;
        }
        let mut side = 0;
        for _ in 0..100 {
            let c = if fb != fa { (a * fb - b * fa) / (fb - fa) } else { 0.5 * (a + b) };
            let fc = f(c);
            if fc.abs() < 1e-8 {
                return Some(c);
            }
            if fc < 0.0 {
                (a, fa) = (c, fc);
                if side == -1 {
                    fb /= 2.0;
                }
                side = -1;
            } else {
                (b, fb) = (c, fc);
                if side == 1 {
                    fa /= 2.0;
                }
                side = 1;
            }
            if (b - a).abs() < 1e-5 {
                return Some(0.5 * (a + b));
            }
        }
        Some(0.5 * (a + b))
    };
    Ok(match (solve(gamma), solve(0.5), solve(1.0 - gamma)) {
        (Some(lower), Some(median), Some(upper)) => Some((median, lower, upper)),
        _ => None,
    })
}

/// Smallest information between two looks: closer looks make the integration kernel
/// narrower than the grid (the boundary after them came out wrong), and in practice they
/// are one look.
pub const MIN_INFORMATION_STEP: f64 = 0.01;

/// Most looks, the final one included.
pub const MAX_LOOKS: usize = 20;

fn check_information(information: &[f64]) -> Result<(), StatsError> {
    if information.is_empty() || information.len() > MAX_LOOKS {
        return Err(StatsError::InvalidArgument(format!("{} looks: use 1 to {MAX_LOOKS}", information.len())));
    }
    let mut previous = 0.0;
    for (k, &t) in information.iter().enumerate() {
        if !(t > previous && t <= 1.0) {
            return Err(StatsError::InvalidArgument(format!(
                "information fraction [{k}] = {t}: fractions must increase strictly within (0, 1]"
            )));
        }
        if k > 0 && t - previous < MIN_INFORMATION_STEP - 1e-12 {
            return Err(StatsError::InvalidArgument(format!(
                "information fractions [{}] = {previous} and [{k}] = {t} are less than {MIN_INFORMATION_STEP} apart: make them one look"
            , k - 1)));
        }
        previous = t;
    }
    if (previous - 1.0).abs() > 1e-12 {
        return Err(StatsError::InvalidArgument(format!("the last look's information fraction is {previous}; the final look is 1")));
    }
    Ok(())
}

/// Bisection for `c` with `crossing(c) = target` (`crossing` decreases in `c`).
fn solve_boundary(crossing: &dyn Fn(f64) -> f64, target: f64) -> f64 {
    let (mut lo, mut hi) = (-10.0, 40.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if crossing(mid) > target { lo = mid } else { hi = mid }
        if hi - lo < 1e-12 {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// Jennison & Turnbull's grid for a normal with mean `mu`, truncated to `(-∞, upper]`:
/// points and Simpson weights.
fn grid(mu: f64, upper: f64) -> (Vec<f64>, Vec<f64>) {
    let r = GRID_R;
    let mut x: Vec<f64> = Vec::with_capacity(6 * r - 1);
    for i in 1..r {
        x.push(mu - 3.0 - 4.0 * (r as f64 / i as f64).ln());
    }
    for i in r..=5 * r {
        x.push(mu - 3.0 + 3.0 * (i - r) as f64 / (2.0 * r as f64));
    }
    for i in (1..r).rev() {
        x.push(mu + 3.0 + 4.0 * (r as f64 / i as f64).ln());
    }
    if upper < *x.last().expect("not empty") {
        x.retain(|&v| v < upper);
        x.push(upper);
    }
    if x.len() < 2 {
        // The boundary lies below the whole grid: nothing continues.
        return (x, vec![0.0]);
    }
    let m = x.len();
    let mut z = Vec::with_capacity(2 * m - 1);
    let mut w = Vec::with_capacity(2 * m - 1);
    for i in 0..m {
        z.push(x[i]);
        let span = match i {
            0 => x[1] - x[0],
            _ if i == m - 1 => x[m - 1] - x[m - 2],
            _ => x[i + 1] - x[i - 1],
        };
        w.push(span / 6.0);
        if i + 1 < m {
            z.push(0.5 * (x[i] + x[i + 1]));
            w.push(4.0 * (x[i + 1] - x[i]) / 6.0);
        }
    }
    (z, w)
}

/// The recursive integration across looks (Armitage, McPherson & Rowe): the sub-density of
/// the statistic over the paths that have crossed no boundary at the looks passed so far.
struct Recursion {
    /// Mean of the statistic at full information.
    drift: f64,
    /// Information fraction of the last look passed (0 before the first).
    t: f64,
    /// Grid and Simpson weight × sub-density there; `None` before the first look.
    density: Option<(Vec<f64>, Vec<f64>)>,
}

impl Recursion {
    fn new(drift: f64) -> Self {
        Recursion { drift, t: 0.0, density: None }
    }

    /// The probability of crossing no boundary so far and then `c` at the look at `t`.
    fn exit(&self, t: f64, c: f64) -> f64 {
        match &self.density {
            None => normal::sf(c - self.drift * t.sqrt()),
            Some((grid, h)) => self.step(t).exit_probability(grid, h, c),
        }
    }

    /// Passes the look at `t` with boundary `c`: keeps the paths below it.
    fn advance(&mut self, t: f64, c: f64) {
        self.density = Some(match &self.density {
            None => first_density(c, self.drift * t.sqrt()),
            Some((grid, h)) => self.step(t).next_density(grid, h, c),
        });
        self.t = t;
    }

    fn step(&self, t1: f64) -> Step {
        Step { t0: self.t, t1, drift: self.drift }
    }
}

/// Sub-density (times Simpson weights) of `Z_1 ~ N(mean, 1)` on `(-∞, c]`.
fn first_density(c: f64, mean: f64) -> (Vec<f64>, Vec<f64>) {
    let (z, w) = grid(mean, c);
    let h = z.iter().zip(&w).map(|(&z, &w)| w * normal::pdf(z - mean)).collect();
    (z, h)
}

/// The step from one look (fraction `t0`) to the next (`t1`) on the score scale:
/// `Z₁√t1 = Z₀√t0 + N(drift·(t1 − t0), t1 − t0)`.
struct Step {
    t0: f64,
    t1: f64,
    drift: f64,
}

impl Step {
    /// The standardised increment that takes `x` at `t0` to `y` at `t1`.
    fn increment(&self, x: f64, y: f64) -> f64 {
        let delta = self.t1 - self.t0;
        (y * self.t1.sqrt() - x * self.t0.sqrt() - self.drift * delta) / delta.sqrt()
    }

    /// Probability of continuing to `t0` (sub-density `h` on `grid`) and then reaching `c`.
    fn exit_probability(&self, grid: &[f64], h: &[f64], c: f64) -> f64 {
        grid.iter().zip(h).map(|(&x, &hx)| hx * normal::sf(self.increment(x, c))).sum()
    }

    /// Sub-density (times Simpson weights) at `t1` on `(-∞, c]` given that at `t0`.
    fn next_density(&self, grid0: &[f64], h0: &[f64], c: f64) -> (Vec<f64>, Vec<f64>) {
        let scale = (self.t1 / (self.t1 - self.t0)).sqrt();
        let (z, w) = grid(self.drift * self.t1.sqrt(), c);
        let h = z
            .iter()
            .zip(&w)
            .map(|(&y, &wy)| wy * scale * grid0.iter().zip(h0).map(|(&x, &hx)| hx * normal::pdf(self.increment(x, y))).sum::<f64>())
            .collect();
        (z, h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_look_without_alpha_to_spend_has_an_infinite_boundary_and_level_0() {
        // HSD(-40) spends almost nothing at 1 % of the information: the boundary is +∞.
        let b = efficacy_bounds(0.025, &[0.01, 1.0], Spending::HwangShihDeCani(-40.0)).unwrap();
        assert!(b.z[0].is_infinite() && b.nominal_p[0] == 0.0, "{b:?}");
        let p = crossing_probabilities_with_drift(&b.information, &b.z, 2.8).unwrap();
        assert!(p[0] == 0.0 && p[1].is_finite() && p[1] > 0.7, "{p:?}");
        // Twenty O'Brien–Fleming looks: the first spends nothing representable.
        let info: Vec<f64> = (1..=20).map(|k| k as f64 / 20.0).collect();
        let b = efficacy_bounds(0.025, &info, Spending::OBrienFleming).unwrap();
        let total: f64 = crossing_probabilities(&info, &b.z).unwrap().iter().sum();
        assert!((total - 0.025).abs() < 1e-6 && b.nominal_p.iter().all(|p| p.is_finite()), "{total} {b:?}");
    }

    #[test]
    fn a_single_look_is_the_fixed_design() {
        let b = efficacy_bounds(0.025, &[1.0], Spending::OBrienFleming).unwrap();
        assert!((b.z[0] - 1.959964).abs() < 1e-5, "{b:?}");
        let b = efficacy_bounds(0.05, &[1.0], Spending::Pocock).unwrap();
        assert!((b.z[0] - 1.644854).abs() < 1e-5, "{b:?}");
    }

    #[test]
    fn spending_functions_spend_all_alpha_by_the_end() {
        for s in [Spending::OBrienFleming, Spending::Pocock, Spending::HwangShihDeCani(-4.0), Spending::HwangShihDeCani(0.0)] {
            assert!((s.spent(0.025, 1.0) - 0.025).abs() < 1e-12, "{s:?}");
            assert_eq!(s.spent(0.025, 0.0), 0.0);
            assert!(s.spent(0.025, 0.3) < s.spent(0.025, 0.6));
        }
        assert!((Spending::HwangShihDeCani(0.0).spent(0.025, 0.4) - 0.01).abs() < 1e-15);
    }

    #[test]
    fn names_round_trip_and_bad_names_say_what_is_accepted() {
        for s in [Spending::OBrienFleming, Spending::Pocock, Spending::HwangShihDeCani(-4.0), Spending::HwangShihDeCani(1.5)] {
            assert_eq!(Spending::parse(&s.name()).unwrap(), s);
        }
        let e = Spending::parse("haybittle").unwrap_err();
        assert!(e.contains("obrien_fleming, pocock or hsd"), "{e}");
        assert!(Spending::parse("hsd(x)").is_err());
    }

    #[test]
    fn bad_looks_are_refused() {
        for info in [&[0.5, 0.4, 1.0][..], &[0.5][..], &[][..], &[0.0, 1.0][..], &[0.5, 1.2][..], &[0.3, 0.3000001, 1.0][..], &[0.995, 1.0][..]] {
            assert!(efficacy_bounds(0.025, info, Spending::Pocock).is_err(), "{info:?}");
        }
        assert!(efficacy_bounds(0.7, &[0.5, 1.0], Spending::Pocock).is_err());
    }
}
