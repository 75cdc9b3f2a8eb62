//! A carrier's working calendar: which weekdays it works, its holidays, and
//! the cut-off after which an order is handed over the next working day.

use std::collections::BTreeSet;
use std::io::Read;

use jiff::civil::{Date, DateTime, Time, Weekday};

use crate::EddError;

/// Longest run of non-working days tolerated when stepping through a
/// calendar; a calendar closed longer than this is treated as open, so a
/// misconfigured calendar degrades instead of hanging.
const MAX_CLOSED_RUN: u32 = 60;

#[derive(Debug, Clone)]
pub struct Calendar {
    /// Indexed Monday = 0 … Sunday = 6.
    working_weekdays: [bool; 7],
    holidays: BTreeSet<Date>,
    cutoff: Option<Time>,
}

impl Default for Calendar {
    /// Monday to Saturday, no holidays, no cut-off: how most Indian express
    /// carriers run.
    fn default() -> Self {
        Self::with_non_working_weekdays(&[Weekday::Sunday])
    }
}

impl Calendar {
    /// Every day is a working day.
    pub fn every_day() -> Self {
        Self::with_non_working_weekdays(&[])
    }

    /// A calendar closed on the given weekdays. Closing all seven keeps them
    /// all open instead (a calendar must have working days).
    pub fn with_non_working_weekdays(closed: &[Weekday]) -> Self {
        let mut working_weekdays = [true; 7];
        for day in closed {
            working_weekdays[day.to_monday_zero_offset() as usize] = false;
        }
        if !working_weekdays.contains(&true) {
            working_weekdays = [true; 7];
        }
        Self {
            working_weekdays,
            holidays: BTreeSet::new(),
            cutoff: None,
        }
    }

    pub fn with_holidays(mut self, holidays: impl IntoIterator<Item = Date>) -> Self {
        self.holidays.extend(holidays);
        self
    }

    /// Orders at or after this local time are handed over the next working day.
    pub fn with_cutoff(mut self, cutoff: Time) -> Self {
        self.cutoff = Some(cutoff);
        self
    }

    pub fn cutoff(&self) -> Option<Time> {
        self.cutoff
    }

    pub fn holiday_count(&self) -> usize {
        self.holidays.len()
    }

    pub fn is_working_day(&self, date: Date) -> bool {
        self.working_weekdays[date.weekday().to_monday_zero_offset() as usize]
            && !self.holidays.contains(&date)
    }

    /// `date` itself when it is a working day, else the next one.
    pub fn next_working_day(&self, date: Date) -> Date {
        let mut day = date;
        for _ in 0..MAX_CLOSED_RUN {
            if self.is_working_day(day) {
                return day;
            }
            day = next_day(day);
        }
        date
    }

    /// The date `n` working days after `start` (0 → `start` or the next working
    /// day): a carrier promising "3 working days" from a Friday means Wednesday
    /// when it does not work Sundays.
    pub fn add_working_days(&self, start: Date, n: u32) -> Date {
        let mut day = self.next_working_day(start);
        for _ in 0..n {
            day = self.next_working_day(next_day(day));
        }
        day
    }

    /// The working days from `start` on, walked as far as asked and kept:
    /// `nth(n)` is [`Calendar::add_working_days`]`(start, n)`. A promise asks
    /// for four dates per carrier, and most carriers share one calendar.
    pub fn working_days(&self, start: Date) -> WorkingDays<'_> {
        WorkingDays {
            calendar: self,
            days: vec![self.next_working_day(start)],
        }
    }

    /// Working days from `from` until `to`, counting `to` as the next working
    /// day when it is not one (a Sunday delivery is as late as Monday's in a
    /// Monday-to-Saturday calendar). Zero when `to` is not after `from`.
    pub fn working_days_between(&self, from: Date, to: Date) -> u32 {
        let from = self.next_working_day(from);
        let to = self.next_working_day(to);
        if to <= from {
            return 0;
        }
        let mut count = 0;
        let mut day = from;
        while day < to {
            day = next_day(day);
            if self.is_working_day(day) {
                count += 1;
            }
        }
        count
    }

    /// The first day an order placed at `at` can be handed to the carrier:
    /// the same day before the cut-off on a working day, else the next working day.
    pub fn handover_date(&self, at: DateTime) -> Date {
        let date = at.date();
        let past_cutoff = self.cutoff.is_some_and(|cutoff| at.time() >= cutoff);
        if self.is_working_day(date) && !past_cutoff {
            date
        } else {
            self.next_working_day(next_day(date))
        }
    }
}

