"""Reads a Parquet file with pyarrow and prints its row groups, schema and rows as JSON (dates ISO).

With --meta only the file's metadata (rows, row groups, largest row group) is printed.
"""
import datetime
import json
import sys

import pyarrow.parquet as pq

f = pq.ParquetFile(sys.argv[1])
if len(sys.argv) > 2 and sys.argv[2] == "--meta":
    meta = f.metadata
    print(json.dumps({
        "num_rows": meta.num_rows,
        "num_row_groups": meta.num_row_groups,
        "largest_row_group": max(meta.row_group(i).num_rows for i in range(meta.num_row_groups)),
    }))
    sys.exit(0)
table = f.read()


def plain(v):
    if isinstance(v, datetime.date):
        return v.isoformat()
    return v


print(json.dumps({
    "num_row_groups": f.num_row_groups,
    "schema": [[field.name, str(field.type), field.nullable] for field in table.schema],
    "rows": [{k: plain(v) for k, v in row.items()} for row in table.to_pylist()],
}))
