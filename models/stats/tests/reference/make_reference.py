"""Reference values for vtrial-stats, from scipy, statsmodels and lifelines.

Run:  pip install scipy statsmodels lifelines && python3 make_reference.py
Writes reference.json next to this script (datasets and expected values); the Rust tests
in ../reference.rs read it and need no Python.
"""
import json
import math
import os

import numpy as np
import scipy
import statsmodels
import lifelines
from scipy import stats, integrate
import statsmodels.api as sm
from statsmodels.stats.proportion import confint_proportions_2indep
from statsmodels.stats.multitest import multipletests
from statsmodels.duration.survfunc import survdiff
from statsmodels.duration.hazard_regression import PHReg
from lifelines import KaplanMeierFitter, CoxPHFitter
import pandas as pd

rng = np.random.default_rng(20261127)
out = {"versions": {"scipy": scipy.__version__, "statsmodels": statsmodels.__version__,
                    "lifelines": lifelines.__version__, "numpy": np.__version__}}

# --- distributions -------------------------------------------------------------------
dist = []
for x, df in [(-3.1, 2.5), (0.4, 7.0), (2.2, 15.0), (4.0, 3.0), (1.3, 120.0)]:
    dist.append({"kind": "t_cdf", "x": x, "df": df, "value": stats.t.cdf(x, df)})
for p, df in [(0.975, 4.0), (0.995, 9.5), (0.9, 60.0), (0.05, 3.0)]:
    dist.append({"kind": "t_ppf", "x": p, "df": df, "value": stats.t.ppf(p, df)})
for x in [-7.5, -2.0, 0.3, 1.96, 5.0]:
    dist.append({"kind": "norm_cdf", "x": x, "df": 0, "value": stats.norm.cdf(x)})
for p in [1e-8, 0.025, 0.5, 0.8, 0.999]:
    dist.append({"kind": "norm_ppf", "x": p, "df": 0, "value": stats.norm.ppf(p)})
for x, df in [(3.84, 1.0), (0.2, 1.0), (12.0, 4.0), (30.0, 10.0)]:
    dist.append({"kind": "chi2_sf", "x": x, "df": df, "value": stats.chi2.sf(x, df)})
for x, df, nc in [(2.0, 10.0, 1.5), (1.7, 38.0, 2.8), (-1.0, 5.0, 0.5), (2.02, 58.0, 3.5), (1.0, 20.0, -1.0)]:
    dist.append({"kind": "nct_cdf", "x": x, "df": df, "nc": nc, "value": stats.nct.cdf(x, df, nc)})
out["dist"] = dist

# --- Welch t ---------------------------------------------------------------------------
welch = []
for n1, n0, d, s1, s0 in [(12, 15, 0.8, 1.0, 2.0), (7, 5, -0.3, 0.5, 0.6), (30, 30, 0.1, 1.0, 1.0)]:
    x1 = np.round(rng.normal(d, s1, n1), 3)
    x0 = np.round(rng.normal(0, s0, n0), 3)
    r = stats.ttest_ind(x1, x0, equal_var=False)
    r1 = stats.ttest_ind(x1, x0, equal_var=False, alternative="greater")
    ci = r.confidence_interval(0.95)
    welch.append({"treated": x1.tolist(), "control": x0.tolist(), "t": r.statistic, "df": r.df,
                  "p_two": r.pvalue, "p_greater": r1.pvalue, "ci_lo": ci.low, "ci_hi": ci.high})
out["welch"] = welch

