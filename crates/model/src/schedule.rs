//! When a migration runs: by hand, once at a set time, or on a cron schedule
//! (five fields: minute, hour, day of month, month, day of week; `*`, lists,
//! ranges and steps; times in UTC). Shared by the server's scheduler and the
//! browser, which shows the next run times as the schedule is typed.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc};

/// A parsed schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// Started by a person (or a script).
    Manual,
    /// Once, at this moment.
    At(DateTime<Utc>),
    /// Again and again.
    Cron(Cron),
}

/// A five-field cron expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    text: String,
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    /// Day of month and day of week were both restricted: either may match.
    either_day: bool,
}

fn field(text: &str, min: u32, max: u32, name: &str) -> Result<u64, String> {
    let mut bits = 0_u64;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => {
                let step: u32 =
                    step.parse().map_err(|_| format!("`{part}` in the {name} field has a bad step"))?;
                if step == 0 {
                    return Err(format!("a step of 0 in the {name} field never moves"));
                }
                (range, step)
            }
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            let a: u32 = a.parse().map_err(|_| format!("`{part}` is not a range in the {name} field"))?;
            let b: u32 = b.parse().map_err(|_| format!("`{part}` is not a range in the {name} field"))?;
            (a, b)
        } else {
            let v: u32 =
                range.parse().map_err(|_| format!("`{part}` is not a number in the {name} field"))?;
            (v, if part.contains('/') { max } else { v })
        };
        if lo < min || hi > max || lo > hi {
            return Err(format!("the {name} field takes {min} to {max}, not `{part}`"));
        }
        let mut v = lo;
        while v <= hi {
            bits |= 1 << v;
            v += step;
        }
    }
    Ok(bits)
}

impl FromStr for Cron {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split_whitespace().collect();
        let [minute, hour, day, month, weekday] = parts[..] else {
            return Err(format!(
                "a cron schedule has five fields (minute hour day month weekday), this has {}",
                parts.len()
            ));
        };
        let mut weekdays = field(weekday, 0, 7, "weekday")?;
        if weekdays & (1 << 7) != 0 {
            weekdays |= 1; // 7 is Sunday too
        }
        let truncate = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        Ok(Cron {
            text: parts.join(" "),
            minutes: field(minute, 0, 59, "minute")?,
            hours: truncate(field(hour, 0, 23, "hour")?),
            days: truncate(field(day, 1, 31, "day")?),
            months: u16::try_from(field(month, 1, 12, "month")?).unwrap_or(u16::MAX),
            weekdays: u8::try_from(weekdays & 0x7f).unwrap_or(u8::MAX),
            either_day: day != "*" && weekday != "*",
        })
    }
}

impl Cron {
    fn day_matches(&self, t: &DateTime<Utc>) -> bool {
        let dom = self.days & (1 << t.day()) != 0;
        let dow = self.weekdays & (1 << t.weekday().num_days_from_sunday()) != 0;
        if self.either_day { dom || dow } else { dom && dow }
    }

    /// The first minute strictly after `after` that the expression names, within
    /// about four years (a schedule such as 30 February never fires).
    #[must_use]
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let start = after.with_second(0)?.with_nanosecond(0)? + Duration::minutes(1);
        let mut t = start;
        let limit = start + Duration::days(4 * 366);
        while t < limit {
            if self.months & (1 << t.month()) == 0 {
                // Jump to the first minute of the next month.
                let (y, m) = if t.month() == 12 { (t.year() + 1, 1) } else { (t.year(), t.month() + 1) };
                t = Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single()?;
                continue;
            }
            if !self.day_matches(&t) {
                t = (t + Duration::days(1)).with_hour(0)?.with_minute(0)?;
                continue;
            }
            if self.hours & (1 << t.hour()) == 0 {
                t = (t + Duration::hours(1)).with_minute(0)?;
                continue;
            }
            if self.minutes & (1 << t.minute()) == 0 {
                t += Duration::minutes(1);
                continue;
            }
            return Some(t);
        }
        None
    }
}

impl fmt::Display for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Schedule {
    type Err = String;

