//! Finite-difference Jacobian and time derivative for the stiff method.

use super::OdeSystem;

/// Forward-difference Jacobian `∂f/∂y` at `(t, y)`, row-major into `jac`, given `f0 = f(t, y)`.
/// Increments are `√(ε·max(10⁻⁵, |y_j|))`, as in Hairer's `rodas.f`. `y_pert` and `f_pert`
/// are scratch. Costs `dim` right-hand-side calls.
pub(crate) fn forward_difference<S: OdeSystem + ?Sized>(
    sys: &S,
    t: f64,
    y: &[f64],
    f0: &[f64],
    jac: &mut [f64],
    y_pert: &mut [f64],
    f_pert: &mut [f64],
) {
    let n = y.len();
    y_pert.copy_from_slice(y);
    for j in 0..n {
        let yj = y[j];
        let delta = (f64::EPSILON * yj.abs().max(1e-5)).sqrt();
        y_pert[j] = yj + delta;
        // The increment actually represented, so the quotient is exact in that respect.
        let inv_delta = 1.0 / (y_pert[j] - yj);
        sys.rhs(t, y_pert, f_pert);
        y_pert[j] = yj;
        for i in 0..n {
            jac[i * n + j] = (f_pert[i] - f0[i]) * inv_delta;
        }
    }
}

/// Finite-difference time derivative `∂f/∂t` at `(t, y)` into `ft`, given `f0 = f(t, y)`,
/// sampling `f` only inside `[t_lo, t_hi]` (the right-hand side may jump outside it).
/// Costs one right-hand-side call, none if the interval is a single point.
#[allow(clippy::too_many_arguments)]
pub(crate) fn time_derivative<S: OdeSystem + ?Sized>(
    sys: &S,
    t: f64,
    y: &[f64],
    f0: &[f64],
    t_lo: f64,
    t_hi: f64,
    ft: &mut [f64],
    f_pert: &mut [f64],
) -> usize {
    let delta = (f64::EPSILON * t.abs().max(1e-5)).sqrt();
    let t_pert = if t + delta <= t_hi {
        t + delta
    } else if t - delta >= t_lo {
        t - delta
    } else if t_hi > t {
        t_hi
    } else if t_lo < t {
        t_lo
    } else {
        ft.fill(0.0);
        return 0;
    };
    sys.rhs(t_pert, y, f_pert);
    let inv = 1.0 / (t_pert - t);
    for ((d, &a), &b) in ft.iter_mut().zip(f_pert.iter()).zip(f0) {
        *d = (a - b) * inv;
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ode::FnSystem;

    #[test]
    fn differences_match_analytic_derivatives() {
        let sys = FnSystem::new(2, |t: f64, y: &[f64], d: &mut [f64]| {
            d[0] = -2.0 * y[0] + y[1] * y[1] + t.sin();
            d[1] = y[0] * y[1];
        });
        let (t, y) = (0.5, [1.5, -0.5]);
        let mut f0 = [0.0; 2];
        sys.rhs(t, &y, &mut f0);
        let (mut jac, mut yp, mut fp) = ([0.0; 4], [0.0; 2], [0.0; 2]);
        forward_difference(&sys, t, &y, &f0, &mut jac, &mut yp, &mut fp);
        let exact = [-2.0, 2.0 * y[1], y[1], y[0]];
        for k in 0..4 {
            assert!(
                (jac[k] - exact[k]).abs() < 1e-6,
                "{k}: {} vs {}",
                jac[k],
                exact[k]
            );
        }
        let mut ft = [0.0; 2];
        assert_eq!(
            time_derivative(&sys, t, &y, &f0, 0.0, 1.0, &mut ft, &mut fp),
            1
        );
        assert!((ft[0] - t.cos()).abs() < 1e-6 && ft[1] == 0.0);
        // At the end of the interval the difference is taken backwards.
        assert_eq!(
            time_derivative(&sys, 1.0, &y, &f0, 0.0, 1.0, &mut ft, &mut fp),
            1
        );
        assert_eq!(
            time_derivative(&sys, 1.0, &y, &f0, 1.0, 1.0, &mut ft, &mut fp),
            0
        );
    }
}
