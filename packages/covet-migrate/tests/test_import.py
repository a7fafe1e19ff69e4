import covet.migrate


def test_version_matches_about() -> None:
    from covet.migrate.__about__ import __version__

    assert covet.migrate.__version__ == __version__
    assert covet.migrate.__all__ == sorted(covet.migrate.__all__)
