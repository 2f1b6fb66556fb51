//! Codegen input: a component's `src/ws.rs` (route declarations and the
//! models they name), parsed and checked by the router generator
//! (`topicwire_codegen::{parse, check}`) and, when valid, emitted.
//!
//! Properties: the generator never panics; a refusal points at a line and
//! column of the file with a message and a fix; a valid file emits Rust that
//! parses, the same on every run, naming every declared route (as a string
//! literal) with its declared delivery and history.

use topicwire_codegen::check::check;
use topicwire_codegen::emit::emit;
use topicwire_codegen::parse::Sources;

fn check_input(input: &[u8]) {
    let Ok(text) = std::str::from_utf8(input) else { return };
    let lines = text.split('\n').count();
    let checked = Sources::from_ws_text(text).and_then(|sources| check(&sources));
    let model = match checked {
        Ok(model) => model,
        Err(diagnostics) => {
            assert!(!diagnostics.0.is_empty());
            for diagnostic in &diagnostics.0 {
                assert_eq!(diagnostic.file, std::path::Path::new("src/ws.rs"));
                assert!((1..=lines).contains(&diagnostic.line), "line {} of {lines}: {diagnostic}", diagnostic.line);
                assert!(diagnostic.column >= 1 && !diagnostic.message.is_empty() && !diagnostic.help.is_empty());
            }
            return;
        }
    };
    let files = emit(&model, "../../wit");
    assert_eq!(emit(&model, "../../wit"), files, "emitting is deterministic");
    let code: String = files.iter().map(|file| file.contents.as_str()).collect();
    for file in &files {
        if let Err(error) = syn::parse_file(&file.contents) {
            panic!("{} does not parse: {error}\n{}", file.path.display(), file.contents);
        }
    }
    for route in &model.routes {
        let literal = syn::LitStr::new(&route.name, proc_macro2::Span::call_site());
        let literal = quote::quote!(#literal).to_string();
        assert!(code.contains(&literal), "route {literal} is not in the generated code");
        if let Some(history) = &route.history {
            assert!(code.contains(&history.size.to_string()) && code.contains(&history.ttl_secs.to_string()));
        }
    }
}

#[test]
fn fuzz() {
    bolero::check!(name = "codegen_input").with_iterations(crate::support::iterations(1000)).for_each(check_input);
}

#[test]
fn a_real_declaration_file_generates_and_a_broken_one_points_at_its_line() {
    let valid = include_str!("__fuzz__/codegen_input/corpus/datafeed.rs");
    let model = check(&Sources::from_ws_text(valid).unwrap()).unwrap();
    assert_eq!(model.routes.iter().map(|route| route.name.as_str()).collect::<Vec<_>>(), ["bars", "quotes"]);
    check_input(valid.as_bytes());
    let broken = valid.replacen("#[route(\"bars\")]", "#[route(bars)]", 1);
    let errors = Sources::from_ws_text(&broken).and_then(|sources| check(&sources)).unwrap_err();
    let line = broken.lines().position(|line| line.contains("#[route(bars)]")).unwrap() + 1;
    assert_eq!(errors.0[0].line, line, "{errors}");
}
