//! Dates as sources give them. A date carries its precision; nothing here
//! invents a day, month or year that the source did not give.

use super::error::ModelError;
use bincode::de::Decoder;
use bincode::enc::Encoder;
use bincode::error::{DecodeError, EncodeError};
use bincode::{Decode, Encode};
use std::fmt;
use time::{Date, Month};

/// A calendar day, years 1..=9999 (proleptic Gregorian).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(Date);

fn bad(value: &str, why: impl Into<String>) -> ModelError {
    ModelError::BadDate {
        value: value.to_string(),
        why: why.into(),
    }
}

fn check_year(year: i32) -> Result<(), String> {
    if (1..=9999).contains(&year) {
        Ok(())
    } else {
        Err(format!("year {year} is outside 1..=9999"))
    }
}

fn month_of(m: u8) -> Result<Month, String> {
    Month::try_from(m).map_err(|_| format!("month {m} is outside 1..=12"))
}

impl Day {
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Result<Self, String> {
        check_year(year)?;
        let m = month_of(month)?;
        Date::from_calendar_date(year, m, day)
            .map(Day)
            .map_err(|_| {
                format!(
                    "day {day} does not exist in {m} {year} (it has {} days)",
                    time::util::days_in_month(m, year)
                )
            })
    }
    pub fn year(self) -> i32 {
        self.0.year()
    }
    pub fn month(self) -> u8 {
        u8::from(self.0.month())
    }
    pub fn day(self) -> u8 {
        self.0.day()
    }
    /// The first day of a month.
    pub fn first_of_month(year: i32, month: u8) -> Result<Self, String> {
        Self::from_ymd(year, month, 1)
    }
    /// The last day of a month.
    pub fn last_of_month(year: i32, month: u8) -> Result<Self, String> {
        let m = month_of(month)?;
        check_year(year)?;
        Self::from_ymd(year, month, time::util::days_in_month(m, year))
    }
    /// The day `n` days after 1970-01-01 (None outside years 1..=9999).
    pub fn from_epoch_days(n: i32) -> Option<Day> {
        let d = Date::from_julian_day(n.checked_add(2_440_588)?).ok()?;
        check_year(d.year()).ok()?;
        Some(Day(d))
    }

    /// Days since 1970-01-01 (negative before): a total order usable as a key.
    pub fn epoch_days(self) -> i32 {
        self.0.to_julian_day() - 2_440_588
    }

    /// The epoch day shifted by 2^31, big-endian: bytes that sort in date
    /// order, days before 1970 too (index and memo keys).
    pub fn sort_key(self) -> [u8; 4] {
        ((i64::from(self.epoch_days()) + (1i64 << 31)) as u32).to_be_bytes()
    }

    /// The day whose `sort_key` is `b`.
    pub fn from_sort_key(b: [u8; 4]) -> Option<Day> {
        let days = i64::from(u32::from_be_bytes(b)) - (1i64 << 31);
        Day::from_epoch_days(i32::try_from(days).ok()?)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_date(f, self.year(), Some(self.month()), Some(self.day()))
    }
}

/// Writes YYYY, YYYY-MM or YYYY-MM-DD. Valid dates, the only ones the
/// crate makes, go digit by digit; a `FuzzyDate` built by hand from its
/// public variants with a part out of range is written as `format!` would
/// (and refused by `check`), never made to look like another date.
fn write_date(
    f: &mut fmt::Formatter<'_>,
    year: i32,
    month: Option<u8>,
    day: Option<u8>,
) -> fmt::Result {
    match DateText::new(year, month, day) {
        Some(t) => f.write_str(t.as_str()),
        None => {
            write!(f, "{year:04}")?;
            for n in [month, day].into_iter().flatten() {
                write!(f, "-{n:02}")?;
            }
            Ok(())
        }
    }
}

/// A date's text in a buffer, written digit by digit: a listing prints
/// thousands of dates, and the formatting machinery took a third of
/// rendering one.
struct DateText {
    buf: [u8; 10],
    len: usize,
}

