"""The Terraform CLI for offline work (fmt, console): terraform, else OpenTofu built with Go.

Only commands that need no provider run here (fmt; init and console on provider-less modules).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from infra.tfcheck.schema import REPO_ROOT

# A stable OpenTofu release the Go module proxy serves, for machines without terraform.
TOFU_MODULE = "github.com/opentofu/opentofu/cmd/tofu"
TOFU_VERSION = "v1.10.10"
LOCAL_BIN = REPO_ROOT / ".local" / "bin"


def binary() -> Path:
    found = shutil.which("terraform")
    if found:
        return Path(found)
    tofu = LOCAL_BIN / "tofu"
    if not tofu.exists():
        LOCAL_BIN.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "GOBIN": str(LOCAL_BIN), "CGO_ENABLED": "0"}
        subprocess.run(["go", "install", f"{TOFU_MODULE}@{TOFU_VERSION}"], check=True, env=env)
    return tofu


def main() -> None:
    print(binary())


if __name__ == "__main__":
    main()
