//! A replaceable callback shared between the code that fires it and the code that sets it later
//! (a map's tile layers and click listener, the app's error reports): one slot, cheap to clone.

use std::cell::RefCell;
use std::rc::Rc;

/// `F` is a `dyn Fn(..)` type, e.g. `SharedCallback<dyn Fn(&str)>`.
pub struct SharedCallback<F: ?Sized>(Rc<RefCell<Option<Rc<F>>>>);

impl<F: ?Sized> SharedCallback<F> {
    /// Replaces the callback; every clone of this slot sees the new one.
    pub fn set(&self, callback: Rc<F>) {
        *self.0.borrow_mut() = Some(callback);
    }

    pub fn clear(&self) {
        *self.0.borrow_mut() = None;
    }

    /// The callback, taken out of the slot's borrow so that calling it may set or clear the slot.
    pub fn get(&self) -> Option<Rc<F>> {
        self.0.borrow().clone()
    }
}

impl<F: ?Sized> Clone for SharedCallback<F> {
    fn clone(&self) -> Self {
        SharedCallback(Rc::clone(&self.0))
    }
}

impl<F: ?Sized> Default for SharedCallback<F> {
    fn default() -> Self {
        SharedCallback(Rc::new(RefCell::new(None)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn clones_share_the_slot_and_a_callback_may_replace_itself() {
        let slot: SharedCallback<dyn Fn(u32)> = SharedCallback::default();
        let fired = Rc::new(Cell::new(0));
        assert!(slot.get().is_none());
        let (seen, again) = (Rc::clone(&fired), slot.clone());
        slot.set(Rc::new(move |n| {
            seen.set(seen.get() + n);
            again.clear();
        }));
        if let Some(callback) = slot.clone().get() {
            callback(5);
        }
        assert_eq!(fired.get(), 5);
        assert!(
            slot.get().is_none(),
            "the callback cleared its own slot without a borrow panic"
        );
    }
}
