//! `topicwire state export` and `import`: a module's whole namespace as one
//! JSON document, for backups, restores and moving state between hosts.
//!
//! The format is lossless: each entry carries its bucket, its key and its
//! value, as `text` when the value is valid UTF-8 and as `base64` otherwise.
//!
//! ```json
//! {"format": "topicwire-state/1", "module": "ledger", "entries": [
//!   {"bucket": "", "key": "format-version", "text": "2"},
//!   {"bucket": "blobs", "key": "raw", "base64": "AP8="}
//! ]}
//! ```
//!
//! Both run with the host stopped: the data file's lock makes a running host
//! a clear error. Import replaces the module's namespace in one transaction,
//! with exactly the file's entries: a key twice, an empty key or a bucket
//! name no module can open is refused, and then nothing is written.

use crate::module_name::is_valid_module_name;
use crate::state::limits::MAX_BUCKET_NAME_BYTES;
use crate::state::redb_backend::{self, RedbNamespace};
use crate::state::{Entry, Namespace, Usage, prepare_data_dir};
use anyhow::{Context, Result, bail, ensure};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The `format` of documents this version writes and reads.
pub const FORMAT: &str = "topicwire-state/1";

/// An export.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    /// [`FORMAT`].
    format: String,
    /// The module it was exported from (informational: import names its target).
    module: String,
    /// Every entry, in (bucket, key) order.
    entries: Vec<DocumentEntry>,
}

/// One entry of an export: exactly one of `text` and `base64` is present.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentEntry {
    /// Bucket name (`""`: the default bucket).
    bucket: String,
    /// Key.
    key: String,
    /// The value, when it is UTF-8 text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    /// The value in standard base64, when it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    base64: Option<String>,
}

impl From<Entry> for DocumentEntry {
    fn from(entry: Entry) -> Self {
        let Entry { bucket, key, value } = entry;
        match String::from_utf8(value) {
            Ok(text) => Self { bucket, key, text: Some(text), base64: None },
            Err(error) => Self { bucket, key, text: None, base64: Some(BASE64.encode(error.as_bytes())) },
        }
    }
}

impl DocumentEntry {
    fn into_entry(self, index: usize) -> Result<Entry> {
        let value = match (self.text, self.base64) {
            (Some(text), None) => text.into_bytes(),
            (None, Some(encoded)) => BASE64
                .decode(encoded.as_bytes())
                .with_context(|| format!("entry {index} (key `{}`): invalid base64", self.key))?,
            _ => bail!("entry {index} (key `{}`): needs exactly one of `text` and `base64`", self.key),
        };
        Ok(Entry { bucket: self.bucket, key: self.key, value })
    }
}

/// The JSON document of `module`'s `entries`.
pub fn to_json(module: &str, entries: Vec<Entry>) -> Result<String> {
    let document = Document {
        format: FORMAT.to_owned(),
        module: module.to_owned(),
        entries: entries.into_iter().map(DocumentEntry::from).collect(),
    };
    serde_json::to_string_pretty(&document).context("cannot write the export")
}

/// The entries of a JSON document, and the module it was exported from.
pub fn from_json(text: &str) -> Result<(String, Vec<Entry>)> {
    let document: Document = serde_json::from_str(text).context("not a topicwire state export")?;
    ensure!(document.format == FORMAT, "unknown export format `{}`; this version reads `{FORMAT}`", document.format);
    let entries: Vec<Entry> = document
        .entries
        .into_iter()
        .enumerate()
        .map(|(index, entry)| entry.into_entry(index))
        .collect::<Result<_>>()?;
    check_writable(&entries)?;
    Ok((document.module, entries))
}

/// Refuses entries no module could have written, and a key given twice
/// (an export has neither): imported, they would be state its module can
/// neither read nor delete, or not the file's.
fn check_writable(entries: &[Entry]) -> Result<()> {
    let mut seen = HashMap::with_capacity(entries.len());
    for (index, Entry { bucket, key, .. }) in entries.iter().enumerate() {
        ensure!(!key.is_empty(), "entry {index}: an empty key, which no module can write");
        ensure!(
            bucket.len() <= MAX_BUCKET_NAME_BYTES,
            "entry {index} (key `{key}`): a bucket name of {} bytes, longer than a module can open ({MAX_BUCKET_NAME_BYTES})",
            bucket.len()
        );
        if let Some(first) = seen.insert((bucket.as_str(), key.as_str()), index) {
            bail!("entry {index}: key `{key}` of bucket `{bucket}` twice (first in entry {first})");
        }
    }
    Ok(())
}

fn data_file(data_dir: &Path, module: &str) -> Result<PathBuf> {
    ensure!(is_valid_module_name(module), "`{module}` is not a valid module name: use letters, digits, `-` and `_`");
    Ok(redb_backend::file_in(data_dir, module))
}

async fn open(path: &Path) -> Result<RedbNamespace> {
    let owned = path.to_owned();
    tokio::task::spawn_blocking(move || RedbNamespace::open(&owned, u64::MAX))
        .await
        .context("the open task panicked")?
        .with_context(|| format!("cannot open {}", path.display()))
}

/// `module`'s state in `data_dir` as a JSON document, and its entry count.
pub async fn export(data_dir: &Path, module: &str) -> Result<(String, usize)> {
    let path = data_file(data_dir, module)?;
    ensure!(path.is_file(), "module `{module}` has no state in {} (no file {})", data_dir.display(), path.display());
    let namespace = open(&path).await?;
    let entries = namespace.export().await.with_context(|| format!("cannot read {}", path.display()))?;
    let count = entries.len();
    Ok((to_json(module, entries)?, count))
}

/// Replaces `module`'s state in `data_dir` with the JSON document `text`
/// (one transaction); returns the module it was exported from and the new size.
pub async fn import(data_dir: &Path, module: &str, text: &str) -> Result<(String, Usage)> {
    let (source, entries) = from_json(text)?;
    let path = data_file(&prepare_data_dir(data_dir)?, module)?;
    let namespace = open(&path).await?;
    let usage = namespace.replace_all(entries).await.with_context(|| format!("cannot write {}", path.display()))?;
    Ok((source, usage))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_text_when_they_can_be_and_base64_otherwise() {
        let entries = vec![
            Entry { bucket: String::new(), key: "a".into(), value: "héllo".as_bytes().to_vec() },
            Entry { bucket: "b".into(), key: "raw".into(), value: vec![0, 0xff, 0xfe] },
        ];
        let json = to_json("m", entries.clone()).unwrap();
        assert!(json.contains(r#""text": "héllo""#), "{json}");
        assert!(json.contains(r#""base64": "AP/+""#), "{json}");
        assert_eq!(from_json(&json).unwrap(), ("m".to_owned(), entries));
    }

    #[test]
    fn malformed_documents_are_refused_with_the_reason() {
        let both = r#"{"format":"topicwire-state/1","module":"m","entries":[{"bucket":"","key":"k","text":"x","base64":"eA=="}]}"#;
        assert!(format!("{:#}", from_json(both).unwrap_err()).contains("exactly one"));
        let format = r#"{"format":"other/9","module":"m","entries":[]}"#;
        assert!(format!("{:#}", from_json(format).unwrap_err()).contains("unknown export format"));
        assert!(from_json("[]").is_err());
    }
}
