"""What the simulated people say: four kinds of conversation, with and without diacritics, as the bot meets them.

Each turn is typed text or the press of a button the bot's last message offered (found by its title, as a person
would), and names fragments of the answer it should get. A fragment is how the analysis tells a right answer from a
wrong one (a reply meant for another turn, i.e. reordered, or the gateway's degraded answer). Only lines the trained
model reads correctly are used: this measures speed, not understanding (reports/nlu.md does that).
"""

from __future__ import annotations

from dataclasses import dataclass

# The gateway's own answer when Rasa does not answer in time (content/vi/gateway/messages.yml `degraded`).
DEGRADED_FRAGMENT = "hệ thống trả lời tự động đang gặp trục trặc"
# Its holding message when Rasa is slow but answering (`holding`): not the turn's answer, counted apart.
HOLDING_FRAGMENT = "Mình vẫn đang đọc tin nhắn của bạn"


@dataclass(frozen=True)
class Turn:
    text: str = ""  # what the person types, or
    button: str = ""  # the title of a button in the bot's last messages, pressed
    expect: tuple[str, ...] = ()  # any of these in the turn's replies means the right answer came

    @property
    def label(self) -> str:
        return f"[{self.button}]" if self.button else "text"


@dataclass(frozen=True)
class Conversation:
    name: str
    weight: int  # relative share of people having this conversation
    turns: tuple[Turn, ...]


WELCOME = ("mình là Cầu Nối",)
THANKS = ("Không có gì",)

CONVERSATIONS: tuple[Conversation, ...] = (
    # Asks for help, picks the kind with a button, names a province.
    Conversation("ask_for_help", 30, (
        Turn("Xin chào", expect=WELCOME),
        Turn("tôi cần giúp đỡ", expect=("loại hỗ trợ nào",)),
        Turn(button="Chỗ ở an toàn", expect=("tỉnh, thành phố nào",)),
        Turn("Nghệ An", expect=("Nghệ An",)),
        Turn("cam on ban", expect=THANKS),
    )),
    # Names the service and the province in one line, without diacritics, then with them.
    Conversation("find_service", 25, (
        Turn("hi ban oi", expect=WELCOME),
        Turn("o nghe an co luat su nao giup khong", expect=("Nghệ An",)),
        Turn("Cho tôi hỏi ở Đà Nẵng có chỗ nào hỗ trợ tâm lý không", expect=("Đà Nẵng",)),
        Turn("tạm biệt", expect=("bình an",)),
    )),
    # A job offer checked question by question with the choice and Có / Không buttons, ending in a verdict.
    Conversation("job_check", 30, (
        Turn("co nguoi ru sang cam lam viec nhe luong cao", expect=("vài câu ngắn",)),
        Turn(button="Người quen giới thiệu", expect=("nộp tiền",)),
        Turn(button="Có, đòi nộp trước", expect=("visa du lịch",)),
        Turn(button="Không", expect=("hộ chiếu",)),
        Turn(button="Không", expect=("hợp đồng",)),
        Turn(button="Chưa ký", expect=("giục đi gấp",)),
        Turn(button="Không", expect=("Kết luận",)),
        Turn("cam on", expect=THANKS),
    )),
    # Danger: the safety numbers and a place in the human queue; then, while waiting, the emergency numbers again.
    Conversation("danger", 15, (
        Turn("xin chao", expect=WELCOME),
        Turn("cuu toi voi bi giu ho chieu o campuchia", expect=("an toàn trước hết",)),
        Turn("họ đánh tôi, cứu tôi", expect=("hãy gọi ngay",)),
    )),
)


def by_name(name: str) -> Conversation:
    for conversation in CONVERSATIONS:
        if conversation.name == name:
            return conversation
    raise KeyError(name)
