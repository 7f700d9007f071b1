use super::*;
use std::borrow::Cow;
use tiberius::numeric::Numeric;
use tiberius::time::{Date, DateTime, DateTime2, DateTimeOffset, SmallDateTime, Time};

fn ok(ty: SqlType, kind: FieldKind, data: ColumnData<'_>) -> Value {
    let (v, a) = convert(ty, kind, data).unwrap();
    assert_eq!(a, None);
    v
}

fn ts(seconds: i64, nanos: i32) -> Value {
    Value::Time(Timestamp { seconds, nanos })
}

const NTEXT: SqlType = SqlType::NText {
    chars: Some(50),
    padded: false,
};

#[test]
fn integers_of_every_width_fill_integer_fields() {
    let k = FieldKind::Int32;
    assert_eq!(
        ok(SqlType::TinyInt, k, ColumnData::U8(Some(7))),
        Value::Int(7)
    );
    assert_eq!(
        ok(SqlType::SmallInt, k, ColumnData::I16(Some(-3))),
        Value::Int(-3)
    );
    assert_eq!(
        ok(SqlType::Int, k, ColumnData::I32(Some(1 << 30))),
        Value::Int(1 << 30)
    );
    assert_eq!(
        ok(SqlType::BigInt, k, ColumnData::I64(Some(42))),
        Value::Int(42)
    );
    assert_eq!(
        ok(SqlType::Bit, k, ColumnData::Bit(Some(true))),
        Value::Int(1)
    );
    let n = Numeric::new_with_scale(12300, 2);
    assert_eq!(
        ok(
            SqlType::Decimal { scale: 2 },
            k,
            ColumnData::Numeric(Some(n))
        ),
        Value::Int(123)
    );
    let key = FieldKind::Key { bits: 64 };
    assert_eq!(
        ok(SqlType::BigInt, key, ColumnData::I64(Some(5_000_000_001))),
        Value::Int(5_000_000_001)
    );
}

#[test]
fn a_number_that_does_not_fit_is_flagged_not_wrapped() {
    let (v, a) = convert(
        SqlType::BigInt,
        FieldKind::Int32,
        ColumnData::I64(Some(3_000_000_000)),
    )
    .unwrap();
    assert_eq!(v, Value::Null);
    let a = a.unwrap();
    assert_eq!(a.kind, AnomalyKind::OutOfRange);
    assert!(a.detail.contains("3000000000"), "{}", a.detail);
    let (v, a) = convert(
        SqlType::Decimal { scale: 2 },
        FieldKind::Int32,
        ColumnData::Numeric(Some(Numeric::new_with_scale(12345, 2))),
    )
    .unwrap();
    assert_eq!(v, Value::Null);
    assert_eq!(a.unwrap().kind, AnomalyKind::OutOfRange);
}

#[test]
fn nulls_stay_null() {
    for kind in [
        FieldKind::Int32,
        FieldKind::Text,
        FieldKind::Time,
        FieldKind::Date,
    ] {
        assert_eq!(ok(SqlType::Int, kind, ColumnData::I32(None)), Value::Null);
    }
}

fn utf16le(s: &[u16]) -> Vec<u8> {
    s.iter().flat_map(|u| u.to_le_bytes()).collect()
}

#[test]
fn text_arrives_as_utf16_bytes_and_lone_surrogates_are_kept_raw() {
    let good: Vec<u16> = "Åsa 😀".encode_utf16().collect();
    assert_eq!(
        ok(
            NTEXT,
            FieldKind::Text,
            ColumnData::Binary(Some(Cow::Owned(utf16le(&good))))
        ),
        Value::Text("Åsa 😀".into())
    );
    let bad = utf16le(&[0x61, 0xD83D, 0x62]);
    let (v, a) = convert(
        NTEXT,
        FieldKind::Text,
        ColumnData::Binary(Some(Cow::Owned(bad.clone()))),
    )
    .unwrap();
    assert_eq!(v, Value::Text("a\u{FFFD}b".into()));
    let a = a.unwrap();
    assert_eq!(a.kind, AnomalyKind::InvalidUtf16);
    assert_eq!(a.raw_utf16, Some(bad));
}

