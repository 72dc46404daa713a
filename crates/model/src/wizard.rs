//! What the new-migration wizard asks the server and shows: folders to pick
//! from, a live preview of what the filters select, and the review's estimate
//! of time and cost (from a price table an administrator can edit).

use serde::{Deserialize, Serialize};

/// Reads `50M`, `4KiB`, `1g`, `1024`: bytes with an optional binary suffix.
///
/// # Errors
/// A message to show beside the field.
pub fn parse_bytes(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let number: i64 =
        digits.parse().map_err(|_| format!("`{text}` is not a size such as 4096, 64K or 50M"))?;
    let shift = match unit.trim().to_ascii_lowercase().trim_end_matches("ib").trim_end_matches('b') {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        _ => return Err(format!("`{text}`: use K, M, G or T for a unit")),
    };
    number.checked_mul(1_i64 << shift).ok_or_else(|| format!("`{text}` is too large"))
}

/// The folders directly under a folder of a provider.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderList {
    /// The folder listed (`""` for the top).
    pub prefix: String,
    /// Its sub-folders, each ending in `/`, relative to the provider's root.
    pub folders: Vec<String>,
    /// How many documents sit directly in it (up to the listing limit).
    pub files: u64,
    /// The listing stopped at its limit.
    pub truncated: bool,
}

/// One object of a preview's sample.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleObject {
    /// Key relative to the chosen folder.
    pub key: String,
    /// Bytes.
    pub size: u64,
}

/// What the filters select from the source, as the wizard previews it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionPreview {
    /// Objects listed.
    pub listed: u64,
    /// Of those, selected by the filters.
    pub matching: u64,
    /// Their bytes.
    pub bytes: u64,
    /// The first few selected, in key order.
    pub sample: Vec<SampleObject>,
    /// Listing stopped at its limit: the figures are a lower bound.
    pub stopped_early: bool,
}

/// Request prices, in one currency, for an S3-style service.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    /// Currency code shown beside amounts.
    pub currency: String,
    /// PUT, COPY, POST and LIST requests, per 1,000.
    pub write_per_1000: f64,
    /// GET and HEAD requests, per 1,000.
    pub read_per_1000: f64,
    /// Data sent out of the source's network, per GB (10^9 bytes).
    pub egress_per_gb: f64,
    /// Where the figures come from.
    pub note: String,
}

impl Default for PriceTable {
    /// AWS S3 Standard list prices (us-east-1): $0.005 per 1,000 PUT/COPY/POST/LIST,
    /// $0.0004 per 1,000 GET, $0.09 per GB out to the internet (first 10 TB a month).
    fn default() -> Self {
        Self {
            currency: "USD".to_owned(),
            write_per_1000: 0.005,
            read_per_1000: 0.0004,
            egress_per_gb: 0.09,
            note: "AWS S3 Standard public list prices, us-east-1".to_owned(),
        }
    }
}

impl PriceTable {
    /// Checks the figures: amounts finite and not negative, a currency named.
    ///
    /// # Errors
    /// The field to fix and why, in plain words.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let fields = [
            ("write_per_1000", self.write_per_1000),
            ("read_per_1000", self.read_per_1000),
            ("egress_per_gb", self.egress_per_gb),
        ];
        for (field, value) in fields {
            if !value.is_finite() || !(0.0..=1_000_000.0).contains(&value) {
                return Err((field, "Enter a price of 0 or more.".to_owned()));
            }
        }
        let currency = self.currency.trim();
        if currency.is_empty() || currency.chars().count() > 8 {
            return Err(("currency", "Name the currency in at most 8 characters, e.g. USD.".to_owned()));
        }
        Ok(())
    }
}

/// One line of a cost estimate.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostLine {
    /// What is paid for, in words.
    pub what: String,
    /// How many (requests, or GB for egress).
    pub quantity: f64,
    /// Price per unit named in `what`.
    pub unit_price: f64,
    /// `quantity × unit_price` (per 1,000 for requests).
    pub amount: f64,
}

/// The provider-side work a plan implies, for pricing.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workload {
    /// Objects listed on the source.
    pub listed: u64,
    /// Objects to write (copies and overwrites).
    pub writes: u64,
    /// Of those, overwrites (a backup copy is made first where versions are off).
    pub overwrites: u64,
    /// Bytes to write.
    pub bytes: u64,
    /// The source is a priced (S3) service.
    pub source_priced: bool,
    /// The destination is a priced (S3) service.
    pub dest_priced: bool,
}

/// Estimated request and transfer charges for a workload at these prices.
#[must_use]
pub fn estimate_cost(work: &Workload, prices: &PriceTable) -> Vec<CostLine> {
    let per_1000 = |what: &str, n: u64, price: f64| CostLine {
        what: what.to_owned(),
        quantity: n as f64,
        unit_price: price,
        amount: n as f64 / 1000.0 * price,
    };
    let pages = |n: u64| n.div_ceil(1000).max(1);
    let mut lines = Vec::new();
    if work.source_priced {
        lines.push(per_1000(
            "Source listing requests (per 1,000)",
            pages(work.listed),
            prices.write_per_1000,
        ));
        lines.push(per_1000("Source reads (GET, per 1,000)", work.writes, prices.read_per_1000));
        let gb = work.bytes as f64 / 1e9;
        lines.push(CostLine {
            what: "Data out of the source (per GB)".to_owned(),
            quantity: gb,
            unit_price: prices.egress_per_gb,
            amount: gb * prices.egress_per_gb,
        });
    }
    if work.dest_priced {
        lines.push(per_1000(
            "Destination listing requests (per 1,000)",
            pages(work.listed),
            prices.write_per_1000,
        ));
        lines.push(per_1000(
            "Destination writes (PUT and backup COPY, per 1,000)",
            work.writes + work.overwrites,
            prices.write_per_1000,
        ));
    }
    lines
}

