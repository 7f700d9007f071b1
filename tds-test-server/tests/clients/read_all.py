"""Reads every table of a SQL Server database through python-tds (pytds), a
SQL Server driver that is not tiberius, and prints what it read in a plain
canonical form, for tests/third_party_client.rs to compare with the dump.

    PANCAKE_TDS_PASSWORD=... python read_all.py --host H --port P \
        --database D --user U [--tds-version 7.1|7.2|7.3|7.4] \
        [--cafile CA.pem [--login-only-tls]] [--parameterized] [--strict-text]

It connects as a new pytds user would (autocommit off, so pytds opens a
transaction at once), lists the base tables in INFORMATION_SCHEMA.TABLES,
takes each table's key to be its first column (INFORMATION_SCHEMA.COLUMNS)
and reads it whole: `SELECT * FROM [schema].[table] ORDER BY [key]`, as a
SQL batch, or with --parameterized as an sp_executesql RPC with
`WHERE [key] >= @P1`. The password comes from the environment, never the
command line.

Output, JSON lines on stdout:

    {"session": {"trancount": 1, "tds_version": "74000004"}}
    {"table": "dbo.Members", "key": "MemberId", "columns": [...], "types": [...]}
    [1, "Aino", null, ...]          one line per row, in the order read
    ...
    {"committed": {"trancount": 1}}   after conn.commit()

`types` are pytds's type codes of the result's columns (56 int, 231
nvarchar, 40 date, ...). Values: NULL is null, integers are numbers, bit is
true/false, text is a string, date is "YYYY-MM-DD", datetime is
"YYYY-MM-DDTHH:MM:SS.ffffff" (pytds gives datetime's 1/300 s ticks as
milliseconds, .000/.003/.007, as SQL Server shows them).

Text holding a lone UTF-16 surrogate: SQL Server sends nvarchar as the
UTF-16 units it stores, lone surrogates included, and so does the TDS test
server. pytds decodes them strictly: such a row raises UnicodeDecodeError
(and the connection's stream is lost), which --strict-text keeps, to show
it. Otherwise the script decodes with `surrogatepass`, and prints such text
as {"utf16le": "<hex of the exact units>"}.

Exit status 0 when every table was read; 3 when python-tds is missing.
"""

import argparse
import codecs
import datetime
import json
import os
import sys

try:
    import pytds
    import pytds.tds_types
except ImportError:
    sys.stderr.write(
        f"python-tds is not installed for {sys.executable}: run scripts/services.sh, "
        "which installs it\n"
    )
    sys.exit(3)

TDS_VERSIONS = {
    "7.1": 0x71000001,
    "7.2": 0x72090002,
    "7.3": 0x730B0003,
    "7.4": 0x74000004,
}


class _SurrogatePassDecoder(codecs.BufferedIncrementalDecoder):
    def _buffer_decode(self, data, errors, final):
        return codecs.utf_16_le_decode(data, "surrogatepass", final)


_UTF16 = codecs.lookup("utf-16-le")
KEEP_SURROGATES = codecs.CodecInfo(
    name="utf-16-le-surrogatepass",
    encode=_UTF16.encode,
    decode=lambda data, errors="strict": codecs.utf_16_le_decode(data, "surrogatepass", True),
    incrementalencoder=_UTF16.incrementalencoder,
    incrementaldecoder=_SurrogatePassDecoder,
    streamreader=_UTF16.streamreader,
    streamwriter=_UTF16.streamwriter,
)


def canonical(value):
    """A value as JSON shows it (see the module's docs)."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, str):
        if any("\ud800" <= c <= "\udfff" for c in value):
            return {"utf16le": value.encode("utf-16-le", "surrogatepass").hex()}
        return value
    if isinstance(value, datetime.datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"no canonical form for {type(value).__name__} {value!r}")


def quoted(name):
    """A T-SQL string literal: the catalog is read without parameters, as
    a client below TDS 7.2 sends strings as ntext, which `=` refuses."""
    return "N'" + name.replace("'", "''") + "'"


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--database", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--tds-version", choices=sorted(TDS_VERSIONS), default="7.4")
    p.add_argument("--cafile", help="TLS, trusting this CA")
    p.add_argument("--login-only-tls", action="store_true")
    p.add_argument("--parameterized", action="store_true")
    p.add_argument("--strict-text", action="store_true")
    args = p.parse_args()
    password = os.environ.get("PANCAKE_TDS_PASSWORD")
    if password is None:
        sys.exit("PANCAKE_TDS_PASSWORD is not set")
    if not args.strict_text:
        pytds.tds_types.ucs2_codec = KEEP_SURROGATES

    tls = {}
    if args.cafile:
        tls = {"cafile": args.cafile, "enc_login_only": args.login_only_tls}
    with pytds.connect(
        server=args.host,
        port=args.port,
        database=args.database,
        user=args.user,
        password=password,
        tds_version=TDS_VERSIONS[args.tds_version],
        disable_connect_retry=True,
        login_timeout=30,
        timeout=120,
        **tls,
    ) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT @@TRANCOUNT")
            (trancount,) = cur.fetchone()
            emit({"session": {"trancount": trancount, "tds_version": f"{conn.tds_version:08x}"}})
            cur.execute(
                "SELECT TABLE_SCHEMA, TABLE_NAME FROM INFORMATION_SCHEMA.TABLES "
                "WHERE TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, TABLE_NAME"
            )
            for schema, table in cur.fetchall():
                cur.execute(
                    "SELECT COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS "
                    f"WHERE TABLE_SCHEMA = {quoted(schema)} AND TABLE_NAME = {quoted(table)} "
                    "ORDER BY ORDINAL_POSITION"
                )
                key = cur.fetchone()[0]
                cur.fetchall()
                sql = f"SELECT * FROM [{schema}].[{table}]"
                if args.parameterized:
                    cur.execute(sql + f" WHERE [{key}] >= %s ORDER BY [{key}]", (-(2**63),))
                else:
                    cur.execute(sql + f" ORDER BY [{key}]")
                emit(
                    {
                        "table": f"{schema}.{table}",
                        "key": key,
                        "columns": [d[0] for d in cur.description],
                        "types": [d[1] for d in cur.description],
                    }
                )
                for row in cur:
                    emit([canonical(v) for v in row])
            # pytds commits and begins the next transaction at once (below
            # TDS 7.2 in T-SQL: IF @@TRANCOUNT > 0 COMMIT BEGIN TRANSACTION).
            conn.commit()
            cur.execute("SELECT @@TRANCOUNT")
            (trancount,) = cur.fetchone()
            emit({"committed": {"trancount": trancount}})


if __name__ == "__main__":
    main()