/// The fast decoder (and its fallback) agree with the standard library, unit for
/// unit, on every awkward sequence: pairs, lone and reversed surrogates,
/// a high surrogate at the end, the edges of each range.
#[test]
fn text_decodes_exactly_as_decode_utf16_would() {
    let edges = [
        0x00, 0x7F, 0x80, 0xFF, 0x7FF, 0x800, 0xD7FF, 0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0xE000,
        0xFFFD, 0xFFFF, 0x61,
    ];
    let mut cases: Vec<Vec<u16>> = vec![vec![], vec![0xD83D, 0xDE00], vec![0xDE00, 0xD83D]];
    for &a in &edges {
        for &b in &edges {
            cases.push(vec![a, b]);
            for &c in &edges {
                cases.push(vec![a, b, c]);
            }
        }
    }
    // Runs of ASCII around each edge, at every alignment of the four-unit
    // fast path.
    for &e in &edges {
        for lead in 0..6 {
            let mut units: Vec<u16> = (0..lead).map(|k| 0x41 + k).collect();
            units.push(e);
            units.extend([0x61, 0x62, 0x63, 0x64, 0x65, e, 0xDBFF, 0xDFFF, 0x7A]);
            cases.push(units);
        }
    }
    for units in cases {
        let expected: String = char::decode_utf16(units.iter().copied())
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        let lone = char::decode_utf16(units.iter().copied())
            .filter(Result::is_err)
            .count();
        let (text, anomaly) = super::utf16(&utf16le(&units));
        assert_eq!(text, expected, "{units:x?}");
        assert_eq!(anomaly.is_some(), lone > 0, "{units:x?}");
        if let Some(a) = anomaly {
            assert!(
                a.detail.starts_with(&format!("{lone} unpaired")),
                "{units:x?}"
            );
        }
    }
}

#[test]
fn an_odd_byte_out_is_a_lone_unit_even_in_ascii_text() {
    let (text, anomaly) = super::utf16(&[0x61, 0x00, 0x62]);
    assert_eq!(text, "a\u{FFFD}");
    assert!(anomaly.unwrap().detail.starts_with("1 unpaired"));
}

#[test]
fn local_times_are_written_as_chrono_writes_them() {
    let day = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    for (y, nanos) in [
        (2024, 0),
        (1, 3_000_000),
        (9999, 123_456_000),
        (1900, 7),
        (2024, 999_999_999),
        (2024, 100_000_000),
    ] {
        let t = day
            .with_year(y)
            .unwrap_or(day)
            .and_hms_nano_opt(23, 5, 9, nanos)
            .unwrap();
        assert_eq!(
            super::local_text(t),
            t.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
            "{t:?}"
        );
    }
}

#[test]
fn fixed_width_text_loses_its_padding() {
    let padded = SqlType::Text {
        chars: Some(10),
        padded: true,
    };
    let bytes = utf16le(&"Oslo      ".encode_utf16().collect::<Vec<_>>());
    assert_eq!(
        ok(
            padded,
            FieldKind::Text,
            ColumnData::Binary(Some(Cow::Owned(bytes)))
        ),
        Value::Text("Oslo".into())
    );
}

#[test]
fn overlong_text_is_cut_and_flagged() {
    let long = "ä".repeat(MAX_TEXT_BYTES); // two bytes each
    let (v, a) = convert(
        SqlType::NText {
            chars: None,
            padded: false,
        },
        FieldKind::Text,
        ColumnData::String(Some(Cow::Owned(long))),
    )
    .unwrap();
    let Value::Text(s) = v else { panic!() };
    assert_eq!(s.len(), MAX_TEXT_BYTES);
    assert_eq!(a.unwrap().kind, AnomalyKind::Truncated);
}

#[test]
fn other_types_become_text_as_sql_server_prints_them() {
    let t = FieldKind::Text;
    let guid = tiberius::Uuid::parse_str("6f9619ff-8b86-d011-b42d-00c04fc964ff").unwrap();
    assert_eq!(
        ok(SqlType::UniqueIdentifier, t, ColumnData::Guid(Some(guid))),
        Value::Text("6f9619ff-8b86-d011-b42d-00c04fc964ff".into())
    );
    assert_eq!(
        ok(SqlType::Money, t, ColumnData::F64(Some(12.5))),
        Value::Text("12.5000".into())
    );
    assert_eq!(
        ok(SqlType::Float, t, ColumnData::F64(Some(0.25))),
        Value::Text("0.25".into())
    );
    assert_eq!(
        ok(
            SqlType::Decimal { scale: 2 },
            t,
            ColumnData::Numeric(Some(Numeric::new_with_scale(-12345, 2)))
        ),
        Value::Text("-123.45".into())
    );
    assert_eq!(decimal(5, 3), "0.005");
    assert_eq!(decimal(-5, 0), "-5");
    assert_eq!(
        ok(
            SqlType::VarBinary,
            t,
            ColumnData::Binary(Some(Cow::Owned(vec![0xCA, 0xFE])))
        ),
        Value::Text("0xCAFE".into())
    );
    assert_eq!(
        ok(SqlType::Int, t, ColumnData::I32(Some(-9))),
        Value::Text("-9".into())
    );
}