# --- ANCOVA (statsmodels OLS) ----------------------------------------------------------
n = 40
trt = np.array([i % 2 for i in range(n)])
base = np.round(rng.normal(50, 8, n), 2)
stratum = rng.integers(0, 3, n)
chg = np.round(-2.0 * trt + 0.3 * (base - 50) + 1.5 * stratum + rng.normal(0, 3, n), 2)
X = np.column_stack([np.ones(n), trt, base, stratum == 1, stratum == 2]).astype(float)
m1 = sm.OLS(chg, X[:, :3]).fit()
m2 = sm.OLS(chg, X).fit()
out["ancova"] = {"y": chg.tolist(), "treated": trt.tolist(), "baseline": base.tolist(),
                 "stratum": stratum.tolist(),
                 "plain": {"coef": m1.params.tolist(), "se": m1.bse.tolist(), "df": m1.df_resid,
                           "p": m1.pvalues[1], "ci": m1.conf_int(0.05)[1].tolist()},
                 "stratified": {"coef": m2.params.tolist(), "se": m2.bse.tolist(), "df": m2.df_resid,
                                "p": m2.pvalues[1], "ci": m2.conf_int(0.05)[1].tolist()}}

# --- 2x2 tables ------------------------------------------------------------------------
tables = []
for x1, n1, x0, n0 in [(12, 40, 5, 38), (3, 10, 9, 12), (0, 8, 4, 9), (25, 60, 25, 55), (7, 15, 1, 14)]:
    tab = np.array([[x1, n1 - x1], [x0, n0 - x0]])
    c_y = stats.chi2_contingency(tab, correction=True)
    c_n = stats.chi2_contingency(tab, correction=False)
    f2 = stats.fisher_exact(tab, alternative="two-sided")
    fg = stats.fisher_exact(tab, alternative="greater")
    fl = stats.fisher_exact(tab, alternative="less")
    wald = confint_proportions_2indep(x1, n1, x0, n0, method="wald", compare="diff", alpha=0.05)
    newc = confint_proportions_2indep(x1, n1, x0, n0, method="newcomb", compare="diff", alpha=0.05)
    tables.append({"x1": x1, "n1": n1, "x0": x0, "n0": n0,
                   "chi2_yates": c_y.statistic, "p_yates": c_y.pvalue,
                   "chi2": c_n.statistic, "p_chi2": c_n.pvalue,
                   "fisher_two": f2.pvalue, "fisher_greater": fg.pvalue, "fisher_less": fl.pvalue,
                   "wald_ci": [float(wald[0]), float(wald[1])], "newcombe_ci": [float(newc[0]), float(newc[1])]})
out["tables"] = tables

# --- logistic regression (statsmodels Logit) -------------------------------------------
n = 80
trt = np.array([i % 2 for i in range(n)])
age = np.round(rng.normal(0, 1, n), 3)
eta = -0.5 + 0.9 * trt + 0.6 * age
y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
lg = sm.Logit(y, np.column_stack([np.ones(n), trt, age])).fit(disp=0, tol=1e-14, maxiter=200)
out["logistic"] = {"y": y.tolist(), "treated": trt.tolist(), "age": age.tolist(),
                   "coef": lg.params.tolist(), "se": lg.bse.tolist(), "p": lg.pvalues[1],
                   "ci": lg.conf_int(0.05)[1].tolist()}

# --- survival data with ties ------------------------------------------------------------
n = 60
trt = np.array([i % 2 for i in range(n)])
stratum = np.array([i % 3 for i in range(n)])
tt = rng.exponential(10 * np.exp(0.5 * trt + 0.3 * stratum))
cc = rng.exponential(20, n)
time = np.ceil(np.minimum(tt, cc))  # integer times: many ties
event = (tt <= cc).astype(int)
x2 = np.round(rng.normal(0, 1, n), 3)
surv = {"time": time.tolist(), "event": event.tolist(), "treated": trt.tolist(),
        "stratum": stratum.tolist(), "x": x2.tolist()}

kmf = KaplanMeierFitter().fit(time, event, alpha=0.05)
sf = kmf.survival_function_.iloc[:, 0]
ci = kmf.confidence_interval_
ev_times = sorted(set(time[event == 1].tolist()))
surv["km"] = [{"time": t, "s": float(sf.loc[t]), "lo": float(ci.iloc[:, 0].loc[t]),
               "hi": float(ci.iloc[:, 1].loc[t])} for t in ev_times]

chi, p = survdiff(time, event, trt)
surv["logrank"] = {"chi2": float(chi), "p": float(p)}
chi, p = survdiff(time, event, trt, strata=stratum)
surv["logrank_stratified"] = {"chi2": float(chi), "p": float(p)}

