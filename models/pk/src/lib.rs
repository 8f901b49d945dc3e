//! Pharmacokinetics with NONMEM dosing semantics.
//!
//! - [`event`]: records (EVID 0–4, AMT, CMT, RATE, II, ADDL, SS, F, ALAG) resolved to numbers;
//! - [`sim`]: the event simulator that gives them NONMEM's meaning on any [`PkSystem`];
//! - [`linear`]: 1-, 2-, 3-compartment models (IV or first-order absorption) in closed form;
//! - [`nonlinear`]: Michaelis–Menten, transit absorption and linear models solved by ODE;
//! - [`ode`]: stiff and non-stiff ODE solvers;
//! - [`population`]: random effects, covariate models, residual error, seeded streams;
//! - [`exposure`]: Cmax, Tmax, Ctrough, AUC, time above a threshold.
//!
//! ```
//! use vtrial_pk::{Dose, LinearParams, LinearPk, Record, RecordKind, Simulator, Structure};
//! // 100 mg orally every 24 h, four doses; concentrations (mg/L) every 12 h.
//! let params = LinearParams { cl: 1.1, v: 20.0, ka: 1.5, ..Default::default() };
//! let mut model = [LinearPk::new(Structure::OneCmtOral, params).unwrap()];
//! let mut records = vec![Record { time: 0.0, kind: RecordKind::Dose(Dose::bolus(0, 100.0).every(24.0, 3)), params: 0 }];
//! records.extend((1..=8).map(|i| Record { time: 12.0 * i as f64, kind: RecordKind::Observation, params: 0 }));
//! let mut conc = vec![0.0; records.len()];
//! Simulator::default().run(&mut model, &records, |i, amounts| conc[i] = amounts[1] / 20.0).unwrap();
//! assert!(conc[2] > 0.0 && conc[2] < 5.0);
//! ```
pub mod error;
pub mod event;
pub mod linear;
pub mod nonlinear;
pub mod ode;
pub mod sim;
pub mod system;

pub use error::PkError;
pub use event::{Dose, DoseInput, Record, RecordKind, SteadyState};
pub use linear::{LinearParams, LinearPk, Structure};
pub use sim::{ParamTiming, SimOptions, Simulator};
pub use system::PkSystem;
pub mod exposure;
pub mod population;
pub use exposure::{AucMethod, ExposureMetrics};
pub use population::{CovariateEffect, IndividualParameter, OccasionVariability, Omega, ResidualError, Variability, rng_stream};
