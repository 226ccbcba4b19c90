"""What the leak scans share: the canary texts and secrets of a run, and the scanner of its log lines."""

from __future__ import annotations

import json
from dataclasses import dataclass

# Telegram-shaped, so a redaction that only knew the settings' values would still have to catch it by shape.
TOKEN = "7012345678:AAE-leakscan-Zq9xT3vB7nK2pL5mW8rY1uC4dd"
WEBHOOK_SECRET = "leakscan-webhook-secret_42"
SECRET_KEY = "leakscan-secret-key-for-hashing"
RASA_TOKEN = "leakscan-rasa-token-77"
DATA_KEY = "bGVha3NjYW4tZGF0YS1rZXktMzItYnl0ZXMtbG9uZyE="  # 32 bytes, url-safe base64
PASSWORD = "leakscan-Mat-khau-dai-9"
CHAT = 987001234567
ZALO_USER = "8800112233445566"
CANARY = "LEAKCANARY"
TEXTS = {
    "telegram": f"Cứu tôi, bị giữ hộ chiếu ở Campuchia {CANARY}-tg",
    "zalo": f"Em gái tôi mất liên lạc bên Trung Quốc {CANARY}-zalo",
    "web": f"Có người rủ sang Cam làm việc nhẹ lương cao {CANARY}-web",
    "reply": f"Chị ở đây với em, em đang ở đâu? {CANARY}-reply",
    "note": f"Nạn nhân nói bị đánh {CANARY}-note",
    "agency": f"Công an xã Mỹ Lý {CANARY}-agency",
}


@dataclass(frozen=True)
class Leak:
    what: str
    line: str


def needles(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Every string no log line may hold, by what it is."""
    found = {
        "telegram token": TOKEN, "telegram token secret part": TOKEN.split(":", 1)[1],
        "webhook secret": WEBHOOK_SECRET, "secret key": SECRET_KEY, "rasa token": RASA_TOKEN, "data key": DATA_KEY,
        "operator password": PASSWORD, "telegram chat id": str(CHAT), "zalo user id": ZALO_USER,
        "canary": CANARY,  # the web conversation's id and token are the gateway's: each scan adds them
        **{f"{name} text": text for name, text in TEXTS.items()},
        **{f"{name} text start": text[:20] for name, text in TEXTS.items()},
    }
    found.update(extra or {})
    return found


def scan(lines: list[str], forbidden: dict[str, str]) -> list[Leak]:
    """Each line that is not one JSON object, and each forbidden string found in a line (raw or as JSON escapes)."""
    problems: list[Leak] = []
    for line in lines:
        if not line.strip():
            continue
        try:
            parsed = json.loads(line)
        except json.JSONDecodeError:
            problems.append(Leak("not JSON", line))
            parsed = None
        if parsed is not None and not isinstance(parsed, dict):
            problems.append(Leak("not a JSON object", line))
        decoded = json.dumps(parsed, ensure_ascii=False) if parsed is not None else line
        for what, value in forbidden.items():
            if value and (value in line or value in decoded):
                problems.append(Leak(what, line))
    return problems
