"""Dead-letter topics: each topic's `<topic>-dlq`, and the reason a message was dead-lettered.

Shared by the subscriptions the table declares, the topics Kafka is given, the embedded broker that
dead-letters, and the `dead-letters` function that records and replays.
"""

from __future__ import annotations

SUFFIX = "-dlq"
# A CloudEvent extension attribute the embedded broker adds when it dead-letters; daprd adds none.
REASON_ATTRIBUTE = "deadletterreason"


def dead_letter_topic(topic: str) -> str:
    return topic + SUFFIX


def is_dead_letter_topic(topic: str) -> bool:
    return topic.endswith(SUFFIX)


def original_topic(dead_letter: str) -> str:
    return dead_letter.removesuffix(SUFFIX)
