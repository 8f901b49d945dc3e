//! Reproducible, independent random streams: one per (seed, scenario point, replicate,
//! patient, purpose).
//!
//! A stream is a ChaCha8 generator whose 256-bit key is a hash of the run's seed and a
//! list of keys. Nothing else goes in: not the thread, not the order in which streams are
//! made, not how many draws other streams made. So the same `(seed, keys)` always gives
//! the same stream, on every platform and in every release that keeps this function
//! unchanged (a test pins its first outputs: changing the mixing changes every simulated
//! trial and must be deliberate).
//!
//! # Key derivation
//! With `mix` the SplitMix64 output function (Steele, Lea & Flood 2014, constants of
//! Vigna's `splitmix64.c`) — a bijection of 64-bit words with full avalanche —, `γ` the
//! golden-ratio increment `0x9E3779B97F4A7C15` and `P₀..P₃` four words of π
//! (`0x243F6A8885A308D3, 0x13198A2E03707344, 0xA4093822299F31D0, 0x082EFA98EC4E6C89`),
//! the key is four 64-bit words, word `j`:
//!
//! ```text
//! h = mix(seed ⊕ Pⱼ)
//! for each key k, in order:  h = mix((h + γ) ⊕ mix(k + Pⱼ))
//! wordⱼ = mix(h ⊕ (number of keys)·γ)
//! ```
//!
//! (additions and products wrap), written little-endian as the 32-byte ChaCha seed (stream
//! 0, position 0). Each step is a bijection of `h` for a fixed key and of the key for a fixed
//! `h`, so two key lists that differ in one key never collide in a lane; the four lanes use
//! different constants, so distinct inputs give keys that differ in practice everywhere.
//! The number of keys is absorbed, so `[1, 2]` and `[1, 2, 0]` differ.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a stream is used for: the last key of [`rng_stream`], so that adding draws for
/// one purpose never shifts another's. The values enter the key derivation: never
/// renumber them; add new purposes with new numbers.
pub mod purpose {
    /// Inter-individual variability: the patient's ETAs.
    pub const IIV: u64 = 1;
    /// Inter-occasion variability: the κ of each occasion.
    pub const IOV: u64 = 2;
    /// Residual error of observations.
    pub const RESIDUAL: u64 = 3;
    /// The patient's covariates (the cohort generator's latent noise).
    pub const COHORT: u64 = 4;
    /// Randomisation to arms.
    pub const RANDOMISATION: u64 = 5;
    /// Dropout.
    pub const DROPOUT: u64 = 6;
    /// Response model variability (pharmacodynamics, placebo, baseline).
    pub const RESPONSE: u64 = 7;
    /// Dosing deviations (adherence, missed or delayed doses).
    pub const DOSING: u64 = 8;
}

/// SplitMix64's golden-ratio increment.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// One constant per 64-bit word of the key: the first hexadecimal digits of π.
const LANES: [u64; 4] = [0x243F_6A88_85A3_08D3, 0x1319_8A2E_0370_7344, 0xA409_3822_299F_31D0, 0x082E_FA98_EC4E_6C89];

/// The SplitMix64 output function.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The 256-bit ChaCha key of `(seed, keys)`; see the module docs.
fn derive_key(seed: u64, keys: &[u64]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (j, lane) in LANES.iter().enumerate() {
        let mut h = mix(seed ^ lane);
        for &k in keys {
            h = mix(h.wrapping_add(GAMMA) ^ mix(k.wrapping_add(*lane)));
        }
        let word = mix(h ^ (keys.len() as u64).wrapping_mul(GAMMA));
        out[8 * j..8 * j + 8].copy_from_slice(&word.to_le_bytes());
    }
    out
}

/// The random stream of `seed` and `keys`, e.g.
/// `rng_stream(seed, &[scenario_point, replicate, patient, purpose::IIV])`.
///
/// The same `(seed, keys)` always gives the same stream, whatever thread calls it and
/// whenever; different keys give independent streams (see the module docs for the
/// derivation). Use the purpose as the last key ([`purpose`]).
pub fn rng_stream(seed: u64, keys: &[u64]) -> ChaCha8Rng {
    ChaCha8Rng::from_seed(derive_key(seed, keys))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_output_function_matches_reference() {
        // splitmix64.c with state 0: the first output is mix(0 + γ).
        assert_eq!(mix(GAMMA), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn key_length_is_absorbed() {
        assert_ne!(derive_key(1, &[1, 2]), derive_key(1, &[1, 2, 0]));
        assert_ne!(derive_key(1, &[]), derive_key(1, &[0]));
    }
}
