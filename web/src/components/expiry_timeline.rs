//! The certificate expiry timeline: one row per certificate on a common time axis, with its
//! life, the renewal and grace window, the warning and critical bands and a line at now; the
//! status is written at the end of each row, so it never depends on colour.

use tlscope_core::rotation::{RotationStatus, Timeline};
use yew::prelude::*;

/// Properties of [`ExpiryTimeline`].
#[derive(Properties, PartialEq)]
pub struct ExpiryTimelineProps {
    /// What to draw.
    pub timeline: Timeline,
}

const WIDTH: f64 = 900.0;
const LABEL: f64 = 230.0;
const STATUS: f64 = 110.0;
const ROW: f64 = 24.0;

fn status_word(s: RotationStatus) -> &'static str {
    match s {
        RotationStatus::Ok => "ok",
        RotationStatus::RenewDue => "renew due",
        RotationStatus::InGrace => "in grace",
        RotationStatus::Overdue => "overdue",
        RotationStatus::Expired => "expired",
    }
}

/// The timeline as SVG.
#[component]
pub fn ExpiryTimeline(props: &ExpiryTimelineProps) -> Html {
    let t = &props.timeline;
    let span = (t.end - t.start).max(1) as f64;
    let plot = WIDTH - LABEL - STATUS;
    let x = |at: i64| LABEL + ((at - t.start) as f64 / span * plot).clamp(0.0, plot);
    let height = ROW * (t.rows.len() as f64 + 1.0);
    let bar = |from: i64, to: i64, y: f64, class: &'static str| {
        let (a, b) = (x(from), x(to));
        html! { <rect class={class} x={a.to_string()} y={y.to_string()} width={(b - a).max(1.0).to_string()} height={(ROW - 8.0).to_string()} /> }
    };
    html! {
        <svg class="timeline" role="img" viewBox={format!("0 0 {WIDTH} {height}")} width="100%"
            aria-label={format!("Expiry timeline of {} certificates", t.rows.len())}>
            { for t.rows.iter().enumerate().map(|(i, r)| {
                let y = ROW * i as f64 + 4.0;
                html! {
                    <g class={classes!("row", format!("status-{}", status_word(r.status).replace(' ', "-")))}>
                        <title>{ format!("{}: {}", r.name, status_word(r.status)) }</title>
                        <text class="label" x="0" y={(y + ROW - 10.0).to_string()}>{ &r.name }</text>
                        { bar(r.life.from, r.life.to, y, "life") }
                        { bar(r.warning.from.max(r.life.from), r.warning.to, y, "warn") }
                        { bar(r.critical.from.max(r.life.from), r.critical.to, y, "crit") }
                        { bar(r.grace.from, r.grace.to, y + 4.0, "grace") }
                        <text class="status" x={(WIDTH - STATUS + 8.0).to_string()} y={(y + ROW - 10.0).to_string()}>{ status_word(r.status) }</text>
                    </g>
                }
            }) }
            <line class="now" x1={x(t.now).to_string()} x2={x(t.now).to_string()} y1="0" y2={(height - ROW).to_string()} />
            <text class="axis" x={LABEL.to_string()} y={(height - 6.0).to_string()}>{ tlscope_core::Timestamp::from_unix(t.start).to_string() }</text>
            <text class="axis" x={x(t.now).to_string()} y={(height - 6.0).to_string()} text-anchor="middle">{ "now" }</text>
            <text class="axis" x={(WIDTH - STATUS).to_string()} y={(height - 6.0).to_string()} text-anchor="end">{ tlscope_core::Timestamp::from_unix(t.end).to_string() }</text>
        </svg>
    }
}
