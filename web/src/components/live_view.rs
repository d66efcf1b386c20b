//! The Live view: connects to a tlscope agent (the page's own origin by default, or a URL the
//! person enters), keeps its snapshot current through the event stream, and judges everything
//! here under the page's policy — endpoints with their findings, edges (coordinator, expiry, last
//! renewal, grace), alerts, the certificate
//! expiry timeline and a live handshake feed.

use std::collections::VecDeque;
use std::rc::Rc;

use gloo::timers::callback::Interval;
use tlscope_core::handshake::{HandshakeRecord, Outcome};
use tlscope_core::observation::CertificateListing;
use tlscope_core::rotation::{self, RotationStatus, Subject};
use tlscope_core::{Finding, Policy};
use yew::prelude::*;

use super::{ExpiryTimeline, FindingList};
use crate::hooks::use_answer;
use crate::judge::{Answer, Question};
use crate::live::{self, Observation, Snapshot};

/// Properties of [`LiveView`].
#[derive(Properties, PartialEq)]
pub struct LiveViewProps {
    /// The policy to judge under.
    pub policy: Rc<Policy>,
    /// Its text, as the judging worker reads it.
    pub policy_text: Rc<str>,
}

#[derive(Clone, PartialEq, Default)]
struct Live {
    status: String,
    failed: bool,
    snapshot: Option<Rc<Snapshot>>,
    feed: VecDeque<HandshakeRecord>,
}

enum Msg {
    Status(String, bool),
    Loaded(Snapshot),
    Handshake(HandshakeRecord),
    Probe(Box<tlscope_core::probe::ProbeReport>),
}

impl Reducible for Live {
    type Action = Msg;

    fn reduce(self: Rc<Self>, msg: Msg) -> Rc<Self> {
        let mut next = (*self).clone();
        match msg {
            Msg::Status(s, failed) => {
                next.status = s;
                next.failed = failed;
            }
            Msg::Loaded(s) => {
                if next.feed.is_empty() {
                    next.feed = s.handshakes.iter().rev().take(50).cloned().collect();
                }
                next.status = format!("connected · agent time {}", s.at);
                next.failed = false;
                next.snapshot = Some(Rc::new(s));
            }
            Msg::Handshake(h) => {
                next.feed.push_front(h);
                next.feed.truncate(50);
            }
            Msg::Probe(p) => {
                if let Some(s) = &next.snapshot {
                    let mut s = (**s).clone();
                    match s.probes.iter_mut().find(|x| x.target == p.target) {
                        Some(slot) => *slot = *p,
                        None => s.probes.push(*p),
                    }
                    next.snapshot = Some(Rc::new(s));
                }
            }
        }
        Rc::new(next)
    }
}

