"""Every Redis key the gateway uses, in one place."""

from __future__ import annotations

PREFIX = "caunoi"


def dev_outbox(conversation_id: str) -> str:
    return f"{PREFIX}:dev:outbox:{conversation_id}"


def web_token(conversation_id: str) -> str:
    """The SHA-256 of the local web chat conversation's token (bot/channels/web.py)."""
    return f"{PREFIX}:conv:{conversation_id}:web-token"


def conversation_prefix(conversation_id: str) -> str:
    """Every key about one conversation starts with this (erasing finds them all by it)."""
    return f"{PREFIX}:conv:{conversation_id}:"


def conversation_mode(conversation_id: str) -> str:
    return f"{PREFIX}:conv:{conversation_id}:mode"


def seen_update(channel: str, update_id: str) -> str:
    return f"{PREFIX}:seen:{channel}:{update_id}"


QUEUE = f"{PREFIX}:queue"


def case(conversation_id: str) -> str:
    return f"{PREFIX}:conv:{conversation_id}:case"


def transcript(conversation_id: str) -> str:
    return f"{PREFIX}:conv:{conversation_id}:transcript"


def attachments(conversation_id: str) -> str:
    """Photos, files and voice notes kept for the operator (bot/state/attachments.py), sealed."""
    return f"{PREFIX}:conv:{conversation_id}:attachments"


# Ordered delivery: each conversation's waiting inbound messages, the conversations that have some, and the lock
# that lets one worker at a time drain a conversation.
def inbox(conversation_id: str) -> str:
    return f"{PREFIX}:conv:{conversation_id}:inbox"


def inbox_lock(conversation_id: str) -> str:
    return f"{PREFIX}:conv:{conversation_id}:inbox-lock"


INBOX_PENDING = f"{PREFIX}:inbox:pending"


def answered(conversation_id: str) -> str:
    """The conversation's messages whose replies have gone out (message id -> 1): a replayed turn is not answered
    twice (bot/gateway/answered.py)."""
    return f"{PREFIX}:conv:{conversation_id}:answered"


def buttons(conversation_id: str) -> str:
    """Short button codes (Telegram callback_data, web) -> the payload and title they stand for."""
    return f"{PREFIX}:conv:{conversation_id}:buttons"


def choices(conversation_id: str) -> str:
    """The numbered options offered in the last message (Zalo), valid for the next reply only."""
    return f"{PREFIX}:conv:{conversation_id}:choices"


def stopped(conversation_id: str) -> str:
    """Set while nothing may be sent to the conversation (the person unfollowed the Zalo OA)."""
    return f"{PREFIX}:conv:{conversation_id}:stopped"


NOTES = ("private_only", "emergency", "holding")  # the notes bot/gateway/dispatch.py sends once in a while


def noted(conversation_id: str, note: str) -> str:
    """A one-time (or once-in-a-while) gateway note already sent to this conversation."""
    return f"{PREFIX}:conv:{conversation_id}:noted:{note}"


DEAD_LETTER_INDEX = f"{PREFIX}:dead:index"  # sorted set: entry id -> time
DEAD_LETTER_ENTRIES = f"{PREFIX}:dead:entries"  # hash: entry id -> JSON


def rate(name: str) -> str:
    return f"{PREFIX}:rate:{name}"


ZALO_TOKENS = f"{PREFIX}:zalo:tokens"
ZALO_TOKENS_SEALED = ("access_token", "refresh_token")  # its fields sealed at rest (rotation reseals them)
ZALO_REFRESH_LOCK = f"{PREFIX}:zalo:tokens:refresh-lock"


# Sorted set: conversation -> when its person asked to erase everything (bot/state/erase.py); gone once done.
ERASE_REQUESTS = f"{PREFIX}:erase-requests"


# Retention (bot/state/retention.py): when each conversation is due to be erased, and its own period once a handoff
# closed with an outcome.
RETENTION = f"{PREFIX}:retention"  # sorted set: conversation -> time it is erased unless something happens first
PURGE_LOCK = f"{PREFIX}:retention:purge-lock"  # one gateway worker purges per interval


