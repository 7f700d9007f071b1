use super::*;
use crate::catalog::Len;

fn select(sql: &str) -> Select {
    match parse(sql).unwrap().remove(0) {
        Statement::Select(s) => *s,
        s => panic!("{s:?}"),
    }
}

#[test]
fn parses_the_page_query() {
    let s = select(
        "SELECT TOP (@P1) WITH TIES [MemberId], CAST([Nickname] AS varbinary(8000)) AS [Nickname],\n\
         CAST(CAST([Email] AS nvarchar(254)) AS varbinary(8000)) AS [Email], CAST([Body] AS varbinary(max)) AS [Body]\n\
         FROM [dbo].[Members] WHERE [MemberId] > @P2 AND [MemberId] <= @P3 ORDER BY [MemberId]",
    );
    let top = s.top.unwrap();
    assert!(top.with_ties);
    assert_eq!(top.count, Expr::Var("@P1".into()));
    assert_eq!(s.items.len(), 4);
    assert_eq!(s.items[1].alias.as_deref(), Some("Nickname"));
    assert_eq!(
        s.items[2].expr,
        Expr::Cast {
            expr: Box::new(Expr::Cast {
                expr: Box::new(Expr::Column(vec!["Email".into()])),
                ty: SqlType::NVarChar(Len::N(254))
            }),
            ty: SqlType::VarBinary(Len::N(8000))
        }
    );
    assert_eq!(s.from.unwrap().parts, vec!["dbo", "Members"]);
    assert!(matches!(s.filter, Some(Cond::And(ref v)) if v.len() == 2));
    assert_eq!(s.order_by.len(), 1);
}

#[test]
fn is_tolerant_of_case_whitespace_and_quoting() {
    let a = select("select   min([MemberId]),MAX(MemberId)\n\tfrom dbo.\"Members\" -- c\n");
    assert_eq!(a.items.len(), 2);
    assert_eq!(a.from.unwrap().parts, vec!["dbo", "Members"]);
    let b = select(
        "SELECT k.COLUMN_NAME FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS AS t JOIN INFORMATION_SCHEMA.KEY_COLUMN_USAGE AS k ON k.CONSTRAINT_NAME = t.CONSTRAINT_NAME AND k.TABLE_SCHEMA = t.TABLE_SCHEMA WHERE t.CONSTRAINT_TYPE = 'PRIMARY KEY' AND t.TABLE_SCHEMA = @P1 ORDER BY k.ORDINAL_POSITION",
    );
    assert_eq!(b.joins.len(), 1);
    let c = select(
        "SELECT SUM(p.rows) FROM sys.partitions AS p WHERE p.object_id = OBJECT_ID(@P1) AND p.index_id IN (0, 1)",
    );
    assert!(matches!(c.filter, Some(Cond::And(_))));
    let d = select(
        "SELECT DB_NAME() AS [database], CONVERT(nvarchar(128), SERVERPROPERTY('ProductVersion')) AS [version], SYSUTCDATETIME() AS [now]",
    );
    assert_eq!(d.items[2].alias.as_deref(), Some("now"));
    assert!(matches!(
        parse("SET TRANSACTION ISOLATION LEVEL SNAPSHOT").unwrap()[0],
        Statement::SetIsolation(IsolationLevel::Snapshot)
    ));
}

#[test]
fn reports_the_token_near_a_syntax_error() {
    let e = parse("SELECT * FROM t ORDER BY k OFFSET 10 ROWS").unwrap_err();
    assert_eq!(
        (e.number, e.message.as_str()),
        (102, "Incorrect syntax near 'OFFSET'.")
    );
    let e = parse("SELECT FROM t").unwrap_err();
    assert_eq!(e.message, "Incorrect syntax near 'FROM'.");
    let e = parse("DELETE FROM t").unwrap_err();
    assert_eq!(e.message, "Incorrect syntax near 'DELETE'.");
    let e = parse("SELECT a FROM").unwrap_err();
    assert_eq!(e.message, "Incorrect syntax near 'FROM'.");
}

#[test]
fn parses_types() {
    assert_eq!(
        parse_type("nvarchar(max)").unwrap(),
        SqlType::NVarChar(Len::Max)
    );
    assert_eq!(
        parse_type("decimal(18, 2)").unwrap(),
        SqlType::Decimal {
            precision: 18,
            scale: 2
        }
    );
    assert_eq!(
        parse_type("DateTime2(0)").unwrap(),
        SqlType::DateTime2 { scale: 0 }
    );
    assert_eq!(parse_type("float(24)").unwrap(), SqlType::Real);
    assert!(parse_type("nvarchar(5000)").is_err());
    assert!(parse_type("widget").is_err());
}

