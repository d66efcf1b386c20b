//! End to end: a bundle dropped on the dashboard (leaf, intermediate, private root, in the
//! wrong order) is assembled into a path in the browser, judged against the Mozilla roots, and
//! the chain diagram names the untrusted root; the raw ASN.1 tree opens on demand.

use fantoccini::Locator;
use harness::{Dashboard, drop_file, screenshot};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

fn ca(name: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name.push(DnType::CommonName, name);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.use_authority_key_identifier_extension = true;
    p
}

/// intermediate, root, leaf — deliberately not leaf first.
fn shuffled_bundle() -> String {
    let root_key = KeyPair::generate().unwrap();
    let root_params = ca("E2E Private Root");
    let root = root_params.self_signed(&root_key).unwrap();
    let root_issuer = Issuer::new(root_params, root_key);
    let int_key = KeyPair::generate().unwrap();
    let int_params = ca("E2E Intermediate");
    let int = int_params.signed_by(&int_key, &root_issuer).unwrap();
    let int_issuer = Issuer::new(int_params, int_key);
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["shop.example.test".to_owned()]).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, "shop.example.test");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.use_authority_key_identifier_extension = true;
    let leaf = leaf.signed_by(&leaf_key, &int_issuer).unwrap();
    format!("{}{}{}", int.pem(), root.pem(), leaf.pem())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shuffled_bundle_becomes_a_path_that_ends_at_an_untrusted_root() {
    let page = Dashboard::open().await;
    drop_file(&page.client, "bundle.pem", shuffled_bundle().as_bytes()).await;

    let verdict = page.text_of(".chain-verdict").await;
    assert_eq!(verdict, "✖ Chain invalid");
    let path = page.text_of(".chain .path .links").await;
    let order: Vec<&str> = ["shop.example.test", "E2E Intermediate", "E2E Private Root"]
        .into_iter()
        .filter(|name| path.contains(name))
        .collect();
    assert_eq!(order.len(), 3, "{path}");
    assert!(
        path.find("shop.example.test") < path.find("E2E Intermediate")
            && path.find("E2E Intermediate") < path.find("E2E Private Root"),
        "leaf first, root last: {path}"
    );
    let problems = page.text_of(".chain .path-problems").await;
    assert!(problems.contains("CHAIN-UNTRUSTED-ROOT"), "{problems}");
    assert!(problems.contains("E2E Private Root"), "{problems}");

    // The raw ASN.1 view is built when opened.
    let summary = page
        .client
        .find(Locator::Css(".certificate details.asn1 summary"))
        .await
        .expect("asn1 summary");
    summary.click().await.expect("open asn1");
    let tree = page.text_of(".certificate .asn1-tree").await;
    assert!(
        tree.contains("SEQUENCE") && tree.contains("OBJECT IDENTIFIER"),
        "{tree}"
    );
    screenshot(&page.client, "dashboard-chain").await;
    page.client.clone().close().await.expect("close session");
}