def retention_period(conversation_id: str) -> str:
    """Seconds the conversation is kept after its last activity, when a closed handoff set a period of its own."""
    return f"{PREFIX}:conv:{conversation_id}:retention"


def chat_messages(conversation_id: str) -> str:
    """Sorted set of the Telegram message ids (never texts) the bot may delete from the chat on an erase -> sent at."""
    return f"{PREFIX}:conv:{conversation_id}:chat-messages"


# Follow-ups after a referral (bot/state/followups.py): "did you reach the organisation?", asked once when due.
# Sorted set: "<conversation> <referral>" -> when it is due (or, while a worker sends it, until when it is claimed).
FOLLOW_UPS_DUE = f"{PREFIX}:followups:due"


def follow_ups(conversation_id: str) -> str:
    """Hash: referral id -> the conversation's pending follow-up (sealed JSON)."""
    return f"{PREFIX}:conv:{conversation_id}:followups"


def follow_up_asked(conversation_id: str) -> str:
    """The follow-up question sent and not yet answered (sealed JSON): only the person's next message may answer it."""
    return f"{PREFIX}:conv:{conversation_id}:followup-asked"


# Rasa's own keys, as bot/rasa_server/endpoints.py configures its Redis tracker and lock stores.
TRACKER_PREFIX = "caunoitracker"
LOCK_PREFIX = "caunoilock"


def rasa_tracker(conversation_id: str) -> str:
    return f"{TRACKER_PREFIX}:tracker:{conversation_id}"


def rasa_lock(conversation_id: str) -> str:
    return f"{LOCK_PREFIX}:lock:{conversation_id}"


# Operator console (bot/console/).
HELD = f"{PREFIX}:console:held"  # sorted set: conversations a human holds -> claimed at
OPERATORS = f"{PREFIX}:operators"  # set of usernames
CONSOLE_POLICY = f"{PREFIX}:console:policy"  # signed hash: require_2fa (a supervisor's choice for every account)
ONLINE = f"{PREFIX}:console:online"  # sorted set: username -> last seen (console open)
# Hash: username -> {"status": on_duty|break|off, "since": epoch} (bot/console/shift.py); expires a week after a change.
OPERATOR_STATUS = f"{PREFIX}:console:status"
# Hash: conversation -> since when its holder is away (off, or no live session); handed back after a grace period.
STRANDED = f"{PREFIX}:console:stranded"
AUDIT = f"{PREFIX}:audit"  # append-only stream: who did what to which conversation, never message text
# Hash: conversation -> transcript length, kept by the console's transcript watcher until #19; nothing writes it
# now, and the retention purge deletes what a deployment still has.
TRANSCRIPT_LENGTHS = f"{PREFIX}:console:transcript-lengths"


def events(db: int) -> str:
    """Pub/sub channel of queue, transcript, note and alert events for the consoles. Pub/sub ignores database
    numbers, so the channel names the database: deployments sharing one Redis server never hear each other."""
    return f"{PREFIX}:console:events:{db}"


def operator(username: str) -> str:
    return f"{PREFIX}:operator:{username}"


def session(token_digest: str) -> str:
    return f"{PREFIX}:console:session:{token_digest}"


def totp_pending(username: str) -> str:
    """An encrypted TOTP secret shown to the operator, until a code from it confirms the enrolment (10 minutes)."""
    return f"{PREFIX}:console:totp-pending:{username}"


def operator_sessions(username: str) -> str:
    """Set of the digests of an operator's sessions (each expires on its own; the list prunes the gone ones)."""
    return f"{PREFIX}:console:sessions-of:{username}"


def login_failures(kind: str, who: str) -> str:
    """Failed logins in the current window, per `kind` ("user" or "ip")."""
    return f"{PREFIX}:console:login-failures:{kind}:{who}"


def assignee(conversation_id: str) -> str:
    """The username of the operator who holds the conversation."""
    return f"{PREFIX}:conv:{conversation_id}:operator"


