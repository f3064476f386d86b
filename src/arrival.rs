//! A value that arrives once, for everyone who waits for it: a request started before anyone
//! needs its answer (the GeoJSON of the first view, the first view's tiles) and the parts of the
//! app that take it when they are ready, in either order.
//!
//! Single-threaded (the browser's), so `Rc` and `RefCell`; no runtime, so it works in native tests.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

pub struct Arrival<T>(Rc<RefCell<State<T>>>);

enum State<T> {
    Waiting(Vec<Waker>),
    Arrived(T),
}

impl<T> Default for Arrival<T> {
    fn default() -> Self {
        Arrival(Rc::new(RefCell::new(State::Waiting(Vec::new()))))
    }
}

impl<T> Clone for Arrival<T> {
    fn clone(&self) -> Self {
        Arrival(Rc::clone(&self.0))
    }
}

impl<T: Clone> Arrival<T> {
    /// Stores the value and wakes everyone waiting. Only the first delivery counts.
    pub fn deliver(&self, value: T) {
        let waiting = {
            let mut state = self.0.borrow_mut();
            match &mut *state {
                State::Arrived(_) => return,
                State::Waiting(wakers) => std::mem::take(wakers),
            }
        };
        *self.0.borrow_mut() = State::Arrived(value);
        waiting.into_iter().for_each(Waker::wake);
    }

    /// The value, if it has arrived.
    pub fn get(&self) -> Option<T> {
        match &*self.0.borrow() {
            State::Arrived(value) => Some(value.clone()),
            State::Waiting(_) => None,
        }
    }

    /// Resolves to the value when it arrives (at once if it has).
    pub fn wait(&self) -> Wait<T> {
        Wait(self.clone())
    }
}

pub struct Wait<T>(Arrival<T>);

impl<T: Clone> Future for Wait<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut state = self.0 .0.borrow_mut();
        match &mut *state {
            State::Arrived(value) => Poll::Ready(value.clone()),
            State::Waiting(wakers) => {
                if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
                    wakers.push(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn poll<T: Clone>(wait: &mut Wait<T>, waker: &Waker) -> Poll<T> {
        Pin::new(wait).poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn waiters_before_and_after_delivery_all_get_the_value() {
        let arrival: Arrival<u32> = Arrival::default();
        let woken = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&woken));
        let (mut early, mut other) = (arrival.wait(), arrival.clone().wait());
        assert_eq!(poll(&mut early, &waker), Poll::Pending);
        assert_eq!(
            poll(&mut early, &waker),
            Poll::Pending,
            "polled twice, registered once"
        );
        assert_eq!(poll(&mut other, &Waker::noop().clone()), Poll::Pending);
        assert_eq!(arrival.get(), None);
        arrival.deliver(7);
        assert_eq!(woken.0.load(Ordering::SeqCst), 1);
        assert_eq!(poll(&mut early, &waker), Poll::Ready(7));
        assert_eq!(poll(&mut other, &waker), Poll::Ready(7));
        assert_eq!(
            poll(&mut arrival.wait(), &waker),
            Poll::Ready(7),
            "a late waiter gets it at once"
        );
    }

    #[test]
    fn only_the_first_delivery_counts() {
        let arrival = Arrival::default();
        arrival.deliver("first");
        arrival.deliver("second");
        assert_eq!(arrival.get(), Some("first"));
    }
}