df = pd.DataFrame({"time": time, "event": event, "trt": trt, "x": x2, "stratum": stratum})
cph = CoxPHFitter().fit(df[["time", "event", "trt"]], "time", "event")
cph2 = CoxPHFitter().fit(df[["time", "event", "trt", "x"]], "time", "event")
ph = PHReg(time, np.column_stack([trt, x2]), status=event, ties="efron").fit()
phs = PHReg(time, np.column_stack([trt, x2]), status=event, ties="efron", strata=stratum).fit()
surv["cox_trt"] = {"coef": cph.params_.tolist(), "se": cph.standard_errors_.tolist(),
                   "p": float(cph.summary["p"].iloc[0]), "loglik": cph.log_likelihood_}
surv["cox_trt_x"] = {"coef": cph2.params_.tolist(), "se": cph2.standard_errors_.tolist(),
                     "loglik": cph2.log_likelihood_,
                     "statsmodels_coef": ph.params.tolist(), "statsmodels_se": ph.bse.tolist()}
surv["cox_trt_x_strata"] = {"coef": phs.params.tolist(), "se": phs.bse.tolist(), "loglik": phs.llf}
out["survival"] = surv

# --- multiplicity ------------------------------------------------------------------------
pv = [0.012, 0.04, 0.0031, 0.2, 0.025]
out["multiplicity"] = {"p": pv, **{m: multipletests(pv, method=k)[1].tolist()
                                   for m, k in [("bonferroni", "bonferroni"), ("holm", "holm"),
                                                ("hochberg", "simes-hochberg")]}}

# --- Dunnett -----------------------------------------------------------------------------
ctl = np.round(rng.normal(0, 1, 10), 3)
arms = [np.round(rng.normal(m, 1, k), 3) for m, k in [(0.9, 9), (0.2, 10), (1.1, 12)]]
dres = stats.dunnett(*arms, control=ctl, alternative="two-sided", rng=np.random.default_rng(1))
dres1 = stats.dunnett(*arms, control=ctl, alternative="greater", rng=np.random.default_rng(1))
# Independent evaluation of Dunnett's (1955) integral with scipy.integrate (tight tolerance).
n0 = len(ctl)
nu = n0 + sum(len(a) for a in arms) - len(arms) - 1
lam = np.array([math.sqrt(len(a) / (len(a) + n0)) for a in arms])
r = np.sqrt(1 - lam ** 2)
def max_cdf(c, two):
    def inner(z, s):
        up = stats.norm.cdf((c * s - lam * z) / r)
        lo = stats.norm.cdf((-c * s - lam * z) / r) if two else 0.0
        return stats.norm.pdf(z) * np.prod(up - lo)
    def fs(s):
        return math.exp(0.5 * nu * math.log(nu) - (0.5 * nu - 1) * math.log(2) - math.lgamma(0.5 * nu)
                        + (nu - 1) * math.log(s) - 0.5 * nu * s * s)
    v, _ = integrate.dblquad(lambda z, s: fs(s) * inner(z, s), 0, 1 + 10 / math.sqrt(nu), -9, 9,
                             epsabs=1e-13, epsrel=1e-13)
    return v
pooled = np.concatenate([ctl - ctl.mean()] + [a - a.mean() for a in arms])
s2 = (pooled ** 2).sum() / nu
tstat = [(a.mean() - ctl.mean()) / math.sqrt(s2 * (1 / len(a) + 1 / n0)) for a in arms]
out["dunnett"] = {"control": ctl.tolist(), "arms": [a.tolist() for a in arms],
                  "statistic": dres.statistic.tolist(), "p_scipy": dres.pvalue.tolist(),
                  "p_scipy_greater": dres1.pvalue.tolist(),
                  "p_integral": [1 - max_cdf(abs(t), True) for t in tstat],
                  "p_integral_greater": [1 - max_cdf(t, False) for t in tstat]}

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json"), "w") as f:
    json.dump(out, f, indent=1, default=float)
print("wrote reference.json")