impl DateText {
    /// None unless the year has four digits and the month and day two.
    fn new(year: i32, month: Option<u8>, day: Option<u8>) -> Option<DateText> {
        let y = u16::try_from(year).ok().filter(|y| *y <= 9999)?;
        if month.is_some_and(|m| m > 99) || day.is_some_and(|d| d > 99) {
            return None;
        }
        let digit = |n: u16| b'0' + (n % 10) as u8;
        let mut t = DateText {
            buf: [
                digit(y / 1000),
                digit(y / 100),
                digit(y / 10),
                digit(y),
                b'-',
                0,
                0,
                b'-',
                0,
                0,
            ],
            len: 4,
        };
        for (at, part) in [(5, month), (8, day)] {
            if let Some(n) = part {
                t.buf[at] = digit(u16::from(n) / 10);
                t.buf[at + 1] = digit(u16::from(n));
                t.len = at + 2;
            }
        }
        Some(t)
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).expect("ASCII digits and dashes")
    }
}

fn parse_num<T: std::str::FromStr>(
    value: &str,
    part: &str,
    digits: usize,
) -> Result<T, ModelError> {
    if part.len() != digits || !part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(
            value,
            "expected YYYY-MM-DD, YYYY-MM, YYYY or \"unknown\"",
        ));
    }
    part.parse()
        .map_err(|_| bad(value, "expected YYYY-MM-DD, YYYY-MM, YYYY or \"unknown\""))
}

impl std::str::FromStr for Day {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, ModelError> {
        match FuzzyDate::parse(s)? {
            FuzzyDate::Day(d) => Ok(d),
            _ => Err(bad(s, "a full date YYYY-MM-DD is required here")),
        }
    }
}

/// A date known to a day, a month, a year, or not at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FuzzyDate {
    Unknown,
    Year(i32),
    Month(i32, u8),
    Day(Day),
}

impl FuzzyDate {
    pub fn parse(s: &str) -> Result<Self, ModelError> {
        if s == "unknown" {
            return Ok(FuzzyDate::Unknown);
        }
        // At most four parts, on the stack: import parses two or three
        // dates a line, and collecting them into a vector was a third of
        // the parse (callgrind).
        let mut it = s.split('-');
        let parts = [it.next(), it.next(), it.next(), it.next()];
        match parts {
            [Some(y), None, None, None] => {
                let y: i32 = parse_num(s, y, 4)?;
                check_year(y).map_err(|w| bad(s, w))?;
                Ok(FuzzyDate::Year(y))
            }
            [Some(y), Some(m), None, None] => {
                let y: i32 = parse_num(s, y, 4)?;
                let m: u8 = parse_num(s, m, 2)?;
                check_year(y).map_err(|w| bad(s, w))?;
                month_of(m).map_err(|w| bad(s, w))?;
                Ok(FuzzyDate::Month(y, m))
            }
            [Some(y), Some(m), Some(d), None] => {
                let y: i32 = parse_num(s, y, 4)?;
                let m: u8 = parse_num(s, m, 2)?;
                let d: u8 = parse_num(s, d, 2)?;
                Day::from_ymd(y, m, d)
                    .map(FuzzyDate::Day)
                    .map_err(|w| bad(s, w))
            }
            _ => Err(bad(s, "expected YYYY-MM-DD, YYYY-MM, YYYY or \"unknown\"")),
        }
    }

    /// The first and last day this date could be, or None when unknown.
    pub fn bounds(self) -> Option<(Day, Day)> {
        let r = match self {
            FuzzyDate::Unknown => return None,
            FuzzyDate::Day(d) => Ok((d, d)),
            FuzzyDate::Month(y, m) => {
                Day::first_of_month(y, m).and_then(|a| Ok((a, Day::last_of_month(y, m)?)))
            }
            FuzzyDate::Year(y) => {
                Day::from_ymd(y, 1, 1).and_then(|a| Ok((a, Day::from_ymd(y, 12, 31)?)))
            }
        };
        r.ok()
    }

