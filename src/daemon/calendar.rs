//! Business hours: when the clocks of a `hours: business` service level run ("GTI 4h
//! ouvrées"), pure.
//!
//! A [`Calendar`] is `monitoring.business_hours` of netparc.yml compiled: working days,
//! opening and closing time, a fixed offset from UTC, holidays. It answers two questions:
//! how much business time lies between two instants ([`Calendar::business_ms`]), and when a
//! clock that started at some instant reaches a target ([`Calendar::deadline`]). Times are
//! ms since the epoch (UTC), as everywhere in the daemon; the offset turns them into local
//! days. A fixed offset, not a zone name: daylight saving time is not followed (no time
//! zone database is shipped), so a French contract writes `+01:00` or `+02:00`.

use crate::inventory::date::Date;
use crate::inventory::monitoring::BusinessHours;
use crate::yaml::YamlPath;
use crate::ypath;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

const DAY_MS: i64 = 86_400_000;
const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const FULL_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Business hours ready to count time with. Serialized as written in netparc.yml (the
/// incident keeps a copy, so its clocks never change with a later edit of the settings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "BusinessHours", into = "BusinessHours")]
pub struct Calendar {
    /// Working days, Monday first.
    days: [bool; 7],
    /// Opening, ms after local midnight.
    from_ms: i64,
    /// Closing, ms after local midnight (after `from_ms`, at most 24:00).
    to_ms: i64,
    /// Local time minus UTC, ms.
    offset_ms: i64,
    /// Days off, as local days since 1970-01-01.
    holidays: BTreeSet<i64>,
}

/// One mistake in `business_hours`: where (below `monitoring.business_hours`) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Path below `monitoring.business_hours`.
    pub at: YamlPath,
    /// What is wrong and what was expected.
    pub message: String,
}

/// Parse `HH:MM` (00:00 to 24:00) as ms after midnight.
fn parse_time(text: &str) -> Result<i64, String> {
    let bad = || format!("`{text}` is not a time like 08:30 (00:00 to 24:00)");
    let (hours, minutes) = text.trim().split_once(':').ok_or_else(bad)?;
    if hours.len() != 2 || minutes.len() != 2 {
        return Err(bad());
    }
    let hours: i64 = hours.parse().map_err(|_| bad())?;
    let minutes: i64 = minutes.parse().map_err(|_| bad())?;
    if !(0..60).contains(&minutes) || !(0..=24).contains(&hours) || (hours == 24 && minutes > 0) {
        return Err(bad());
    }
    Ok((hours * 60 + minutes) * 60_000)
}

/// Parse `UTC`, `Z`, `+01:00`, `-05:00`, `+0530` or `+02` as ms east of UTC.
fn parse_offset(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("utc") || text == "Z" {
        return Ok(0);
    }
    let bad = || {
        if text.contains('/') {
            format!(
                "`{text}`: time zone names are not supported (no time zone database); give the \
                 fixed offset from UTC, e.g. +01:00 (daylight saving time is not followed)"
            )
        } else {
            format!("`{text}` is not an offset from UTC like +01:00, -05:00 or UTC")
        }
    };
    let rest = text.strip_prefix("UTC").unwrap_or(text);
    let (sign, digits) = match rest.as_bytes().first() {
        Some(b'+') => (1, &rest[1..]),
        Some(b'-') => (-1, &rest[1..]),
        _ => return Err(bad()),
    };
    let digits = digits.replace(':', "");
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !matches!(digits.len(), 1 | 2 | 4) {
        return Err(bad());
    }
    let (hours, minutes) = digits.split_at(digits.len().min(2));
    let hours: i64 = hours.parse().map_err(|_| bad())?;
    let minutes: i64 = if minutes.is_empty() {
        0
    } else {
        minutes.parse().map_err(|_| bad())?
    };
    if hours > 14 || minutes >= 60 {
        return Err(bad());
    }
    Ok(sign * (hours * 60 + minutes) * 60_000)
}

