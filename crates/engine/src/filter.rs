//! Which source objects a migration takes: include and exclude globs, extensions,
//! a size range and a modification window. Checked once, then applied to every key.

use ferry_model::job::FilterSpec;
use ferry_storage::ObjectMeta;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// A filter that cannot be used, naming the setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FilterError {
    /// `include`, `exclude`, `extensions`, `size` or `modified`.
    pub field: &'static str,
    /// What to change.
    pub message: String,
}

/// A checked [`FilterSpec`].
#[derive(Debug, Clone)]
pub struct Filter {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
    extensions: Vec<String>,
    spec: FilterSpec,
}

fn glob_set(field: &'static str, patterns: &[String]) -> Result<Option<GlobSet>, FilterError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut set = GlobSetBuilder::new();
    for pattern in patterns {
        let pattern = pattern.trim();
        if pattern.is_empty() || pattern.len() > 1024 || pattern.contains('\0') {
            return Err(FilterError {
                field,
                message: "a pattern is empty, too long or has a NUL".to_owned(),
            });
        }
        // `*` stays within one folder, `**` crosses folders.
        let glob = GlobBuilder::new(pattern).literal_separator(true).build().map_err(|e| FilterError {
            field,
            message: format!("`{pattern}` is not a pattern Ferry understands: {e}"),
        })?;
        set.add(glob);
    }
    set.build().map(Some).map_err(|e| FilterError { field, message: e.to_string() })
}

impl Filter {
    /// Checks the spec.
    ///
    /// # Errors
    /// [`FilterError`] for a bad glob, an empty range or a bad extension.
    pub fn new(spec: &FilterSpec) -> Result<Self, FilterError> {
        if let (Some(min), Some(max)) = (spec.min_size, spec.max_size)
            && min > max
        {
            return Err(FilterError {
                field: "size",
                message: format!("the smallest size ({min}) is above the largest ({max})"),
            });
        }
        if let (Some(before), Some(after)) = (spec.modified_before, spec.modified_after)
            && before <= after
        {
            return Err(FilterError {
                field: "modified",
                message: "“changed before” must be later than “changed after”, or nothing matches".to_owned(),
            });
        }
        let mut extensions = Vec::new();
        for ext in &spec.extensions {
            let ext = ext.trim().trim_start_matches('.').to_lowercase();
            if ext.is_empty()
                || ext.len() > 32
                || !ext.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_')
            {
                return Err(FilterError {
                    field: "extensions",
                    message: format!("`{ext}` is not a file extension"),
                });
            }
            extensions.push(ext);
        }
        Ok(Self {
            include: glob_set("include", &spec.include)?,
            exclude: glob_set("exclude", &spec.exclude)?,
            extensions,
            spec: spec.clone(),
        })
    }

