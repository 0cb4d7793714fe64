"""Copies the front-end files the pages use from node_modules (installed by `npm ci` from the
committed lock file) into static/vendor, and bundles the ES-module-only packages (the designer's
modeler with the Camunda 7 properties panel) with esbuild from the same node_modules. Run by
`make vendor`; never at run time."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

WEB = Path(__file__).resolve().parent
MODULES = WEB / "node_modules"
VENDOR = WEB / "static" / "vendor"

# static/vendor/<file> -> the ES module entry under frontend/ that esbuild bundles into it
BUNDLES = {
    "designer/modeler.js": ("frontend/modeler-entry.js", "XuanpinModeler"),
}

# destination folder under static/vendor -> files or folders under node_modules
FILES = {
    "bpmn-js": [
        "bpmn-js/dist/bpmn-navigated-viewer.production.min.js",
        "bpmn-js/dist/bpmn-modeler.production.min.js",
        "bpmn-js/dist/assets/diagram-js.css",
        "bpmn-js/dist/assets/bpmn-js.css",
        "bpmn-js/dist/assets/bpmn-font",
    ],
    "dmn-js": [
        "dmn-js/dist/dmn-modeler.production.min.js",
        "dmn-js/dist/assets/dmn-js-shared.css",
        "dmn-js/dist/assets/dmn-js-drd.css",
        "dmn-js/dist/assets/dmn-js-decision-table.css",
        "dmn-js/dist/assets/dmn-js-decision-table-controls.css",
        "dmn-js/dist/assets/dmn-js-literal-expression.css",
        "dmn-js/dist/assets/dmn-js-boxed-expression.css",
        "dmn-js/dist/assets/dmn-js-boxed-expression-controls.css",
        "dmn-js/dist/assets/dmn-font",
    ],
    "designer": [
        "@bpmn-io/properties-panel/dist/assets/properties-panel.css",
    ],
    "swagger-ui": [
        "swagger-ui-dist/swagger-ui-bundle.js",
        "swagger-ui-dist/swagger-ui-standalone-preset.js",
        "swagger-ui-dist/swagger-ui.css",
        "swagger-ui-dist/favicon-32x32.png",
        "swagger-ui-dist/favicon-16x16.png",
    ],
}


def copy_vendor() -> list[Path]:
    if not MODULES.is_dir():
        sys.exit("service/web/node_modules 不存在：请先运行 make vendor（npm ci）")
    copied = []
    shutil.rmtree(VENDOR, ignore_errors=True)
    for folder, sources in FILES.items():
        target = VENDOR / folder
        target.mkdir(parents=True, exist_ok=True)
        for source in sources:
            origin = MODULES / source
            destination = target / origin.name
            if origin.is_dir():
                shutil.copytree(origin, destination)
            else:
                shutil.copy2(origin, destination)
            copied.append(destination)
    for output, (entry, global_name) in BUNDLES.items():
        copied.append(bundle(WEB / entry, VENDOR / output, global_name))
    return copied


def bundle(entry: Path, output: Path, global_name: str) -> Path:
    """One minified IIFE script (no module loader needed in the page), exposing `global_name`."""
    esbuild = MODULES / ".bin" / "esbuild"
    subprocess.run(
        [
            str(esbuild),
            str(entry),
            "--bundle",
            "--minify",
            "--format=iife",
            f"--global-name={global_name}",
            "--target=es2019",
            "--legal-comments=eof",
            "--log-level=warning",
            f"--outfile={output}",
        ],
        cwd=WEB,
        check=True,
    )
    return output


if __name__ == "__main__":
    print(f"vendored {len(copy_vendor())} files into {VENDOR}")
