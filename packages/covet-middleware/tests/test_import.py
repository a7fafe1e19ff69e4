import covet.middleware


def test_version_matches_about() -> None:
    from covet.middleware.__about__ import __version__

    assert covet.middleware.__version__ == __version__
    assert covet.middleware.__all__ == sorted(covet.middleware.__all__)