    /// Checks a value built directly from the public variants (a year in
    /// 1..=9999, a month in 1..=12): what parsing and decoding guarantee.
    pub fn check(self) -> Result<(), ModelError> {
        let r = match self {
            FuzzyDate::Unknown | FuzzyDate::Day(_) => Ok(()),
            FuzzyDate::Year(y) => check_year(y),
            FuzzyDate::Month(y, m) => check_year(y).and_then(|()| month_of(m).map(|_| ())),
        };
        r.map_err(|why| bad(&format!("{self:?}"), why))
    }

    pub fn precision(self) -> &'static str {
        match self {
            FuzzyDate::Unknown => "unknown",
            FuzzyDate::Year(_) => "year",
            FuzzyDate::Month(..) => "month",
            FuzzyDate::Day(_) => "day",
        }
    }

    pub fn is_known(self) -> bool {
        self != FuzzyDate::Unknown
    }
}

impl fmt::Display for FuzzyDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FuzzyDate::Unknown => f.write_str("unknown"),
            FuzzyDate::Year(y) => write_date(f, y, None, None),
            FuzzyDate::Month(y, m) => write_date(f, y, Some(m), None),
            FuzzyDate::Day(d) => d.fmt(f),
        }
    }
}

impl std::str::FromStr for FuzzyDate {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, ModelError> {
        Self::parse(s)
    }
}

// Encoding (docs/FORMAT.md, "FuzzyDate"): a bincode enum tag (0 unknown,
// 1 year, 2 month, 3 day) then i32 year (zigzag varint), u8 month, u8 day.
impl Encode for Day {
    fn encode<E: Encoder>(&self, e: &mut E) -> Result<(), EncodeError> {
        self.year().encode(e)?;
        self.month().encode(e)?;
        self.day().encode(e)
    }
}

impl<C> Decode<C> for Day {
    fn decode<D: Decoder<Context = C>>(d: &mut D) -> Result<Self, DecodeError> {
        let y = <i32 as Decode<C>>::decode(d)?;
        let m = <u8 as Decode<C>>::decode(d)?;
        let day = <u8 as Decode<C>>::decode(d)?;
        Day::from_ymd(y, m, day).map_err(DecodeError::OtherString)
    }
}
bincode::impl_borrow_decode!(Day);

impl Encode for FuzzyDate {
    fn encode<E: Encoder>(&self, e: &mut E) -> Result<(), EncodeError> {
        match *self {
            FuzzyDate::Unknown => 0u32.encode(e),
            FuzzyDate::Year(y) => {
                1u32.encode(e)?;
                y.encode(e)
            }
            FuzzyDate::Month(y, m) => {
                2u32.encode(e)?;
                y.encode(e)?;
                m.encode(e)
            }
            FuzzyDate::Day(d) => {
                3u32.encode(e)?;
                d.encode(e)
            }
        }
    }
}

impl<C> Decode<C> for FuzzyDate {
    fn decode<D: Decoder<Context = C>>(d: &mut D) -> Result<Self, DecodeError> {
        let tag = <u32 as Decode<C>>::decode(d)?;
        match tag {
            0 => Ok(FuzzyDate::Unknown),
            1 => {
                let y = <i32 as Decode<C>>::decode(d)?;
                check_year(y).map_err(DecodeError::OtherString)?;
                Ok(FuzzyDate::Year(y))
            }
            2 => {
                let y = <i32 as Decode<C>>::decode(d)?;
                let m = <u8 as Decode<C>>::decode(d)?;
                check_year(y).map_err(DecodeError::OtherString)?;
                month_of(m).map_err(DecodeError::OtherString)?;
                Ok(FuzzyDate::Month(y, m))
            }
            3 => Ok(FuzzyDate::Day(Day::decode(d)?)),
            found => Err(DecodeError::UnexpectedVariant {
                type_name: "FuzzyDate",
                allowed: &bincode::error::AllowedEnumVariants::Range { min: 0, max: 3 },
                found,
            }),
        }
    }
}
bincode::impl_borrow_decode!(FuzzyDate);

