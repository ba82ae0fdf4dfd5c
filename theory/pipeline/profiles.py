"""The shipped Snakemake profiles, installed where Snakemake looks for them.

Snakemake resolves ``--profile NAME`` in ./NAME, then $XDG_CONFIG_HOME/snakemake/NAME
(~/.config/snakemake/NAME) and /etc/xdg/snakemake/NAME. ``install`` copies profiles/<name>/ of
this checkout into the user's folder, so ``snakemake --profile slurm`` works from anywhere.
"""

import filecmp
import os
import pathlib
import shutil

from theory.pipeline.paths import PROFILES


def shipped():
    """Names of the profiles in this checkout."""
    return sorted(p.name for p in PROFILES.iterdir() if (p / "config.yaml").is_file())


def user_folder():
    """$XDG_CONFIG_HOME/snakemake, else ~/.config/snakemake."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return pathlib.Path(base) / "snakemake"


def install(names=None, dest=None, force=False):
    """Copy the named profiles (default: all) into ``dest`` (default: ``user_folder()``).

    Returns [(name, target folder, "installed" | "unchanged")]. A profile already installed with
    other contents raises FileExistsError (one line) unless ``force``.
    """
    dest = pathlib.Path(dest) if dest else user_folder()
    names = list(names) if names else shipped()
    unknown = [n for n in names if n not in shipped()]
    if unknown:
        raise ValueError(f"no profile {unknown[0]!r} here; shipped: {', '.join(shipped())}")
    done = []
    for name in names:
        source, target = PROFILES / name, dest / name
        if target.exists():
            same = filecmp.dircmp(source, target)
            if not (same.left_only or same.right_only or same.diff_files):
                done.append((name, target, "unchanged"))
                continue
            if not force:
                raise FileExistsError(f"{target} exists with other contents; use --force to replace it")
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source, target)
        done.append((name, target, "installed"))
    return done
