//! Reference values from scipy, statsmodels and lifelines (tests/reference/make_reference.py
//! wrote reference.json; versions are recorded in it). Tolerance 1e-6 unless stated.

use serde_json::Value;
use vtrial_stats::binary::{PropCi, chi_square, diff_proportions, fisher_exact, logistic};
use vtrial_stats::continuous::{ancova, welch_t};
use vtrial_stats::dist::{chisq, nct, normal, t};
use vtrial_stats::multiplicity::{Adjustment, adjust, dunnett};
use vtrial_stats::survival::{cox_efron, kaplan_meier, logrank};
use vtrial_stats::{Hypothesis, Sided};

fn reference() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/reference.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn fv(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(f).collect()
}

fn bv(v: &Value) -> Vec<bool> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() != 0.0)
        .collect()
}

fn uv(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as u32)
        .collect()
}

#[track_caller]
fn close(a: f64, b: f64, tol: f64, what: &str) {
    assert!(
        (a - b).abs() <= tol,
        "{what}: got {a}, expected {b}, diff {:e}",
        (a - b).abs()
    );
}

const TOL: f64 = 1e-6;
const TWO: Hypothesis = Hypothesis {
    alpha: 0.05,
    sided: Sided::Two,
    margin: 0.0,
    direction: vtrial_stats::Direction::HigherIsBetter,
};

#[test]
fn distributions_match_scipy() {
    for d in reference()["dist"].as_array().unwrap() {
        let (x, df, want) = (f(&d["x"]), f(&d["df"]), f(&d["value"]));
        let (got, tol) = match d["kind"].as_str().unwrap() {
            "t_cdf" => (t::cdf(x, df), 1e-12),
            "t_ppf" => (t::quantile(x, df), 1e-10),
            "norm_cdf" => (normal::cdf(x), 1e-14),
            "norm_ppf" => (normal::quantile(x), 1e-12),
            "chi2_sf" => (chisq::sf(x, df), 1e-12),
            "nct_cdf" => (nct::cdf(x, df, f(&d["nc"])), 1e-10),
            k => panic!("unknown {k}"),
        };
        close(got, want, tol, d["kind"].as_str().unwrap());
    }
}

#[test]
fn welch_matches_scipy() {
    for c in reference()["welch"].as_array().unwrap() {
        let (x1, x0) = (fv(&c["treated"]), fv(&c["control"]));
        let r = welch_t(&x1, &x0, &TWO).unwrap();
        close(r.statistic, f(&c["t"]), TOL, "t");
        close(r.df.unwrap(), f(&c["df"]), TOL, "df");
        close(r.p_value, f(&c["p_two"]), TOL, "p");
        close(r.ci.0, f(&c["ci_lo"]), TOL, "ci lo");
        close(r.ci.1, f(&c["ci_hi"]), TOL, "ci hi");
        let r1 = welch_t(&x1, &x0, &Hypothesis::superiority(0.05, Sided::OneUpper)).unwrap();
        close(r1.p_value, f(&c["p_greater"]), TOL, "p greater");
    }
}

#[test]
fn ancova_matches_statsmodels() {
    let a = &reference()["ancova"];
    let (y, trt, base, strat) = (
        fv(&a["y"]),
        bv(&a["treated"]),
        fv(&a["baseline"]),
        uv(&a["stratum"]),
    );
    for (key, factors) in [("plain", vec![]), ("stratified", vec![&strat[..]])] {
        let e = &a[key];
        let (r, fit) = ancova(&y, &trt, &base, &factors, &TWO).unwrap();
        for (g, w) in fit.coef.iter().zip(fv(&e["coef"])) {
            close(*g, w, TOL, "coef");
        }
        for (g, w) in fit.se.iter().zip(fv(&e["se"])) {
            close(*g, w, TOL, "se");
        }
        close(fit.df, f(&e["df"]), 0.0, "df");
        close(r.p_value, f(&e["p"]), TOL, "p");
        let ci = fv(&e["ci"]);
        close(r.ci.0, ci[0], TOL, "ci lo");
        close(r.ci.1, ci[1], TOL, "ci hi");
    }
}

