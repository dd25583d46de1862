"""Answers shaped exactly like the Anthropic Messages API (`POST /v1/messages`), for the loopback fake."""

MODEL = "claude-sonnet-5-5"


def tool_answer(options: list[dict]) -> tuple[int, dict]:
    return 200, {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [
            {"type": "text", "text": "Here are the best slots for the student."},
            {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "propose_options",
             "input": {"options": options}},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 812, "output_tokens": 164},
    }


def text_answer(text: str) -> tuple[int, dict]:
    return 200, {
        "id": "msg_01Ab2Cd3Ef4Gh5Ij6Kl7Mn8", "type": "message", "role": "assistant", "model": MODEL,
        "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 812, "output_tokens": 40},
    }


def error_answer(status: int, error_type: str, message: str) -> tuple[int, dict, dict]:
    return status, {"type": "error", "error": {"type": error_type, "message": message}}, {
        "request-id": "req_011CSHoEeqs5C35K2UUqR7Fy"}
