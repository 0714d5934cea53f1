"""`pip install --no-build-isolation .`: builds the Python module with the project's CMake and
installs the `emofuse` package (python/emofuse/ and the compiled _emofuse). Offline: it needs only
Debian's setuptools and the packages scripts/install_deps.sh installs. The build reuses build/
(or $EMOFUSE_BUILD_DIR), so after the README's build it only links the module. docs/python.md."""

import glob
import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


def _configured_interpreter(build_dir):
    """EMOFUSE_PYTHON_EXECUTABLE of an existing CMake build folder, or None."""
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt"), encoding="utf-8") as cache:
            for line in cache:
                if line.startswith("EMOFUSE_PYTHON_EXECUTABLE:"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return None


class CMakeBuild(build_ext):
    """Builds the _emofuse target with CMake + Ninja and copies it where setuptools expects it."""

    def build_extension(self, ext):
        build_dir = os.environ.get("EMOFUSE_BUILD_DIR", os.path.join(ROOT, "build"))
        configure = ["cmake", "-S", ROOT, "-B", build_dir, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release"]
        # The module is built for the interpreter that installs it. A virtual environment's python
        # is a link to Debian's: the same interpreter, so an existing build folder is left as it is.
        interpreter = os.path.realpath(sys.executable)
        if interpreter != os.path.realpath(_configured_interpreter(build_dir) or ""):
            configure.append(f"-DEMOFUSE_PYTHON_EXECUTABLE={interpreter}")
        subprocess.check_call(configure)
        subprocess.check_call(["cmake", "--build", build_dir, "--target", "_emofuse"])
        built = glob.glob(os.path.join(build_dir, "python", "emofuse", "_emofuse*.so"))
        if not built:
            raise RuntimeError(f"the CMake build did not produce {build_dir}/python/emofuse/_emofuse*.so")
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(built[0], target)


setup(
    name="emofuse",
    version="0.1.0",
    description="Multimodal emotion learning (HeLo, LSGMER, LDL) with a C++ core",
    package_dir={"": "python"},
    packages=["emofuse"],
    package_data={"emofuse": ["*.pyi", "py.typed"]},
    ext_modules=[Extension("emofuse._emofuse", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    python_requires=">=3.9",
    install_requires=["numpy"],
    zip_safe=False,
)
