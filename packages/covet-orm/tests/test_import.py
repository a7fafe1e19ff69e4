import covet.orm


def test_version_matches_about() -> None:
    from covet.orm.__about__ import __version__

    assert covet.orm.__version__ == __version__
    assert covet.orm.__all__ == sorted(covet.orm.__all__)
