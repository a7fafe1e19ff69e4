"""Raw psycopg, hand-written SQL."""

from __future__ import annotations

from _relations_workload import Config

from rel_peers.raw_sync import RawSync

IS_ASYNC = False


def make(cfg: Config) -> RawSync:
    return RawSync(cfg, "psycopg")
