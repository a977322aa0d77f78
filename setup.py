"""Packages: every package under aegui/ is found, the top-level resources/ folder (icons, the embedded
digits) is installed as the package aegui.resources, and docs/ (the pages and their pictures, which Help ›
Documentation shows) as aegui.docs, without its script. pyproject.toml holds everything else; its
[tool.setuptools] tables cannot map a folder outside aegui/ into a package found by discovery."""

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py


class BuildPy(build_py):
    def find_package_modules(self, package, package_dir):
        """aegui.docs is data: its screenshot script stays in the source folder."""
        return [] if package == "aegui.docs" else super().find_package_modules(package, package_dir)


setup(packages=[*find_packages(include=["aegui", "aegui.*"]), "aegui.resources", "aegui.docs"],
      package_dir={"aegui.resources": "resources", "aegui.docs": "docs"}, cmdclass={"build_py": BuildPy})  # fmt: skip
