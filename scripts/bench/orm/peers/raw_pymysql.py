from _workload import Config

from peers.raw_sync import RawSync

IS_ASYNC = False


def make(cfg: Config) -> RawSync:
    return RawSync(cfg, "pymysql")
