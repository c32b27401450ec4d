"""python -m flowinsight.recorder run SCRIPT [ARG...]   run a driver script with the recorder on
python -m flowinsight.recorder env                   print the environment for `ray start` clusters"""

from __future__ import annotations

import runpy
import sys

from flowinsight.recorder import ENV_VAR, PRELOAD_MODULE, RUNTIME_ENV_HOOK, enable

ENV_LINES = (
    f"export {ENV_VAR}=1",
    f"export RAY_RUNTIME_ENV_HOOK={RUNTIME_ENV_HOOK}",
    f"export RAY_preload_python_modules={PRELOAD_MODULE}",
)


def main(argv: list[str]) -> int:
    if argv[:1] == ["env"]:
        print("\n".join(ENV_LINES))
        return 0
    if len(argv) >= 2 and argv[0] == "run":
        script = argv[1]
        sys.argv = argv[1:]
        enable()
        runpy.run_path(script, run_name="__main__")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
