//! The gate every computation passes: at most `workers` run at once, off
//! the async runtime; at most `queue` more wait for a turn, and a request
//! past that is answered 503 at once; a request that waits and computes
//! longer than the time limit is answered 503. A computation that panics is
//! answered 500 with an error id, and the panic is logged under it.
//!
//! Before that, a request's body is admitted: room for it among the bytes
//! of bodies the service holds at once (`body_memory`), waited for in the
//! same queue, so that many large uploads wait their turn instead of being
//! read into memory together.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::problem::{Problem, service_codes};

/// The concurrency limit, the room for bodies, and their queue.
#[derive(Debug)]
pub(crate) struct Gate {
    permits: Arc<Semaphore>,
    /// Room for bodies, in KiB (a semaphore counts in `u32`).
    bodies: Arc<Semaphore>,
    body_kib: u32,
    waiting: AtomicUsize,
    queue: usize,
    timeout: Duration,
}

/// Set once a computation's request has been answered without it (timed
/// out) or abandoned (the client went away): long computations look at it
/// between trials and combinations and stop.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cancel(Arc<std::sync::atomic::AtomicBool>);

/// What a cancelled computation unwinds with: not a panic (no hook runs,
/// nothing is logged as a fault); the gate catches it. As salsa cancels a
/// query: the computation's callbacks cannot return an error.
#[derive(Debug)]
pub(crate) struct Cancelled;

impl Cancel {
    fn set(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Whether the computation should stop.
    pub(crate) fn is_set(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    /// Stops the computation here if it is cancelled, by unwinding with
    /// [`Cancelled`] (which the gate catches).
    pub(crate) fn check(&self) {
        if self.is_set() {
            std::panic::resume_unwind(Box::new(Cancelled));
        }
    }
}

/// Cancels a computation when the request waiting for it goes away —
/// timed out, or dropped with its client — unless it was answered.
struct CancelOnDrop {
    cancel: Cancel,
    answered: bool,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if !self.answered {
            self.cancel.set();
        }
    }
}

/// Room held for a request's body until the request is done with it.
#[derive(Debug)]
pub(crate) struct BodyRoom(#[allow(dead_code, reason = "held for its Drop")] tokio::sync::OwnedSemaphorePermit);

/// Counts a request among the waiting while it lives (also when the
/// client goes away and its future is dropped).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Gate {
    pub(crate) fn new(workers: usize, queue: usize, timeout: Duration, body_memory: u64) -> Gate {
        let body_kib = u32::try_from(body_memory.div_ceil(1024).max(1)).unwrap_or(u32::MAX >> 3);
        Gate {
            permits: Arc::new(Semaphore::new(workers.max(1))),
            bodies: Arc::new(Semaphore::new(usize::try_from(body_kib).expect("invariant: u32 fits usize"))),
            body_kib,
            waiting: AtomicUsize::new(0),
            queue,
            timeout,
        }
    }

    /// Room for a body of `bytes` (all the room there is, if more), once
    /// there is: at once, or after waiting in the queue.
    pub(crate) async fn admit_body(&self, bytes: u64) -> Result<BodyRoom, Problem> {
        let kib = u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX).clamp(1, self.body_kib);
        if let Ok(room) = Arc::clone(&self.bodies).try_acquire_many_owned(kib) {
            return Ok(BodyRoom(room));
        }
        let deadline = tokio::time::Instant::now().checked_add(self.timeout);
        let room = self.wait(deadline, Arc::clone(&self.bodies).acquire_many_owned(kib)).await?;
        Ok(BodyRoom(room))
    }

    /// Waits for `acquire` in the queue: 503 at once when the queue is
    /// full, or when `deadline` passes.
    async fn wait(
        &self,
        deadline: Option<tokio::time::Instant>,
        acquire: impl Future<Output = Result<tokio::sync::OwnedSemaphorePermit, tokio::sync::AcquireError>>,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, Problem> {
        let before = self.waiting.fetch_add(1, Ordering::AcqRel);
        let _waiting = Waiting(&self.waiting);
        if before >= self.queue {
            return Err(Problem::unavailable(
                service_codes::OVERLOADED,
                format!("every worker is busy and {before} requests are waiting; try again shortly"),
                1,
            ));
        }
        let acquired = match deadline {
            Some(d) => tokio::time::timeout_at(d, acquire).await.map_err(|_| self.timed_out())?,
            None => acquire.await,
        };
        acquired.map_err(|_| Problem::unavailable(service_codes::OVERLOADED, "the service is stopping", 1))
    }

    /// Runs `job` on a blocking thread once a worker is free. The worker's
    /// permit goes with the job: when the time limit answers the request,
    /// the job still finishes before another starts, so that no more than
    /// `workers` computations ever share the cores.
    pub(crate) async fn run<T, F>(&self, request_id: &str, job: F) -> Result<T, Problem>
    where
        T: Send + 'static,
        F: FnOnce(&Cancel) -> Result<T, Problem> + Send + 'static,
    {
        let deadline = tokio::time::Instant::now().checked_add(self.timeout);
        let permit = match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => self.wait(deadline, Arc::clone(&self.permits).acquire_owned()).await?,
        };
        let mut guard = CancelOnDrop { cancel: Cancel::default(), answered: false };
        let cancel = guard.cancel.clone();
        let handle = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&cancel)))
        });
        let joined = match deadline {
            // On time out the guard cancels the computation as it drops.
            Some(d) => tokio::time::timeout_at(d, handle).await.map_err(|_| self.timed_out())?,
            None => handle.await,
        };
        guard.answered = true;
        match joined {
            Ok(Ok(result)) => result,
            Ok(Err(payload)) if payload.is::<Cancelled>() => Err(self.timed_out()),
            Ok(Err(payload)) => {
                let what = medfund_columnar::panic_text(payload.as_ref());
                tracing::error!(request_id, panic = what, "a computation panicked; answered 500 under this request id");
                Err(Problem::internal(request_id))
            }
            Err(_) => {
                tracing::error!(
                    request_id,
                    "a computation was cancelled by the runtime; answered 500 under this request id"
                );
                Err(Problem::internal(request_id))
            }
        }
    }

    fn timed_out(&self) -> Problem {
        Problem::unavailable(
            service_codes::TIMEOUT,
            format!(
                "the request did not finish within the time limit of {} s; expected a smaller computation, or a larger --request-timeout",
                self.timeout.as_secs()
            ),
            1,
        )
    }
}
