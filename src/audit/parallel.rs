//! Work spread over the machine's cores, results in input order: reading 1,000 homes, decoding 100,000
//! pull secrets or parsing 1,000 reports is CPU work (JSON, base64, HMAC) that two cores halve.
//!
//! Plain scoped threads pulling the next index from a shared counter: no runtime, no queue, and the
//! output is exactly what a sequential `map` gives (a panic in a worker is re-raised here).

use std::collections::BTreeMap;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};

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

/// Parts `0..count` made by `fill` on [`workers`] threads, each into a buffer, and handed to `take` on
/// this thread in order as soon as the next one is done: the taking (writing the output) overlaps the
/// making of later parts, and at most one buffer per worker and one more (the one being taken) exist at
/// once, reused, each made with `capacity` by this thread.
///
/// The first error, from either side, stops the work and is returned; a panic in `fill` reaches the caller.
pub fn stream_in_order<E: Send>(
    count: usize,
    capacity: usize,
    fill: impl Fn(&mut Vec<u8>, usize) -> Result<(), E> + Sync,
    take: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    stream_in_order_with(count, workers(), capacity, fill, take)
}

/// [`stream_in_order`] with a given number of threads (1: in this thread).
pub fn stream_in_order_with<E: Send>(
    count: usize,
    workers: usize,
    capacity: usize,
    fill: impl Fn(&mut Vec<u8>, usize) -> Result<(), E> + Sync,
    mut take: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    if workers < 2 || count < 2 {
        let mut buf = Vec::with_capacity(capacity);
        for n in 0..count {
            buf.clear();
            fill(&mut buf, n)?;
            take(&buf)?;
        }
        return Ok(());
    }
    // A worker takes a free buffer before it takes an index, so every index taken has its buffer and the
    // lowest one not yet taken is never waited for while buffers are held: no deadlock.
    let (free_tx, free_rx) = mpsc::channel::<Vec<u8>>();
    for _ in 0..=workers {
        let _ = free_tx.send(Vec::with_capacity(capacity));
    }
    let free_rx = Mutex::new(free_rx);
    let (done_tx, done_rx) = mpsc::channel();
    let (next, stop) = (AtomicUsize::new(0), AtomicBool::new(false));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            let (free_rx, next, stop, fill) = (&free_rx, &next, &stop, &fill);
            scope.spawn(move || loop {
                let free = free_rx.lock().map_or(None, |rx| rx.recv().ok());
                let Some(mut buf) = free else { break };
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= count || stop.load(Ordering::Relaxed) {
                    break;
                }
                buf.clear();
                let made = catch_unwind(AssertUnwindSafe(|| fill(&mut buf, n).map(|()| buf)));
                if done_tx.send((n, made)).is_err() {
                    break;
                }
            });
        }
        drop(done_tx);
        let mut waiting = BTreeMap::new();
        let mut taken = 0;
        let mut outcome = Ok(());
        let mut panic = None;
        while taken < count && outcome.is_ok() && panic.is_none() {
            let Ok((n, made)) = done_rx.recv() else { break };
            waiting.insert(n, made);
            while let Some(made) = waiting.remove(&taken) {
                match made {
                    Ok(Ok(buf)) => {
                        outcome = take(&buf);
                        let _ = free_tx.send(buf);
                    }
                    Ok(Err(e)) => outcome = Err(e),
                    Err(payload) => panic = Some(payload),
                }
                if outcome.is_err() || panic.is_some() {
                    break;
                }
                taken += 1;
            }
        }
        // Workers waiting for a buffer see the channel closed; the others stop before their next part.
        stop.store(true, Ordering::Relaxed);
        drop(free_tx);
        if let Some(payload) = panic {
            resume_unwind(payload);
        }
        outcome
    })
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

    /// Parts 0..count through `stream_in_order_with`, taken one after another into one string.
    fn streamed(count: usize, workers: usize) -> Result<String, String> {
        let mut all = Vec::new();
        stream_in_order_with(
            count,
            workers,
            0,
            |buf, n| {
                if n % 7 == 0 {
                    std::thread::yield_now(); // some parts late, so others finish first
                }
                write!(buf, "{n},").map_err(|e| e.to_string())
            },
            |part| {
                all.extend_from_slice(part);
                Ok(())
            },
        )?;
        Ok(String::from_utf8(all).unwrap())
    }

    use std::io::Write;

    #[test]
    fn streamed_parts_are_taken_in_order_whatever_the_threads() {
        for count in [0, 1, 2, 3, 5, 100, 2_000] {
            let expected: String = (0..count).map(|n| format!("{n},")).collect();
            for workers in [1, 2, 3, 8] {
                assert_eq!(streamed(count, workers).unwrap(), expected, "{count} parts, {workers} workers");
            }
        }
    }

    #[test]
    fn the_first_error_on_either_side_stops_the_stream() {
        let made = AtomicUsize::new(0);
        let failed = stream_in_order_with(
            10_000,
            2,
            0,
            |buf, n| {
                made.fetch_add(1, Ordering::Relaxed);
                if n == 500 {
                    return Err(format!("part {n}"));
                }
                buf.push(b'x');
                Ok(())
            },
            |_| Ok(()),
        );
        assert_eq!(failed, Err("part 500".to_owned()));
        assert!(made.load(Ordering::Relaxed) < 600, "the workers went on after the error");

        let mut taken = 0;
        let failed = stream_in_order_with(
            10_000,
            2,
            0,
            |_, _| Ok::<(), String>(()),
            |_| {
                taken += 1;
                if taken == 3 {
                    Err("the reader is gone".to_owned())
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(failed, Err("the reader is gone".to_owned()));
        assert_eq!(taken, 3);
    }

    #[test]
    fn no_more_than_one_buffer_per_worker_and_one_more_are_held() {
        let live = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        stream_in_order_with(
            5_000,
            3,
            0,
            |buf, n| {
                if buf.capacity() == 0 {
                    let now = live.fetch_add(1, Ordering::Relaxed) + 1;
                    most.fetch_max(now, Ordering::Relaxed);
                }
                buf.extend_from_slice(&n.to_le_bytes());
                Ok::<(), ()>(())
            },
            |_| Ok(()),
        )
        .unwrap();
        assert!(most.load(Ordering::Relaxed) <= 4, "{} buffers", most.load(Ordering::Relaxed));
    }

    #[test]
    #[should_panic(expected = "part 700")]
    fn a_panic_while_making_a_part_reaches_the_caller() {
        let _ = stream_in_order_with(
            10_000,
            2,
            0,
            |_, n| {
                assert_ne!(n, 700, "part 700");
                Ok::<(), ()>(())
            },
            |_| Ok(()),
        );
    }
}
