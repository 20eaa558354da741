"""The guide's commands, as docs/operations.md writes them, against `make dapr-up` on its own fixed ports.

The block marked `seed-commands` runs verbatim in a copy of the checkout, inside a private network
namespace (tests/dapr/isolated.py), beside a local stand-in for SendGrid's servers. Each command's
answer is checked, and so is its effect where the command cannot show it (the event consumed, the
mail sent).
"""

from __future__ import annotations

import json

import pytest
import yaml

from tests.dapr.harness import eventually
from tests.dapr.isolated import PYTHON, isolated_checkout
from tests.support import doc_commands, sendgrid_sink

pytestmark = pytest.mark.dapr
SENDGRID_KEY = "SG.readme-test-key"


def _answer(cmds: list[str], outputs: list[str], fragment: str) -> str:
    """What the one command containing `fragment` printed."""
    (index,) = [i for i, c in enumerate(cmds) if fragment in c]
    return outputs[index]


def test_the_docs_port_table_is_the_run_files():
    table = doc_commands.OPERATIONS.read_text().split("  | function | app | daprd HTTP | daprd gRPC | metrics |")[1]
    rows = [line.strip(" |").split(" | ") for line in table.splitlines()[2:] if line.startswith("  | ")]
    run_file = yaml.safe_load((doc_commands.OPERATIONS.parents[1] / "dapr.yaml").read_text())
    expected = [
        [a["appID"], *(str(a[k]) for k in ("appPort", "daprHTTPPort", "daprGRPCPort", "metricsPort"))]
        for a in run_file["apps"]
    ]
    assert rows == expected


def test_the_guides_commands_work_against_dapr_up():
    cmds = doc_commands.commands(doc_commands.block("seed-commands"))
    with isolated_checkout("todo-readme-") as iso:
        sink_context = sendgrid_sink.running()
        sink = iso.ns.call(sink_context.__enter__)  # its listening socket inside the namespace
        try:
            env = {"SENDGRID_API_KEY": SENDGRID_KEY, "SENDGRID_HOST": sink.url}
            up = iso.run([PYTHON, "-m", "bindings", "dapr-up"], env=env, timeout=600)
            assert up.returncode == 0, up.stdout + up.stderr
            done = iso.run(["bash", "-c", doc_commands.script(cmds)], timeout=180)
            outputs = doc_commands.outputs(done.stdout, len(cmds))
            assert done.returncode == 0, f"{done.stderr}\n{outputs}"

            task_id, reminder_id = _answer(cmds, outputs, 'echo "$TASK_ID $REMINDER_ID"').split()
            assert _answer(cmds, outputs, "/v1.0/publish/kafka-pubsub/task-events") == "204"
            # Delivered through Kafka to spawn-recurrence's rule route, which ran the handler (inbox row).
            event_id = f"readme-{task_id}"
            eventually(
                lambda: iso.rows(
                    "SELECT 1 FROM inbox WHERE consumer = %s AND event_id = %s", ("spawn-recurrence", event_id)
                ),
                timeout_s=60,
                what="spawn-recurrence consumed the published event",
            )

            assert _answer(cmds, outputs, '-X POST "$API/v1.0/state/postgres-statestore"') == "204"
            assert json.loads(_answer(cmds, outputs, "state/postgres-statestore/greeting")) == {"text": "hello"}

            notified = json.loads(_answer(cmds, outputs, "method/api/notify"))
            assert notified["outcome"] == "sent" and notified["reminder_id"] == reminder_id
            assert sink.accepted()[reminder_id] == 1
            (state,) = iso.rows("SELECT state FROM reminders WHERE id = %s", (reminder_id,))
            assert state == ("sent",)

            secret = json.loads(_answer(cmds, outputs, "secrets/local-secret-store/sendgrid-secret"))
            assert secret["api-key"] == SENDGRID_KEY
        finally:
            iso.ns.call(sink_context.__exit__, None, None, None)
