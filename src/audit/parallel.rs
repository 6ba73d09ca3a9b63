//! Work spread over the machine's cores, results in input order: reading 1,000 homes, decoding 100,000
//! pull secrets or parsing 1,000 reports is CPU work (JSON, base64, HMAC) that two cores halve.
//!
//! Plain scoped threads pulling the next index from a shared counter: no runtime, no queue, and the
//! output is exactly what a sequential `map` gives (a panic in a worker is re-raised here).

use std::sync::atomic::{AtomicUsize, Ordering};

/// The most threads used, whatever the machine has.
pub const MAX_WORKERS: usize = 8;

/// Below this many items the threads cost more than they save.
pub const PARALLEL_FROM: usize = 16;

/// How many threads to use: the cores this process may run on, at most [`MAX_WORKERS`].
pub fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_WORKERS)
}

/// `items.iter().map(f).collect()`, with the calls spread over [`workers`] threads.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    map_with(items, workers(), f)
}

/// [`map`] with a given number of threads (1: in this thread).
pub fn map_with<T: Sync, R: Send>(items: &[T], workers: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if workers < 2 || items.len() < PARALLEL_FROM {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let worker = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break };
            done.push((i, f(item)));
        }
        done
    };
    let parts: Vec<Vec<(usize, R)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers).map(|_| scope.spawn(worker)).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    });
    let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    for (i, r) in parts.into_iter().flatten() {
        slots[i] = Some(r);
    }
    slots.into_iter().map(|r| r.expect("every index is taken by exactly one worker")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_in_input_order_whatever_the_threads() {
        let items: Vec<u64> = (0..1000).collect();
        let expected: Vec<u64> = items.iter().map(|i| i * i + 1).collect();
        for workers in [1, 2, 3, 8] {
            assert_eq!(map_with(&items, workers, |i| i * i + 1), expected, "{workers} workers");
        }
        assert_eq!(map_with(&items[..3], 4, |i| *i), vec![0, 1, 2]);
        assert!(map_with(&[] as &[u64], 4, |i| *i).is_empty());
    }

    #[test]
    #[should_panic(expected = "item 500")]
    fn a_panic_in_a_worker_reaches_the_caller() {
        let items: Vec<u64> = (0..1000).collect();
        map_with(&items, 2, |i| assert_ne!(*i, 500, "item 500"));
    }
}
