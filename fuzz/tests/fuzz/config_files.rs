//! `topicwire.toml`: the configuration file, read by `config::Config`
//! with every section (`[limits]`, `[modules.*]`, `[auth]`, `[cluster]`).
//!
//! Properties: reading never panics, and a refusal says why; the same
//! document written otherwise (TOML re-serialised: other layout, quoting
//! and order) reads as the same configuration; a flag overrides whatever the
//! file says; every module setting reaches the module as text.

use topicwire::config::{Config, ConfigSources};
use topicwire::limits::LimitFlags;

fn read(text: &str, sources: &ConfigSources) -> Result<String, String> {
    Config::from_toml(text, sources).map(|config| format!("{config:?}")).map_err(|error| format!("{error:#}"))
}

fn check(input: &[u8]) {
    let Ok(text) = std::str::from_utf8(input) else { return };
    let defaults = ConfigSources::default();
    let config = match Config::from_toml(text, &defaults) {
        Ok(config) => config,
        Err(error) => {
            assert!(!format!("{error:#}").is_empty());
            return;
        }
    };
    let document: toml::Table = toml::from_str(text).unwrap();
    let rewritten = toml::to_string(&document).unwrap();
    assert_eq!(read(&rewritten, &defaults), Ok(format!("{config:?}")), "{text}\nrewritten as\n{rewritten}");

    let flags = ConfigSources {
        limits: LimitFlags { max_topics: Some(7), ..LimitFlags::default() },
        data_dir: Some("flagged".into()),
        ..ConfigSources::default()
    };
    let flagged = Config::from_toml(text, &flags).unwrap();
    assert_eq!(flagged.limits.max_topics, 7);
    assert_eq!(flagged.data_dir.as_deref(), Some(std::path::Path::new("flagged")));

    if let Some(toml::Value::Table(modules)) = document.get("modules") {
        for (module, settings) in modules {
            let toml::Value::Table(settings) = settings else { continue };
            for (key, value) in settings {
                let expected = match value {
                    toml::Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                assert_eq!(config.modules[module][key], expected);
            }
        }
    }
}

#[test]
fn fuzz() {
    bolero::check!(name = "config_files").with_iterations(crate::support::iterations(3000)).for_each(check);
}

#[test]
fn a_setting_that_is_not_text_number_or_boolean_is_refused() {
    let refused = read("[modules.datafeed]\nSYMBOLS = [\"AAPL\"]\n", &ConfigSources::default()).unwrap_err();
    assert!(refused.contains("[modules.datafeed] SYMBOLS: expected a string, number or boolean"), "{refused}");
    check(b"[modules.datafeed]\nTICK_MS = 50\nNAME = \"x\"\nON = true\nRATIO = 0.5\n");
}
