//! The raw ASN.1 tree of a DER object: offset, header and content length, tag, decoded value —
//! what `openssl asn1parse` prints, folded by structure.

use tlscope_core::asn1::{self, Node};
use yew::prelude::*;

/// Properties of [`Asn1View`].
#[derive(Properties, PartialEq)]
pub struct Asn1ViewProps {
    /// The DER.
    pub der: Vec<u8>,
}

/// A collapsed "Raw ASN.1" section; the tree is built only when opened.
#[component]
pub fn Asn1View(props: &Asn1ViewProps) -> Html {
    let open = use_state(|| false);
    let ontoggle = {
        let open = open.clone();
        Callback::from(move |e: Event| {
            let details: web_sys::HtmlDetailsElement = e.target_unchecked_into();
            open.set(details.open());
        })
    };
    let body = if *open {
        match asn1::tree(&props.der) {
            Ok(root) => html! { <ul class="asn1-tree mono">{ node(&root) }</ul> },
            Err(e) => html! { <p class="error-message">{ e.to_string() }</p> },
        }
    } else {
        html! {}
    };
    html! {
        <details class="asn1" {ontoggle}>
            <summary>{ format!("Raw ASN.1 ({} bytes)", props.der.len()) }</summary>
            { body }
        </details>
    }
}

fn node(n: &Node) -> Html {
    html! {
        <li>
            <span class="asn1-offset">{ format!("{:>5}", n.offset) }</span>
            <span class="asn1-len">{ format!(" hl={} l={} ", n.header_len, n.content_len) }</span>
            <span class="asn1-tag">{ &n.tag }</span>
            if let Some(v) = &n.value { <span class="asn1-value">{ format!(" {v}") }</span> }
            if !n.children.is_empty() {
                <ul>{ for n.children.iter().map(node) }</ul>
            }
        </li>
    }
}
