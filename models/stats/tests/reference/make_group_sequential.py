"""Reference efficacy boundaries for vtrial-stats' group_sequential module.

Uses the integration routines of gsDesign ported to Python (`pip install gsdesign==0.1.5
scipy numpy`: gridpts/h1/hupdate, Jennison & Turnbull's grid with r = 18) and scipy's brentq
for each look's boundary. Run: python3 make_group_sequential.py > group_sequential.json. Each case also gives the
probability of stopping for efficacy at each look under drift 2.8 (Z_k ~ N(2.8 sqrt(t_k), 1)).
For O'Brien-Fleming-type spending at K = 3 equally spaced looks and one-sided alpha 0.025,
rpact's getDesignGroupSequential(typeOfDesign = "asOF") prints 3.710, 2.511, 1.993; this
script gives the same.
"""
import json

import numpy as np
from gsdesign import h1, hupdate
from scipy.optimize import brentq
from scipy.stats import norm


def spent(kind, alpha, t, gamma=None):
    if kind == "obrien_fleming":
        return 2 * norm.sf(norm.isf(alpha / 2) / np.sqrt(t))
    if kind == "pocock":
        return alpha * np.log(1 + (np.e - 1) * t)
    return alpha * t if gamma == 0 else alpha * (1 - np.exp(-gamma * t)) / (1 - np.exp(-gamma))


def bounds(kind, alpha, info, gamma=None, r=18):
    out, prev, spent_before = [], None, 0.0
    for t in info:
        target = spent(kind, alpha, t, gamma) - spent_before
        if prev is None:
            c = norm.isf(target)
            grid = h1(r=r, theta=0, info=t, a=-np.inf, b=c)
        else:
            tp, (z, _w, h) = prev

            def exit_probability(c):
                return float(np.sum(h * norm.sf((c * np.sqrt(t) - z * np.sqrt(tp)) / np.sqrt(t - tp))))

            c = brentq(lambda c: exit_probability(c) - target, -10, 40, xtol=1e-13)
            grid = hupdate(r=r, theta=0, info=t, a=-np.inf, b=c, theta_prev=0, info_prev=tp, gm1=prev[1])
        out.append(float(c))
        prev = (t, grid)
        spent_before += target
    return out


def power(info, z, drift, r=18):
    """Probability of crossing each upper boundary when Z_k ~ N(drift * sqrt(t_k), 1)."""
    out, prev = [], None
    for t, c in zip(info, z):
        if prev is None:
            out.append(float(norm.sf(c - drift * np.sqrt(t))))
            grid = h1(r=r, theta=drift, info=t, a=-np.inf, b=c)
        else:
            tp, (zp, _w, h) = prev
            step = drift * (t - tp)
            out.append(float(np.sum(h * norm.sf((c * np.sqrt(t) - zp * np.sqrt(tp) - step) / np.sqrt(t - tp)))))
            grid = hupdate(r=r, theta=drift, info=t, a=-np.inf, b=c, theta_prev=drift, info_prev=tp, gm1=prev[1])
        prev = (t, grid)
    return out


CASES = [
    ("obrien_fleming", None, 0.025, [0.5, 1.0]),
    ("obrien_fleming", None, 0.025, [1 / 3, 2 / 3, 1.0]),
    ("obrien_fleming", None, 0.025, [0.2, 0.45, 0.7, 1.0]),
    ("pocock", None, 0.025, [1 / 3, 2 / 3, 1.0]),
    ("pocock", None, 0.05, [0.5, 1.0]),
    ("hsd", -4.0, 0.025, [0.25, 0.5, 0.75, 1.0]),
    ("hsd", 1.0, 0.05, [0.4, 1.0]),
    ("hsd", 0.0, 0.025, [0.3, 0.6, 1.0]),
]

rows = []
for k, g, a, info in CASES:
    z = bounds(k, a, info, g)
    rows.append({"spending": k if k != "hsd" else f"hsd({g})", "alpha": a, "information": info, "z": z,
                 "drift": 2.8, "power_by_look": power(info, z, 2.8)})
print(json.dumps(rows, indent=1))
