//! Covariate models: factors computed by hand, their errors, and the scenario-file parser
//! (columns of errors, and a round trip through `Display`).
//!
//! Tolerance: factors to 1e-15 relative of values computed independently (Python `math`).

use proptest::prelude::*;
use vtrial_pk::population::{CategoryKey, CovariateEffect, CovariateError};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-15 * b.abs()
}

fn parse(s: &str) -> CovariateEffect {
    CovariateEffect::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn power_model() {
    let e = parse("power(0.75, ref=70)");
    assert!(close(e.factor(80.0).unwrap(), 1.105335097295811));
    assert!(close(e.factor(50.0).unwrap(), 0.7769695042409123));
    assert_eq!(e.factor(70.0).unwrap(), 1.0);
    // x ≤ 0 gives factor 0 or NaN: an error naming the value.
    let err = e.factor(0.0).unwrap_err();
    assert!(matches!(err, CovariateError::InvalidFactor { value: 0.0, .. }), "{err:?}");
    assert!(err.to_string().contains("power(0.75, ref=70)"), "{err}");
    assert!(e.factor(-3.0).is_err());
    assert!(matches!(e.factor(f64::NAN), Err(CovariateError::NotFinite { .. })));
}

#[test]
fn exponential_model() {
    let e = parse("exp(0.01, ref=40)");
    assert!(close(e.factor(60.0).unwrap(), 1.2214027581601699));
    assert!(close(e.factor(20.0).unwrap(), 1.0 / 1.2214027581601699));
    assert!(e.factor(1e6).is_err(), "overflow to infinity is an error");
}

#[test]
fn linear_model_rejects_a_non_positive_factor() {
    let e = parse("linear(-0.005, ref=90)");
    assert!(close(e.factor(50.0).unwrap(), 1.2));
    assert!(close(e.factor(130.0).unwrap(), 0.8));
    let err = e.factor(290.0).unwrap_err();
    assert_eq!(err, CovariateError::InvalidFactor { value: 290.0, factor: 0.0, effect: "linear(-0.005, ref=90)".into() });
    assert!(err.to_string().contains("value 290 gives factor 0"), "{err}");
}

#[test]
fn categorical_model_with_labels_and_codes() {
    let e = parse("categorical(F=0.8, M=1)");
    assert_eq!(
        e,
        CovariateEffect::Categorical { factors: vec![(CategoryKey::Label("F".into()), 0.8), (CategoryKey::Label("M".into()), 1.0)] }
    );
    assert_eq!(e.factor(1.0), Err(CovariateError::UnresolvedLabel { label: "F".into() }));
    // The cohort's sex codes: 0 = M, 1 = F.
    let codes = |label: &str| match label {
        "M" => Some(0.0),
        "F" => Some(1.0),
        _ => None,
    };
    let resolved = e.resolve_labels(codes).unwrap();
    assert_eq!(resolved.factor(1.0).unwrap(), 0.8);
    assert_eq!(resolved.factor(0.0).unwrap(), 1.0);
    assert_eq!(resolved.factor(2.0).unwrap(), 1.0, "a level not listed has factor 1");
    assert!(matches!(resolved.factor(0.5), Err(CovariateError::NotACode { .. })));
    let unknown = parse("categorical(X=2)").resolve_labels(codes).unwrap_err();
    assert_eq!(unknown, CovariateError::UnknownLabel { label: "X".into() });

    let coded = parse("categorical(1=0.8)");
    assert_eq!(coded.factor(1.0).unwrap(), 0.8);
    assert_eq!(coded.factor(0.0).unwrap(), 1.0);
    assert_eq!(coded.resolve_labels(|_| None).unwrap(), coded);
}

#[test]
fn non_positive_categorical_factor_built_by_hand_is_an_error() {
    let e = CovariateEffect::Categorical { factors: vec![(CategoryKey::Code(1), -0.5)] };
    assert!(matches!(e.factor(1.0), Err(CovariateError::InvalidFactor { .. })));
}

/// `(text, column, a piece of the expectation)`.
const BAD: &[(&str, usize, &str)] = &[
    ("pow(0.75, ref=70)", 1, "a covariate model"),
    ("", 1, "a covariate model"),
    ("power 0.75, ref=70)", 7, "'('"),
    ("power(0.75 ref=70)", 12, "','"),
    ("power(, ref=70)", 7, "the exponent"),
    ("power(0.75, reference=70)", 13, "ref="),
    ("power(0.75, ref 70)", 17, "'='"),
    ("power(0.75, ref=-70)", 17, "reference value (a number > 0)"),
    ("power(0.75, ref=70", 19, "',' or ')'"),
    ("exp(abc, ref=1)", 5, "the coefficient"),
    ("exp(1e999, ref=1)", 5, "the coefficient"),
    ("linear(-0.005, ref=90) x", 24, "the end of the text"),
    ("linear(-0.005, ref=)", 20, "the reference value"),
    ("categorical()", 13, "a category level"),
    ("categorical(1.5=2)", 13, "a category level"),
    ("categorical(F=0.8, F=1)", 20, "a level not already listed"),
    ("categorical(F=0)", 15, "the level's factor (a number > 0)"),
    ("categorical(F 0.8)", 15, "'='"),
    ("categorical(F=0.8,)", 19, "a category level"),
    ("categorical(F=0.8 M=1)", 19, "',' or ')'"),
    ("power(0.75,\u{a0}ref=7é)", 18, "',' or ')'"),
];

#[test]
fn parse_errors_give_the_column_and_what_was_expected() {
    for &(text, column, expected) in BAD {
        let err = CovariateEffect::parse(text).expect_err(text);
        assert_eq!(err.column, column, "{text:?}: {err}");
        assert!(err.expected.contains(expected), "{text:?}: {err}");
        assert_eq!(err.input, text);
        assert!(err.to_string().contains(&format!("column {column}")), "{err}");
    }
}

#[test]
fn parse_accepts_spacing_case_and_aliases() {
    assert_eq!(parse(" Power ( 1 , REF = 70 ) "), CovariateEffect::Power { exponent: 1.0, reference: 70.0 });
    assert_eq!(parse("exponential(-2.5E-3, ref=0)"), CovariateEffect::Exponential { coefficient: -0.0025, reference: 0.0 });
    assert_eq!("linear(+0.5, ref=-1)".parse::<CovariateEffect>().unwrap(), CovariateEffect::Linear { slope: 0.5, reference: -1.0 });
}

fn effect() -> impl Strategy<Value = CovariateEffect> {
    let num = -1e6..1e6_f64;
    let level = prop_oneof![any::<i64>().prop_map(CategoryKey::Code), "[A-Za-z_][A-Za-z0-9_]{0,8}".prop_map(CategoryKey::Label)];
    prop_oneof![
        (num.clone(), 1e-6..1e6_f64).prop_map(|(exponent, reference)| CovariateEffect::Power { exponent, reference }),
        (num.clone(), num.clone()).prop_map(|(coefficient, reference)| CovariateEffect::Exponential { coefficient, reference }),
        (num.clone(), num).prop_map(|(slope, reference)| CovariateEffect::Linear { slope, reference }),
        proptest::collection::btree_map(level, 1e-6..1e6_f64, 1..5)
            .prop_map(|m| CovariateEffect::Categorical { factors: m.into_iter().collect() }),
    ]
}

proptest! {
    #[test]
    fn display_then_parse_gives_the_same_model(e in effect()) {
        let text = e.to_string();
        prop_assert_eq!(CovariateEffect::parse(&text), Ok(e), "{}", text);
    }
}