fn format_hm(ms: i64) -> String {
    let minutes = ms / 60_000;
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl Calendar {
    /// Compile `monitoring.business_hours`; every mistake, each with its place.
    pub fn compile(hours: &BusinessHours) -> Result<Calendar, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut days = [false; 7];
        for (index, name) in hours.days.iter().enumerate() {
            let lower = name.trim().to_ascii_lowercase();
            match (0..7).find(|&d| DAY_NAMES[d] == lower || FULL_NAMES[d] == lower) {
                Some(day) => days[day] = true,
                None => problems.push(Problem {
                    at: ypath!["days", index].to_vec(),
                    message: format!(
                        "`{name}` is not a day (expected mon, tue, wed, thu, fri, sat or sun)"
                    ),
                }),
            }
        }
        if hours.days.is_empty() {
            problems.push(Problem {
                at: ypath!["days"].to_vec(),
                message: "no working day: business-hours clocks would never run".into(),
            });
        }
        let mut time = |text: &str, key: &str| match parse_time(text) {
            Ok(ms) => Some(ms),
            Err(message) => {
                problems.push(Problem {
                    at: ypath![key].to_vec(),
                    message,
                });
                None
            }
        };
        let from = time(&hours.from, "from");
        let to = time(&hours.to, "to");
        if let (Some(from), Some(to)) = (from, to)
            && from >= to
        {
            problems.push(Problem {
                at: ypath!["to"].to_vec(),
                message: format!(
                    "closing time {} is not after opening time {} (hours across midnight are \
                     not supported)",
                    hours.to, hours.from
                ),
            });
        }
        let offset = match hours.timezone.as_deref().map(parse_offset) {
            None => Some(0),
            Some(Ok(offset)) => Some(offset),
            Some(Err(message)) => {
                problems.push(Problem {
                    at: ypath!["timezone"].to_vec(),
                    message,
                });
                None
            }
        };
        let mut holidays = BTreeSet::new();
        for (index, text) in hours.holidays.iter().enumerate() {
            match text.trim().parse::<Date>() {
                Ok(date) => {
                    holidays.insert(date.days_since_epoch());
                }
                Err(_) => problems.push(Problem {
                    at: ypath!["holidays", index].to_vec(),
                    message: format!("`{text}` is not a date like 2026-12-25"),
                }),
            }
        }
        match (from, to, offset) {
            (Some(from_ms), Some(to_ms), Some(offset_ms)) if problems.is_empty() => Ok(Calendar {
                days,
                from_ms,
                to_ms,
                offset_ms,
                holidays,
            }),
            _ => Err(problems),
        }
    }

    /// Whether the local day `day` (days since 1970-01-01) is worked.
    fn works(&self, day: i64) -> bool {
        // 1970-01-01 was a Thursday (index 3, Monday first).
        self.days[(day + 3).rem_euclid(7) as usize] && !self.holidays.contains(&day)
    }

    /// Business time between `start` and `end` (UTC ms; 0 when `end <= start`).
    pub fn business_ms(&self, start: i64, end: i64) -> i64 {
        if end <= start {
            return 0;
        }
        let (start, end) = (start + self.offset_ms, end + self.offset_ms);
        let mut total = 0;
        let mut day = start.div_euclid(DAY_MS);
        while day * DAY_MS < end {
            if self.works(day) {
                let open = (day * DAY_MS + self.from_ms).max(start);
                let close = (day * DAY_MS + self.to_ms).min(end);
                total += (close - open).max(0);
            }
            day += 1;
        }
        total
    }

    /// The instant (UTC ms) at which a clock started at `start` has counted `target` ms of
    /// business time; None when no business time comes within ten years (every day a
    /// holiday), which `compile` makes impossible in practice.
    pub fn deadline(&self, start: i64, target: i64) -> Option<i64> {
        let local = start + self.offset_ms;
        let mut left = target.max(0);
        let first = local.div_euclid(DAY_MS);
        for day in first..first + 3660 {
            if self.works(day) {
                let open = (day * DAY_MS + self.from_ms).max(local);
                let close = day * DAY_MS + self.to_ms;
                if close > open {
                    if left <= close - open {
                        return Some(open + left - self.offset_ms);
                    }
                    left -= close - open;
                }
            }
        }
        None
    }

    /// `mon-fri 08:30-18:00 UTC+01:00`, for people.
    pub fn describe(&self) -> String {
        let hours: BusinessHours = self.clone().into();
        let days = if self.days == [true, true, true, true, true, false, false] {
            String::from("mon-fri")
        } else {
            hours.days.join(",")
        };
        let zone = match hours.timezone {
            Some(offset) => format!("UTC{offset}"),
            None => String::from("UTC"),
        };
        let holidays = match self.holidays.len() {
            0 => String::new(),
            n => format!(", {n} holiday(s)"),
        };
        format!("{days} {}-{} {zone}{holidays}", hours.from, hours.to)
    }
}

