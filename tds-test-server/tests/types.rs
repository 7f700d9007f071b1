//! Every SQL type the server encodes decodes in tiberius to the right value,
//! NULLs included; parameters of the types tiberius sends come back.

mod common;

use common::*;
use tiberius::numeric::Numeric;
use tiberius::{ColumnData, ColumnType, Row};

/// Checks the type tiberius reads for each (column index, type).
fn assert_column_types(row: &Row, expected: &[(usize, ColumnType)]) {
    let types: Vec<ColumnType> = row.columns().iter().map(|c| c.column_type()).collect();
    for &(i, ty) in expected {
        assert_eq!(types[i], ty, "column {i}");
    }
}

#[tokio::test]
async fn integers_bits_decimals_money_and_floats() {
    let (_server, mut client) = serve_tiny_and_connect().await;
    let row = one_row(
        &mut client,
        "SELECT CAST(255 AS tinyint) AS t, CAST(-32768 AS smallint) AS s, \
         CAST(-2147483648 AS int) AS i, CAST(-9223372036854775808 AS bigint) AS b, \
         CAST(1 AS bit) AS yes, CAST(0 AS bit) AS no, \
         CAST('12345.6789' AS decimal(18,4)) AS d, \
         CAST('-1234567890123456789012345678.0123456789' AS numeric(38,10)) AS n, \
         CAST(-7 AS decimal(5,0)) AS d5, CAST('123456789012.5' AS decimal(28,1)) AS d13, \
         CAST('-12345.6789' AS money) AS m, CAST('214748.3647' AS smallmoney) AS sm, \
         CAST(0.1 AS float) AS f, CAST(0.5 AS real) AS r",
    )
    .await;
    // tiberius names an INTN by its width.
    assert_column_types(
        &row,
        &[
            (0, ColumnType::Int1),
            (1, ColumnType::Int2),
            (2, ColumnType::Int4),
            (3, ColumnType::Int8),
            (4, ColumnType::Bitn),
            (6, ColumnType::Decimaln),
            (7, ColumnType::Numericn),
            (10, ColumnType::Money),
            (12, ColumnType::Float8),
            (13, ColumnType::Float4),
        ],
    );
    assert_eq!(row.get::<u8, _>("t"), Some(255));
    assert_eq!(row.get::<i16, _>("s"), Some(-32768));
    assert_eq!(row.get::<i32, _>("i"), Some(i32::MIN));
    assert_eq!(row.get::<i64, _>("b"), Some(i64::MIN));
    assert_eq!(row.get::<bool, _>("yes"), Some(true));
    assert_eq!(row.get::<bool, _>("no"), Some(false));
    let d: Numeric = row.get("d").unwrap();
    assert_eq!((d.value(), d.scale()), (123_456_789, 4));
    let n: Numeric = row.get("n").unwrap();
    assert_eq!(
        (n.value(), n.scale()),
        (-12_345_678_901_234_567_890_123_456_780_123_456_789, 10)
    );
    let d5: Numeric = row.get("d5").unwrap();
    assert_eq!(d5.value(), -7);
    let d13: Numeric = row.get("d13").unwrap();
    assert_eq!(d13.value(), 1_234_567_890_125);
    assert_eq!(row.get::<f64, _>("m"), Some(-12345.6789));
    assert_eq!(row.get::<f64, _>("sm"), Some(214748.3647));
    assert_eq!(row.get::<f64, _>("f"), Some(0.1));
    assert_eq!(row.get::<f32, _>("r"), Some(0.5));
}

