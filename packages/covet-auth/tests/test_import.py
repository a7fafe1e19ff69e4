import covet.auth


def test_version_matches_about() -> None:
    from covet.auth.__about__ import __version__

    assert covet.auth.__version__ == __version__
    assert covet.auth.__all__ == sorted(covet.auth.__all__)