/// See [`Calendar::working_days`].
#[derive(Debug)]
pub struct WorkingDays<'c> {
    calendar: &'c Calendar,
    /// The first working day, then each one after: never empty.
    days: Vec<Date>,
}

impl WorkingDays<'_> {
    /// Whether these are `calendar`'s days.
    pub fn of(&self, calendar: &Calendar) -> bool {
        std::ptr::eq(self.calendar, calendar)
    }

    /// The first working day: the start, or the next working day after it.
    pub fn first(&self) -> Date {
        self.days[0]
    }

    /// The `n`th working day after the first.
    pub fn nth(&mut self, n: u32) -> Date {
        let n = n as usize;
        while self.days.len() <= n {
            let last = *self.days.last().expect("never empty");
            self.days
                .push(self.calendar.next_working_day(next_day(last)));
        }
        self.days[n]
    }
}

fn next_day(date: Date) -> Date {
    date.tomorrow().unwrap_or(date)
}

/// Reads holidays from the `date,country,subdivision,category,name` CSV of
/// `shared/data/holidays`: the country's national days in `categories`, plus
/// those of `subdivision` when given.
pub fn holidays_from_csv(
    reader: impl Read,
    country: &str,
    subdivision: Option<&str>,
    categories: &[&str],
) -> Result<Vec<Date>, EddError> {
    #[derive(serde::Deserialize)]
    struct Row {
        date: String,
        country: String,
        subdivision: String,
        category: String,
    }
    let mut out = Vec::new();
    let mut csv = csv::Reader::from_reader(reader);
    for (index, row) in csv.deserialize::<Row>().enumerate() {
        let row = row?;
        let national = row.subdivision.is_empty();
        let ours =
            national || subdivision.is_some_and(|s| s.eq_ignore_ascii_case(&row.subdivision));
        if !row.country.eq_ignore_ascii_case(country)
            || !ours
            || !categories
                .iter()
                .any(|c| c.eq_ignore_ascii_case(&row.category))
        {
            continue;
        }
        let date = row.date.parse::<Date>().map_err(|e| EddError::Input {
            line: index as u64 + 2,
            message: format!("bad date {:?}: {e}", row.date),
        })?;
        out.push(date);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    #[test]
    fn a_kept_walk_lands_where_each_count_alone_does() {
        let calendars = [
            Calendar::every_day(),
            Calendar::default(),
            Calendar::with_non_working_weekdays(&[Weekday::Saturday, Weekday::Sunday])
                .with_holidays([date(2026, 12, 25), date(2026, 12, 31), date(2027, 1, 1)]),
        ];
        for calendar in &calendars {
            for start in [date(2026, 12, 19), date(2026, 12, 24), date(2026, 12, 31)] {
                let mut walk = calendar.working_days(start);
                assert_eq!(walk.first(), calendar.next_working_day(start));
                for n in [3, 1, 0, 7, 9, 2, 30, 5] {
                    assert_eq!(
                        walk.nth(n),
                        calendar.add_working_days(start, n),
                        "{start} + {n}"
                    );
                }
            }
        }
    }

    fn mon_to_sat() -> Calendar {
        Calendar::default()
    }

    #[test]
    fn sundays_and_holidays_are_skipped() {
        // 2026-01-31 is a Saturday; 2026-02-01 a Sunday.
        let cal = mon_to_sat().with_holidays([date(2026, 2, 2)]);
        assert!(cal.is_working_day(date(2026, 1, 31)));
        assert!(!cal.is_working_day(date(2026, 2, 1)));
        assert!(!cal.is_working_day(date(2026, 2, 2)));
        assert_eq!(cal.next_working_day(date(2026, 2, 1)), date(2026, 2, 3));
        // One working day after Saturday 31 Jan skips Sunday and the holiday.
        assert_eq!(cal.add_working_days(date(2026, 1, 31), 1), date(2026, 2, 3));
    }

    #[test]
    fn adding_working_days_crosses_the_year_end() {
        // 2026-12-31 is a Thursday; 2027-01-01 a Friday (holiday here);
        // 2027-01-03 a Sunday.
        let cal = mon_to_sat().with_holidays([date(2027, 1, 1)]);
        assert_eq!(
            cal.add_working_days(date(2026, 12, 31), 1),
            date(2027, 1, 2)
        );
        assert_eq!(
            cal.add_working_days(date(2026, 12, 31), 2),
            date(2027, 1, 4)
        );
        assert_eq!(
            cal.working_days_between(date(2026, 12, 31), date(2027, 1, 4)),
            2
        );
    }

    #[test]
    fn adding_working_days_crosses_a_leap_february() {
        // 2028 is a leap year; 2028-02-28 is a Monday.
        let cal = Calendar::with_non_working_weekdays(&[Weekday::Saturday, Weekday::Sunday]);
        assert_eq!(
            cal.add_working_days(date(2028, 2, 28), 1),
            date(2028, 2, 29)
        );
        assert_eq!(cal.add_working_days(date(2028, 2, 28), 4), date(2028, 3, 3));
        assert_eq!(cal.add_working_days(date(2028, 2, 28), 5), date(2028, 3, 6));
        assert_eq!(
            cal.working_days_between(date(2028, 2, 28), date(2028, 3, 6)),
            5
        );
    }

    #[test]
    fn a_weekend_delivery_counts_as_the_next_working_day() {
        let cal = Calendar::with_non_working_weekdays(&[Weekday::Saturday, Weekday::Sunday]);
        // Friday 2026-11-27 → Saturday 28th is as late as Monday 30th.
        assert_eq!(
            cal.working_days_between(date(2026, 11, 27), date(2026, 11, 28)),
            1
        );
        assert_eq!(
            cal.working_days_between(date(2026, 11, 27), date(2026, 11, 30)),
            1
        );
        assert_eq!(
            cal.working_days_between(date(2026, 11, 30), date(2026, 11, 27)),
            0
        );
    }

    #[test]
    fn cutoff_moves_handover_to_the_next_working_day_across_month_end() {
        let cal = mon_to_sat().with_cutoff(time(14, 0, 0, 0));
        // Saturday 2026-10-31 before the cut-off: same day.
        assert_eq!(
            cal.handover_date(date(2026, 10, 31).at(13, 59, 0, 0)),
            date(2026, 10, 31)
        );
        // After it: Sunday is closed, so Monday 2 November.
        assert_eq!(
            cal.handover_date(date(2026, 10, 31).at(14, 0, 0, 0)),
            date(2026, 11, 2)
        );
        // An order placed on a Sunday waits for Monday whatever the time.
        assert_eq!(
            cal.handover_date(date(2026, 11, 1).at(9, 0, 0, 0)),
            date(2026, 11, 2)
        );
    }

    #[test]
    fn a_calendar_closed_every_day_stays_usable() {
        let all = [
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
            Weekday::Saturday,
            Weekday::Sunday,
        ];
        let cal = Calendar::with_non_working_weekdays(&all);
        assert_eq!(cal.add_working_days(date(2026, 1, 1), 3), date(2026, 1, 4));
    }

    #[test]
    fn holidays_csv_keeps_national_and_the_chosen_subdivision() {
        let csv = "date,country,subdivision,category,name\n\
                   2017-01-01,BR,,public,New Year\n\
                   2017-01-25,BR,SP,public,City day\n\
                   2017-01-26,BR,RJ,public,Other\n\
                   2017-02-27,BR,,optional,Carnival\n\
                   2017-01-26,IN,,public,Republic Day\n";
        let national = holidays_from_csv(csv.as_bytes(), "BR", None, &["public"]).unwrap();
        assert_eq!(national, vec![date(2017, 1, 1)]);
        let sp =
            holidays_from_csv(csv.as_bytes(), "BR", Some("SP"), &["public", "optional"]).unwrap();
        assert_eq!(
            sp,
            vec![date(2017, 1, 1), date(2017, 1, 25), date(2017, 2, 27)]
        );
    }
}
