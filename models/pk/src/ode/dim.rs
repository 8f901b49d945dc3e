//! Compile-time specialisation of the per-step kernels for small dimensions.
//!
//! PK systems have 1 to about 12 states. Kernels take a `const N: usize` (0 meaning "use the
//! slice length"); with `N` known, loops over components unroll, bounds checks fold, and a
//! small right-hand side inlined into the kernel sees fixed-length slices. [`by_dim!`] picks
//! the instance for a runtime dimension.

/// Evaluates `$body` with the const `$N` set to `$n` if `1 <= $n <= 12`, else to 0.
macro_rules! by_dim {
    ($n:expr, |$N:ident| $body:expr) => {
        match $n {
            1 => {
                const $N: usize = 1;
                $body
            }
            2 => {
                const $N: usize = 2;
                $body
            }
            3 => {
                const $N: usize = 3;
                $body
            }
            4 => {
                const $N: usize = 4;
                $body
            }
            5 => {
                const $N: usize = 5;
                $body
            }
            6 => {
                const $N: usize = 6;
                $body
            }
            7 => {
                const $N: usize = 7;
                $body
            }
            8 => {
                const $N: usize = 8;
                $body
            }
            9 => {
                const $N: usize = 9;
                $body
            }
            10 => {
                const $N: usize = 10;
                $body
            }
            11 => {
                const $N: usize = 11;
                $body
            }
            12 => {
                const $N: usize = 12;
                $body
            }
            _ => {
                const $N: usize = 0;
                $body
            }
        }
    };
}
pub(crate) use by_dim;

/// The dimension a kernel instance works with: `N`, or `len` for the generic instance.
#[inline(always)]
pub(crate) const fn dim<const N: usize>(len: usize) -> usize {
    if N == 0 { len } else { N }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn which<const N: usize>(len: usize) -> (usize, usize) {
        (N, dim::<N>(len))
    }

    #[test]
    fn dispatches_small_dimensions_to_their_instance() {
        for n in 1..=12 {
            assert_eq!(by_dim!(n, |N| which::<N>(n)), (n, n));
        }
        assert_eq!(by_dim!(13, |N| which::<N>(13)), (0, 13));
    }
}