// 2014-03-15 12:34:56 UTC
const T: i64 = 1_394_886_896;
const DAYS_1900: i32 = 41_711; // 2014-03-15 since 1900-01-01
const DAYS_CE: u32 = 735_306; // 2014-03-15 since 0001-01-01

#[test]
fn every_datetime_type_gives_the_same_instant() {
    let secs = (T - (T / 86_400) * 86_400) as u32; // time of day
    let k = FieldKind::Time;
    assert_eq!(
        ok(
            SqlType::DateTime,
            k,
            ColumnData::DateTime(Some(DateTime::new(DAYS_1900, secs * 300)))
        ),
        ts(T, 0)
    );
    // 1/300 s ticks round to the nearest nanosecond: 1 tick = 3.333… ms.
    assert_eq!(
        ok(
            SqlType::DateTime,
            k,
            ColumnData::DateTime(Some(DateTime::new(DAYS_1900, secs * 300 + 1)))
        ),
        ts(T, 3_333_333)
    );
    assert_eq!(
        ok(
            SqlType::SmallDateTime,
            k,
            ColumnData::SmallDateTime(Some(SmallDateTime::new(DAYS_1900 as u16, 754)))
        ),
        ts(T - 56, 0)
    );
    let dt2 = DateTime2::new(
        Date::new(DAYS_CE),
        Time::new(u64::from(secs) * 10_000_000 + 5, 7),
    );
    assert_eq!(
        ok(SqlType::DateTime2, k, ColumnData::DateTime2(Some(dt2))),
        ts(T, 500)
    );
    // Recorded at +02:00: the wire holds UTC, the instant is unchanged.
    let dto = DateTimeOffset::new(
        DateTime2::new(Date::new(DAYS_CE), Time::new(u64::from(secs), 0)),
        120,
    );
    assert_eq!(
        ok(
            SqlType::DateTimeOffset,
            k,
            ColumnData::DateTimeOffset(Some(dto))
        ),
        ts(T, 0)
    );
    assert_eq!(
        ok(SqlType::Date, k, ColumnData::Date(Some(Date::new(DAYS_CE)))),
        ts(T - i64::from(secs), 0)
    );
}

#[test]
fn dates_are_the_local_calendar_day() {
    let d = |y, m, day| {
        Value::Date(legacy::Date {
            year: y,
            month: m,
            day,
        })
    };
    let k = FieldKind::Date;
    assert_eq!(
        ok(SqlType::Date, k, ColumnData::Date(Some(Date::new(DAYS_CE)))),
        d(2014, 3, 15)
    );
    // 23:30 UTC recorded at +02:00 is the next day where it happened.
    let late = DateTime2::new(Date::new(DAYS_CE), Time::new(23 * 3600 + 1800, 0));
    assert_eq!(
        ok(
            SqlType::DateTimeOffset,
            k,
            ColumnData::DateTimeOffset(Some(DateTimeOffset::new(late, 120)))
        ),
        d(2014, 3, 16)
    );
    // SQL Server's zero date survives as a date, for the transform to reject.
    assert_eq!(
        ok(
            SqlType::DateTime,
            k,
            ColumnData::DateTime(Some(DateTime::new(0, 0)))
        ),
        d(1900, 1, 1)
    );
}

#[test]
fn a_date_field_refuses_a_number() {
    assert!(convert(SqlType::Int, FieldKind::Date, ColumnData::I32(Some(1))).is_err());
    assert!(!SqlType::Int.fits(FieldKind::Date));
    assert!(!SqlType::UniqueIdentifier.fits(FieldKind::Key { bits: 32 }));
    assert!(
        !SqlType::NText {
            chars: Some(10),
            padded: false
        }
        .fits(FieldKind::Key { bits: 64 })
    );
    assert!(SqlType::DateTimeOffset.fits(FieldKind::Time));
}

