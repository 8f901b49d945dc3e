//! Randomisation: simple, permuted blocks, and permuted blocks within strata.
//!
//! Patients are randomised in enrolment order. A block of size `b` holds `b·rᵢ/Σr`
//! allocations to arm `i` in random order; with strata each stratum has its own sequence of
//! blocks, so the allocation ratio holds within each stratum up to one incomplete block.

use std::collections::BTreeMap;

use rand::Rng;
use rand::seq::SliceRandom;

/// How to randomise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Each patient independently, arm `i` with probability `rᵢ/Σr`.
    Simple,
    /// Permuted blocks of this size (a multiple of `Σr`), within each stratum.
    Blocks(u32),
}

/// Assigns an arm to each patient. `strata[k]` is patient `k`'s stratum label (all equal
/// without stratification); `ratios` the allocation ratio of each arm.
pub fn randomise<R: Rng>(ratios: &[u32], method: Method, strata: &[String], rng: &mut R) -> Vec<usize> {
    let total: u32 = ratios.iter().sum();
    match method {
        Method::Simple => strata
            .iter()
            .map(|_| {
                let mut u = rng.random_range(0..total);
                ratios.iter().position(|&r| {
                    if u < r {
                        true
                    } else {
                        u -= r;
                        false
                    }
                })
                .expect("u < total")
            })
            .collect(),
        Method::Blocks(size) => {
            let mut template = Vec::with_capacity(size as usize);
            for (arm, &r) in ratios.iter().enumerate() {
                template.extend(std::iter::repeat_n(arm, (size / total * r) as usize));
            }
            // Per stratum: the current block and the position in it. A BTreeMap so that the
            // stratum labels never depend on hashing.
            let mut blocks: BTreeMap<&str, (Vec<usize>, usize)> = BTreeMap::new();
            strata
                .iter()
                .map(|s| {
                    let (block, pos) = blocks.entry(s.as_str()).or_insert_with(|| (template.clone(), template.len()));
                    if *pos == block.len() {
                        block.copy_from_slice(&template);
                        block.shuffle(rng);
                        *pos = 0;
                    }
                    *pos += 1;
                    block[*pos - 1]
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn blocks_are_balanced_after_each_block() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let strata = vec![String::new(); 120];
        let arms = randomise(&[1, 2, 1], Method::Blocks(8), &strata, &mut rng);
        for block in arms.chunks(8) {
            let count = |a| block.iter().filter(|&&x| x == a).count();
            assert_eq!((count(0), count(1), count(2)), (2, 4, 2));
        }
    }

    #[test]
    fn stratified_blocks_balance_within_each_stratum() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let strata: Vec<String> = (0..203).map(|i| if i % 3 == 0 { "F".to_string() } else { "M".to_string() }).collect();
        let arms = randomise(&[1, 1], Method::Blocks(4), &strata, &mut rng);
        for label in ["F", "M"] {
            let (a, b) = strata.iter().zip(&arms).filter(|(s, _)| *s == label).fold((0, 0), |(a, b), (_, &x)| if x == 0 { (a + 1, b) } else { (a, b + 1) });
            assert!((a as i64 - b as i64).abs() <= 2, "{label}: {a} vs {b}");
        }
    }

    #[test]
    fn simple_randomisation_follows_the_ratio() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let strata = vec![String::new(); 30_000];
        let arms = randomise(&[2, 1], Method::Simple, &strata, &mut rng);
        let share = arms.iter().filter(|&&a| a == 0).count() as f64 / arms.len() as f64;
        // 2/3 with a binomial SE of 0.0027: 5 SE.
        assert!((share - 2.0 / 3.0).abs() < 0.014, "{share}");
    }
}
