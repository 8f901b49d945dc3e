//! Derived covariates, each a pure function of the record's own columns.

/// Body-mass index, kg/m², from weight (kg) and height (cm). Every function here is NaN
/// (missing) when an input is NaN; the caller leaves a value missing when sex is unknown.
pub fn bmi(weight_kg: f64, height_cm: f64) -> f64 {
    let m = height_cm / 100.0;
    weight_kg / (m * m)
}

/// Body-surface area, m², by Mosteller (N Engl J Med 1987;317:1098): √(height cm × weight kg / 3600).
pub fn bsa_mosteller(weight_kg: f64, height_cm: f64) -> f64 {
    (height_cm * weight_kg / 3600.0).sqrt()
}

/// eGFR, mL/min/1.73 m², by the race-free CKD-EPI 2021 creatinine equation
/// (Inker et al., N Engl J Med 2021;385:1737):
/// 142 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^−1.200 × 0.9938^age × 1.012 (female),
/// κ = 0.7 (F) / 0.9 (M), α = −0.241 (F) / −0.302 (M); Scr in mg/dL, age in years.
/// NaN (missing) when creatinine or age is missing: `f64::min`/`max` would otherwise turn a
/// NaN ratio into 1 and invent a value.
pub fn egfr_ckd_epi_2021(creatinine_mg_dl: f64, age_yr: f64, female: bool) -> f64 {
    if creatinine_mg_dl.is_nan() || age_yr.is_nan() {
        return f64::NAN;
    }
    let (kappa, alpha, f) = if female { (0.7, -0.241, 1.012) } else { (0.9, -0.302, 1.0) };
    let r = creatinine_mg_dl / kappa;
    142.0 * r.min(1.0).powf(alpha) * r.max(1.0).powf(-1.200) * 0.9938f64.powf(age_yr) * f
}

/// Creatinine clearance, mL/min, by Cockcroft–Gault (Nephron 1976;16:31) with total body
/// weight: (140 − age) × weight / (72 × Scr), × 0.85 if female.
pub fn crcl_cockcroft_gault(creatinine_mg_dl: f64, age_yr: f64, weight_kg: f64, female: bool) -> f64 {
    let c = (140.0 - age_yr) * weight_kg / (72.0 * creatinine_mg_dl);
    if female { 0.85 * c } else { c }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ckd_epi_2021_hand_examples() {
        // Male, 50 y, Scr 1.0: 142 × (1/0.9)^−1.2 × 0.9938^50 = 142 × 0.88122 × 0.73275 = 91.69
        assert!((egfr_ckd_epi_2021(1.0, 50.0, false) - 91.69).abs() < 0.05);
        // Female, 60 y, Scr 0.6 (< κ): 142 × (0.6/0.7)^−0.241 × 0.9938^60 × 1.012 = 102.69
        assert!((egfr_ckd_epi_2021(0.6, 60.0, true) - 102.69).abs() < 0.05);
        // Female, 70 y, Scr 2.0: 142 × (2/0.7)^−1.2 × 0.9938^70 × 1.012 = 26.38
        assert!((egfr_ckd_epi_2021(2.0, 70.0, true) - 26.38).abs() < 0.05);
    }

    #[test]
    fn cockcroft_gault_hand_examples() {
        // Male, 40 y, 72 kg, Scr 1.0: (140-40)×72/(72×1) = 100 mL/min
        assert!((crcl_cockcroft_gault(1.0, 40.0, 72.0, false) - 100.0).abs() < 1e-9);
        // Female, 80 y, 60 kg, Scr 1.2: 60×60/(86.4) × 0.85 = 35.4167
        assert!((crcl_cockcroft_gault(1.2, 80.0, 60.0, true) - 35.416_666).abs() < 1e-4);
    }

    #[test]
    fn bmi_bsa_examples() {
        assert!((bmi(70.0, 175.0) - 22.857).abs() < 1e-3);
        // Mosteller: √(180 × 80 / 3600) = 2.0
        assert!((bsa_mosteller(80.0, 180.0) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn a_missing_input_gives_a_missing_value() {
        let nan = f64::NAN;
        for female in [false, true] {
            assert!(egfr_ckd_epi_2021(nan, 50.0, female).is_nan());
            assert!(egfr_ckd_epi_2021(1.0, nan, female).is_nan());
            for (c, a, w) in [(nan, 50.0, 70.0), (1.0, nan, 70.0), (1.0, 50.0, nan)] {
                assert!(crcl_cockcroft_gault(c, a, w, female).is_nan());
            }
        }
        for (w, h) in [(nan, 170.0), (70.0, nan)] {
            assert!(bmi(w, h).is_nan() && bsa_mosteller(w, h).is_nan());
        }
    }
}
