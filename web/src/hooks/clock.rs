//! The page's clock: every minute the state is told the time, so days-left and expiry bands move
//! on while the page stays open (unless the person pinned a moment).

use gloo::timers::callback::Interval;
use yew::prelude::*;

use crate::browser;
use crate::state::{Action, State};

/// Ticks `dispatch` with the browser's time every minute, for as long as the component lives.
#[hook]
pub fn use_clock(dispatch: UseReducerDispatcher<State>) {
    use_effect_with((), move |_| {
        let tick = Interval::new(60_000, move || {
            dispatch.dispatch(Action::Tick(browser::now()))
        });
        move || drop(tick)
    });
}