    /// `manual`, `at 2026-12-01T02:00:00Z` or `cron 0 2 * * *`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() || s == "manual" {
            return Ok(Schedule::Manual);
        }
        if let Some(at) = s.strip_prefix("at ") {
            return DateTime::parse_from_rfc3339(at.trim())
                .map(|t| Schedule::At(t.with_timezone(&Utc)))
                .map_err(|_| "write the time as 2026-12-01T02:00:00Z (RFC 3339)".to_owned());
        }
        if let Some(expr) = s.strip_prefix("cron ") {
            return expr.parse().map(Schedule::Cron);
        }
        Err("a schedule is `manual`, `at <time>` or `cron <five fields>`".to_owned())
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Manual => f.write_str("manual"),
            Schedule::At(t) => write!(f, "at {}", t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            Schedule::Cron(c) => write!(f, "cron {c}"),
        }
    }
}

impl Schedule {
    /// The next run strictly after `after`, if any.
    #[must_use]
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Manual => None,
            Schedule::At(t) => (*t > after).then_some(*t),
            Schedule::Cron(c) => c.next_after(after),
        }
    }

    /// The next `n` runs after `after` (for the wizard's preview).
    #[must_use]
    pub fn upcoming(&self, after: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
        let mut out = Vec::with_capacity(n);
        let mut t = after;
        while out.len() < n {
            let Some(next) = self.next_after(t) else { break };
            out.push(next);
            t = next;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn next(expr: &str, after: &str) -> String {
        let cron: Cron = expr.parse().unwrap();
        cron.next_after(at(after)).map(|t| t.to_rfc3339()).unwrap_or_default()
    }

    #[test]
    fn cron_finds_the_next_minute_it_names() {
        assert_eq!(next("* * * * *", "2026-11-23T10:15:30Z"), "2026-11-23T10:16:00+00:00");
        assert_eq!(next("0 2 * * *", "2026-11-23T10:15:00Z"), "2026-11-24T02:00:00+00:00");
        assert_eq!(next("*/15 * * * *", "2026-11-23T10:15:00Z"), "2026-11-23T10:30:00+00:00");
        assert_eq!(
            next("30 9 * * 1-5", "2026-11-27T10:00:00Z"),
            "2026-11-30T09:30:00+00:00",
            "Friday → Monday"
        );
        assert_eq!(next("0 0 1 1 *", "2026-11-23T00:00:00Z"), "2027-01-01T00:00:00+00:00");
        assert_eq!(next("0 12 29 2 *", "2026-03-01T00:00:00Z"), "2028-02-29T12:00:00+00:00", "leap day");
        assert_eq!(next("0 0 * * 7", "2026-11-23T00:00:00Z"), "2026-11-29T00:00:00+00:00", "7 is Sunday");
        // Day of month or day of week, when both are given.
        assert_eq!(next("0 0 13 * 5", "2026-11-01T00:00:00Z"), "2026-11-06T00:00:00+00:00");
        assert_eq!(next("0 0 30 2 *", "2026-01-01T00:00:00Z"), "", "never");
    }

    #[test]
    fn bad_cron_says_which_field() {
        for (expr, word) in [
            ("* * * *", "five fields"),
            ("60 * * * *", "minute"),
            ("* 24 * * *", "hour"),
            ("* * 0 * *", "day"),
            ("* * * 13 *", "month"),
            ("* * * * 8", "weekday"),
            ("*/0 * * * *", "step"),
            ("a * * * *", "minute"),
            ("5-1 * * * *", "minute"),
        ] {
            let err = expr.parse::<Cron>().unwrap_err();
            assert!(err.contains(word), "{expr}: {err}");
        }
    }

    #[test]
    fn schedules_parse_print_and_preview() {
        assert_eq!("manual".parse::<Schedule>().unwrap(), Schedule::Manual);
        assert_eq!("".parse::<Schedule>().unwrap(), Schedule::Manual);
        let once: Schedule = "at 2026-12-01T02:00:00Z".parse().unwrap();
        assert_eq!(once.to_string(), "at 2026-12-01T02:00:00Z");
        assert_eq!(once.next_after(at("2026-11-30T00:00:00Z")), Some(at("2026-12-01T02:00:00Z")));
        assert_eq!(once.next_after(at("2026-12-02T00:00:00Z")), None, "once only");
        let nightly: Schedule = "cron 0 2 * * *".parse().unwrap();
        assert_eq!(nightly.to_string(), "cron 0 2 * * *");
        let runs = nightly.upcoming(at("2026-11-23T10:00:00Z"), 3);
        assert_eq!(
            runs,
            vec![at("2026-11-24T02:00:00Z"), at("2026-11-25T02:00:00Z"), at("2026-11-26T02:00:00Z")]
        );
        assert!("at tomorrow".parse::<Schedule>().is_err());
        assert!("every day".parse::<Schedule>().is_err());
    }
}