#[test]
fn splits_object_names() {
    assert_eq!(
        parse_object_name("[dbo].[Members]").unwrap(),
        vec!["dbo", "Members"]
    );
    assert_eq!(parse_object_name("Members").unwrap(), vec!["Members"]);
    assert!(parse_object_name("dbo.").is_none());
}

#[test]
fn lexes_quoted_names_and_strings_with_doubled_quotes() {
    let toks: Vec<Tok> = lex("[a]]b] \"c\"\"d\" N'e''f' 'g' @@v 1.5 _h#")
        .unwrap()
        .into_iter()
        .map(|t| t.tok)
        .collect();
    let ident = |name: &str, quoted| Tok::Ident {
        name: name.into(),
        quoted,
    };
    let string = |text: &str, national| Tok::Str {
        text: text.into(),
        national,
    };
    assert_eq!(
        toks,
        vec![
            ident("a]b", true),
            ident("c\"d", true),
            string("e'f", true),
            string("g", false),
            Tok::Var("@@v".into()),
            Tok::Number("1.5".into()),
            ident("_h#", false),
            Tok::Eof,
        ]
    );
}

#[test]
fn an_unclosed_quote_or_bracket_fails_with_105() {
    for (sql, after) in [
        ("SELECT [Mem]]ber", "Mem]]ber"),
        ("SELECT 'it''s", "it's"),
        ("SELECT N'x", "x"),
        ("SELECT \"ab", "ab"),
    ] {
        let e = parse(sql).unwrap_err();
        assert_eq!(
            (e.number, e.class, e.message),
            (
                105,
                15,
                format!("Unclosed quotation mark after the character string '{after}'.")
            ),
            "{sql}"
        );
    }
}

#[test]
fn parses_what_drivers_send_by_default() {
    use Statement::*;
    for (sql, want) in [
        ("SET FMTONLY ON", vec![SetFmtOnly(true)]),
        ("set fmtonly off;", vec![SetFmtOnly(false)]),
        ("USE [legacy]", vec![Use("legacy".into())]),
        (
            "use legacy; USE \"Other DB\"",
            vec![Use("legacy".into()), Use("Other DB".into())],
        ),
        ("BEGIN TRAN", vec![BeginTran(None)]),
        (
            "BEGIN TRANSACTION t1 COMMIT TRANSACTION t1",
            vec![BeginTran(Some(TranName::Name("t1".into()))), Commit],
        ),
        (
            "BEGIN TRAN @t; ROLLBACK TRAN @t",
            vec![
                BeginTran(Some(TranName::Var("@t".into()))),
                Rollback(Some(TranName::Var("@t".into()))),
            ],
        ),
        (
            "COMMIT; COMMIT WORK ROLLBACK",
            vec![Commit, Commit, Rollback(None)],
        ),
        (
            "IF @@TRANCOUNT > 0 COMMIT BEGIN TRANSACTION",
            vec![
                If(
                    Cond::Cmp(
                        Expr::Var("@@TRANCOUNT".into()),
                        CmpOp::Gt,
                        Expr::Literal(Literal::Int(0)),
                    ),
                    Box::new(Commit),
                ),
                BeginTran(None),
            ],
        ),
        (
            "SAVE TRAN s1 SAVE TRANSACTION @s ROLLBACK TRANSACTION s1",
            vec![
                SaveTran(TranName::Name("s1".into())),
                SaveTran(TranName::Var("@s".into())),
                Rollback(Some(TranName::Name("s1".into()))),
            ],
        ),
    ] {
        assert_eq!(parse(sql).unwrap(), want, "{sql}");
    }
    let fmtonly = parse("SET FMTONLY ON SELECT 1 SET FMTONLY OFF").unwrap();
    assert_eq!(fmtonly.len(), 3);
    assert_eq!(fmtonly[2], SetFmtOnly(false));
    for (sql, near) in [
        ("BEGIN", "BEGIN"),
        ("BEGIN DISTRIBUTED TRAN", "DISTRIBUTED"),
        ("COMMIT t1", "t1"),
        ("USE legacy x", "x"),
        ("SET FMTONLY 1", "1"),
        ("BEGIN TRAN a b", "b"),
        ("SAVE TRAN", "TRAN"),
        ("SAVE s1", "s1"),
        ("SAVE TRAN s1 s2", "s2"),
    ] {
        let e = parse(sql).unwrap_err();
        assert_eq!(
            e.message,
            format!("Incorrect syntax near '{near}'."),
            "{sql}"
        );
    }
}
