//! Brent's methods (R. P. Brent, *Algorithms for Minimization without Derivatives*, 1973,
//! chapters 4 and 5; the netlib `zeroin` and `fmin` routines): a root in a bracket, and a
//! maximum in an interval. Both keep the bracket's guarantee of bisection with the speed
//! of (inverse quadratic or parabolic) interpolation.

/// A zero of `f` in `[a, b]`, where `f(a)` and `f(b)` (given as `fa`, `fb`) have opposite
/// signs or one is zero; located to within `4ε|x| + tol`. `f` may fail.
pub(super) fn brent_zero<E>(
    mut f: impl FnMut(f64) -> Result<f64, E>,
    a: f64,
    b: f64,
    fa: f64,
    fb: f64,
    tol: f64,
) -> Result<f64, E> {
    let eps = f64::EPSILON;
    let (mut a, mut b, mut fa, mut fb) = (a, b, fa, fb);
    if fa == 0.0 {
        return Ok(a);
    }
    if fb == 0.0 {
        return Ok(b);
    }
    let (mut c, mut fc) = (a, fa);
    let mut d = b - a;
    let mut e = d;
    for _ in 0..200 {
        if (fb > 0.0) == (fc > 0.0) {
            // The root lies between a and b: c takes a's place.
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            (a, b, c) = (b, c, b);
            (fa, fb, fc) = (fb, fc, fb);
        }
        let tol1 = 2.0 * eps * b.abs() + 0.5 * tol;
        let xm = 0.5 * (c - b);
        if xm.abs() <= tol1 || fb == 0.0 {
            return Ok(b);
        }
        if e.abs() >= tol1 && fa.abs() > fb.abs() {
            let s = fb / fa;
            let (mut p, mut q) = if a == c {
                (2.0 * xm * s, 1.0 - s)
            } else {
                let q = fa / fc;
                let r = fb / fc;
                (s * (2.0 * xm * q * (q - r) - (b - a) * (r - 1.0)), (q - 1.0) * (r - 1.0) * (s - 1.0))
            };
            if p > 0.0 {
                q = -q;
            }
            p = p.abs();
            if 2.0 * p < (3.0 * xm * q - (tol1 * q).abs()).min((e * q).abs()) {
                e = d;
                d = p / q;
            } else {
                d = xm;
                e = d;
            }
        } else {
            d = xm;
            e = d;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol1 { d } else { tol1.copysign(xm) };
        fb = f(b)?;
    }
    Ok(b)
}

/// A maximum of `f` on `[a, b]` (a local one if there are several), located to within
/// `√ε·|x| + tol/3`, never evaluated at `a` or `b` themselves; returns `(x, f(x))`.
pub(super) fn brent_max<E>(mut f: impl FnMut(f64) -> Result<f64, E>, a: f64, b: f64, tol: f64) -> Result<(f64, f64), E> {
    // Minimises g = −f.
    let golden = 0.5 * (3.0 - 5f64.sqrt());
    let sqrt_eps = f64::EPSILON.sqrt();
    let (mut a, mut b) = (a, b);
    let mut x = a + golden * (b - a);
    let (mut v, mut w) = (x, x);
    let mut fx = -f(x)?;
    let (mut fv, mut fw) = (fx, fx);
    let (mut d, mut e) = (0.0_f64, 0.0_f64);
    for _ in 0..500 {
        let xm = 0.5 * (a + b);
        let tol1 = sqrt_eps * x.abs() + tol / 3.0;
        let tol2 = 2.0 * tol1;
        if (x - xm).abs() <= tol2 - 0.5 * (b - a) {
            break;
        }
        let mut golden_step = true;
        if e.abs() > tol1 {
            // Fit a parabola through x, v, w.
            let r = (x - w) * (fx - fv);
            let mut q = (x - v) * (fx - fw);
            let mut p = (x - v) * q - (x - w) * r;
            q = 2.0 * (q - r);
            if q > 0.0 {
                p = -p;
            }
            q = q.abs();
            let r = e;
            e = d;
            if p.abs() < (0.5 * q * r).abs() && p > q * (a - x) && p < q * (b - x) {
                d = p / q;
                let u = x + d;
                if u - a < tol2 || b - u < tol2 {
                    d = tol1.copysign(xm - x);
                }
                golden_step = false;
            }
        }
        if golden_step {
            e = if x >= xm { a - x } else { b - x };
            d = golden * e;
        }
        let u = x + if d.abs() >= tol1 { d } else { tol1.copysign(d) };
        let fu = -f(u)?;
        if fu <= fx {
            if u >= x {
                a = x;
            } else {
                b = x;
            }
            (v, fv) = (w, fw);
            (w, fw) = (x, fx);
            (x, fx) = (u, fu);
        } else {
            if u < x {
                a = u;
            } else {
                b = u;
            }
            if fu <= fw || w == x {
                (v, fv) = (w, fw);
                (w, fw) = (u, fu);
            } else if fu <= fv || v == x || v == w {
                (v, fv) = (u, fu);
            }
        }
    }
    Ok((x, -fx))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(x: f64) -> Result<f64, ()> {
        Ok(x)
    }

    #[test]
    fn zero_of_a_cubic() {
        let f = |x: f64| ok(x * x * x - 2.0 * x - 5.0);
        let r = brent_zero(f, 2.0, 3.0, f(2.0).unwrap(), f(3.0).unwrap(), 1e-15).unwrap();
        assert!((r - 2.0945514815423265).abs() < 1e-14, "{r}");
    }

    #[test]
    fn zero_at_a_jump() {
        // A step has no root; the bracket shrinks onto the jump.
        let f = |x: f64| ok(if x < 0.3 { 1.0 } else { -1.0 });
        let r = brent_zero(f, 0.0, 1.0, 1.0, -1.0, 1e-12).unwrap();
        assert!((r - 0.3).abs() < 1e-11, "{r}");
    }

    #[test]
    fn maximum_of_a_parabola_and_of_a_sine() {
        let (x, fx) = brent_max(|x| ok(3.0 - (x - 0.7).powi(2)), 0.0, 2.0, 1e-12).unwrap();
        assert!((x - 0.7).abs() < 1e-7 && (fx - 3.0).abs() < 1e-14, "{x} {fx}");
        let (x, _) = brent_max(|x: f64| ok(x.sin()), 0.0, 3.0, 1e-12).unwrap();
        assert!((x - std::f64::consts::FRAC_PI_2).abs() < 1e-7, "{x}");
    }
}