macro_rules! string_serde {
    ($t:ty, $schema:tt) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
        impl schemars::JsonSchema for $t {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($t).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!($schema)
            }
        }
    };
}
string_serde!(Day, { "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" });
string_serde!(FuzzyDate, { "type": "string", "pattern": "^([0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?|unknown)$" });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_keys_order_days_across_1970_and_read_back() {
        let days: Vec<Day> = [
            "0001-01-01",
            "1969-12-31",
            "1970-01-01",
            "2024-02-29",
            "9999-12-31",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        for w in days.windows(2) {
            assert!(w[0].sort_key() < w[1].sort_key(), "{} {}", w[0], w[1]);
        }
        for d in days {
            assert_eq!(Day::from_sort_key(d.sort_key()), Some(d));
        }
        assert_eq!(
            "1970-01-01".parse::<Day>().unwrap().sort_key(),
            0x8000_0000u32.to_be_bytes()
        );
    }

    #[test]
    fn impossible_dates_are_refused() {
        assert!(FuzzyDate::parse("2024-02-30").is_err());
        assert!(FuzzyDate::parse("2023-02-29").is_err());
        assert!(FuzzyDate::parse("2024-02-29").is_ok());
        assert!(FuzzyDate::parse("2024-13").is_err());
        assert!(FuzzyDate::parse("24-01-01").is_err());
        assert!(FuzzyDate::parse("2024-1-01").is_err());
        assert!(FuzzyDate::parse("0000").is_err());
        assert!(FuzzyDate::parse("").is_err());
        assert!(FuzzyDate::parse("+2024").is_err());
    }

    #[test]
    fn display_round_trips_every_precision() {
        for s in ["unknown", "2024", "2024-03", "2024-03-19"] {
            assert_eq!(FuzzyDate::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn dates_written_digit_by_digit_match_padded_formatting() {
        let json = |d: &FuzzyDate| serde_json::to_string(d).unwrap();
        for y in [1, 9, 10, 99, 100, 999, 1000, 1969, 1970, 2024, 9999] {
            let year = FuzzyDate::Year(y);
            assert_eq!(year.to_string(), format!("{y:04}"));
            assert_eq!(json(&year), format!("\"{y:04}\""));
            for m in 1..=12u8 {
                let month = FuzzyDate::Month(y, m);
                assert_eq!(month.to_string(), format!("{y:04}-{m:02}"));
                assert_eq!(json(&month), format!("\"{y:04}-{m:02}\""));
                for d in 1..=28u8 {
                    let day = Day::from_ymd(y, m, d).unwrap();
                    let text = format!("{y:04}-{m:02}-{d:02}");
                    assert_eq!(day.to_string(), text);
                    assert_eq!(serde_json::to_string(&day).unwrap(), format!("\"{text}\""));
                    assert_eq!(json(&FuzzyDate::Day(day)), format!("\"{text}\""));
                }
            }
        }
        assert_eq!(json(&FuzzyDate::Unknown), "\"unknown\"");
    }

    #[test]
    fn out_of_range_dates_built_by_hand_print_as_themselves() {
        // Not made valid: never printed as another, valid-looking date.
        for (d, text) in [
            (FuzzyDate::Year(12345), "12345"),
            (FuzzyDate::Year(-1), "-001"),
            (FuzzyDate::Year(0), "0000"),
            (FuzzyDate::Month(2024, 100), "2024-100"),
            (FuzzyDate::Month(2024, 13), "2024-13"),
            (FuzzyDate::Month(-5, 1), "-005-01"),
        ] {
            assert_eq!(d.to_string(), text);
            assert!(d.check().is_err(), "{d:?} passes check");
            assert!(FuzzyDate::parse(text).is_err(), "{text} parses");
        }
    }

    #[test]
    fn bounds_follow_precision() {
        let (a, b) = FuzzyDate::parse("2024-02").unwrap().bounds().unwrap();
        assert_eq!(
            (a.to_string(), b.to_string()),
            ("2024-02-01".into(), "2024-02-29".into())
        );
        assert!(FuzzyDate::Unknown.bounds().is_none());
    }
}