/// How long a plan should take, from a speed probe: each object costs the
/// probe's latency plus its bytes at the probe's rate, spread over the workers,
/// and never faster than the bandwidth limit allows.
#[must_use]
pub fn estimate_seconds(
    objects: u64,
    bytes: u64,
    latency_secs: f64,
    bytes_per_sec: f64,
    concurrency: u64,
    bandwidth_limit: Option<u64>,
) -> Option<u64> {
    if objects == 0 {
        return Some(0);
    }
    if !(bytes_per_sec.is_finite() && bytes_per_sec > 0.0 && latency_secs.is_finite()) {
        return None;
    }
    let lanes = concurrency.clamp(1, objects) as f64;
    let work = objects as f64 * latency_secs.max(0.0) + bytes as f64 / bytes_per_sec;
    let mut secs = work / lanes;
    if let Some(limit) = bandwidth_limit.filter(|l| *l > 0) {
        secs = secs.max(bytes as f64 / limit as f64);
    }
    Some(secs.ceil().max(1.0) as u64)
}

/// The review step's figures.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Source objects listed.
    pub listed: u64,
    /// Left out by the filters.
    pub filtered_out: u64,
    /// To copy.
    pub copy: u64,
    /// To overwrite.
    pub overwrite: u64,
    /// To skip (already there, by the overwrite policy).
    pub skip: u64,
    /// To delete from the destination (mirror).
    pub delete: u64,
    /// The mirror's limit on deletions per run.
    pub max_deletes: u64,
    /// Bytes to write.
    pub bytes: u64,
    /// Listing stopped at the preview's limit: the figures are a lower bound.
    pub stopped_early: bool,
    /// Measured read speed of the source, bytes per second.
    pub probe_bytes_per_sec: Option<f64>,
    /// Measured time to the first byte of an object, seconds.
    pub probe_latency_secs: Option<f64>,
    /// Estimated duration.
    pub seconds: Option<u64>,
    /// Estimated charges.
    pub cost: Vec<CostLine>,
    /// Their sum.
    pub cost_total: f64,
    /// The prices used.
    pub prices: Option<PriceTable>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_follows_the_price_table() {
        let prices = PriceTable::default();
        let work = Workload {
            listed: 2_500,
            writes: 2_000,
            overwrites: 0,
            bytes: 10_000_000_000,
            source_priced: true,
            dest_priced: false,
        };
        let lines = estimate_cost(&work, &prices);
        let total: f64 = lines.iter().map(|l| l.amount).sum();
        // 3 listing pages, 2,000 GETs, 10 GB out.
        let expected = 3.0 / 1000.0 * 0.005 + 2.0 * 0.0004 + 10.0 * 0.09;
        assert!((total - expected).abs() < 1e-9, "{total} vs {expected}");
        assert_eq!(lines.len(), 3, "a local destination costs nothing");
        let both = estimate_cost(&Workload { dest_priced: true, overwrites: 100, ..work }, &prices);
        let writes = both.iter().find(|l| l.what.starts_with("Destination writes")).unwrap();
        assert!((writes.quantity - 2_100.0).abs() < 1e-9, "overwrites add a backup copy");
        assert!(estimate_cost(&Workload::default(), &prices).is_empty(), "local to local is free");
    }

    #[test]
    fn duration_spreads_over_workers_and_respects_the_limit() {
        // 100 objects of 1 MB at 10 MB/s with 50 ms latency: 100 × 0.05 + 10 s = 15 s of work.
        assert_eq!(estimate_seconds(100, 100_000_000, 0.05, 10e6, 1, None), Some(15));
        assert_eq!(estimate_seconds(100, 100_000_000, 0.05, 10e6, 5, None), Some(3));
        // A 1 MB/s limit makes it 100 s whatever the workers.
        assert_eq!(estimate_seconds(100, 100_000_000, 0.05, 10e6, 5, Some(1_000_000)), Some(100));
        assert_eq!(estimate_seconds(0, 0, 0.05, 10e6, 5, None), Some(0));
        assert_eq!(estimate_seconds(10, 10, 0.05, 0.0, 5, None), None, "no speed measured");
    }

    #[test]
    fn prices_are_checked() {
        assert!(PriceTable::default().validate().is_ok());
        let bad = PriceTable { egress_per_gb: -1.0, ..PriceTable::default() };
        assert_eq!(bad.validate().unwrap_err().0, "egress_per_gb");
        let nan = PriceTable { read_per_1000: f64::NAN, ..PriceTable::default() };
        assert_eq!(nan.validate().unwrap_err().0, "read_per_1000");
        let blank = PriceTable { currency: " ".to_owned(), ..PriceTable::default() };
        assert_eq!(blank.validate().unwrap_err().0, "currency");
    }
}