#[tokio::test]
async fn text_and_binary_short_long_and_legacy() {
    let (_server, mut client) = serve_tiny_and_connect().await;
    let row = one_row(
        &mut client,
        "SELECT CAST(N'Åsa 😀' AS nvarchar(20)) AS nv, CAST(N'Åsa 😀' AS nvarchar(max)) AS nvmax, \
         CAST(N'ab' AS nchar(5)) AS nc, CAST(N'Åsa €😀' AS varchar(20)) AS v, \
         CAST(N'x' AS char(3)) AS c, CAST('hello' AS text) AS t, CAST(N'Öl 😀' AS ntext) AS nt, \
         CAST(N'AB' AS varbinary(10)) AS vb, CAST(N'AB' AS varbinary(max)) AS vbmax, \
         CAST(N'' AS varbinary(max)) AS empty, CAST(N'' AS nvarchar(max)) AS emptytext, \
         CAST(N'A' AS binary(4)) AS bin, CAST(N'Åsa' AS varchar(max)) AS vmax",
    )
    .await;
    assert_column_types(
        &row,
        &[
            (0, ColumnType::NVarchar),
            (2, ColumnType::NChar),
            (3, ColumnType::BigVarChar),
            (5, ColumnType::Text),
            (6, ColumnType::NText),
            (7, ColumnType::BigVarBin),
            (11, ColumnType::BigBinary),
        ],
    );
    for (column, text) in [
        ("nv", "Åsa 😀"),
        ("nvmax", "Åsa 😀"),
        ("nc", "ab   "),
        // Code page 1252 keeps Å and €, and makes each unit of the emoji a '?'.
        ("v", "Åsa €??"),
        ("c", "x  "),
        ("t", "hello"),
        ("nt", "Öl 😀"),
        ("emptytext", ""),
        ("vmax", "Åsa"),
    ] {
        assert_eq!(row.get::<&str, _>(column), Some(text), "{column}");
    }
    for (column, bytes) in [
        ("vb", &b"A\0B\0"[..]),
        ("vbmax", &b"A\0B\0"[..]),
        ("empty", &b""[..]),
        ("bin", &b"A\0\0\0"[..]),
    ] {
        assert_eq!(row.get::<&[u8], _>(column), Some(bytes), "{column}");
    }
}

