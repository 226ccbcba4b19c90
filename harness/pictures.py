"""Pictures made on the spot for tests and benchmarks: a job ad or a chat as a phone screenshot looks once it has
been photographed (Vietnamese text in DejaVu Sans, a grey cast, speckles, a slight tilt), and a blank one.

    png = picture(JOB_AD)                    # PNG bytes
    blank = picture(())                      # nothing to read
"""

from __future__ import annotations

import io
import random
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

JOB_AD = ("TUYỂN GẤP 20 LAO ĐỘNG ĐI CAMPUCHIA",
          "Việc nhẹ lương cao 25 triệu mỗi tháng",
          "Không cần kinh nghiệm, bao vé máy bay, bao ăn ở",
          "Phí hồ sơ 5 triệu, đặt cọc trước để giữ chỗ",
          "Liên hệ qua Zalo chị Lan")
# A contract photographed to be checked: its terms include keeping the worker's passport (a red flag, not danger now).
CONTRACT = ("HỢP ĐỒNG LAO ĐỘNG",
            "Bên B sang làm việc tại Đài Loan trong 3 năm",
            "Lương cơ bản 18 triệu đồng mỗi tháng",
            "Bên A giữ hộ chiếu của Bên B trong thời gian làm việc",
            "Bên B nộp phí dịch vụ 4000 USD")
THREAT = ("Mày không trả đủ tiền thì tao đánh chết mày",
          "Tao giữ hộ chiếu của mày rồi, đừng hòng trốn",
          "Nó nhốt em trong phòng, em bị đánh, cứu em với")
FALLBACK_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)


def font_file() -> Path | None:
    """A font with every Vietnamese letter: DejaVu Sans, found by fontconfig where it is installed."""
    if shutil.which("fc-match"):
        found = subprocess.run(["fc-match", "-f", "%{file}", "DejaVu Sans:lang=vi"], capture_output=True, text=True,
                               timeout=10, check=False).stdout.strip()
        if found and Path(found).is_file():
            return Path(found)
    return next((Path(path) for path in FALLBACK_FONTS if Path(path).is_file()), None)


def picture(lines: Sequence[str], *, noise: float = 0.02, tilt: float = 1.2, seed: int = 7,
            size: tuple[int, int] = (1080, 720), kind: str = "PNG", exif: Image.Exif | None = None) -> bytes:
    """`lines` written on a light page, then photographed: speckles on `noise` of the pixels, tilted `tilt`
    degrees, softened; `()` gives a page with nothing written on it."""
    font_path = font_file()
    if font_path is None:
        raise RuntimeError("no DejaVu Sans on this machine (Debian: fonts-dejavu-core)")
    font = ImageFont.truetype(str(font_path), 40)
    page = Image.new("L", size, 238)
    draw = ImageDraw.Draw(page)
    for number, line in enumerate(lines):
        draw.text((50, 60 + number * 70), line, font=font, fill=25)
    chance = random.Random(seed)
    pixels = page.load()
    assert pixels is not None
    for _ in range(int(size[0] * size[1] * noise)):
        x, y = chance.randrange(size[0]), chance.randrange(size[1])
        pixels[x, y] = chance.choice((40, 120, 200))
    photo = page.rotate(tilt, resample=Image.Resampling.BICUBIC, fillcolor=230).filter(ImageFilter.GaussianBlur(0.6))
    out = io.BytesIO()
    photo.convert("RGB").save(out, kind, **({"exif": exif} if exif is not None else {}))
    return out.getvalue()