impl TryFrom<BusinessHours> for Calendar {
    type Error = String;

    fn try_from(hours: BusinessHours) -> Result<Calendar, String> {
        Calendar::compile(&hours).map_err(|problems| {
            problems
                .into_iter()
                .map(|p| p.message)
                .collect::<Vec<_>>()
                .join("; ")
        })
    }
}

impl From<Calendar> for BusinessHours {
    fn from(calendar: Calendar) -> BusinessHours {
        let offset = calendar.offset_ms / 60_000;
        BusinessHours {
            days: (0..7)
                .filter(|&d| calendar.days[d])
                .map(|d| DAY_NAMES[d].to_string())
                .collect(),
            from: format_hm(calendar.from_ms),
            to: format_hm(calendar.to_ms),
            timezone: (offset != 0).then(|| {
                let sign = if offset < 0 { '-' } else { '+' };
                format!("{sign}{:02}:{:02}", offset.abs() / 60, offset.abs() % 60)
            }),
            holidays: calendar
                .holidays
                .iter()
                .map(|&d| Date::from_days_since_epoch(d).to_string())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::policy::parse_utc;

    const HOUR: i64 = 3_600_000;

    fn hours(days: &[&str], from: &str, to: &str) -> BusinessHours {
        BusinessHours {
            days: days.iter().map(|d| d.to_string()).collect(),
            from: from.into(),
            to: to.into(),
            timezone: None,
            holidays: Vec::new(),
        }
    }

    /// Mon–Fri 08:30–18:00 UTC.
    fn office() -> Calendar {
        Calendar::compile(&hours(
            &["mon", "tue", "wed", "thu", "fri"],
            "08:30",
            "18:00",
        ))
        .unwrap()
    }

    fn at(text: &str) -> i64 {
        parse_utc(text).unwrap()
    }

    #[test]
    fn friday_afternoon_gti_of_4h_is_due_monday_11_30() {
        // 2026-03-06 is a Friday.
        let calendar = office();
        let opened = at("2026-03-06T17:00");
        assert_eq!(
            calendar.deadline(opened, 4 * HOUR),
            Some(at("2026-03-09T11:30"))
        );
        // The weekend counts nothing: Friday 17:00 → Monday 09:00 is 1h30 of business time.
        assert_eq!(
            calendar.business_ms(opened, at("2026-03-09T09:00")),
            90 * 60_000
        );
        assert_eq!(
            calendar.business_ms(opened, at("2026-03-08T23:59")),
            HOUR,
            "Saturday and Sunday are not worked"
        );
    }

    #[test]
    fn across_midnight_only_the_open_hours_count() {
        let calendar = office();
        // Tuesday 17:00 → Wednesday 09:00: 1h on Tuesday, 30 min on Wednesday.
        assert_eq!(
            calendar.business_ms(at("2026-03-10T17:00"), at("2026-03-11T09:00")),
            90 * 60_000
        );
        // A whole working week is 5 × 9h30.
        assert_eq!(
            calendar.business_ms(at("2026-03-09T00:00"), at("2026-03-16T00:00")),
            5 * 570 * 60_000
        );
        assert_eq!(
            calendar.business_ms(at("2026-03-11T09:00"), at("2026-03-10T09:00")),
            0
        );
        // A 1h clock started at 17:30 ends the next morning at 09:00.
        assert_eq!(
            calendar.deadline(at("2026-03-10T17:30"), HOUR),
            Some(at("2026-03-11T09:00"))
        );
        // Exactly the closing time: due then, not the next morning.
        assert_eq!(
            calendar.deadline(at("2026-03-10T17:00"), HOUR),
            Some(at("2026-03-10T18:00"))
        );
    }

    #[test]
    fn opened_outside_hours_the_clock_starts_at_opening() {
        let calendar = office();
        // Saturday night: nothing until Monday 08:30.
        let opened = at("2026-03-07T22:00");
        assert_eq!(calendar.business_ms(opened, at("2026-03-09T08:30")), 0);
        assert_eq!(
            calendar.business_ms(opened, at("2026-03-09T10:00")),
            90 * 60_000
        );
        assert_eq!(
            calendar.deadline(opened, 4 * HOUR),
            Some(at("2026-03-09T12:30"))
        );
        // Early on a weekday: from 08:30 the same day.
        assert_eq!(
            calendar.deadline(at("2026-03-10T06:00"), 30 * 60_000),
            Some(at("2026-03-10T09:00"))
        );
        // A zero target is due at the next opening.
        assert_eq!(calendar.deadline(opened, 0), Some(at("2026-03-09T08:30")));
    }

    #[test]
    fn holidays_and_offsets() {
        let mut written = hours(&["mon", "tue", "wed", "thu", "fri"], "08:30", "18:00");
        // Christmas 2026 is a Friday.
        written.holidays = vec!["2026-12-25".into()];
        let calendar = Calendar::compile(&written).unwrap();
        assert_eq!(
            calendar.deadline(at("2026-12-24T17:00"), 4 * HOUR),
            Some(at("2026-12-28T11:30")),
            "Thursday 1h, Friday off, Monday 3h"
        );
        assert_eq!(
            calendar.business_ms(at("2026-12-25T00:00"), at("2026-12-26T00:00")),
            0
        );
        // Paris in winter: 08:30 local is 07:30 UTC.
        written.timezone = Some("+01:00".into());
        written.holidays.clear();
        let paris = Calendar::compile(&written).unwrap();
        assert_eq!(
            paris.deadline(at("2026-03-06T16:00"), 4 * HOUR),
            Some(at("2026-03-09T10:30"))
        );
        assert_eq!(
            paris.business_ms(at("2026-03-09T07:00"), at("2026-03-09T08:00")),
            30 * 60_000
        );
        // West of UTC, a late UTC time is still the previous local day.
        written.timezone = Some("-05:00".into());
        let new_york = Calendar::compile(&written).unwrap();
        // Saturday 02:00 UTC is Friday 21:00 local: closed until Monday 08:30 local.
        assert_eq!(
            new_york.deadline(at("2026-03-07T02:00"), HOUR),
            Some(at("2026-03-09T14:30"))
        );
    }

    #[test]
    fn written_form_round_trips() {
        let mut written = hours(&["Monday", "tue", "sat"], "07:00", "24:00");
        written.timezone = Some("+05:30".into());
        written.holidays = vec!["2026-05-01".into()];
        let calendar = Calendar::compile(&written).unwrap();
        let json = serde_json::to_string(&calendar).unwrap();
        assert_eq!(
            json,
            r#"{"days":["mon","tue","sat"],"from":"07:00","to":"24:00","timezone":"+05:30","holidays":["2026-05-01"]}"#
        );
        assert_eq!(serde_json::from_str::<Calendar>(&json).unwrap(), calendar);
        assert_eq!(
            calendar.describe(),
            "mon,tue,sat 07:00-24:00 UTC+05:30, 1 holiday(s)"
        );
        assert_eq!(office().describe(), "mon-fri 08:30-18:00 UTC");
    }

    #[test]
    fn every_mistake_is_reported_with_its_place() {
        let mut written = hours(&["mon", "funday", "fri"], "18:00", "08:30");
        written.timezone = Some("Europe/Paris".into());
        written.holidays = vec!["2026-02-30".into()];
        let problems = Calendar::compile(&written).unwrap_err();
        let found: Vec<(String, &str)> = problems
            .iter()
            .map(|p| (crate::yaml::path_to_string(&p.at), p.message.as_str()))
            .collect();
        assert_eq!(found.len(), 4, "{found:?}");
        assert_eq!(found[0].0, "days[1]");
        assert!(found[0].1.contains("`funday` is not a day"));
        assert_eq!(found[1].0, "to");
        assert!(found[1].1.contains("not after opening time 18:00"));
        assert_eq!(found[2].0, "timezone");
        assert!(found[2].1.contains("time zone names are not supported"));
        assert_eq!(found[3].0, "holidays[0]");
        let bad_times = Calendar::compile(&hours(&[], "8h30", "25:00")).unwrap_err();
        let messages: Vec<&str> = bad_times.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].starts_with("no working day"));
        assert!(messages[1].contains("`8h30` is not a time"));
        assert!(messages[2].contains("`25:00` is not a time"));
        assert_eq!(parse_offset("UTC+2").unwrap(), 2 * HOUR);
        assert_eq!(parse_offset("-0330").unwrap(), -210 * 60_000);
        assert!(parse_offset("+15:00").is_err());
    }
}