#[tokio::test]
async fn long_values_go_in_several_plp_chunks() {
    let (_server, mut client) = serve_tiny_and_connect().await;
    // 30,000 bytes: eight chunks of 4096 and more than seven packets of 4096.
    let text: String = (0..15_000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let bytes: Vec<u8> = (0..30_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let row = one_row_with(
        &mut client,
        "SELECT CAST(@P1 AS nvarchar(max)) AS t, CAST(@P2 AS varbinary(max)) AS b, \
             CAST(@P1 AS varbinary(max)) AS tb",
        &[&text.as_str(), &bytes.as_slice()],
    )
    .await;
    assert_eq!(row.get::<&str, _>("t"), Some(text.as_str()));
    assert_eq!(row.get::<&[u8], _>("b"), Some(bytes.as_slice()));
    assert_eq!(row.get::<&[u8], _>("tb"), Some(utf16le(&text).as_slice()));
}

#[tokio::test]
async fn dates_and_times() {
    let (_server, mut client) = serve_tiny_and_connect().await;
    let row = one_row(
        &mut client,
        "SELECT CAST('2024-02-29 23:59:59.997' AS datetime) AS dt, \
         CAST('2024-02-29 12:00:00.004' AS datetime) AS dt_round, \
         CAST('2024-02-29 23:59:29' AS smalldatetime) AS sdt, \
         CAST('2024-02-29 23:59:30' AS smalldatetime) AS sdt_up, \
         CAST('0001-01-01' AS date) AS d0, CAST('9999-12-31' AS date) AS d9, \
         CAST('2024-01-02 03:04:05.1234567' AS datetime2(7)) AS dt7, \
         CAST('2024-01-02 03:04:05.1234567' AS datetime2(3)) AS dt3, \
         CAST('2024-01-02 03:04:05.5' AS datetime2(0)) AS dt0, \
         CAST('2024-01-02 03:04:05.1234567 +02:00' AS datetimeoffset(7)) AS dto, \
         CAST('2024-01-02 00:30:00 -05:30' AS datetimeoffset(2)) AS dto2",
    )
    .await;
    let cells: Vec<ColumnData<'static>> = row.into_iter().collect();
    // 2024-02-29 is day 45349 after 1900-01-01; .997 s is 299 ticks of 1/300.
    match &cells[0] {
        ColumnData::DateTime(Some(dt)) => {
            assert_eq!(dt.days(), 45_349);
            assert_eq!(dt.seconds_fragments(), 86_399 * 300 + 299);
        }
        c => panic!("{c:?}"),
    }
    match &cells[1] {
        // .004 rounds to .003 (one tick).
        ColumnData::DateTime(Some(dt)) => assert_eq!(dt.seconds_fragments(), 43_200 * 300 + 1),
        c => panic!("{c:?}"),
    }
    match (&cells[2], &cells[3]) {
        (ColumnData::SmallDateTime(Some(a)), ColumnData::SmallDateTime(Some(b))) => {
            assert_eq!((a.days(), a.seconds_fragments()), (45_349, 1_439));
            // 23:59:30 rounds up to the next day's midnight.
            assert_eq!((b.days(), b.seconds_fragments()), (45_350, 0));
        }
        c => panic!("{c:?}"),
    }
    match (&cells[4], &cells[5]) {
        (ColumnData::Date(Some(a)), ColumnData::Date(Some(b))) => {
            assert_eq!(a.days(), 0);
            assert_eq!(b.days(), 3_652_058);
        }
        c => panic!("{c:?}"),
    }
    let day_2024_01_02 = 738_886; // days from 0001-01-01
    let secs = 3 * 3600 + 4 * 60 + 5;
    match (&cells[6], &cells[7], &cells[8]) {
        (
            ColumnData::DateTime2(Some(a)),
            ColumnData::DateTime2(Some(b)),
            ColumnData::DateTime2(Some(c)),
        ) => {
            assert_eq!(a.date().days(), day_2024_01_02);
            assert_eq!(a.time().scale(), 7);
            assert_eq!(a.time().increments(), secs * 10_000_000 + 1_234_567);
            assert_eq!(b.time().scale(), 3);
            assert_eq!(b.time().increments(), secs * 1_000 + 123);
            // .5 s rounds up at scale 0.
            assert_eq!(c.time().scale(), 0);
            assert_eq!(c.time().increments(), secs + 1);
        }
        c => panic!("{c:?}"),
    }
    match (&cells[9], &cells[10]) {
        (ColumnData::DateTimeOffset(Some(a)), ColumnData::DateTimeOffset(Some(b))) => {
            // UTC on the wire, and the offset.
            assert_eq!(a.offset(), 120);
            assert_eq!(a.datetime2().date().days(), day_2024_01_02);
            assert_eq!(
                a.datetime2().time().increments(),
                (secs - 2 * 3600) * 10_000_000 + 1_234_567
            );
            assert_eq!(b.offset(), -330);
            assert_eq!(b.datetime2().time().scale(), 2);
            assert_eq!(b.datetime2().date().days(), day_2024_01_02);
            assert_eq!(b.datetime2().time().increments(), 6 * 3600 * 100);
        }
        c => panic!("{c:?}"),
    }
}

#[tokio::test]
async fn uniqueidentifiers_keep_their_bytes() {
    let (_server, mut client) = serve_tiny_and_connect().await;
    let row = one_row(
        &mut client,
        "SELECT CAST('6F9619FF-8B86-D011-B42D-00C04FC964FF' AS uniqueidentifier) AS g",
    )
    .await;
    let g: tiberius::Uuid = row.get("g").unwrap();
    assert_eq!(
        g.to_string().to_uppercase(),
        "6F9619FF-8B86-D011-B42D-00C04FC964FF"
    );
    // A uuid parameter comes back too.
    let u = tiberius::Uuid::parse_str("01234567-89ab-cdef-0123-456789abcdef").unwrap();
    let row = one_row_with(&mut client, "SELECT @P1 AS g", &[&u]).await;
    assert_eq!(row.get::<tiberius::Uuid, _>("g"), Some(u));
}

#[tokio::test]
async fn nulls_of_every_type() {
    let (_server, mut client) = serve_tiny_and_connect().await;
    let types = [
        "tinyint",
        "smallint",
        "int",
        "bigint",
        "bit",
        "decimal(18,4)",
        "numeric(38,2)",
        "money",
        "smallmoney",
        "float",
        "real",
        "date",
        "datetime",
        "smalldatetime",
        "datetime2(7)",
        "datetimeoffset(3)",
        "uniqueidentifier",
        "char(3)",
        "varchar(10)",
        "varchar(max)",
        "text",
        "nchar(3)",
        "nvarchar(10)",
        "nvarchar(max)",
        "ntext",
        "binary(3)",
        "varbinary(10)",
        "varbinary(max)",
    ];
    let items: Vec<String> = types.iter().map(|t| format!("CAST(NULL AS {t})")).collect();
    // A NULL-only row (NBCROW) and then a mixed one (a row with a NULL in
    // the middle), each decoded column by column.
    let sql = format!("SELECT {}", items.join(", "));
    let row = one_row(&mut client, &sql).await;
    assert_eq!(row.len(), types.len());
    for (i, cell) in row.into_iter().enumerate() {
        let is_null = match &cell {
            ColumnData::U8(v) => v.is_none(),
            ColumnData::I16(v) => v.is_none(),
            ColumnData::I32(v) => v.is_none(),
            ColumnData::I64(v) => v.is_none(),
            ColumnData::F32(v) => v.is_none(),
            ColumnData::F64(v) => v.is_none(),
            ColumnData::Bit(v) => v.is_none(),
            ColumnData::String(v) => v.is_none(),
            ColumnData::Guid(v) => v.is_none(),
            ColumnData::Binary(v) => v.is_none(),
            ColumnData::Numeric(v) => v.is_none(),
            ColumnData::DateTime(v) => v.is_none(),
            ColumnData::SmallDateTime(v) => v.is_none(),
            ColumnData::Date(v) => v.is_none(),
            ColumnData::DateTime2(v) => v.is_none(),
            ColumnData::DateTimeOffset(v) => v.is_none(),
            other => panic!("{}: {other:?}", types[i]),
        };
        assert!(is_null, "{}: {cell:?}", types[i]);
    }
    let row = one_row(
        &mut client,
        "SELECT CAST(1 AS int) AS a, CAST(NULL AS nvarchar(max)) AS b, CAST(N'x' AS nvarchar(5)) AS c, \
         CAST(NULL AS datetime2(7)) AS d, CAST(2 AS bigint) AS e",
    )
    .await;
    assert_eq!(row.get::<i32, _>("a"), Some(1));
    assert_eq!(row.get::<&str, _>("b"), None);
    assert_eq!(row.get::<&str, _>("c"), Some("x"));
    assert_eq!(row.get::<i64, _>("e"), Some(2));
}

#[tokio::test]
async fn parameters_of_the_types_tiberius_sends_come_back() {
    let (server, mut client) = serve_tiny_and_connect().await;
    let long = "ä".repeat(3_000); // more than 4000 bytes: sent as nvarchar(max)
    let none: Option<i64> = None;
    let row = one_row_with(
        &mut client,
        "SELECT @P1 AS big, @P2 AS small, @P3 AS s, @P4 AS yes, @P5 AS nothing, @P6 AS long, \
             @P7 AS byte, @P8 AS f",
        &[
            &5_000_000_001i64,
            &-7i32,
            &"Åsa",
            &true,
            &none,
            &long.as_str(),
            &200u8,
            &2.5f64,
        ],
    )
    .await;
    assert_eq!(row.get::<i64, _>("big"), Some(5_000_000_001));
    assert_eq!(row.get::<i32, _>("small"), Some(-7));
    assert_eq!(row.get::<&str, _>("s"), Some("Åsa"));
    assert_eq!(row.get::<bool, _>("yes"), Some(true));
    // tiberius 0.13 sends a `None::<i64>` as a NULL bigint (INTN 8); 0.12
    // sent the NULL type, which came back as int.
    assert_eq!(row.get::<i64, _>("nothing"), None);
    assert_eq!(row.get::<&str, _>("long"), Some(long.as_str()));
    assert_eq!(row.get::<u8, _>("byte"), Some(200));
    assert_eq!(row.get::<f64, _>("f"), Some(2.5));
    let logged = server.queries().pop().unwrap();
    assert_eq!(
        logged.param("@P1").and_then(|p| p.as_i64()),
        Some(5_000_000_001)
    );
    assert_eq!(logged.param("@P3").and_then(|p| p.as_str()), Some("Åsa"));
    assert_eq!(logged.params[0].1, "bigint");
    assert_eq!(logged.params[2].1, "nvarchar(4000)");
    assert_eq!(logged.params[4].1, "bigint");
    assert_eq!(logged.params[5].1, "nvarchar(max)");
}
