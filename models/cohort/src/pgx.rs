//! CYP2C19 metaboliser phenotype, drawn from published allele frequencies by ancestry.
//!
//! Source: CPIC/PharmGKB CYP2C19 frequency table (Clinical Pharmacogenetics Implementation
//! Consortium; allele frequencies by biogeographical group, as used in Lee et al., "CPIC
//! guideline for CYP2C19 genotype and clopidogrel therapy: 2022 update", Clin Pharmacol Ther
//! 2022;112:959–967). Alleles: *2 and *3 no function, *17 increased function, everything
//! else counted as *1 (normal function). Phenotypes follow CPIC's diplotype mapping and
//! Hardy–Weinberg proportions:
//!   ultrarapid *17/*17 · rapid *1/*17 · normal *1/*1 · intermediate *1/no-function or
//!   *17/no-function · poor no-function/no-function.
//! For the European group this gives UM 4.6 %, RM 27.3 %, NM 40.4 %, IM 25.4 %, PM 2.2 %,
//! matching the diplotype frequencies observed in 1.7 million Europeans (Table 3 of
//! Kaye et al., Pharmacogenomics 2022, doi:10.2217/pme-2021-0175: NM 40.6 %, RM 27.6 %,
//! UM 4.7 %, IM 24.8 %, PM 2.1 %). For the African American / Afro-Caribbean group it gives
//! IM + PM = 33 %, against 34 % measured in 659 Black patients genotyped in clinical care
//! (Beitelshees et al., Clin Pharmacol Ther 2022;113:615, Table 2).
//! NHEFS codes race only as white / "black or other"; the second group uses the African
//! American frequencies, which is an approximation for the "other" members.

/// CYP2C19 phenotype labels, in output order.
pub const PHENOTYPES: [&str; 5] = ["poor", "intermediate", "normal", "rapid", "ultrarapid"];

/// Allele frequencies (*2 + *3 no-function, *17 increased-function) by ancestry group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlleleFrequencies {
    /// No-function alleles (*2, *3).
    pub no_function: f64,
    /// Increased-function allele (*17).
    pub increased: f64,
}

/// European ancestry: *2 0.147, *3 0.002, *17 0.215.
pub const EUROPEAN: AlleleFrequencies = AlleleFrequencies { no_function: 0.149, increased: 0.215 };
/// African American / Afro-Caribbean: *2 0.180, *3 0.003, *17 0.210.
pub const AFRICAN_AMERICAN: AlleleFrequencies =
    AlleleFrequencies { no_function: 0.183, increased: 0.210 };

/// Phenotype probabilities in [`PHENOTYPES`] order (Hardy–Weinberg).
pub fn phenotype_probabilities(f: AlleleFrequencies) -> [f64; 5] {
    let (q, r) = (f.no_function, f.increased);
    let p = 1.0 - q - r;
    [q * q, 2.0 * p * q + 2.0 * r * q, p * p, 2.0 * p * r, r * r]
}

/// Cumulative phenotype probabilities (for [`draw_cdf`]).
pub fn phenotype_cdf(f: AlleleFrequencies) -> [f64; 5] {
    let p = phenotype_probabilities(f);
    let mut c = [0.0; 5];
    let mut acc = 0.0;
    for i in 0..5 {
        acc += p[i];
        c[i] = acc;
    }
    c
}

/// Draws a phenotype index from a uniform `u` in [0, 1) and a cumulative table.
pub fn draw_cdf(cdf: &[f64; 5], u: f64) -> usize {
    cdf.iter().position(|&c| u < c).unwrap_or(PHENOTYPES.len() - 1)
}

/// Draws a phenotype index from a uniform `u` in [0, 1).
pub fn draw(f: AlleleFrequencies, u: f64) -> usize {
    draw_cdf(&phenotype_cdf(f), u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn european_matches_published_diplotype_frequencies() {
        let p = phenotype_probabilities(EUROPEAN);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let published = [0.021, 0.248, 0.406, 0.276, 0.047];
        for (a, b) in p.iter().zip(published) {
            assert!((a - b).abs() < 0.01, "{p:?}");
        }
    }
}
