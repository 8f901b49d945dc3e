//! Seeded random streams: one ChaCha8 stream per (seed, purpose, index).
//!
//! Sampling draws every random number of chunk `i` from stream `(seed, purpose, i)`, so the
//! result does not depend on which thread ran which chunk.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a stream is used for (part of the stream id, so streams never overlap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// Token sampling noise of the generator.
    Tokens = 1,
    /// Within-bin values, creatinine and phenotype draws.
    Decode = 2,
    /// Training: minibatch order of the early-stopping run.
    Shuffle = 3,
    /// Training: minibatch order of the refit.
    Refit = 4,
    /// Training: validation split.
    ValidationSplit = 5,
    /// Holdout split of a data file.
    HoldoutSplit = 6,
    /// Evaluation: subsampling and cross-validation folds.
    Evaluate = 7,
}

/// The stream for `(seed, purpose, index)`.
pub fn stream(seed: u64, purpose: Purpose, index: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(((purpose as u64) << 48) | (index & ((1 << 48) - 1)));
    r
}
