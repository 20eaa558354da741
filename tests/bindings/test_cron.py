"""The cron side: daprd's OPTIONS probe, empty 200 per tick, and one run per tick across replicas."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from bindings.app import create_app
from bindings.embedded.cron import go_time
from bindings.envelopes import parse_read_time
from bindings.schedules import Schedule

TICK = "2026-11-27 10:05:00.004021 +0000 UTC"


def _relay(runtime):
    return runtime.apps["outbox-relay"].test_client()


def _runs(runtime) -> list[dict]:
    with runtime.db.transaction() as tx:
        return tx.all("SELECT function, tick, claimed_by FROM cron_ticks")


def test_options_probe_is_2xx(runtime):
    assert _relay(runtime).options("/outbox-relay-cron").status_code == 200


def test_tick_answers_an_empty_200(runtime):
    resp = _relay(runtime).post(
        "/outbox-relay-cron",
        data=b"",
        content_type="application/json",
        headers={"readTimeUTC": TICK, "timeZone": "UTC"},
    )
    assert resp.status_code == 200 and resp.get_data() == b""
    assert len(_runs(runtime)) == 1


def test_two_replicas_firing_the_same_instant_run_once(runtime):
    # Two apps over one database stand for two pods; their sidecars fire a few ms apart.
    replicas = [create_app("outbox-relay", runtime.deps["outbox-relay"], app_token="").test_client() for _ in range(2)]
    times = ["2026-11-27 10:05:05.000412 +0000 UTC", "2026-11-27 10:05:05.031877 +0000 UTC"]

    def fire(i: int) -> int:
        return (
            replicas[i]
            .post("/outbox-relay-cron", data=b"", content_type="application/json", headers={"readTimeUTC": times[i]})
            .status_code
        )

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(fire, range(2))) == [200, 200]
    runs = _runs(runtime)
    assert len(runs) == 1 and runs[0]["tick"].isoformat() == "2026-11-27T10:05:05+00:00"


def test_the_next_tick_runs_again(runtime):
    client = _relay(runtime)
    for t in ("2026-11-27 10:05:05.1 +0000 UTC", "2026-11-27 10:05:10.2 +0000 UTC"):
        client.post("/outbox-relay-cron", data=b"", headers={"readTimeUTC": t})
    assert len(_runs(runtime)) == 2


def test_ad_hoc_run_reports_its_result(runtime):
    resp = _relay(runtime).post("/run", json={})
    assert resp.status_code == 200
    assert resp.get_json() == {"published": 0, "failed": 0, "batches": 0}
    assert _runs(runtime) == []  # ad hoc runs are not ticks


def test_failed_tick_is_not_a_200(runtime):
    runtime.db.close()
    resp = _relay(runtime).post("/outbox-relay-cron", data=b"", headers={"readTimeUTC": TICK})
    assert resp.status_code == 500  # never swallowed into a 200


def test_schedule_maps_each_firing_to_its_instant():
    minute = Schedule("CRON_TZ=UTC 0 * * * * *")
    fired = parse_read_time("2026-11-27 10:05:00.93172757 +0000 UTC")
    assert minute.tick_of(fired).isoformat() == "2026-11-27T10:05:00+00:00"
    daily = Schedule("CRON_TZ=UTC 0 2 * * *")
    assert daily.tick_of(fired).isoformat() == "2026-11-27T02:00:00+00:00"
    assert daily.next_after(fired).isoformat() == "2026-11-28T02:00:00+00:00"
    every = Schedule("@every 15s")
    assert every.tick_of(fired).isoformat() == "2026-11-27T10:05:00+00:00"
    assert parse_read_time(go_time(fired)) == fired.replace(microsecond=931727)