#[test]
fn text_is_selected_as_utf16_bytes() {
    assert_eq!(
        NTEXT.select_expr("Nickname"),
        "CAST([Nickname] AS varbinary(8000)) AS [Nickname]"
    );
    assert_eq!(
        SqlType::Text {
            chars: Some(254),
            padded: false
        }
        .select_expr("Email"),
        "CAST(CAST([Email] AS nvarchar(254)) AS varbinary(8000)) AS [Email]"
    );
    assert_eq!(
        SqlType::NText {
            chars: None,
            padded: false
        }
        .select_expr("Body"),
        "CAST([Body] AS varbinary(max)) AS [Body]"
    );
    assert_eq!(SqlType::Int.select_expr("Odd]Name"), "[Odd]]Name]");
}

#[test]
fn a_height_or_a_kind_fills_an_unsigned_field_and_a_negative_one_is_an_anomaly() {
    let k = FieldKind::UInt32;
    assert!(SqlType::SmallInt.fits(k) && SqlType::TinyInt.fits(k));
    assert!(!NTEXT.fits(k) && !SqlType::DateTime.fits(k));
    assert_eq!(
        ok(SqlType::SmallInt, k, ColumnData::I16(Some(183))),
        Value::Int(183)
    );
    assert_eq!(
        ok(SqlType::SmallInt, k, ColumnData::I16(Some(i16::MAX))),
        Value::Int(32_767)
    );
    assert_eq!(
        ok(SqlType::TinyInt, k, ColumnData::U8(Some(255))),
        Value::Int(255)
    );
    assert_eq!(
        convert(SqlType::SmallInt, k, ColumnData::I16(None)).unwrap(),
        (Value::Null, None)
    );
    let (v, a) = convert(SqlType::SmallInt, k, ColumnData::I16(Some(-170))).unwrap();
    assert_eq!(v, Value::Null, "the field is left empty");
    let a = a.unwrap();
    assert_eq!(a.kind, AnomalyKind::OutOfRange);
    assert_eq!(a.detail, "-170 does not fit a non-negative 32-bit integer");
}

#[test]
fn a_bit_fills_a_flag_and_only_0_or_1_does_from_an_integer() {
    let k = FieldKind::Bool;
    assert!(SqlType::Bit.fits(k) && SqlType::TinyInt.fits(k));
    assert!(!NTEXT.fits(k));
    assert_eq!(
        ok(SqlType::Bit, k, ColumnData::Bit(Some(true))),
        Value::Bool(true)
    );
    assert_eq!(
        ok(SqlType::Bit, k, ColumnData::Bit(Some(false))),
        Value::Bool(false)
    );
    assert_eq!(
        convert(SqlType::Bit, k, ColumnData::Bit(None)).unwrap(),
        (Value::Null, None)
    );
    assert_eq!(
        ok(SqlType::TinyInt, k, ColumnData::U8(Some(1))),
        Value::Bool(true)
    );
    let (v, a) = convert(SqlType::TinyInt, k, ColumnData::U8(Some(2))).unwrap();
    assert_eq!(v, Value::Null);
    let a = a.unwrap();
    assert_eq!(a.kind, AnomalyKind::OutOfRange);
    assert!(
        a.detail.starts_with("2 does not fit a flag"),
        "{}",
        a.detail
    );
    assert!(
        convert(
            SqlType::Bit,
            k,
            ColumnData::String(Some(Cow::Borrowed("yes")))
        )
        .is_err()
    );
}

#[test]
fn a_varchar_sender_ip_travels_as_utf16_like_nvarchar() {
    let ty = SqlType::parse("varchar", Some(45), None).unwrap();
    assert_eq!(
        ty.select_expr("SenderIp"),
        "CAST(CAST([SenderIp] AS nvarchar(45)) AS varbinary(8000)) AS [SenderIp]"
    );
    let ip = "2001:db8::1";
    let bytes: Vec<u8> = ip.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    assert_eq!(
        ok(
            ty,
            FieldKind::Text,
            ColumnData::Binary(Some(Cow::Owned(bytes)))
        ),
        Value::Text(ip.into())
    );
}
