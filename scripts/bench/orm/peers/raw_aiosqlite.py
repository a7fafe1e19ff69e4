from _workload import Config

from peers.raw_async_dbapi import RawAsyncDBAPI

IS_ASYNC = True


def make(cfg: Config) -> RawAsyncDBAPI:
    return RawAsyncDBAPI(cfg, "aiosqlite")
