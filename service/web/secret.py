"""The key that signs web sessions: from the settings, or generated once per machine."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from service.config import PROJECT_ROOT

KEY_FILE = PROJECT_ROOT / "var" / "secret_key"


def session_key(configured: str, path: Path = KEY_FILE) -> str:
    """Workers started together race to create the file; O_EXCL lets exactly one write it."""
    if configured:
        return configured
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # the winner may still be writing
            key = path.read_text(encoding="ascii").strip()
            if key:
                return key
            time.sleep(0.02)
        raise RuntimeError(f"会话密钥文件 {path} 为空，请删除后重启或设置 XUANPIN_SECRET_KEY") from None
    key = secrets.token_urlsafe(48)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key)
    return key
