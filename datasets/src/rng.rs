//! A small, fixed random number generator.
//!
//! The generator's output must be byte-identical for a seed on every machine,
//! thread count and pancake version that keeps this file, so it does not use
//! a crate whose algorithm may change: SplitMix64 for seeding and streams.

/// One step of SplitMix64's output function: a good 64-bit mixer.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A hash of several words, order-sensitive.
pub fn hash(words: &[u64]) -> u64 {
    words
        .iter()
        .fold(0x9e37_79b9_7f4a_7c15, |acc, &w| mix(acc ^ mix(w)))
}

/// A stream of pseudo-random numbers (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// The stream for one thing: (seed, what, which).
    pub fn new(seed: u64, stream: u64, index: u64) -> Rng {
        Rng(hash(&[seed, stream, index]))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [0, n); 0 when n is 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in [lo, hi]; lo when hi < lo.
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo) as u64 + 1) as i64
    }

    /// True with probability p.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A standard normal draw (Marsaglia's polar method: only `ln` and
    /// `sqrt`, no trigonometry).
    pub fn normal(&mut self) -> f64 {
        loop {
            let x = 2.0 * self.unit() - 1.0;
            let y = 2.0 * self.unit() - 1.0;
            let r = x * x + y * y;
            if r > 0.0 && r < 1.0 {
                return x * (-2.0 * r.ln() / r).sqrt();
            }
        }
    }

    /// Log-normal: `median` times e to a normal of deviation `sigma`.
    pub fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_fixed_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::new(1, 2, 3).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Rng::new(1, 2, 3).next_u64(), Rng::new(1, 2, 4).next_u64());
        // Pinned: a change here changes every generated data set.
        assert_eq!(mix(0), 0);
        assert_eq!(Rng::new(0, 0, 0).next_u64(), 0x2ce8_09ae_01ca_b7d7);
    }

    #[test]
    fn below_and_between_stay_in_range() {
        let mut rng = Rng::new(7, 7, 7);
        for _ in 0..10_000 {
            assert!(rng.below(10) < 10);
            let x = rng.between(-5, 5);
            assert!((-5..=5).contains(&x));
            let u = rng.unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.between(3, 1), 3);
    }
}
