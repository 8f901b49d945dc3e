//! Nonlinear PK models solved with the PK library's ODE solver (`vtrial_pk::ode`), behind
//! the same [`PkSystem`] interface as the closed forms, so the event simulator gives them
//! NONMEM dosing semantics (steady state by iterating dosing intervals).
//!
//! - Michaelis–Menten elimination, one compartment, IV or first-order absorption:
//!   `dA/dt = r − Vmax·C/(Km + C)`, `C = A/V` (with a depot `dAd/dt = rd − ka·Ad`).
//!
//! The state carries one integrator after the compartments: the AUC of the central
//! concentration (so steady-state AUC over an interval is exact to the solver's tolerance).

use vtrial_pk::ode::{FnSystem, Solver, SolverOptions};
use vtrial_pk::{PkError, PkSystem};

/// Parameters of a Michaelis–Menten model (engine units: mg/h, mg/L, L, 1/h).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MmParams {
    /// Maximal elimination rate, mg/h.
    pub vmax: f64,
    /// Concentration of half-maximal elimination, mg/L.
    pub km: f64,
    /// Volume, L.
    pub v: f64,
    /// Absorption rate constant, 1/h (oral models).
    pub ka: f64,
}

/// One-compartment Michaelis–Menten model, IV or oral.
#[derive(Debug)]
pub struct MichaelisMenten {
    oral: bool,
    p: MmParams,
    solver: Solver,
}

impl MichaelisMenten {
    /// Builds the model; parameters must be finite and > 0.
    pub fn new(oral: bool, p: MmParams) -> Result<Self, PkError> {
        let check = |name: &str, value: f64| {
            if value > 0.0 && value.is_finite() {
                Ok(())
            } else {
                Err(PkError::InvalidParameter { name: name.into(), value, expected: "a finite number > 0" })
            }
        };
        check("VMAX", p.vmax)?;
        check("KM", p.km)?;
        check("V", p.v)?;
        if oral {
            check("KA", p.ka)?;
        }
        let options = SolverOptions { rtol: 1e-7, atol: 1e-9, ..SolverOptions::default() };
        Ok(MichaelisMenten { oral, p, solver: Solver::new(options) })
    }

    /// Index of the central compartment.
    pub fn central(&self) -> usize {
        usize::from(self.oral)
    }
}

impl PkSystem for MichaelisMenten {
    fn n_cmt(&self) -> usize {
        1 + usize::from(self.oral)
    }

    fn n_state(&self) -> usize {
        self.n_cmt() + 1
    }

    fn advance<V: FnMut(usize, &[f64])>(&mut self, state: &mut [f64], t0: f64, stops: &[f64], rates: &[f64], visit: V) -> Result<(), PkError> {
        let Some(&t_end) = stops.last() else { return Ok(()) };
        let MmParams { vmax, km, v, ka } = self.p;
        let oral = self.oral;
        let n = state.len();
        let sys = FnSystem::new(n, |_t, y: &[f64], dy: &mut [f64]| {
            let c_idx = usize::from(oral);
            if oral {
                dy[0] = rates[0] - ka * y[0];
            }
            let c = y[c_idx] / v;
            let absorbed = if oral { ka * y[0] } else { 0.0 };
            dy[c_idx] = rates[c_idx] + absorbed - vmax * c / (km + c.max(0.0));
            dy[c_idx + 1] = c;
        });
        self.solver
            .integrate(&sys, t0, state, stops, visit)
            .map(|_| ())
            .map_err(|e| PkError::Ode { t_start: t0, t_end, message: e.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vtrial_pk::{Dose, LinearParams, LinearPk, Record, RecordKind, Simulator, Structure};

    /// With Km far above the concentrations, Michaelis–Menten elimination is linear with
    /// CL = Vmax/Km: the ODE path matches the closed form.
    #[test]
    fn matches_linear_model_when_km_is_large() {
        let (km, cl, v, ka) = (1e6, 5.0, 50.0, 1.2);
        let mut mm = [MichaelisMenten::new(true, MmParams { vmax: cl * km, km, v, ka }).unwrap()];
        let mut lin = [LinearPk::new(Structure::OneCmtOral, LinearParams { cl, v, ka, ..Default::default() }).unwrap()];
        let mut records = vec![Record { time: 0.0, kind: RecordKind::Dose(Dose::bolus(0, 100.0).every(24.0, 6)), params: 0 }];
        records.extend((1..=60).map(|i| Record { time: 3.0 * i as f64, kind: RecordKind::Observation, params: 0 }));
        let mut sim = Simulator::default();
        let (mut a, mut b) = (vec![0.0; records.len()], vec![0.0; records.len()]);
        sim.run(&mut mm, &records, |i, s| a[i] = s[1] / v).unwrap();
        sim.run(&mut lin, &records, |i, s| b[i] = s[1] / v).unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-5 * y.max(1e-3), "{x} vs {y}");
        }
    }

    /// Saturation: doubling the dose more than doubles the AUC.
    #[test]
    fn saturable_elimination_is_more_than_dose_proportional() {
        let auc = |dose: f64| {
            let mut m = [MichaelisMenten::new(false, MmParams { vmax: 10.0, km: 2.0, v: 20.0, ka: 0.0 }).unwrap()];
            let records = [
                Record { time: 0.0, kind: RecordKind::Dose(Dose::bolus(0, dose)), params: 0 },
                Record { time: 200.0, kind: RecordKind::Observation, params: 0 },
            ];
            let mut out = 0.0;
            Simulator::default().run(&mut m, &records, |i, s| if i == 1 { out = s[1] }).unwrap();
            out
        };
        assert!(auc(200.0) > 2.2 * auc(100.0));
    }
}
