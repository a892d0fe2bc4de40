//! The committed OpenAPI document (`docs/openapi.json`) is the code's.
//!
//! After a change of an operation or a schema:
//! `MEDFUND_UPDATE_SCHEMAS=1 cargo test -p medfund-server --test it openapi`.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use std::path::PathBuf;

#[test]
fn committed_openapi_document_is_the_codes() {
    let text = format!("{}\n", serde_json::to_string_pretty(&medfund_server::openapi()).unwrap());
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    if std::env::var_os("MEDFUND_UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == text,
        "{} differs from the code's document; run MEDFUND_UPDATE_SCHEMAS=1 cargo test -p medfund-server --test it openapi and commit it",
        path.display()
    );
}

#[test]
fn every_reference_of_the_document_resolves() {
    let doc = medfund_server::openapi();
    let mut refs = Vec::new();
    fn walk(v: &serde_json::Value, refs: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(r) = m.get("$ref").and_then(|r| r.as_str()) {
                    refs.push(r.to_owned());
                }
                m.values().for_each(|v| walk(v, refs));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, refs)),
            _ => {}
        }
    }
    walk(&doc, &mut refs);
    assert!(refs.len() > 20);
    for r in refs {
        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("external reference {r}"));
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
    assert_eq!(doc["openapi"], "3.1.0");
}
