"""Zappa's `zip` callback: finishes the package `zappa package`, `zappa deploy` and `zappa update` build.

Zappa calls `finish(cli)` once the archive is written and before anything is uploaded, so what the package
check measures is what reaches Lambda. It does two things Zappa's own settings cannot:

- Ships bytecode. Lambda's code directory is read-only, so a package without `__pycache__` compiles every
  module it imports at every cold start. Zappa leaves `__pycache__` out of every archive; this writes the
  bytecode back as unchecked-hash `.pyc` files (valid whatever the files' times are after Lambda unzips them),
  compiled by the same Python minor version as the runtime, which is why a build on any other version is
  refused. The project's own modules keep their source beside `__pycache__`, so its tracebacks show the
  lines; libraries ship as bytecode alone, as Zappa itself does when it finds a `.pyc` beside a `.py`
  (tracebacks through them still name the file and line). Migrations keep their source, as in Zappa.
- Leaves out what nothing reads on Lambda, so the archive stays under the 50 MiB that `zappa rollback`
  uploads directly: packages only the deployment machine needs (Zappa's CloudFormation and recording tools,
  the local server, the packaging tools), which `exclude` cannot name without also matching folders of the
  same name inside other packages; translation sources (`.po`; Django reads the compiled `.mo`) and the
  catalogues of languages the app never serves (no `LocaleMiddleware`, `LANGUAGE_CODE` English); and the
  source maps of bundled JavaScript; and the stations in avwx's table that no report can name (no ICAO code
  and not marked as reporting): 64 of its 65 MB unzipped are that table.
"""

from __future__ import annotations

import compileall
import json
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

RUNTIME = (3, 11)  # zappa_settings.json: "runtime": "python3.11"

# Top-level names in the archive that nothing imports on Lambda; their `*.dist-info` goes with them.
DEPLOY_ONLY = ("troposphere", "cfn_flip", "placebo", "gunicorn", "setuptools", "pkg_resources", "_distutils_hack",
               "distutils-precedence.pth", "wheel", "pip",
               # Zappa's command line only (its handler imports none of them)
               "argcomplete", "hjson", "toml",
               # Celery's interactive shell, which a function that only sends tasks never starts
               "click_repl", "prompt_toolkit", "wcwidth")
# Languages whose catalogues are kept: config/settings/base.py serves English only.
LANGUAGES_SERVED = ("en",)
UNREAD_SUFFIXES = (".po", ".map")
AVWX_STATIONS = Path("avwx") / "data" / "files" / "stations.json"


def _dist_name(entry: str) -> str:
    return entry.split("-", 1)[0].lower().replace("_", "-") if entry.endswith(".dist-info") else ""


def _deploy_only(entry: str) -> bool:
    wanted = {name.lower().replace("_", "-") for name in DEPLOY_ONLY}
    return entry in DEPLOY_ONLY or _dist_name(entry) in wanted


def slim(root: Path) -> list[str]:
    """Remove the deploy-only packages from an unpacked archive; returns what was removed."""
    removed = []
    for entry in sorted(os.listdir(root)):
        if _deploy_only(entry):
            path = root / entry
            shutil.rmtree(path) if path.is_dir() else path.unlink()
            removed.append(entry)
    return removed


def prune(root: Path) -> int:
    """Remove translation sources, unserved languages' catalogues and source maps; returns bytes freed."""
    freed = 0
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        if here.name == "locale":
            for language in [d for d in dirs if not d.startswith(LANGUAGES_SERVED)]:
                freed += sum(f.stat().st_size for f in (here / language).rglob("*") if f.is_file())
                shutil.rmtree(here / language)
                dirs.remove(language)
        for name in files:
            if name.endswith(UNREAD_SUFFIXES):
                freed += (here / name).stat().st_size
                (here / name).unlink()
    return freed


def shrink_stations(root: Path) -> int:
    """Keep the stations a METAR or TAF can name; returns how many were kept."""
    path = root / AVWX_STATIONS
    if not path.is_file():
        return 0
    stations = json.loads(path.read_text(encoding="utf8"))
    kept = {code: station for code, station in stations.items() if station.get("icao") or station.get("reporting")}
    path.write_text(json.dumps(kept, separators=(",", ":")), encoding="utf8")
    return len(kept)


def own_packages(project: Path) -> set[str]:
    """The project's own top-level packages (what keeps its source in the archive)."""
    return {p.name for p in project.iterdir() if (p / "__init__.py").is_file()}


def compile_bytecode(root: Path, own: set[str]) -> None:
    if sys.version_info[:2] != RUNTIME:
        raise SystemExit(f"The package must be built with Python {RUNTIME[0]}.{RUNTIME[1]}, the Lambda runtime's "
                         f"version, so its bytecode loads there; this is {sys.version.split()[0]}.")
    mode = compileall.py_compile.PycInvalidationMode.UNCHECKED_HASH
    ok = True
    for entry in sorted(root.iterdir()):
        if entry.is_file():  # Zappa's handler and settings modules, manage.py: small, kept readable
            if entry.suffix == ".py":
                ok &= compileall.compile_file(str(entry), quiet=1, invalidation_mode=mode)
        elif entry.name in own:
            ok &= compileall.compile_dir(str(entry), quiet=1, workers=os.cpu_count() or 1, invalidation_mode=mode)
        else:
            ok &= compileall.compile_dir(str(entry), quiet=1, workers=os.cpu_count() or 1, legacy=True,
                                         invalidation_mode=mode)
            for source in entry.rglob("*.py"):
                compiled = source.with_suffix(".pyc")
                if "migrations" in source.parts:
                    compiled.unlink(missing_ok=True)
                elif compiled.is_file():
                    source.unlink()
    if not ok:
        raise SystemExit("Some modules of the package do not compile; see above.")


def rewrite(archive: Path) -> None:
    """Slim and compile the archive in place, keeping Zappa's file modes."""
    with tempfile.TemporaryDirectory(prefix="fsp-package-") as tmp:
        root = Path(tmp) / "package"
        with zipfile.ZipFile(archive) as source:
            source.extractall(root)
        slim(root)
        prune(root)
        shrink_stations(root)
        compile_bytecode(root, own_packages(Path.cwd()))
        rebuilt = archive.with_suffix(".rebuilt.zip")
        with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as target:
            for folder, dirs, files in os.walk(root):
                dirs.sort()
                for name in sorted(files):
                    path = Path(folder) / name
                    info = zipfile.ZipInfo.from_file(path, str(path.relative_to(root)))
                    info.create_system = 3
                    info.external_attr = 0o755 << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
                    target.writestr(info, path.read_bytes())
        os.replace(rebuilt, archive)


def finish(cli) -> None:
    """The callback Zappa runs (`"callbacks": {"zip": "scripts.package_build.finish"}`)."""
    rewrite(Path(cli.zip_path))
