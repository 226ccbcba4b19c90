"""The console's second factor: TOTP (RFC 6238, an authenticator app) and one-time recovery codes.

The TOTP secret is stored encrypted (Fernet, with a key derived from CAUNOI_SECRET_KEY for this one use): a copy of
Redis alone gives no codes. A code is accepted for the current 30-second step and one step either side (phone clocks
drift), and each step at most once per account (ASVS 2.8.4): the last step used is kept in the signed operator record.
Recovery codes are 10 random groups of 10 base32 letters (50 bits each), shown once at enrolment; only their keyed
SHA-256 is stored (the codes are random, so a slow hash would add nothing), and a used one is removed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets

import pyotp
import qrcode
import qrcode.image.svg
from cryptography.fernet import Fernet, InvalidToken

from bot.settings import Secret

ISSUER = "Cầu Nối"
STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off paper
RECOVERY_LENGTH = 10


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The otpauth URI as an SVG QR code in a data: URI (the console's CSP allows images from data: only)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def matching_step(secret: str, code: str, now: float, last_step: int) -> int | None:
    """The time step `code` belongs to (now, or one step either side), when it is later than `last_step`; else None.
    Comparing every candidate in constant time: which step matched is not told by timing."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = int(now) // STEP_SECONDS
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and step > last_step:
            found = step
    return found


def new_recovery_codes() -> list[str]:
    return ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH)) for _ in range(RECOVERY_CODES)]


def normalised_recovery(code: str) -> str:
    """What the operator typed, as it was issued: case, spaces and dashes do not matter."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


class SecretBox:
    """Keyed hashes of recovery codes and encryption of TOTP secrets, with keys derived from CAUNOI_SECRET_KEY."""

    def __init__(self, secret_key: Secret):
        root = secret_key.reveal().encode("utf-8")
        self._hash_key = hmac.new(root, b"caunoi recovery codes v1", hashlib.sha256).digest()
        fernet_key = hmac.new(root, b"caunoi totp secrets v1", hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(fernet_key))

    def recovery_hash(self, code: str) -> str:
        typed = normalised_recovery(code).encode("ascii", "replace")
        return hmac.new(self._hash_key, typed, hashlib.sha256).hexdigest()

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode("ascii")).decode("ascii")

    def open(self, sealed: str) -> str | None:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("ascii")
        except (InvalidToken, ValueError):
            return None

