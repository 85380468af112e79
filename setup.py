"""Maps the repository's top-level core/ and tui/ folders to the import names hptune.core and hptune.tui.

Everything else about the package lives in pyproject.toml; this file only says where each package's folder is,
which pyproject.toml cannot do for a tree of packages without listing each one.
"""

from setuptools import find_packages, setup

FOLDERS = ("core", "tui")
packages = [f"hptune.{name}" for name in find_packages(include=[f"{folder}*" for folder in FOLDERS])]
setup(packages=packages, package_dir={f"hptune.{folder}": folder for folder in FOLDERS})
