"""The engine every process uses (web, CLI, worker, benchmarks): our connection settings in one place."""
from __future__ import annotations

from sqlalchemy import Engine, create_engine

# PostgreSQL's JIT compiles expressions for queries it estimates as expensive; PostGIS functions carry high cost
# estimates, so routing a few thousand points paid ~0.8 s of compilation for ~0.2 s of work. Off per connection.
CONNECT_OPTIONS = {"options": "-c jit=off"}


def make_engine(url: str) -> Engine:
    """The app tier is stateless; the pool is the only thing it keeps between requests."""
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args=CONNECT_OPTIONS)
