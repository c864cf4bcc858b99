"""verify_webhook and event_body against fixed vectors and against the standardwebhooks package's
own signer and verifier (the reference a partner is most likely to use)."""

from __future__ import annotations

import datetime as dt

import pytest
from standardwebhooks import Webhook
from standardwebhooks import WebhookVerificationError as TheirError

from campaign.webhooks import WebhookVerificationError, event_body, verify_webhook

# The Standard Webhooks libraries' own test vector.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TS = 1614265330
BODY = b'{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
OTHER_SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVld4"


def at(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def headers(signature: str = SIGNATURE, ts: int = TS, msg_id: str = MSG_ID) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": signature}


def test_their_signer_gives_the_vector() -> None:
    assert Webhook(SECRET).sign(MSG_ID, at(TS), BODY.decode()) == SIGNATURE


def test_vector_verifies() -> None:
    assert verify_webhook(BODY, headers(), SECRET, now=at(TS)) == {"test": 2432232314}


def test_header_names_in_any_case() -> None:
    upper = {name.upper(): value for name, value in headers().items()}
    assert verify_webhook(BODY, upper, SECRET, now=at(TS + 10)) == {"test": 2432232314}


def test_secret_without_prefix_verifies() -> None:
    assert verify_webhook(BODY, headers(), SECRET.removeprefix("whsec_"), now=at(TS))


@pytest.mark.parametrize(
    ("body", "hdrs", "secret", "now"),
    [
        pytest.param(b'{"test": 2432232315}', headers(), SECRET, TS, id="tampered-body"),
        pytest.param(BODY, headers(msg_id="msg_other"), SECRET, TS, id="tampered-id"),
        pytest.param(BODY, headers(ts=TS + 1), SECRET, TS, id="tampered-timestamp"),
        pytest.param(BODY, headers(), OTHER_SECRET, TS, id="wrong-secret"),
        pytest.param(BODY, headers(), SECRET, TS + 301, id="stale"),
        pytest.param(BODY, headers(), SECRET, TS - 301, id="future"),
        pytest.param(BODY, headers(signature="v1a,abc"), SECRET, TS, id="no-v1-signature"),
        pytest.param(BODY, headers(signature="v1,%%%"), SECRET, TS, id="garbled-signature"),
        pytest.param(BODY, {"webhook-id": MSG_ID}, SECRET, TS, id="missing-headers"),
        pytest.param(BODY, headers() | {"webhook-timestamp": "1e9"}, SECRET, TS, id="ts-not-int"),
    ],
)
def test_rejected(body: bytes, hdrs: dict[str, str], secret: str, now: int) -> None:
    with pytest.raises(WebhookVerificationError):
        verify_webhook(body, hdrs, secret, now=at(now))


def test_tolerance_edges() -> None:
    assert verify_webhook(BODY, headers(), SECRET, now=at(TS + 300))
    assert verify_webhook(BODY, headers(), SECRET, now=at(TS - 300))
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify_webhook(BODY, headers(), SECRET, now=at(TS + 301))
    with pytest.raises(WebhookVerificationError, match="future"):
        verify_webhook(BODY, headers(), SECRET, now=at(TS - 301))
    assert verify_webhook(BODY, headers(), SECRET, tolerance_s=3600, now=at(TS + 3000))


def test_one_valid_signature_among_several_is_enough() -> None:
    wrong = Webhook(OTHER_SECRET).sign(MSG_ID, at(TS), BODY.decode())
    mixed = f"v1a,c29tZXRoaW5n {wrong} {SIGNATURE} v2,xyz"
    assert verify_webhook(BODY, headers(mixed), SECRET, now=at(TS))


def test_a_signed_json_array_is_not_an_event() -> None:
    body = b"[1,2]"
    signature = Webhook(SECRET).sign(MSG_ID, at(TS), body.decode())
    with pytest.raises(WebhookVerificationError, match="JSON object"):
        verify_webhook(body, headers(signature), SECRET, now=at(TS))


def _cases(now: int) -> list[tuple[str, bytes, dict[str, str], str]]:
    sign = Webhook(SECRET).sign(MSG_ID, at(now), BODY.decode())
    other = Webhook(OTHER_SECRET).sign(MSG_ID, at(now), BODY.decode())
    return [
        ("valid", BODY, headers(sign, now), SECRET),
        ("tampered", BODY + b" ", headers(sign, now), SECRET),
        ("wrong-secret", BODY, headers(sign, now), OTHER_SECRET),
        ("several", BODY, headers(f"{other} {sign}", now), SECRET),
        ("stale", BODY, headers(sign, now - 301), SECRET),
        ("future", BODY, headers(sign, now + 301), SECRET),
    ]


def test_same_verdicts_as_standardwebhooks() -> None:
    """Signed and checked at the real time, since their verifier reads the clock itself."""
    now = int(dt.datetime.now(dt.UTC).timestamp())
    for name, body, hdrs, secret in _cases(now):
        ours = theirs = True
        try:
            verify_webhook(body, hdrs, secret)
        except WebhookVerificationError:
            ours = False
        try:
            Webhook(secret).verify(body, hdrs)
        except TheirError:
            theirs = False
        assert ours == theirs, name
        assert ours == (name in ("valid", "several")), name


# -- event_body -------------------------------------------------------------------------------


def test_event_body_is_canonical() -> None:
    when = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)
    body = event_body("case.withdrawn", when, {"z": 1, "case_ref": "c-7f3a"})
    assert body == (
        b'{"data":{"case_ref":"c-7f3a","z":1},"timestamp":"2026-11-28T09:30:00Z",'
        b'"type":"case.withdrawn"}'
    )


def test_event_body_utf8_and_utc() -> None:
    when = dt.datetime(2026, 11, 28, 10, 30, 0, 250000, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    body = event_body("pack.published", when, {"title": "Zoë – ĳ"})
    assert '"title":"Zoë – ĳ"'.encode() in body
    assert b'"timestamp":"2026-11-28T09:30:00.250000Z"' in body


def test_event_body_refuses_naive_time_and_odd_types() -> None:
    with pytest.raises(ValueError, match="timezone"):
        event_body("case.withdrawn", dt.datetime(2026, 1, 1), {})
    with pytest.raises(ValueError, match="event type"):
        event_body("case withdrawn", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), {})


def test_event_body_round_trip_through_their_verifier() -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    body = event_body("case.withdrawn", now, {"case_ref": "c-1"})
    signature = Webhook(SECRET).sign("msg_1", now, body.decode())
    hdrs = headers(signature, int(now.timestamp()), "msg_1")
    assert Webhook(SECRET).verify(body, hdrs) == verify_webhook(body, hdrs, SECRET)
