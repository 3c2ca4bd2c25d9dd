"""Reads a Parquet file with pyarrow and prints its row groups, schema and rows as JSON (dates ISO)."""
import datetime
import json
import sys

import pyarrow.parquet as pq

f = pq.ParquetFile(sys.argv[1])
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