/// The Live view.
#[component]
pub fn LiveView(props: &LiveViewProps) -> Html {
    let live = use_reducer(Live::default);
    // (agent URL, bearer token); the token lives only in this component's memory.
    let target = use_state(|| (String::new(), String::new()));
    let input = use_node_ref();
    let token_input = use_node_ref();
    {
        let dispatch = live.dispatcher();
        use_effect_with((*target).clone(), move |(url, token): &(String, String)| {
            let base = live::base(url);
            let token = token.clone();
            let refresh = {
                let (dispatch, base, token) = (dispatch.clone(), base.clone(), token.clone());
                move || {
                    let (dispatch, base, token) = (dispatch.clone(), base.clone(), token.clone());
                    wasm_bindgen_futures::spawn_local(async move {
                        match live::snapshot(&base, &token).await {
                            Ok(s) => dispatch.dispatch(Msg::Loaded(s)),
                            Err(e) => dispatch.dispatch(Msg::Status(e, true)),
                        }
                    });
                }
            };
            dispatch.dispatch(Msg::Status(
                format!(
                    "connecting to {}…",
                    if base.is_empty() { "this agent" } else { &base }
                ),
                false,
            ));
            refresh();
            let on_event = {
                let (dispatch, refresh) = (dispatch.clone(), refresh.clone());
                move |o: Observation| match o {
                    Observation::Handshake(h) => dispatch.dispatch(Msg::Handshake(*h)),
                    Observation::Probe(p) => dispatch.dispatch(Msg::Probe(p)),
                    Observation::Rotation(_) => refresh(),
                }
            };
            let on_error = {
                let dispatch = dispatch.clone();
                move |e: String| dispatch.dispatch(Msg::Status(e, true))
            };
            let stream = live::events(&base, &token, on_event, on_error);
            if let Err(e) = &stream {
                dispatch.dispatch(Msg::Status(e.clone(), true));
            }
            let poll = Interval::new(5_000, refresh);
            move || {
                drop(stream);
                drop(poll);
            }
        });
    }
    let on_connect = {
        let (target, input, token_input) = (target.clone(), input.clone(), token_input.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let value = |r: &NodeRef| {
                r.cast::<web_sys::HtmlInputElement>()
                    .map(|el| el.value())
                    .unwrap_or_default()
            };
            target.set((value(&input), value(&token_input)));
        })
    };

    // The probes (chains against the agent's anchors and Mozilla's) and the CRLs are judged in
    // the worker; the rotation plan here.
    let answer = use_answer(
        (live.snapshot.clone(), props.policy_text.clone()),
        |(snapshot, policy)| {
            snapshot.as_ref().map(|s| Question::Live {
                probes: s.probes.clone(),
                anchors: s.anchors.clone(),
                crls: s.crls.clone(),
                policy: policy.to_string(),
                at: s.at,
            })
        },
    );
    let judged = use_memo(
        (live.snapshot.clone(), props.policy.clone(), answer),
        |(snapshot, policy, answer)| {
            let Some(s) = snapshot else { return None };
            let (per_probe, crl_findings) = match answer.as_deref() {
                Some(Answer::Live { probes, crls }) => (probes.clone(), crls.clone()),
                _ => return None,
            };
            let subjects: Vec<Subject> = s
                .certificates
                .iter()
                .filter_map(CertificateListing::rotation_subject)
                .collect();
            let plans = rotation::plan(&subjects, policy, s.at);
            let timeline = rotation::timeline(&plans, policy, s.at);
            let mut alerts: Vec<Finding> = per_probe.iter().flatten().cloned().collect();
            alerts.extend(plans.iter().flat_map(|p| p.alerts.clone()));
            // The CRLs the coordinators enforce, judged like a dropped CRL (CRL-STALE).
            alerts.extend(crl_findings);
            alerts.sort_by_key(|f| std::cmp::Reverse(f.severity));
            Some((per_probe, timeline, alerts))
        },
    );

    let status = html! {
        <span id="live-status" role="status" class={classes!(live.failed.then_some("failed"))}>{ &live.status }</span>
    };
    let connect = html! {
        <form class="live-connect" onsubmit={on_connect}>
            <label for="live-url">{ "Agent " }</label>
            <input id="live-url" ref={input} type="url" placeholder="this page's agent (or https://agent.example:7878)" />
            <label for="live-token">{ "Token " }</label>
            <input id="live-token" ref={token_input} type="password" autocomplete="off" placeholder="only off loopback" />
            <button id="live-connect" class="button" type="submit">{ "Connect" }</button>
            { status }
        </form>
    };
    let (Some(s), Some((per_probe, timeline, alerts))) =
        (live.snapshot.as_ref(), (*judged).as_ref())
    else {
        return html! { <section class="live">{ connect }<p class="empty">{ "Waiting for the agent's first snapshot." }</p></section> };
    };
    html! {
        <section class="live">
            { connect }
            { fips_line(s, &live.feed) }
            <section id="live-alerts" class="card" aria-label="Alerts">
                <h2>{ "Alerts" }</h2>
                <FindingList findings={alerts.clone()} />
            </section>
            <section id="live-endpoints" class="card" aria-label="Endpoints">
                <h2>{ "Endpoints" }</h2>
                <table>
                    <thead><tr><th>{ "Target" }</th><th>{ "Service" }</th><th>{ "Versions" }</th><th>{ "DNS and QUIC" }</th><th>{ "Verdict" }</th></tr></thead>
                    <tbody>
                        { for s.probes.iter().zip(per_probe).map(|(p, f)| {
                            let versions: Vec<String> = p.accepted().map(|v| v.version.to_string()).collect();
                            let worst = f.iter().map(|x| x.severity).max();
                            let verdict = match (&p.error, worst) {
                                (Some(e), _) => html! { <span class="badge critical">{ format!("✖ error: {e}") }</span> },
                                (None, Some(tlscope_core::Severity::Critical)) => html! { <span class="badge critical">{ format!("✖ {} findings", f.len()) }</span> },
                                (None, Some(_)) => html! { <span class="badge warning">{ format!("⚠ {} findings", f.len()) }</span> },
                                (None, None) => html! { <span class="badge ok">{ "✔ ok" }</span> },
                            };
                            html! {
                                <tr class="endpoint" data-target={p.target.clone()}>
                                    <td class="mono">{ &p.target }</td>
                                    <td>{ p.service.label() }</td>
                                    <td>{ if versions.is_empty() { "—".to_owned() } else { versions.join(", ") } }</td>
                                    <td class="endpoint-dns">
                                        { for p.quic.iter().map(|q| html! { <div class="mono">{ q.summary() }</div> }) }
                                        { for p.dns.iter().flat_map(|d| d.summary_lines()).map(|l| html! { <div class="mono">{ l }</div> }) }
                                        { if p.dns.is_none() && p.quic.is_none() { "—" } else { "" } }
                                    </td>
                                    <td>{ verdict }</td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            </section>
            <section id="live-edges" class="card" aria-label="Edges">
                <h2>{ "Edges" }</h2>
                <table>
                    <thead><tr><th>{ "Edge" }</th><th>{ "Coordinator" }</th><th>{ "Serial" }</th><th>{ "Expires" }</th><th>{ "Last renewal" }</th><th>{ "Grace" }</th><th>{ "Last heartbeat" }</th><th>{ "Heartbeats" }</th></tr></thead>
                    <tbody>
                        { for s.edges.iter().map(|e| {
                            let view = e.view(&s.certificates, &props.policy, s.at);
                            let status = view.status.map(|st| html! { <span class={classes!("badge", status_class(st))}>{ st.as_str() }</span> });
                            html! {
                                <tr class="edge" data-edge={view.name.clone()}>
                                    <td class="mono" title={e.identity.clone()}>{ &view.name }</td>
                                    <td class="mono edge-coordinator">{ &e.coordinator }</td>
                                    <td class="mono">{ e.serial.get(..12).unwrap_or(&e.serial) }</td>
                                    <td class="edge-expiry">{ view.not_after.map(|t| t.to_string()).unwrap_or_else(|| "—".into()) }{ " " }{ for status }</td>
                                    <td class="edge-renewal">{ view.last_renewal.map(|t| t.to_string()).unwrap_or_else(|| "never".into()) }</td>
                                    <td class="edge-grace">{ match view.grace_until { Some(t) => format!("in grace until {t}"), None => "—".into() } }</td>
                                    <td>{ e.last_heartbeat.to_string() }</td>
                                    <td>{ e.heartbeats }</td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            </section>
            <section id="live-timeline" class="card" aria-label="Certificate expiry timeline">
                <h2>{ "Certificate expiry" }</h2>
                <p class="muted">{ "Life, renewal and grace window (inner bar), warning and critical bands, and now." }</p>
                <ExpiryTimeline timeline={timeline.clone()} />
            </section>
            <section id="live-feed" class="card" aria-label="Handshake feed">
                <h2>{ "Handshakes" }</h2>
                <ol class="feed" aria-live="polite" tabindex="0" aria-label="Recent handshakes, newest first">
                    { for live.feed.iter().map(|h| {
                        let (class, word, detail) = match &h.outcome {
                            Outcome::Accepted => ("ok", "✔ accepted", h.peer_identity.clone().unwrap_or_else(|| "no client certificate".into())),
                            Outcome::Refused { reason, refusal } => ("critical", "✖ refused", format!("{reason} ({})", refusal.as_str())),
                        };
                        html! {
                            <li class={classes!("handshake", class)}>
                                <span class="muted">{ format!("{} · {} · ", h.at, h.segment.as_str()) }</span>
                                <span class={classes!("badge", class)}>{ word }</span>
                                { format!(" {detail}") }
                                <span class="muted">{ format!(" {} {}", h.version.map(|v| v.to_string()).unwrap_or_default(), h.suite.clone().unwrap_or_default()) }</span>
                                { if h.fips { html! { <span class="badge ok fips" title="rustls reported this handshake FIPS-approved">{ "FIPS" }</span> } } else { html! {} } }
                            </li>
                        }
                    }) }
                </ol>
            </section>
        </section>
    }
}

/// The agent's cryptography as its coordinator reports it, and how many of the recent accepted
/// handshakes rustls called FIPS-approved.
fn fips_line(s: &Snapshot, feed: &VecDeque<HandshakeRecord>) -> Html {
    let Some(status) = s.fips else {
        return html! {};
    };
    let accepted: Vec<&HandshakeRecord> = feed
        .iter()
        .filter(|h| h.outcome == Outcome::Accepted)
        .collect();
    let approved = accepted.iter().filter(|h| h.fips).count();
    let class = if status.approved { "ok" } else { "warning" };
    html! {
        <p id="live-fips" class="live-fips" data-fips-module={status.module.to_string()} data-fips-approved={status.approved.to_string()}>
            <span class={classes!("badge", class)}>{ if status.approved { "FIPS" } else { "not FIPS" } }</span>
            { format!(" {} · {approved} of the {} recent accepted handshakes FIPS-approved", status.describe(), accepted.len()) }
        </p>
    }
}

/// The badge class for a rotation status.
fn status_class(status: RotationStatus) -> &'static str {
    match status {
        RotationStatus::Ok | RotationStatus::InGrace => "ok",
        RotationStatus::RenewDue => "warning",
        RotationStatus::Overdue | RotationStatus::Expired => "critical",
    }
}
