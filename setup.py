"""Maps the repository's top-level core/ and tui/ folders to the import names hptune.core and hptune.tui.

Everything else about the package lives in pyproject.toml; this file only says where each package's folder is,
which pyproject.toml cannot do for a tree of packages without listing each one. Folders that hold only data (the
TUI's styles) are packages too, so their files travel in the wheel.
"""

from setuptools import find_namespace_packages, setup

FOLDERS = ("core", "tui")
found = find_namespace_packages(include=[f"{folder}*" for folder in FOLDERS], exclude=["*__pycache__*"])
setup(packages=[f"hptune.{name}" for name in found],
      package_dir={f"hptune.{folder}": folder for folder in FOLDERS})
