"""Packages: every package under aegui/ is found, and the top-level resources/ folder (icons, the embedded
digits) is installed as the package aegui.resources. pyproject.toml holds everything else; its
[tool.setuptools] tables cannot map a folder outside aegui/ into a package found by discovery."""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["aegui", "aegui.*"]), "aegui.resources"],
      package_dir={"aegui.resources": "resources"})  # fmt: skip
