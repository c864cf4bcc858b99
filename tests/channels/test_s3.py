"""S3Channel against moto's server on loopback (one per session), reached through the HTTP fault
proxy in ``tests/httpfault.py``; every test gets its own versioned bucket."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import itertools
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from campaign.channels import Outcome, Outgoing, channel_settings, make_channel
from campaign.channels.base import ChannelError
from campaign.channels.s3 import S3Channel
from campaign.channels.s3support import IMMUTABLE, cache_control, content_type
from campaign.clock import ManualClock
from campaign.errors import ConfigError, MissingDependency
from tests.httpfault import HttpFaultProxy
from tests.smtpserver import free_port

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

REGION = "us-east-1"
PREFIX = "partners/acme"
KEY_ENV, SECRET_ENV = "TEST_S3_CHANNEL_KEY", "TEST_S3_CHANNEL_SECRET"
SECRET = "s3-secret-value-ZZZ"
PHOTO = "c/3f9a1c/photo-640.jpg"
PACK: tuple[tuple[str, bytes], ...] = (
    (PHOTO, b"\xff\xd8\xff\xe0 jpeg bytes of an opaque case"),
    ("c/3f9a1c/poster-a4-5d41402abc4b2a76.pdf", b"%PDF-1.7 poster"),
    ("feed.json", b'{"items": ["3f9a1c"]}'),
    ("feed.atom", b"<feed xmlns='http://www.w3.org/2005/Atom'/>"),
    ("widget.js", b"document.currentScript;"),
    ("index.html", b"<!doctype html><title>Appeals</title>"),
    ("manifest.json", b'{"files": 6}'),
)
_buckets = itertools.count(1)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def _proxy(moto_endpoint: str) -> Iterator[HttpFaultProxy]:
    with HttpFaultProxy(moto_endpoint) as proxy:
        yield proxy


@pytest.fixture
def proxy(_proxy: HttpFaultProxy) -> HttpFaultProxy:
    _proxy.reset()
    return _proxy


@pytest.fixture
def client(moto_endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def bucket(client: Any) -> str:
    """A new bucket with versioning on."""
    name = f"partner-{next(_buckets)}"
    client.create_bucket(Bucket=name)
    client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


@pytest.fixture(autouse=True)
def s3_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "testing")
    monkeypatch.setenv(SECRET_ENV, SECRET)


def s3_channel(
    endpoint: str, bucket: str, tmp_path: Path, prefix: str = PREFIX, **table: Any
) -> S3Channel:
    settings = channel_settings(
        "test",
        {
            "url": f"s3://{bucket}/{prefix}",
            "endpoint_url": endpoint,
            "region": REGION,
            "access_key_env": KEY_ENV,
            "secret_env": SECRET_ENV,
            "timeout_s": 5.0,
            **table,
        },
        tmp_path,
    )
    channel = make_channel(settings, ManualClock())
    assert isinstance(channel, S3Channel)
    return channel


def pack(files: tuple[tuple[str, bytes], ...] = PACK, key: str = "pack-1") -> Outgoing:
    return Outgoing(key=key, recipient="acme", data=b"", kind="pack", files=files)


def versions(client: Any, bucket: str, prefix: str = "") -> dict[str, list[str]]:
    """Every version id by key (delete markers as ``marker:<id>``)."""
    page = client.list_object_versions(Bucket=bucket, Prefix=prefix)
    found: dict[str, list[str]] = {}
    for entry in page.get("Versions", []):
        found.setdefault(entry["Key"], []).append(entry["VersionId"])
    for entry in page.get("DeleteMarkers", []):
        found.setdefault(entry["Key"], []).append("marker:" + entry["VersionId"])
    return found


def body(client: Any, bucket: str, key: str) -> bytes:
    data: bytes = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    return data


def test_a_pack_is_uploaded_with_checksum_metadata_type_and_cache_control(
    proxy: HttpFaultProxy, client: Any, bucket: str, tmp_path: Path
) -> None:
    channel = s3_channel(proxy.url, bucket, tmp_path)
    channel.open()
    receipt = channel.send(pack())
    channel.close()
    assert receipt.outcome is Outcome.ACCEPTED
    keys = [f"{PREFIX}/{name}" for name, _ in PACK]
    assert sorted(receipt.evidence["uploaded"]) == sorted(keys)
    assert receipt.evidence["unchanged"] == [] and receipt.evidence["deleted"] == []
    assert receipt.evidence["uploaded"][-1] == f"{PREFIX}/manifest.json"  # written last
    expected = {
        PHOTO: ("image/jpeg", "no-cache"),  # keeps its name when the case is updated
        "c/3f9a1c/poster-a4-5d41402abc4b2a76.pdf": ("application/pdf", IMMUTABLE),
        "feed.json": ("application/json; charset=utf-8", "no-cache"),
        "feed.atom": ("application/atom+xml; charset=utf-8", "no-cache"),
        "widget.js": ("text/javascript; charset=utf-8", "no-cache"),
        "index.html": ("text/html; charset=utf-8", "no-cache"),
        "manifest.json": ("application/json; charset=utf-8", "no-cache"),
    }
    for name, data in PACK:
        key = f"{PREFIX}/{name}"
        head = client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        digest = hashlib.sha256(data)
        assert head["ChecksumSHA256"] == base64.b64encode(digest.digest()).decode()
        assert head["Metadata"] == {"sha256": digest.hexdigest()}
        assert (head["ContentType"], head["CacheControl"]) == expected[name]
        assert body(client, bucket, key) == data
        assert receipt.evidence["versions"][key] == head["VersionId"]
    manifest = client.head_object(Bucket=bucket, Key=f"{PREFIX}/manifest.json")
    assert receipt.remote_id == manifest["VersionId"]
    assert set(versions(client, bucket)) == set(keys)  # nothing outside the prefix


def test_an_identical_resend_puts_nothing_and_makes_no_new_version(
    proxy: HttpFaultProxy, client: Any, bucket: str, tmp_path: Path
) -> None:
    channel = s3_channel(proxy.url, bucket, tmp_path)
    first = channel.send(pack())
    before = versions(client, bucket)
    puts = proxy.object_puts
    again = channel.send(pack(key="pack-2"))
    assert again.evidence["uploaded"] == [] and again.evidence["deleted"] == []
    assert len(again.evidence["unchanged"]) == len(PACK)
    assert proxy.object_puts == puts
    assert versions(client, bucket) == before
    assert all(len(ids) == 1 for ids in before.values())
    assert again.remote_id == first.remote_id


def test_changed_bytes_leave_one_version_of_that_key_and_others_untouched(
    proxy: HttpFaultProxy, client: Any, bucket: str, tmp_path: Path
) -> None:
    channel = s3_channel(proxy.url, bucket, tmp_path)
    channel.send(pack())
    before = versions(client, bucket)
    changed = tuple((n, b"\xff\xd8 a new crop" if n == PHOTO else d) for n, d in PACK)
    receipt = channel.send(pack(changed))
    key = f"{PREFIX}/{PHOTO}"
    assert receipt.evidence["uploaded"] == [key]
    assert receipt.evidence["deleted"] == [{"key": key, "version_id": before[key][0]}]
    after = versions(client, bucket)
    assert len(after[key]) == 1 and after[key] != before[key]
    assert body(client, bucket, key) == b"\xff\xd8 a new crop"
    with pytest.raises(client.exceptions.ClientError):
        client.get_object(Bucket=bucket, Key=key, VersionId=before[key][0])
    assert {k: v for k, v in after.items() if k != key} == {
        k: v for k, v in before.items() if k != key
    }


def test_a_file_dropped_from_the_pack_loses_every_version_and_marker(
    proxy: HttpFaultProxy, client: Any, bucket: str, tmp_path: Path
) -> None:
    # a stray key under the prefix with two versions and a delete marker on top, and keys
    # outside the prefix (one sharing its first letters) that must survive
    stray = f"{PREFIX}/c/old/photo.jpg"
    client.put_object(Bucket=bucket, Key=stray, Body=b"old one")
    client.put_object(Bucket=bucket, Key=stray, Body=b"old two")
    client.delete_object(Bucket=bucket, Key=stray)
    outside = {f"{PREFIX}-other/x.jpg": b"neighbour", "elsewhere/manifest.json": b"{}"}
    for key, data in outside.items():
        client.put_object(Bucket=bucket, Key=key, Body=data)
    channel = s3_channel(proxy.url, bucket, tmp_path)
    first = channel.send(pack())
    assert sum(1 for d in first.evidence["deleted"] if d["key"] == stray) == 3
    photo = f"{PREFIX}/{PHOTO}"
    old_photo = versions(client, bucket)[photo]
    receipt = channel.send(pack(tuple(f for f in PACK if f[0] != PHOTO)))
    after = versions(client, bucket)
    assert stray not in after and photo not in after  # no version, no delete marker
    assert receipt.evidence["deleted"] == [{"key": photo, "version_id": old_photo[0]}]
    for key, data in outside.items():
        assert body(client, bucket, key) == data
    assert len(after) == len(PACK) - 1 + len(outside)


def test_a_print_job_goes_into_its_own_folder_and_touches_nothing_else(
    proxy: HttpFaultProxy, client: Any, bucket: str, tmp_path: Path
) -> None:
    channel = s3_channel(proxy.url, bucket, tmp_path)
    channel.send(pack())
    before = versions(client, bucket)
    job = Outgoing(
        key="job-7",
        recipient="printer",
        data=b"",
        kind="print",
        files=(("poster-a4.pdf", b"%PDF print"), ("job.json", b'{"copies": 40}')),
    )
    receipt = channel.send(job)
    assert receipt.remote_id == f"{PREFIX}/job-7/"
    assert receipt.evidence["uploaded"] == [
        f"{PREFIX}/job-7/poster-a4.pdf",
        f"{PREFIX}/job-7/job.json",
    ]
    assert body(client, bucket, f"{PREFIX}/job-7/poster-a4.pdf") == b"%PDF print"
    head = client.head_object(Bucket=bucket, Key=f"{PREFIX}/job-7/job.json")
    assert head["Metadata"]["sha256"] == hashlib.sha256(b'{"copies": 40}').hexdigest()
    after = versions(client, bucket)
    assert {k: v for k, v in after.items() if "/job-7/" not in k} == before
    for bad in ("../job", "a/b", ""):
        with pytest.raises(ChannelError) as caught:
            channel.send(Outgoing(key=bad, recipient="p", data=b"", kind="print", files=job.files))
        assert not caught.value.retryable


def test_withdraw_keys_deletes_every_version(
    proxy: HttpFaultProxy, client: Any, bucket: str, tmp_path: Path
) -> None:
    channel = s3_channel(proxy.url, bucket, tmp_path)
    channel.send(pack())
    photo = f"{PREFIX}/{PHOTO}"
    client.put_object(Bucket=bucket, Key=photo, Body=b"another copy")  # a second version
    client.delete_object(Bucket=bucket, Key=f"{PREFIX}/feed.json")  # and a marker on top
    ids = versions(client, bucket)
    receipt = channel.withdraw_keys([PHOTO, "feed.json", "c/never/was.jpg"])
    assert receipt.outcome is Outcome.ACCEPTED
    assert receipt.evidence["absent"] == [f"{PREFIX}/c/never/was.jpg"]
    deleted = {(d["key"], d["version_id"]) for d in receipt.evidence["deleted"]}
    expected = {(photo, v) for v in ids[photo]}
    expected |= {
        (f"{PREFIX}/feed.json", v.removeprefix("marker:")) for v in ids[f"{PREFIX}/feed.json"]
    }
    assert deleted == expected and len(deleted) == 4
    after = versions(client, bucket)
    assert photo not in after and f"{PREFIX}/feed.json" not in after
    assert f"{PREFIX}/manifest.json" in after
    with pytest.raises(ChannelError) as caught:
        channel.withdraw_keys(["../other-partner/photo.jpg"])
    assert not caught.value.retryable


def test_open_sets_the_cors_rule_once(
    proxy: HttpFaultProxy, client: Any, bucket: str, tmp_path: Path
) -> None:
    origins = ["https://partner.example", "https://www.partner.example"]
    channel = s3_channel(proxy.url, bucket, tmp_path, cors_origins=origins)
    channel.open()
    [rule] = client.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert sorted(rule["AllowedMethods"]) == ["GET", "HEAD"]
    assert rule["AllowedOrigins"] == origins
    assert rule["AllowedHeaders"] == ["*"] and rule["MaxAgeSeconds"] == 3600
    channel.close()
    again = s3_channel(proxy.url, bucket, tmp_path, cors_origins=origins)
    again.open()
    again.open()
    cors_puts = [entry for entry in proxy.log if entry[0] == "PUT" and "cors" in entry[1]]
    assert len(cors_puts) == 1  # equal on the second run: not written again
    default = s3_channel(proxy.url, bucket, tmp_path)
    default.open()
    [rule] = client.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert rule["AllowedOrigins"] == ["*"]


def test_cors_refused_halts_but_withdrawal_still_works(
    proxy: HttpFaultProxy, client: Any, bucket: str, tmp_path: Path
) -> None:
    channel = s3_channel(proxy.url, bucket, tmp_path)
    channel.send(pack())
    late = s3_channel(proxy.url, bucket, tmp_path, cors_origins=["https://new.example"])
    proxy.refuse("PUT", "cors", 403, "AccessDenied")
    with pytest.raises(ChannelError) as caught:
        late.open()
    err = caught.value
    assert err.halt and err.retryable and "CORS" in str(err) and "AccessDenied" in str(err)
    assert SECRET not in str(err)
    receipt = late.withdraw_keys([PHOTO])
    assert receipt.evidence["deleted"] and f"{PREFIX}/{PHOTO}" not in versions(client, bucket)


def test_slow_down_twice_then_success_makes_one_version(
    proxy: HttpFaultProxy, client: Any, bucket: str, tmp_path: Path
) -> None:
    channel = s3_channel(proxy.url, bucket, tmp_path)
    item = pack(((PHOTO, b"photo"), ("manifest.json", b"{}")))
    proxy.slow_down(2, retry_after="7")
    for attempt in (1, 2):
        puts = proxy.object_puts
        with pytest.raises(ChannelError) as caught:
            channel.send(item)
        err = caught.value
        assert err.retryable and not err.halt and not err.unknown_outcome
        assert err.retry_after == 7.0 and "SlowDown" in (err.response or "")
        assert proxy.object_puts == puts + 1, f"attempt {attempt}: botocore retried by itself"
    receipt = channel.send(item)
    assert receipt.outcome is Outcome.ACCEPTED
    assert {k: len(v) for k, v in versions(client, bucket).items()} == {
        f"{PREFIX}/{PHOTO}": 1,
        f"{PREFIX}/manifest.json": 1,
    }


def test_a_checksum_mismatch_is_retried_with_the_right_bytes(
    proxy: HttpFaultProxy, client: Any, bucket: str, tmp_path: Path
) -> None:
    # moto does not check x-amz-checksum-sha256; the proxy refuses like S3 (400 BadDigest)
    channel = s3_channel(proxy.url, bucket, tmp_path)
    item = pack(((PHOTO, b"the real photo bytes"),))
    proxy.corrupt_next_put()
    with pytest.raises(ChannelError) as caught:
        channel.send(item)
    err = caught.value
    assert err.retryable and not err.halt and not err.unknown_outcome
    assert "BadDigest" in (err.response or "")
    assert versions(client, bucket) == {}
    channel.send(item)
    assert body(client, bucket, f"{PREFIX}/{PHOTO}") == b"the real photo bytes"
    assert len(versions(client, bucket)[f"{PREFIX}/{PHOTO}"]) == 1


def test_a_lost_response_after_a_put_is_an_unknown_outcome_and_the_retry_adds_nothing(
    proxy: HttpFaultProxy, client: Any, bucket: str, tmp_path: Path
) -> None:
    channel = s3_channel(proxy.url, bucket, tmp_path)
    item = pack(((PHOTO, b"photo"),))
    proxy.drop_next_put_response()
    with pytest.raises(ChannelError) as caught:
        channel.send(item)
    assert caught.value.unknown_outcome and caught.value.retryable
    receipt = channel.send(item)  # it did arrive: the retry finds the same bytes
    assert receipt.evidence["unchanged"] == [f"{PREFIX}/{PHOTO}"]
    assert len(versions(client, bucket)[f"{PREFIX}/{PHOTO}"]) == 1


def test_a_missing_bucket_halts(proxy: HttpFaultProxy, tmp_path: Path) -> None:
    channel = s3_channel(proxy.url, "no-such-partner", tmp_path)
    with pytest.raises(ChannelError) as caught:
        channel.send(pack())
    assert caught.value.halt and caught.value.retryable
    assert "NoSuchBucket" in str(caught.value)
    with pytest.raises(ChannelError) as caught:
        channel.withdraw_keys([PHOTO])
    assert caught.value.halt and caught.value.retryable
    assert proxy.object_puts == 0


def test_refused_credentials_halt_and_no_secret_shows(
    proxy: HttpFaultProxy, bucket: str, tmp_path: Path
) -> None:
    channel = s3_channel(proxy.url, bucket, tmp_path)
    proxy.refuse("GET", "cors", 403, "InvalidAccessKeyId", "The AWS Access Key Id does not exist.")
    with pytest.raises(ChannelError) as caught:
        channel.send(pack())
    assert caught.value.halt and caught.value.retryable
    assert SECRET not in str(caught.value) and SECRET not in repr(channel)
    assert SECRET not in channel.describe()


def test_an_unreachable_endpoint_halts(bucket: str, tmp_path: Path) -> None:
    channel = s3_channel(f"http://127.0.0.1:{free_port()}", bucket, tmp_path, timeout_s=0.5)
    with pytest.raises(ChannelError) as caught:
        channel.send(pack())
    assert caught.value.halt and caught.value.retryable and not caught.value.unknown_outcome


def test_an_unversioned_bucket_keeps_the_replaced_object(
    proxy: HttpFaultProxy, client: Any, tmp_path: Path
) -> None:
    name = f"plain-{next(_buckets)}"
    client.create_bucket(Bucket=name)
    channel = s3_channel(proxy.url, name, tmp_path, prefix="")
    channel.send(pack(((PHOTO, b"one"), ("manifest.json", b"{}"))))
    receipt = channel.send(pack(((PHOTO, b"two"),)))
    assert receipt.evidence["uploaded"] == [PHOTO]
    assert body(client, name, PHOTO) == b"two"
    assert versions(client, name) == {PHOTO: ["null"]}


def test_names_must_stay_under_the_prefix(proxy: HttpFaultProxy, bucket: str, tmp_path: Path):
    channel = s3_channel(proxy.url, bucket, tmp_path)
    assert channel.key("c/1/a.jpg") == f"{PREFIX}/c/1/a.jpg"
    for bad in ("../x", "/etc/passwd", "a/../../x", "a//b", "a\\b", "", ".", "a/./b", "x\0"):
        with pytest.raises(ChannelError) as caught:
            channel.send(pack(((bad, b"x"),)))
        assert not caught.value.retryable
    assert proxy.object_puts == 0
    with pytest.raises(ChannelError):
        channel.send(pack((("a.jpg", b"1"), ("./a.jpg", b"2"))))
    with pytest.raises(ChannelError):
        channel.send(Outgoing(key="k", recipient="r", data=b"x", kind="email"))


def test_settings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="bucket"):
        s3_channel("http://127.0.0.1:9", "Bad_Bucket", tmp_path)
    with pytest.raises(ConfigError, match="prefix"):
        s3_channel("http://127.0.0.1:9", "partner", tmp_path, prefix="a/../b")
    settings = channel_settings(
        "test", {"url": "s3://partner/x", "access_key_env": KEY_ENV}, tmp_path
    )
    with pytest.raises(ConfigError, match="go together"):
        make_channel(settings, ManualClock())
    channel = s3_channel("http://127.0.0.1:9", "partner", tmp_path, prefix="a/b/")
    assert channel.describe() == "s3://partner/a/b via http://127.0.0.1:9"


def test_media_types_and_cache_control() -> None:
    assert content_type("feed.json") == "application/json; charset=utf-8"
    assert content_type("x/feed.atom") == "application/atom+xml; charset=utf-8"
    assert content_type("widget.js") == "text/javascript; charset=utf-8"
    assert content_type("page.HTML") == "text/html; charset=utf-8"
    assert content_type("p.webp") == "image/webp"
    assert content_type("blob.unknownext") == "application/octet-stream"
    assert cache_control("c/1/feed.json") == "no-cache"
    assert cache_control("c/1/case.html") == "no-cache"
    assert cache_control("C-1/en/poster-a4.jpg") == "no-cache"  # replaced in place
    assert cache_control("C-1/en/ab12cd.jpg") == "no-cache"
    assert cache_control("r/5d41402abc4b2a76.webp") == IMMUTABLE
    assert cache_control("r/poster-5d41402abc4b2a76e3f0.pdf") == IMMUTABLE
    assert cache_control("README.txt") == "no-cache"


def test_a_missing_boto3_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(MissingDependency, match=r"campaign\[s3\]"):
        s3_channel("http://127.0.0.1:9", "partner", tmp_path)


def test_an_interrupted_pack_already_dropped_the_old_photo_and_the_retry_finishes(
    proxy: HttpFaultProxy, client: Any, bucket: str, tmp_path: Path
) -> None:
    channel = s3_channel(proxy.url, bucket, tmp_path)
    channel.send(pack())
    photo = f"{PREFIX}/{PHOTO}"
    changed = tuple((n, d + b" v2" if n in (PHOTO, "manifest.json") else d) for n, d in PACK)
    proxy.slow_down(1, skip=1)  # the photo goes through, the manifest (last) is refused
    with pytest.raises(ChannelError) as caught:
        channel.send(pack(changed))
    assert caught.value.retryable
    assert len(versions(client, bucket)[photo]) == 1  # the old photo went right after the put
    receipt = channel.send(pack(changed))
    assert receipt.evidence["uploaded"] == [f"{PREFIX}/manifest.json"]
    assert all(len(ids) == 1 for ids in versions(client, bucket).values())


def test_leftover_versions_of_an_unchanged_key_are_deleted(
    proxy: HttpFaultProxy, client: Any, bucket: str, tmp_path: Path
) -> None:
    channel = s3_channel(proxy.url, bucket, tmp_path)
    photo = f"{PREFIX}/{PHOTO}"
    client.put_object(Bucket=bucket, Key=photo, Body=b"an older photo")
    data = dict(PACK)[PHOTO]
    client.put_object(
        Bucket=bucket, Key=photo, Body=data, Metadata={"sha256": hashlib.sha256(data).hexdigest()}
    )
    [current, older] = versions(client, bucket)[photo]
    receipt = channel.send(pack())
    assert photo in receipt.evidence["unchanged"]
    assert {"key": photo, "version_id": older} in receipt.evidence["deleted"]
    assert versions(client, bucket)[photo] == [current]


def test_retry_after_as_seconds_or_a_date(tmp_path: Path) -> None:
    from campaign.channels.base import retry_after_seconds

    now = s3_channel("http://127.0.0.1:9", "partner", tmp_path).clock.now()
    assert retry_after_seconds("12", now) == 12.0
    later = (now + dt.timedelta(seconds=90)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert retry_after_seconds(later, now) == 90.0
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None, now) is None