    /// Whether an object is taken. `relative` is its key below the source prefix,
    /// which is what the patterns are written against.
    #[must_use]
    pub fn matches(&self, relative: &str, meta: &ObjectMeta) -> bool {
        if self.include.as_ref().is_some_and(|set| !set.is_match(relative)) {
            return false;
        }
        if self.exclude.as_ref().is_some_and(|set| set.is_match(relative)) {
            return false;
        }
        if !self.extensions.is_empty() {
            let name = relative.rsplit('/').next().unwrap_or(relative);
            let ext = name.rsplit_once('.').map(|(_, e)| e.to_lowercase());
            if !ext.is_some_and(|e| self.extensions.contains(&e)) {
                return false;
            }
        }
        if self.spec.min_size.is_some_and(|min| meta.size < min)
            || self.spec.max_size.is_some_and(|max| meta.size > max)
        {
            return false;
        }
        if self.spec.modified_before.is_some() || self.spec.modified_after.is_some() {
            // An object without a modification time cannot be placed in the window.
            let Some(modified) = meta.modified else { return false };
            if self.spec.modified_before.is_some_and(|t| modified >= t)
                || self.spec.modified_after.is_some_and(|t| modified <= t)
            {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use ferry_storage::ObjectKey;

    use super::*;

    fn meta(key: &str, size: u64, day: u32) -> ObjectMeta {
        let mut meta = ObjectMeta::new(ObjectKey::new(key).unwrap(), size);
        meta.modified = Some(Utc.with_ymd_and_hms(2026, 3, day, 12, 0, 0).unwrap());
        meta
    }

    fn taken(spec: &FilterSpec, keys: &[(&str, u64, u32)]) -> Vec<String> {
        let filter = Filter::new(spec).unwrap();
        keys.iter()
            .filter(|(k, s, d)| filter.matches(k, &meta(k, *s, *d)))
            .map(|(k, _, _)| (*k).to_owned())
            .collect()
    }

    const KEYS: [(&str, u64, u32); 6] = [
        ("a.pdf", 10, 1),
        ("invoices/2026/b.PDF", 2_000, 5),
        ("invoices/2026/c.docx", 30, 10),
        ("invoices/tmp/d.pdf", 40, 15),
        ("photos/e.jpg", 5_000_000, 20),
        ("README", 5, 25),
    ];

    #[test]
    fn an_empty_filter_takes_everything() {
        assert_eq!(taken(&FilterSpec::default(), &KEYS).len(), KEYS.len());
    }

    #[test]
    fn globs_respect_folders() {
        let spec = FilterSpec { include: vec!["*.pdf".into()], ..FilterSpec::default() };
        assert_eq!(taken(&spec, &KEYS), ["a.pdf"], "* stays in one folder");
        let spec = FilterSpec {
            include: vec!["invoices/**".into()],
            exclude: vec!["**/tmp/**".into()],
            ..FilterSpec::default()
        };
        assert_eq!(taken(&spec, &KEYS), ["invoices/2026/b.PDF", "invoices/2026/c.docx"]);
    }

    #[test]
    fn extensions_ignore_case_and_dots() {
        let spec = FilterSpec { extensions: vec![".pdf".into(), "JPG".into()], ..FilterSpec::default() };
        assert_eq!(
            taken(&spec, &KEYS),
            ["a.pdf", "invoices/2026/b.PDF", "invoices/tmp/d.pdf", "photos/e.jpg"]
        );
    }

    #[test]
    fn size_and_time_windows_are_exclusive_of_outsiders() {
        let spec = FilterSpec { min_size: Some(30), max_size: Some(2_000), ..FilterSpec::default() };
        assert_eq!(
            taken(&spec, &KEYS),
            ["invoices/2026/b.PDF", "invoices/2026/c.docx", "invoices/tmp/d.pdf"]
        );
        let spec = FilterSpec {
            modified_after: Some(Utc.with_ymd_and_hms(2026, 3, 5, 12, 0, 0).unwrap()),
            modified_before: Some(Utc.with_ymd_and_hms(2026, 3, 20, 12, 0, 0).unwrap()),
            ..FilterSpec::default()
        };
        assert_eq!(taken(&spec, &KEYS), ["invoices/2026/c.docx", "invoices/tmp/d.pdf"]);
        let undated = ObjectMeta::new(ObjectKey::new("x").unwrap(), 1);
        assert!(!Filter::new(&spec).unwrap().matches("x", &undated), "no time, no place in the window");
    }

    #[test]
    fn bad_filters_name_their_setting() {
        let bad = |spec: FilterSpec| Filter::new(&spec).unwrap_err().field;
        assert_eq!(bad(FilterSpec { include: vec!["[unclosed".into()], ..FilterSpec::default() }), "include");
        assert_eq!(bad(FilterSpec { exclude: vec![String::new()], ..FilterSpec::default() }), "exclude");
        assert_eq!(bad(FilterSpec { min_size: Some(2), max_size: Some(1), ..FilterSpec::default() }), "size");
        assert_eq!(
            bad(FilterSpec { extensions: vec!["p df".into()], ..FilterSpec::default() }),
            "extensions"
        );
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(
            bad(FilterSpec { modified_before: Some(t), modified_after: Some(t), ..FilterSpec::default() }),
            "modified"
        );
    }
}
