//! A token bucket: the one rate limit behind both a client's message rate
//! and a module's update rate.

// Tokio's clock, so tests can move it (`tokio::time::pause`).
use tokio::time::Instant;

/// Refills at `rate` tokens per second up to `capacity`; starts full.
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket of `capacity` tokens refilled at `rate` per second.
    pub fn new(rate: f64, capacity: f64) -> Self {
        Self { rate, capacity, tokens: capacity, last: Instant::now() }
    }

    /// Takes one token; false when the bucket is empty.
    pub fn try_take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() * self.rate).min(self.capacity);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn allows_a_burst_then_refuses() {
        let mut bucket = TokenBucket::new(0.0, 3.0);
        assert!(bucket.try_take() && bucket.try_take() && bucket.try_take());
        assert!(!bucket.try_take());
    }

    #[tokio::test(start_paused = true)]
    async fn refills_at_its_rate() {
        let mut bucket = TokenBucket::new(1000.0, 1.0);
        assert!(bucket.try_take());
        assert!(!bucket.try_take(), "empty until time passes");
        tokio::time::advance(std::time::Duration::from_millis(1)).await;
        assert!(bucket.try_take(), "one token a millisecond");
        assert!(!bucket.try_take());
    }
}