def case_notes(conversation_id: str) -> str:
    """Operators' internal notes: kept across handoffs, never shown to the person."""
    return f"{PREFIX}:conv:{conversation_id}:notes"


def handoffs(conversation_id: str) -> str:
    """Closed handoffs of the conversation: who, when, outcome, referral."""
    return f"{PREFIX}:conv:{conversation_id}:handoffs"


def notices(conversation_id: str) -> str:
    """Hash of notices and alerts already sent for the current wait (field -> time), so each goes out once."""
    return f"{PREFIX}:conv:{conversation_id}:notices"


def viewed(username: str, conversation_id: str) -> str:
    """Set while an operator's view of a conversation is already in the audit log (views are logged once a while)."""
    return f"{PREFIX}:console:viewed:{username}:{conversation_id}"


def outcomes(day: str) -> str:
    """Hash outcome -> count of handoffs closed on `day` (YYYY-MM-DD, Vietnam time)."""
    return f"{PREFIX}:stats:outcomes:{day}"


# Outreach campaigns (bot/state/campaigns.py): aggregate counts only, never who.
CAMPAIGNS = f"{PREFIX}:campaigns"  # set of campaign codes


def campaign(code: str) -> str:
    """Hash: the campaign's name, team, place, dates, greeting, active flag."""
    return f"{PREFIX}:campaign:{code}"


def campaign_counts(code: str, day: str) -> str:
    """Hash metric -> count for the campaign on `day` (YYYY-MM-DD, Vietnam time)."""
    return f"{PREFIX}:campaign:{code}:counts:{day}"


def campaign_days(code: str) -> str:
    """Set of the days the campaign has counts for."""
    return f"{PREFIX}:campaign:{code}:days"


def campaign_once(conversation_id: str, code: str, metric: str) -> str:
    """Set once a campaign metric counted "at most once per conversation" (`answered`) has been counted for this
    conversation. It lives under the conversation's prefix and expires with it (erasing removes it too): the daily
    counts themselves never hold who."""
    return f"{PREFIX}:conv:{conversation_id}:campaign-once:{code}:{metric}"


# The live service directory (bot/state/directory.py): entry id -> JSON record, and a counter every change moves.
DIRECTORY_ENTRIES = f"{PREFIX}:directory:entries"
DIRECTORY_VERSION = f"{PREFIX}:directory:version"


# Partner organisations (bot/state/organisations.py): organisation id -> JSON {id, name, entry_ids}. About services,
# not people: no retention limit, like the directory.
ORGANISATIONS = f"{PREFIX}:organisations"


# Referrals (bot/state/referrals.py). Each record lives under its conversation's prefix, so erasing the conversation
# (/xoa, retention) takes it; the indexes below name referral ids only and are cleaned by the erase and the purge.
def referral(conversation_id: str, referral_id: str) -> str:
    """One referral, sealed JSON, with the referral retention as its TTL."""
    return f"{PREFIX}:conv:{conversation_id}:referral:{referral_id}"


REFERRAL_KEY_PART = "referral:"  # what follows the conversation prefix in `referral`: erase finds the ids by it


def referral_pending(conversation_id: str) -> str:
    """The consent question waiting for the person's answer: {referral id, step}; expires with the question."""
    return f"{PREFIX}:conv:{conversation_id}:referral-pending"


REFERRALS = f"{PREFIX}:referrals"  # sorted set: referral id -> created at
REFERRAL_HOME = f"{PREFIX}:referrals:home"  # hash: referral id -> conversation id
REFERRAL_CONSENT_DUE = f"{PREFIX}:referrals:consent-due"  # sorted set: referral id -> when its question expires

# Teams of operators and routing rules (bot/state/teams.py): configuration, kept until changed, no retention.
TEAMS = f"{PREFIX}:teams"  # hash: team id -> name
TEAM_ROUTES = f"{PREFIX}:teams:routes"  # hash: "campaign:CODE" | "service:TYPE" | "province:NAME" -> team id


def team_members(team_id: str) -> str:
    """Set of the usernames in the team."""
    return f"{PREFIX}:team:{team_id}:members"