#[test]
fn two_by_two_tables_match_scipy_and_statsmodels() {
    let up = Hypothesis::superiority(0.05, Sided::OneUpper);
    let lo = Hypothesis::superiority(0.05, Sided::OneLower);
    for c in reference()["tables"].as_array().unwrap() {
        let g = |k: &str| c[k].as_u64().unwrap();
        let (x1, n1, x0, n0) = (g("x1"), g("n1"), g("x0"), g("n0"));
        let y = chi_square(x1, n1, x0, n0, true, &TWO).unwrap();
        close(y.statistic, f(&c["chi2_yates"]), TOL, "chi2 yates");
        close(y.p_value, f(&c["p_yates"]), TOL, "p yates");
        let n = chi_square(x1, n1, x0, n0, false, &TWO).unwrap();
        close(n.statistic, f(&c["chi2"]), TOL, "chi2");
        close(n.p_value, f(&c["p_chi2"]), TOL, "p chi2");
        close(
            fisher_exact(x1, n1, x0, n0, &TWO).unwrap().p_value,
            f(&c["fisher_two"]),
            TOL,
            "fisher two",
        );
        close(
            fisher_exact(x1, n1, x0, n0, &up).unwrap().p_value,
            f(&c["fisher_greater"]),
            TOL,
            "fisher greater",
        );
        close(
            fisher_exact(x1, n1, x0, n0, &lo).unwrap().p_value,
            f(&c["fisher_less"]),
            TOL,
            "fisher less",
        );
        let w = diff_proportions(x1, n1, x0, n0, PropCi::Wald, &TWO).unwrap();
        let wc = fv(&c["wald_ci"]);
        close(w.ci.0, wc[0], TOL, "wald lo");
        close(w.ci.1, wc[1], TOL, "wald hi");
        let nw = diff_proportions(x1, n1, x0, n0, PropCi::Newcombe, &TWO).unwrap();
        let nc = fv(&c["newcombe_ci"]);
        close(nw.ci.0, nc[0], TOL, "newcombe lo");
        close(nw.ci.1, nc[1], TOL, "newcombe hi");
    }
}

#[test]
fn logistic_matches_statsmodels() {
    let l = &reference()["logistic"];
    let (y, trt, age) = (bv(&l["y"]), bv(&l["treated"]), fv(&l["age"]));
    let (r, fit) = logistic(&y, &trt, &[&age], &TWO).unwrap();
    for (g, w) in fit.coef.iter().zip(fv(&l["coef"])) {
        close(*g, w, TOL, "coef");
    }
    for (g, w) in fit.se.iter().zip(fv(&l["se"])) {
        close(*g, w, TOL, "se");
    }
    close(r.p_value, f(&l["p"]), TOL, "p");
    let ci = fv(&l["ci"]);
    close(r.ci.0, ci[0], TOL, "ci lo");
    close(r.ci.1, ci[1], TOL, "ci hi");
}

struct Surv {
    time: Vec<f64>,
    event: Vec<bool>,
    trt: Vec<bool>,
    strat: Vec<u32>,
    x: Vec<f64>,
}

fn surv(s: &Value) -> Surv {
    Surv {
        time: fv(&s["time"]),
        event: bv(&s["event"]),
        trt: bv(&s["treated"]),
        strat: uv(&s["stratum"]),
        x: fv(&s["x"]),
    }
}

#[test]
fn kaplan_meier_matches_lifelines() {
    let r = reference();
    let s = &r["survival"];
    let d = surv(s);
    let km = kaplan_meier(&d.time, &d.event, 0.05).unwrap();
    let want = s["km"].as_array().unwrap();
    assert_eq!(km.len(), want.len());
    for (g, w) in km.iter().zip(want) {
        close(g.time, f(&w["time"]), 0.0, "time");
        close(g.survival, f(&w["s"]), TOL, "S");
        close(g.ci.0, f(&w["lo"]), TOL, "lo");
        close(g.ci.1, f(&w["hi"]), TOL, "hi");
    }
}

#[test]
fn logrank_matches_statsmodels() {
    let r = reference();
    let s = &r["survival"];
    let d = surv(s);
    let (res, parts) = logrank(&d.time, &d.event, &d.trt, None, &TWO).unwrap();
    close(parts.chi2(), f(&s["logrank"]["chi2"]), TOL, "chi2");
    close(res.p_value, f(&s["logrank"]["p"]), TOL, "p");
    let (res, parts) = logrank(&d.time, &d.event, &d.trt, Some(&d.strat), &TWO).unwrap();
    close(
        parts.chi2(),
        f(&s["logrank_stratified"]["chi2"]),
        TOL,
        "stratified chi2",
    );
    close(
        res.p_value,
        f(&s["logrank_stratified"]["p"]),
        TOL,
        "stratified p",
    );
}

