"""The HTTP baseline: a bare FastAPI endpoint that does one raw INSERT per request."""

from __future__ import annotations

import os
from typing import Any

import uvicorn
from fastapi import FastAPI
from psycopg.sql import SQL, Identifier
from psycopg_pool import ConnectionPool

URL = os.environ["CASEBOOK_BENCH_DATABASE_URL"]
TABLE = os.environ["CASEBOOK_BENCH_TABLE"]
pool = ConnectionPool(URL, min_size=16, max_size=16, kwargs={"autocommit": True}, open=True)
INSERT = SQL("INSERT INTO {0} (body) VALUES (%s) RETURNING id").format(Identifier(TABLE))
app = FastAPI()


@app.post("/contacts", status_code=201)
def log_contact(body: dict[str, Any]) -> dict[str, int]:
    """Insert the body as one row and answer its id."""
    with pool.connection() as conn:
        row = conn.execute(INSERT, (str(body),)).fetchone()
    assert row is not None
    return {"position": int(row[0])}


if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(os.environ["CASEBOOK_BENCH_PORT"]),
        log_level="warning",
        access_log=False,
    )
