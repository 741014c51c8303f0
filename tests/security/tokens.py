"""A token file for tests: vic (viewer), olga (operator) and carol (approver, stored as tokenSha256)."""
from __future__ import annotations

from pathlib import Path

import yaml

from hub.tokens import digest

TOKENS = {
    "vic": "vic-viewer-token-0123456789",
    "olga": "olga-operator-token-0123456789",
    "carol": "carol-approver-token-0123456789",
}


def write_token_file(path: Path) -> Path:
    users = [
        {"name": "vic", "token": TOKENS["vic"], "roles": ["viewer"]},
        {"name": "olga", "token": TOKENS["olga"], "roles": ["operator"]},
        {"name": "carol", "tokenSha256": digest(TOKENS["carol"]), "roles": ["approver"]},
    ]
    path.write_text(yaml.safe_dump({"users": users}))
    return path