#[test]
fn cox_efron_matches_lifelines_and_statsmodels() {
    let r = reference();
    let s = &r["survival"];
    let d = surv(s);
    let (res, fit) = cox_efron(&d.time, &d.event, &d.trt, &[], None, &TWO).unwrap();
    close(fit.coef[0], f(&s["cox_trt"]["coef"][0]), TOL, "coef");
    close(fit.se[0], f(&s["cox_trt"]["se"][0]), TOL, "se");
    close(res.p_value, f(&s["cox_trt"]["p"]), TOL, "p");
    close(fit.loglik, f(&s["cox_trt"]["loglik"]), TOL, "loglik");
    let (_, fit) = cox_efron(&d.time, &d.event, &d.trt, &[&d.x], None, &TWO).unwrap();
    let e = &s["cox_trt_x"];
    for k in 0..2 {
        close(fit.coef[k], f(&e["coef"][k]), TOL, "coef lifelines");
        close(fit.se[k], f(&e["se"][k]), TOL, "se lifelines");
        close(
            fit.coef[k],
            f(&e["statsmodels_coef"][k]),
            TOL,
            "coef statsmodels",
        );
        close(fit.se[k], f(&e["statsmodels_se"][k]), TOL, "se statsmodels");
    }
    close(fit.loglik, f(&e["loglik"]), TOL, "loglik");
    let (_, fit) = cox_efron(&d.time, &d.event, &d.trt, &[&d.x], Some(&d.strat), &TWO).unwrap();
    let e = &s["cox_trt_x_strata"];
    for k in 0..2 {
        close(fit.coef[k], f(&e["coef"][k]), TOL, "stratified coef");
        close(fit.se[k], f(&e["se"][k]), TOL, "stratified se");
    }
    close(fit.loglik, f(&e["loglik"]), TOL, "stratified loglik");
}

#[test]
fn adjustments_match_statsmodels() {
    let r = reference();
    let m = &r["multiplicity"];
    let p = fv(&m["p"]);
    for (key, method) in [
        ("bonferroni", Adjustment::Bonferroni),
        ("holm", Adjustment::Holm),
        ("hochberg", Adjustment::Hochberg),
    ] {
        for (g, w) in adjust(&p, method).iter().zip(fv(&m[key])) {
            close(*g, w, 1e-12, key);
        }
    }
    assert_eq!(
        adjust(&p, Adjustment::FixedSequence),
        vec![0.012, 0.04, 0.04, 0.2, 0.2]
    );
}

#[test]
fn dunnett_matches_scipy() {
    let r = reference();
    let dn = &r["dunnett"];
    let ctl = fv(&dn["control"]);
    let arms: Vec<Vec<f64>> = dn["arms"].as_array().unwrap().iter().map(fv).collect();
    let arm_refs: Vec<&[f64]> = arms.iter().map(Vec::as_slice).collect();
    let two = dunnett(&ctl, &arm_refs, &TWO).unwrap();
    let up = dunnett(
        &ctl,
        &arm_refs,
        &Hypothesis::superiority(0.05, Sided::OneUpper),
    )
    .unwrap();
    for i in 0..arms.len() {
        close(two[i].statistic, f(&dn["statistic"][i]), 1e-10, "statistic");
        // The same integral by scipy.integrate.dblquad: tight.
        close(two[i].p_value, f(&dn["p_integral"][i]), TOL, "p (integral)");
        close(
            up[i].p_value,
            f(&dn["p_integral_greater"][i]),
            TOL,
            "p greater (integral)",
        );
        // scipy.stats.dunnett itself integrates by randomised QMC (~1e-5 absolute).
        close(
            two[i].p_value,
            f(&dn["p_scipy"][i]),
            1e-4,
            "p (scipy.stats.dunnett)",
        );
        close(
            up[i].p_value,
            f(&dn["p_scipy_greater"][i]),
            1e-4,
            "p greater (scipy.stats.dunnett)",
        );
    }
}
