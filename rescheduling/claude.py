"""Claude ranks the solver's candidates and explains each in a sentence a student understands.

The only module that imports `anthropic`. Claude is asked to call the `propose_options` tool; the answer is
accepted only when every id is one the solver produced, none repeats, enough are named and every rationale
is short and non-empty. Anything else raises `ClaudeUnavailable`, and the caller falls back to the rules.
"""

import functools
import json
import logging
from dataclasses import dataclass

from django.conf import settings

logger = logging.getLogger(__name__)

TOOL_NAME = "propose_options"
MAX_RATIONALE_CHARS = 300
MAX_TOKENS = 1024

PROPOSE_OPTIONS_TOOL = {
    "name": TOOL_NAME,
    "description": (
        "Propose the best reschedule options for a student pilot's weather-cancelled lesson, best first, "
        "each with a one- or two-sentence rationale addressed to the student."
    ),
    "input_schema": {
        "type": "object",
        "properties": {
            "options": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "candidate_id": {"type": "string", "description": "An id from the candidate list, unchanged."},
                        "rationale": {"type": "string", "description": "Why this slot suits the student, briefly."},
                    },
                    "required": ["candidate_id", "rationale"],
                },
            }
        },
        "required": ["options"],
    },
}

SYSTEM_PROMPT = (
    "You help a flight school reschedule lessons that weather made unsafe. You receive the original lesson "
    "and a JSON array of candidate slots that are already known to be free for the student, an instructor "
    "and an aircraft, with the forecast verdict for each. Choose and order the best candidates for the "
    "student: keeping their instructor and aircraft helps continuity, a time close to the original and to "
    "their usual hours is easier to attend, a forecast that is 'ok' is better than 'marginal', and 'unknown' "
    "means the forecast does not reach that far yet; among slots that pass, prefer the firmer forecast "
    "(forecast_confidence: 'firm' is observed, 'likely' a TAF or a near model forecast, 'uncertain' a distant or "
    "disputed one) and say so when it matters. Only use candidate_id values from the list, never invent "
    "a slot, and write each rationale in plain words for the student in at most two short sentences. "
    f"Answer by calling the {TOOL_NAME} tool."
)


class ClaudeUnavailable(Exception):
    """Claude gave no usable ranking; `retryable` says whether asking again later could help."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class RankedOption:
    candidate_id: str
    rationale: str


def is_configured() -> bool:
    return bool(settings.ANTHROPIC_API_KEY)


def _client(anthropic):
    return _client_for(settings.ANTHROPIC_API_KEY, settings.ANTHROPIC_BASE_URL, settings.ANTHROPIC_TIMEOUT_SECONDS)


@functools.lru_cache(maxsize=4)
def _client_for(api_key: str, base_url: str | None, timeout: float):
    """One client per process and configuration: building one loads the CA bundle into a fresh TLS context
    (about 40 ms, as long as the rest of the ranking) and its connection pool lets the next request reuse the
    connection. The client is safe to share between threads."""
    import anthropic

    # No retries: the 15-second budget is for the whole ranking, and the rules are a good answer too.
    return anthropic.Anthropic(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)


def build_user_message(*, lesson: dict, candidates: list[dict], needed: int) -> str:
    return (
        f"Original lesson:\n{json.dumps(lesson, indent=1)}\n\n"
        f"Candidates (JSON array):\n{json.dumps(candidates, indent=1)}\n\n"
        f"Propose at least {needed} options, best first."
    )


def parse_proposal(content: list, *, known_ids: set[str], needed: int) -> list[RankedOption]:
    """The validated ranking from a Messages API answer's content blocks."""
    call = next(
        (block for block in content
         if getattr(block, "type", None) == "tool_use" and getattr(block, "name", None) == TOOL_NAME),
        None,
    )
    if call is None:
        raise ClaudeUnavailable(f"the answer did not call {TOOL_NAME}", retryable=True)
    payload = getattr(call, "input", None)
    options = payload.get("options") if isinstance(payload, dict) else None
    if not isinstance(options, list):
        raise ClaudeUnavailable("the tool input has no options list", retryable=True)
    ranked: list[RankedOption] = []
    seen: set[str] = set()
    for item in options:
        if not isinstance(item, dict):
            raise ClaudeUnavailable("an option is not an object", retryable=True)
        candidate_id, rationale = item.get("candidate_id"), item.get("rationale")
        if not isinstance(candidate_id, str) or candidate_id not in known_ids:
            raise ClaudeUnavailable(f"unknown candidate id {candidate_id!r}", retryable=True)
        if candidate_id in seen:
            raise ClaudeUnavailable(f"candidate id {candidate_id!r} named twice", retryable=True)
        if not isinstance(rationale, str) or not rationale.strip() or len(rationale) > MAX_RATIONALE_CHARS:
            raise ClaudeUnavailable(f"rationale for {candidate_id!r} is empty or too long", retryable=True)
        seen.add(candidate_id)
        ranked.append(RankedOption(candidate_id=candidate_id, rationale=" ".join(rationale.split())))
    if len(ranked) < needed:
        raise ClaudeUnavailable(f"{len(ranked)} options named, {needed} needed", retryable=True)
    return ranked


def rank_candidates(*, lesson: dict, candidates: list[dict], needed: int) -> list[RankedOption]:
    """Ask Claude to order `candidates` (each with a `candidate_id`); raises ClaudeUnavailable on any failure."""
    if not is_configured():
        raise ClaudeUnavailable("no Anthropic API key configured", retryable=False)
    # Imported here: the SDK takes about a second to import, which every cold start and scheduled job would
    # otherwise pay, even in rules-only mode.
    import anthropic

    try:
        message = _client(anthropic).messages.create(
            model=settings.ANTHROPIC_MODEL,
            max_tokens=MAX_TOKENS,
            system=SYSTEM_PROMPT,
            tools=[PROPOSE_OPTIONS_TOOL],
            tool_choice={"type": "tool", "name": TOOL_NAME},
            messages=[{"role": "user", "content": build_user_message(
                lesson=lesson, candidates=candidates, needed=needed)}],
        )
    except anthropic.APITimeoutError as exc:
        raise ClaudeUnavailable(f"timed out after {settings.ANTHROPIC_TIMEOUT_SECONDS} s", retryable=True) from exc
    except anthropic.APIConnectionError as exc:
        raise ClaudeUnavailable(f"connection failed: {exc}", retryable=True) from exc
    except anthropic.APIStatusError as exc:
        retryable = exc.status_code in (408, 409, 429) or exc.status_code >= 500
        raise ClaudeUnavailable(f"HTTP {exc.status_code}: {exc.message}", retryable=retryable) from exc
    except anthropic.AnthropicError as exc:
        raise ClaudeUnavailable(f"unexpected answer: {exc}", retryable=False) from exc
    return parse_proposal(list(message.content or []), known_ids={c["candidate_id"] for c in candidates},
                          needed=needed)
