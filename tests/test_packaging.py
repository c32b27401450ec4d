"""What `pip install` builds from must hold every piece of the C extensions: an sdist that
lacked a header would install without them (they are optional) and run the slow path."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

from conftest import ROOT


def test_the_sdist_holds_every_c_source_header_and_stub(tmp_path: Path) -> None:
    # from a copy of the project's own files: a build's leftovers (an egg-info's file list)
    # would otherwise fill in what the manifest forgets
    tree = tmp_path / "tree"
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True, text=True)
    for name in listed.stdout.splitlines():
        if (ROOT / name).is_file():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, tree / name)
    done = subprocess.run([sys.executable, "setup.py", "-q", "sdist", "--dist-dir",
                           str(tmp_path)], cwd=tree, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    (archive,) = tmp_path.glob("flowinsight-*.tar.gz")
    with tarfile.open(archive) as tar:
        shipped = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    wanted = {str(p.relative_to(tree)) for pattern in ("*.c", "*.h", "*.pyi")
              for p in (tree / "flowinsight").rglob(pattern)}
    assert len(wanted) >= 29  # 26 .c and .h files, 3 stubs, as of this writing
    assert wanted <= shipped, sorted(wanted - shipped)
