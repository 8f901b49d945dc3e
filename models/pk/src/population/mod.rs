//! Population variability: random effects, residual error, covariate models and the seeded
//! random streams that drive them, with NONMEM's conventions.
//!
//! An individual parameter is built the way a NONMEM `$PK` block writes it
//! (NONMEM Users Guide, Part V, "Introductory Guide", chapters on `$PK` and `$OMEGA`):
//!
//! ```text
//! TVCL = THETA(1) · (WT/70)^0.75 · (if SEX = F: 0.8)        typical value with covariates
//! CL   = TVCL · EXP(ETA(1))                                  log-normal inter-individual variability
//! Y    = IPRED + IPRED·EPS(1) + EPS(2)                        combined residual error
//! ```
//!
//! - [`Omega`]: the variance–covariance matrix of the ETAs (`$OMEGA`, `$OMEGA BLOCK`), with
//!   its Cholesky factor; draws `η ~ N(0, Ω)` as `η = L·z`. Also used for IOV and SIGMA.
//! - [`OccasionVariability`]: inter-occasion variability, one independent draw of its own Ω
//!   per occasion.
//! - [`ResidualError`]: additive, proportional, combined and exponential error models.
//! - [`CovariateEffect`]: power, exponential, linear and categorical covariate models, with a
//!   parser for the readable forms of scenario files (`"power(0.75, ref=70)"`).
//! - [`IndividualParameter`]: typical value × covariate factors, then log-normal, normal or
//!   logit variability ([`Variability`]).
//! - [`rng_stream`]: one reproducible ChaCha8 stream per (seed, scenario point, replicate,
//!   patient, [`purpose`]), independent of which thread draws what.
//!
//! ```
//! use vtrial_pk::population::{rng_stream, purpose, CovariateEffect, IndividualParameter, Omega, Variability};
//! let omega = Omega::diagonal("OMEGA", vec!["CL".into(), "V".into()], &[0.09, 0.04]).unwrap();
//! let mut rng = rng_stream(20261127, &[0, 1, 42, purpose::IIV]);
//! let mut eta = [0.0; 2];
//! omega.sample(&mut rng, &mut eta);
//! let cl = IndividualParameter {
//!     typical: 5.0,
//!     covariates: vec![("weight".into(), CovariateEffect::parse("power(0.75, ref=70)").unwrap())],
//!     eta: omega.index_of("CL"),
//!     kind: Variability::LogNormal,
//! };
//! let value = cl.value(|name| (name == "weight").then_some(80.0), &eta).unwrap();
//! assert!((value - 5.0 * (80.0_f64 / 70.0).powf(0.75) * eta[0].exp()).abs() < 1e-12);
//! ```

mod covariate;
mod iov;
mod omega;
mod parameter;
mod parse;
mod residual;
mod stream;

pub use covariate::{CategoryKey, CovariateEffect, CovariateError};
pub use iov::OccasionVariability;
pub use omega::Omega;
pub use parameter::{IndividualParameter, ParameterError, Variability};
pub use parse::CovariateParseError;
pub use residual::ResidualError;
pub use stream::{purpose, rng_stream};
