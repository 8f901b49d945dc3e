//! Individual parameters: typical value × covariate factors with log-normal, normal and
//! logit variability; errors name the covariate.
//!
//! Tolerance: 1e-14 relative to values computed independently (Python `math`).

use vtrial_pk::population::{CovariateEffect, IndividualParameter, Omega, ParameterError, Variability};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-14 * b.abs()
}

fn patient(name: &str) -> Option<f64> {
    match name {
        "weight" => Some(80.0),
        "sex" => Some(1.0), // F
        "crcl" => Some(290.0),
        _ => None,
    }
}

fn clearance() -> IndividualParameter {
    IndividualParameter {
        typical: 5.0,
        covariates: vec![
            ("weight".into(), CovariateEffect::parse("power(0.75, ref=70)").unwrap()),
            ("sex".into(), CovariateEffect::parse("categorical(1=0.8)").unwrap()),
        ],
        eta: Some(1),
        kind: Variability::LogNormal,
    }
}

#[test]
fn log_normal_with_covariates() {
    // 5 · (80/70)^0.75 · 0.8 · e^{0.2}
    let cl = clearance();
    assert!(close(cl.value(patient, &[9.0, 0.2]).unwrap(), 5.400237346113372));
    assert!(close(cl.typical_value(patient).unwrap(), 5.0 * 1.105335097295811 * 0.8));
}

#[test]
fn eta_index_comes_from_omega_names() {
    let omega = Omega::diagonal("OMEGA", vec!["V".into(), "CL".into()], &[0.04, 0.09]).unwrap();
    let cl = IndividualParameter { eta: omega.index_of("CL"), ..clearance() };
    assert_eq!(cl.eta, Some(1));
}

#[test]
fn normal_and_logit_variability() {
    let e0 = IndividualParameter { typical: 10.0, covariates: vec![], eta: Some(0), kind: Variability::Normal };
    assert_eq!(e0.value(patient, &[-1.5]).unwrap(), 8.5);
    // inv_logit(logit(0.6) + 0.5)
    let f = IndividualParameter { typical: 0.6, covariates: vec![], eta: Some(0), kind: Variability::Logit };
    assert!(close(f.value(patient, &[0.5]).unwrap(), 0.7120712879653152));
    assert!(close(f.value(patient, &[0.0]).unwrap(), 0.6));
    assert!(f.value(patient, &[30.0]).unwrap() < 1.0);
    let full = IndividualParameter { typical: 1.0, ..f.clone() };
    assert_eq!(full.value(patient, &[-3.0]).unwrap(), 1.0);
    let bad = IndividualParameter { typical: 1.2, ..f };
    assert_eq!(bad.value(patient, &[0.0]), Err(ParameterError::NotAFraction { typical_value: 1.2 }));
}

#[test]
fn without_eta_the_value_is_the_typical_value() {
    assert_eq!(IndividualParameter::fixed(3.5).value(patient, &[]).unwrap(), 3.5);
}

#[test]
fn errors_name_the_covariate() {
    let needs_egfr = IndividualParameter {
        covariates: vec![("egfr".into(), CovariateEffect::parse("power(0.4, ref=90)").unwrap())],
        ..clearance()
    };
    let err = needs_egfr.value(patient, &[0.0, 0.0]).unwrap_err();
    assert_eq!(err.to_string(), "covariate egfr has no value for this patient");

    let linear = IndividualParameter {
        covariates: vec![("crcl".into(), CovariateEffect::parse("linear(-0.005, ref=90)").unwrap())],
        ..clearance()
    };
    let err = linear.value(patient, &[0.0, 0.0]).unwrap_err();
    assert!(matches!(&err, ParameterError::Covariate { covariate, .. } if covariate == "crcl"), "{err:?}");
    assert!(err.to_string().starts_with("covariate crcl: value 290 gives factor 0"), "{err}");

    let err = clearance().value(patient, &[0.0]).unwrap_err();
    assert_eq!(err, ParameterError::EtaOutOfRange { index: 1, n_etas: 1 });

    let err = clearance().value(patient, &[0.0, f64::NAN]).unwrap_err();
    assert!(matches!(err, ParameterError::NotFinite { .. }), "{err:?}");
}
