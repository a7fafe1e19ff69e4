"""Repository-wide pytest set-up.

Hypothesis explores new random inputs on every local run (that is how it finds bugs); on CI
(``CI=true``) it is derandomized, so a given commit passes or fails the same way every time and a
newly found counterexample shows up on a developer's machine rather than as a flaky CI run.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev")
