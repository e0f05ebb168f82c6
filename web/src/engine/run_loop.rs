//! The driver's input queue and its single consumer (STYLE: "Never re-enter the loop"). Kept
//! apart from the browser so the rule is tested natively.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

/// Inputs waiting for the core, and whether a run is taking them now.
#[derive(Debug)]
pub struct RunLoop<I> {
    queue: RefCell<VecDeque<I>>,
    running: Cell<bool>,
}

impl<I> Default for RunLoop<I> {
    fn default() -> Self {
        Self {
            queue: RefCell::new(VecDeque::new()),
            running: Cell::new(false),
        }
    }
}

impl<I> RunLoop<I> {
    /// Queues an input; the next [`RunLoop::run`] (or the one in progress) takes it in turn.
    pub fn push(&self, input: I) {
        self.queue.borrow_mut().push_back(input);
    }

    /// Drains the core (`drain`), then hands it the next input (`handle`), until no input is
    /// left. Called while a run is in progress (from inside `drain` or `handle`), it returns
    /// at once with `false`: the running loop takes whatever was queued, so the core is never
    /// entered twice.
    pub fn run(&self, mut drain: impl FnMut(), mut handle: impl FnMut(I)) -> bool {
        if self.running.replace(true) {
            return false;
        }
        loop {
            drain();
            let Some(input) = self.queue.borrow_mut().pop_front() else {
                break;
            };
            handle(input);
        }
        self.running.set(false);
        true
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::*;

    #[test]
    fn an_input_pushed_while_handling_waits_its_turn_and_never_nests() {
        let run_loop = Rc::new(RunLoop::default());
        let log = Rc::new(RefCell::new(Vec::new()));
        let depth = Rc::new(Cell::new(0));
        fn go(
            run_loop: &Rc<RunLoop<u32>>,
            log: &Rc<RefCell<Vec<String>>>,
            depth: &Rc<Cell<u32>>,
        ) -> bool {
            run_loop.run(
                || log.borrow_mut().push("drain".into()),
                |input| {
                    depth.set(depth.get() + 1);
                    assert_eq!(depth.get(), 1, "the core is entered once at a time");
                    log.borrow_mut().push(format!("handle {input}"));
                    if input == 1 {
                        // An output whose execution produces an input: queued, not handled here.
                        run_loop.push(2);
                        assert!(!go(run_loop, log, depth), "no nested run");
                    }
                    depth.set(depth.get() - 1);
                },
            )
        }
        run_loop.push(1);
        assert!(go(&run_loop, &log, &depth));
        assert_eq!(
            *log.borrow(),
            ["drain", "handle 1", "drain", "handle 2", "drain"]
        );
        // Idle again: the next push runs.
        run_loop.push(3);
        assert!(go(&run_loop, &log, &depth));
        assert_eq!(log.borrow().last().map(String::as_str), Some("drain"));
    }
}
