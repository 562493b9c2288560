"""Each of the shop's service modules can be imported first, in a fresh interpreter: the parts
call one another (payments, refunds and pickup find orders through `orders`), and a cycle among
them breaks only for whichever is imported first."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import backend.shop.service

SERVICES = sorted(m.name for m in pkgutil.iter_modules([str(Path(backend.shop.service.__file__).parent)]))


@pytest.mark.parametrize("name", SERVICES)
def test_a_service_module_imports_on_its_own(name):
    done = subprocess.run(
        [sys.executable, "-c", f"import backend.shop.service.{name}"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
